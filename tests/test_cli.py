"""The CLI as operators and scripts use it: exit codes, --json anywhere, shared state across processes."""

import json
import os
import subprocess
import sys
from decimal import Decimal as D

import pytest

from crbot.cli import main
from tests.conftest import make_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    for key, value in make_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_flag_before_or_after_the_command(cli_env, capsys):
    code, out, _ = run(capsys, "--json", "status")
    assert code == 0 and json.loads(out)["trading_state"] == "ACTIVE"
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["mode"] == "paper" and "synthetic" in json.loads(out)["price_source"]


def test_exit_codes(cli_env, capsys):
    assert run(capsys, "order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "abc")[0] == 2
    assert run(capsys, "order", "create", "--symbol", "NOPEUSDT", "--side", "BUY", "--qty", "1", "--price", "1")[0] == 2
    code, out, _ = run(capsys, "--json", "price", "--symbol", "BTCUSDT")
    price = D(json.loads(out)["price"])
    code, out, _ = run(
        capsys, "--json", "order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "1", "--price", str(price)
    )
    assert code == 3 and "ORDER_NOTIONAL_EXCEEDS_MAX" in json.loads(out)["message"]
    assert run(capsys, "resume")[0] == 2  # needs --confirm


def test_bracket_stop_refuse_resume_across_processes(cli_env):
    """The issue's acceptance path, each step a separate process sharing CRBOT_HOME."""
    env = {**os.environ}

    def crbot(*args):
        proc = subprocess.run(
            [sys.executable, "-m", "crbot", "--json", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=ROOT,
        )
        return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None

    code, out = crbot("price", "--symbol", "BTCUSDT")
    price = D(out["price"])
    entry, sl, tp = (str((price * D(k)).quantize(D("0.01"))) for k in ("0.97", "0.95", "1.05"))
    code, out = crbot(
        "order",
        "create",
        "--symbol",
        "BTCUSDT",
        "--side",
        "BUY",
        "--qty",
        "0.001",
        "--price",
        str(entry),
        "--stop-loss",
        str(sl),
        "--take-profit",
        str(tp),
    )
    assert code == 0, out
    cid = out["client_order_id"]
    code, out = crbot("orders", "--open")
    assert {o["client_order_id"] for o in out} >= {cid, cid + "-tp", cid + "-sl"}
    code, out = crbot("stop", "--reason", "cli test")
    assert code == 0 and out["ok"] and len(out["canceled"]) == 3
    code, out = crbot(
        "order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", str(entry)
    )
    assert code == 3 and "TRADING_HALTED" in out["message"]
    code, out = crbot("status")
    assert out["trading_state"] == "HALTED" and out["reason"] == "cli test"
    code, out = crbot("resume", "--confirm")
    assert code == 0 and out["trading_state"] == "ACTIVE"
    code, out = crbot("order", "status", "--symbol", "BTCUSDT", "--id", cid)
    assert code == 0 and out["status"] == "CANCELED"


def test_json_output_is_valid_json_even_for_an_infinite_metric() -> None:
    import json

    from crbot.jsonable import to_jsonable

    text = json.dumps(to_jsonable({"profit_factor": float("inf"), "sharpe": float("nan"), "loss": float("-inf")}))
    assert json.loads(text) == {"profit_factor": "Infinity", "sharpe": None, "loss": "-Infinity"}
    assert "NaN" not in text and "Infinity," not in text.replace('"Infinity"', "")


def test_only_human_output_with_rows_asks_for_the_symbol_rules(cli_env, capsys, monkeypatch):
    """The rules (exchangeInfo, weight 20 live) only format numbers: --json and an empty list never fetch them."""
    from crbot.broker.paper import PaperBroker

    asked = []
    real = PaperBroker.rules
    monkeypatch.setattr(PaperBroker, "rules", lambda self: asked.append(1) or real(self))
    assert run(capsys, "--json", "orders", "--open")[0] == 0 and asked == []
    assert run(capsys, "orders", "--open")[1].strip() == "no open orders" and asked == []
    code, out, _ = run(capsys, "balance")
    assert code == 0 and "10,000.00" in out and asked  # rows to format: fetched
