"""Every CLI input is checked (issue 7, point 6): a bad value is one `error:` line and exit 2, nothing journaled."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.cli import main
from crbot.clock import SystemClock
from crbot.journal import Journal
from tests.conftest import make_env

ORDER = ["order", "create", "--symbol", "BTCUSDT", "--side", "BUY"]
HUGE = "9" * 5000


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in make_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def journaled(home: Path) -> tuple[list[object], list[object]]:
    journal = Journal(f"sqlite:///{home}/journal.db", SystemClock())
    try:
        return journal.orders(), journal.audit_events()
    finally:
        journal.close()


def assert_refused(home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (argv, code, out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert len(lines[0]) < 600, "absurd values are cut in the message"
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    orders, events = journaled(home)
    assert orders == [] and events == [], "nothing is journaled for invalid input"
    return lines[0]


BAD_NUMBERS = [
    ("1e100", "'1e100'"),
    ("1e400", "'1e400'"),
    ("1E-5", "'1E-5'"),
    (HUGE, "(5000 characters)"),
    ("1" * 21, "'" + "1" * 21 + "'"),  # 21 integer digits
    ("0." + "1" * 21, "'0." + "1" * 21 + "'"),  # 21 decimals
    ("١٢٣", "'١٢٣'"),  # Arabic-Indic digits
    ("１２３", "'１２３'"),  # full-width digits
    ("1_000", "'1_000'"),
    ("-1", "'-1'"),
    ("+1", "'+1'"),
    (" 1", "' 1'"),
    ("1 ", "'1 '"),
    ("1 000", "'1 000'"),
    ("1.2.3", "'1.2.3'"),
    (".5", "'.5'"),
    ("5.", "'5.'"),
    ("", "''"),
    ("NaN", "'NaN'"),
    ("Infinity", "'Infinity'"),
    ("0x10", "'0x10'"),
    ("1,5", "'1,5'"),
    ("1\n", "'1\\n'"),
    ("0", "greater than zero"),
    ("0.000", "greater than zero"),
]
NUMBER_OPTIONS = ["--qty", "--quote", "--price", "--stop-loss", "--take-profit"]


@pytest.mark.parametrize("option", NUMBER_OPTIONS)
@pytest.mark.parametrize(("value", "shown"), BAD_NUMBERS, ids=[v[:12] or "empty" for v, _ in BAD_NUMBERS])
def test_bad_numbers_are_exit_2_naming_option_and_value(home, capsys, option, value, shown):
    argv = [*ORDER, "--qty", "0.001", "--price", "60000", option, value]
    if option in ("--qty", "--price"):  # the bad value is the only one given for that option
        argv = [*ORDER, *(["--price", "60000"] if option == "--qty" else ["--qty", "0.001"]), option, value]
    assert_refused(home, capsys, argv, f"argument {option}:", shown)


@pytest.mark.parametrize("value", ["0.001", "60000", "12345678901234567890.12345678901234567890", "00.10"])
def test_good_numbers_parse(value):
    from crbot.cli import build_parser

    args = build_parser().parse_args([*ORDER, "--qty", value, "--price", value])
    assert args.qty == args.price == Decimal(value)


def test_price_with_market_is_refused(home, capsys):
    line = assert_refused(home, capsys, [*ORDER, "--type", "MARKET", "--qty", "0.001", "--price", "60000"], "--price")
    assert "drop --price" in line and "LIMIT" in line


BAD_SYMBOLS = ["", " ", "FOOUSDT", "BTC/USDT", "BTCUSDT'; DROP TABLE orders;--", "🚀USDT", "ßUSDT", "A" * 21, HUGE]


@pytest.mark.parametrize("symbol", BAD_SYMBOLS, ids=range(len(BAD_SYMBOLS)))
@pytest.mark.parametrize(
    "command",
    [
        ["price"],
        ["order", "status", "--id", "abc"],
        ["order", "cancel", "--id", "abc"],
        [*ORDER[:2], "--side", "BUY", "--qty", "0.001", "--price", "60000"],
    ],
    ids=["price", "status", "cancel", "create"],
)
def test_unknown_or_malformed_symbols_are_exit_2(home, capsys, command, symbol):
    line = assert_refused(home, capsys, [*command, "--symbol", symbol])
    assert "symbol" in line


def test_symbols_are_stripped_and_upper_cased(home, capsys):
    code, out, _ = run(capsys, "--json", "price", "--symbol", " btcusdt ")
    assert code == 0 and json.loads(out)["symbol"] == "BTCUSDT"


BAD_IDS = ["", "a b", "x" * 37, "id.with.dots", "ü", "abc\n", "🚀", "a/b", "'; DROP TABLE orders;--", HUGE]


@pytest.mark.parametrize("client_id", BAD_IDS, ids=range(len(BAD_IDS)))
@pytest.mark.parametrize(
    "command",
    [
        [*ORDER, "--qty", "0.001", "--price", "60000", "--client-id"],
        ["order", "status", "--symbol", "BTCUSDT", "--id"],
        ["order", "cancel", "--symbol", "BTCUSDT", "--id"],
    ],
    ids=["create", "status", "cancel"],
)
def test_bad_client_ids_are_exit_2(home, capsys, command, client_id):
    assert_refused(home, capsys, [*command, client_id], "client order id")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([], "required"),
        (["nope"], "invalid choice"),
        (["order"], "create,status,cancel"),
        (["order", "drop"], "invalid choice"),
        (["orders", "--bogus"], "unrecognized arguments: --bogus"),
        (["orders", "--bogus\nsecond line"], "unrecognized arguments"),
        (["price"], "--symbol"),
        (["price", "--symbol"], "expected one argument"),
        (["order", "create", "--symbol", "BTCUSDT"], "--side"),
        ([*ORDER, "--side", "HOLD"], "invalid choice"),
        ([*ORDER, "--type", "STOP"], "invalid choice"),
        ([*ORDER, "--q", "1"], "unrecognized arguments: --q"),  # no abbreviations at all
        (["order", "status", "--symbol", "BTCUSDT"], "--id"),
        (["stop"], "--reason"),
        (["resume", "--yes"], "unrecognized"),
        (["resume"], "--confirm"),
        (["stop", "--reason", "x", "--all-balances"], "--flatten"),
        (["balance", HUGE], "characters)"),
    ],
)
def test_usage_errors_are_one_line_exit_2(home, capsys, argv, needle):
    line = assert_refused(home, capsys, argv, needle)
    assert "Traceback" not in line


def test_usage_error_hint_names_the_right_command(home, capsys):
    line = assert_refused(home, capsys, ["order", "create", "--symbol", "BTCUSDT"])
    assert "python -m crbot order create --help" in line
    line = assert_refused(home, capsys, ["orders", "--bogus"])
    assert "`python -m crbot --help`" in line


@pytest.mark.parametrize("argv", [["--help"], ["order", "--help"], ["order", "create", "-h"], ["price", "--help"]])
def test_help_still_works(home, capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 0 and out.startswith("usage: crbot") and err == ""


def test_json_errors_are_json(home, capsys):
    code, out, _ = run(capsys, "--json", *ORDER, "--qty", "1e400", "--price", "1")
    assert code == 2 and json.loads(out)["error"] == "InvalidInput" and "--qty" in json.loads(out)["message"]


def test_valid_order_still_goes_through(home, capsys):
    """The checks refuse only what is malformed: a good LIMIT order is placed and journaled."""
    code, out, _ = run(capsys, "--json", "price", "--symbol", "BTCUSDT")
    low = str(int(Decimal(json.loads(out)["price"]) * Decimal("0.97")))  # inside the 5% band, rests on the book
    code, out, err = run(capsys, "--json", *ORDER, "--qty", "0.001", "--price", low, "--client-id", "cli-ok_1")
    assert code == 0, (out, err)
    code, out, _ = run(capsys, "--json", "order", "status", "--symbol", "btcusdt", "--id", "cli-ok_1")
    assert code == 0 and json.loads(out)["client_order_id"] == "cli-ok_1"
    orders, _ = journaled(home)
    assert [o.client_order_id for o in orders] == ["cli-ok_1"]


def test_abbreviated_options_are_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `--stop 58000` must never silently mean --stop-loss
    assert_refused(home, capsys, [*ORDER, "--qty", "0.001", "--price", "49000", "--stop", "48000"], "--stop")
