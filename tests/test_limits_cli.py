"""``python -m crbot limits``: show (human and --json), set with a reason (audited), refusals that change nothing."""

import json

import pytest

from crbot.cli import main
from crbot.risk import limit_fields
from tests.conftest import make_env


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    for key, value in make_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def shown(capsys) -> dict[str, dict]:
    code, out, _ = run(capsys, "limits", "--json")
    assert code == 0
    return {row["key"]: row for row in json.loads(out)}


def limit_events(capsys) -> list[dict]:
    code, out, _ = run(capsys, "--json", "audit", "--kind", "risk_limits")
    assert code == 0
    return json.loads(out)


def test_show_lists_every_limit_with_the_risk_pages_label(cli_env, capsys):
    rows = shown(capsys)
    assert list(rows) == [f.key for f in limit_fields()]
    for f in limit_fields():
        assert rows[f.key]["label"] == f.label and rows[f.key]["unit"] == f.unit
    assert rows["daily_loss_limit"]["value"] == "200" and rows["price_band_pct"]["unit"] == "%"
    code, out, _ = run(capsys, "limits")
    assert code == 0
    line = next(ln for ln in out.splitlines() if "daily_loss_limit" in ln)
    assert line.startswith("Daily loss limit") and line.rstrip().endswith("200 USDT")
    assert "python -m crbot limits set NAME VALUE --reason TEXT" in out
    assert run(capsys, "limits", "show")[1] == out  # `show` is the default


def test_set_saves_through_the_service_with_an_audited_reason(cli_env, capsys):
    assert run(capsys, "limits", "set", "daily_loss_limit", "150", "--reason", "first week")[0] == 0
    code, out, _ = run(capsys, "--json", "limits", "set", "daily_loss_limit", "100", "--reason", "bad day")
    assert code == 0
    result = json.loads(out)
    assert (result["before"], result["after"], result["changed"]) == ("150", "100", True)
    assert result["label"] == "Daily loss limit"
    assert shown(capsys)["daily_loss_limit"]["value"] == "100"
    newest = limit_events(capsys)[0]
    assert newest["detail"] == "daily_loss_limit: 150 -> 100"
    assert (newest["before"], newest["after"]) == ("daily_loss_limit: 150", "100")
    assert newest["reason"] == "bad day" and newest["actor"] == "cli:tester"


def test_same_value_changes_and_audits_nothing(cli_env, capsys):
    assert run(capsys, "limits", "set", "max_open_orders", "10", "--reason", "fewer")[0] == 0
    before = limit_events(capsys)
    code, out, _ = run(capsys, "limits", "set", "max_open_orders", "10", "--reason", "again")
    assert code == 0 and "nothing changed" in out
    assert limit_events(capsys) == before


def test_symbols_are_set_as_a_comma_separated_list(cli_env, capsys):
    assert run(capsys, "limits", "set", "allowed_symbols", "btcusdt,ETHUSDT", "--reason", "two only")[0] == 0
    assert shown(capsys)["allowed_symbols"]["value"] == "BTCUSDT,ETHUSDT"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("daily_loss", "100"), "use one of: max_order_notional,"),
        (("max_order_notional", "abc"), "Max order size 'abc' is not a number"),
        (("max_order_notional", "-5"), "Max order size -5 must be above 0"),
        (("max_open_orders", "2.5"), "whole number"),
        (("price_band_pct", "150"), "above 100"),
        (("allowed_symbols", "BTC USDT!"), "invalid symbol"),
    ],
)
def test_bad_name_or_value_is_refused_and_changes_nothing(cli_env, capsys, args, says):
    before_rows, before_events = shown(capsys), limit_events(capsys)
    code, out, err = run(capsys, "limits", "set", *args, "--reason", "typo")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and says in err
    if "use one of" in says:  # every valid name is listed
        assert all(f.key in err for f in limit_fields())
    assert shown(capsys) == before_rows and limit_events(capsys) == before_events


def test_reason_is_required(cli_env, capsys):
    code, _, err = run(capsys, "limits", "set", "daily_loss_limit", "100")
    assert code == 2 and "--reason" in err
    code, _, err = run(capsys, "limits", "set", "daily_loss_limit", "100", "--reason", "  ")
    assert code == 2 and "reason is required" in err
    assert shown(capsys)["daily_loss_limit"]["value"] == "200"


def test_json_error_is_machine_readable(cli_env, capsys):
    code, out, _ = run(capsys, "--json", "limits", "set", "nope", "1", "--reason", "x")
    assert code == 2
    body = json.loads(out)
    assert body["ok"] is False and body["error"] == "InvalidInput" and "daily_loss_limit" in body["message"]


def test_a_halted_account_can_still_tighten_limits(cli_env, capsys):
    assert run(capsys, "stop", "--reason", "drill")[0] == 0
    _, out, _ = run(capsys, "--json", "status")
    assert json.loads(out)["trading_state"] == "HALTED"
    assert run(capsys, "limits", "set", "max_order_notional", "250", "--reason", "smaller after the drill")[0] == 0
    assert shown(capsys)["max_order_notional"]["value"] == "250"
    _, out, _ = run(capsys, "--json", "status")
    assert json.loads(out)["trading_state"] == "HALTED"  # changing a limit never resumes trading


def test_limits_is_listed_in_the_main_help(cli_env, capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "limits" in out
