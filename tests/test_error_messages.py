"""Errors in one style: the trader's words first, what to do, the filter / code last in parentheses; limits named
by their Risk page labels; price hints every limit accepts; CLI hints that name commands which exist."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.cli import build_parser, main
from crbot.domain import OrderSpec, OrderType, Side, TradingState
from crbot.errors import Denied, FilterError
from crbot.exchange.bundled import load_bundled_rules
from crbot.exchange.filters import accepted_prices, validate_order
from crbot.exchange.rules import SymbolRules
from crbot.limits_cli import build_parser as limits_parser
from crbot.risk import OrderIntent, RiskContext, RiskLimits, check, for_cli, label_of, limit_fields
from crbot.risk.checks import band_edges, check_price_band
from tests.conftest import make_env

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
BTC = load_bundled_rules()["BTCUSDT"]
KEYS = [f.key for f in limit_fields()]
COMMAND = re.compile(r"`python -m crbot ([^`]+)`")
CLI_SOURCE = (ROOT / "crbot" / "cli.py").read_text()
RANGE = re.compile(r"use a price between ([0-9.]+) and ([0-9.]+)")


def ctx(**kw: object) -> RiskContext:
    base: dict[str, object] = {
        "state": TradingState.ACTIVE,
        "last_price": D("50000"),
        "position_qty": D("0"),
        "position_notional": {},
        "open_buy_notional": D("0"),
        "open_orders": 0,
        "orders_last_minute": 0,
        "daily_pnl": D("0"),
        "equity": D("10000"),
    }
    base.update(kw)
    return RiskContext(**base)  # type: ignore[arg-type]


def buy(qty: str = "0.01", price: str = "50000", symbol: str = "BTCUSDT", side: Side = Side.BUY) -> OrderIntent:
    return OrderIntent.build(symbol=symbol, side=side, quantity=D(qty), price=D(price), position_qty=D("0"))


# Every denial that a limit change could lift, produced by the real checks.
LIMITED = {
    "allowed_symbols": (buy(symbol="DOGEUSDT"), ctx()),
    "price_band_pct": (buy(price="60000"), ctx()),
    "max_order_notional": (buy(qty="0.03"), ctx()),
    "max_position_notional": (buy(qty="0.01"), ctx(position_notional={"BTCUSDT": D("2400")}, position_qty=D("1"))),
    "max_total_exposure": (buy(qty="0.01"), ctx(position_notional={"ETHUSDT": D("4800")})),
    "max_open_orders": (buy(), ctx(open_orders=20)),
}


def denial_for(key: str):
    intent, context = LIMITED[key]
    denial = check(intent, RiskLimits(), context)
    assert denial is not None
    return denial


# --- one style ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(LIMITED))
def test_a_denial_reads_trader_words_then_what_to_do_then_the_code(key):
    denial = denial_for(key)
    err = denial.to_error()
    text = str(err)
    assert text.endswith(f" ({denial.code})") and not text.startswith(str(denial.code))
    assert text.index(denial.detail) == 0 and text.index(denial.hint) > len(denial.detail)
    assert str(denial.code) not in denial.detail + denial.hint
    assert label_of(key) in denial.detail and label_of(key) in denial.hint  # named as on the Risk page
    for internal in KEYS:  # never an internal key such as max_order_notional in what a trader reads
        assert internal not in denial.detail and internal not in denial.hint
    assert "Risk page" in denial.hint and err.limit == key


def test_denials_without_a_limit_to_change_keep_the_shape():
    for intent, context in [(buy(), ctx(state=TradingState.HALTED)), (buy(), ctx(daily_pnl=D("-500")))]:
        denial = check(intent, RiskLimits(), context)
        assert denial is not None
        assert str(denial.to_error()) == f"{denial.detail} — {denial.hint} ({denial.code})"


@pytest.mark.parametrize(
    ("kw", "filter_type"),
    [
        ({"quantity": D("0.000015")}, "LOT_SIZE"),
        ({"price": D("90000.001")}, "PRICE_FILTER"),
        ({"quantity": D("0.00001")}, "NOTIONAL"),
        ({"price": D("17999.99")}, "PERCENT_PRICE_BY_SIDE"),
    ],
)
def test_a_filter_refusal_names_the_filter_last(kw, filter_type):
    spec = OrderSpec(
        **{
            "client_order_id": "t1",
            "symbol": "BTCUSDT",
            "side": Side.BUY,
            "type": OrderType.LIMIT,
            "quantity": D("0.001"),
            "price": D("90000"),
            **kw,
        }
    )
    with pytest.raises(FilterError) as info:
        validate_order(BTC, spec, avg_price=D("90000"), open_orders=0)
    err = info.value
    assert err.filter_type == filter_type and filter_type not in err.message
    assert str(err) == f"{err.message} — {err.hint} ({filter_type})"
    assert err.message[0].isalpha() and err.hint


# --- hints every limit accepts -----------------------------------------------------------------


def _price_rules(down: Decimal, up: Decimal, tick: Decimal) -> SymbolRules:
    """BTCUSDT's rules with only the price filters left, and the given percent-price band on both sides."""
    filters = {k: dict(v) for k, v in BTC.filters.items() if k in ("PRICE_FILTER", "LOT_SIZE")}
    filters["PRICE_FILTER"].update(minPrice=str(tick), maxPrice="100000000", tickSize=str(tick))
    filters["LOT_SIZE"].update(minQty="0.00000001", stepSize="0.00000001", maxQty="1000000")
    filters["PERCENT_PRICE_BY_SIDE"] = {
        "filterType": "PERCENT_PRICE_BY_SIDE",
        **{f"{side}Multiplier{d}": str(v) for side in ("bid", "ask") for d, v in (("Down", down), ("Up", up))},
        "avgPriceMins": 5,
    }
    return replace(BTC, filters=filters)


def _both_accept(rules: SymbolRules, side: Side, price: Decimal, *, avg: Decimal, last: Decimal, band: Decimal):
    spec = OrderSpec(
        client_order_id="p", symbol="BTCUSDT", side=side, type=OrderType.LIMIT, quantity=D("0.001"), price=price
    )
    validate_order(rules, spec, avg_price=avg, open_orders=0)  # raises when the exchange would refuse
    intent = buy(qty="0.001", price=str(price), side=side)
    return check_price_band(intent, RiskLimits(price_band_pct=band), ctx(last_price=last)) is None


money = st.decimals(min_value=D("0.5"), max_value=D("150000"), places=2)


@settings(max_examples=300, deadline=None)
@given(
    avg=money,
    drift=st.decimals(min_value=D("0.7"), max_value=D("1.3"), places=3),
    band=st.decimals(min_value=D("0.1"), max_value=D("20"), places=1),
    down=st.decimals(min_value=D("0.05"), max_value=D("0.99"), places=2),
    up=st.decimals(min_value=D("1.01"), max_value=D("5"), places=2),
    tick=st.sampled_from([D("0.01"), D("0.1"), D("1")]),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    far=st.sampled_from([D("0.01"), D("100")]),
)
def test_percent_price_hint_proposes_prices_the_band_accepts_too(avg, drift, band, down, up, tick, side, far):
    """The issue's case: a PERCENT_PRICE_BY_SIDE hint must never propose a price the 5 % band then refuses."""
    rules = _price_rules(down, up, tick)
    last = max((avg * drift).quantize(tick), tick)
    wild = (avg * far).quantize(tick) or tick  # far below or far above what the exchange accepts
    spec = OrderSpec(
        client_order_id="w", symbol="BTCUSDT", side=side, type=OrderType.LIMIT, quantity=D("1"), price=wild
    )
    try:
        validate_order(rules, spec, avg_price=avg, open_orders=0, last_price=last, band_pct=band)
    except FilterError as err:
        assert err.filter_type == "PERCENT_PRICE_BY_SIDE"
        found = RANGE.search(err.hint)
        if found is None:  # no price passes both: the hint says so instead of proposing one
            assert "allows none" in err.hint or "settle" in err.hint
            assert accepted_prices(rules, side, avg=avg, last=last, band_pct=band) is None
            return
        low, high = D(found[1]), D(found[2])
        for price in (low, high, ((low + high) / 2).quantize(tick)):
            assert _both_accept(rules, side, price, avg=avg, last=last, band=band), price
    else:  # the far price is inside the exchange's own range (a wide multiplier): then it has no refusal to hint
        assert wild * down >= 0 and (avg * down <= wild <= avg * up)


@settings(max_examples=200, deadline=None)
@given(
    last=money,
    band=st.decimals(min_value=D("0.1"), max_value=D("50"), places=1),
    side=st.sampled_from([Side.BUY, Side.SELL]),
)
def test_band_hint_edges_pass_the_band(last, band, side):
    low, high = band_edges(last, band)
    for price in (low, high):
        intent = buy(qty="0.001", price=str(price), side=side)
        assert check_price_band(intent, RiskLimits(price_band_pct=band), ctx(last_price=last)) is None


def test_out_of_band_hint_uses_the_range_the_exchange_accepts_too():
    rules = _price_rules(D("0.98"), D("1.02"), D("0.01"))  # the exchange: ±2 % of the average
    avg, last = D("50000"), D("51000")  # the band: ±5 % of the last price
    accepted = accepted_prices(rules, Side.BUY, avg=avg, last=last, band_pct=D("5"))
    assert accepted == (D("49000"), D("51000"))  # the exchange's low 49000, the band's high 51000
    denial = check(buy(price="60000"), RiskLimits(), ctx(last_price=last, accepted_prices=accepted))
    assert denial is not None and "use a price between 49000 and 51000" in denial.hint
    for price in accepted:
        assert _both_accept(rules, Side.BUY, price, avg=avg, last=last, band=D("5"))


# --- CLI hints name commands that exist --------------------------------------------------------


def _parse_cli_command(command: str) -> None:
    """Parse a hint's `python -m crbot ...` with the CLI's own parsers; fails when the command does not exist."""
    words = [w for w in shlex.split(command.replace("VALUE", "1").replace("TEXT", "why")) if w != "--help"]
    top = build_parser()
    commands = next(a for a in top._actions if a.dest == "command").choices
    routed = set(re.findall(r'args_in\[:1\] == \["([a-z]+)"\]', CLI_SOURCE))  # main() routes these before parsing
    assert words[0] in commands or words[0] in routed, f"`python -m crbot {command}` names no CLI command"
    if words[0] == "limits":
        if words[1:] != ["set"]:  # `limits set --help` names the sub-command alone
            args = limits_parser().parse_args(words[1:])
            assert args.action != "set" or args.name in KEYS
    elif words[0] == "order":
        actions = next(a for a in commands["order"]._actions if a.dest == "action").choices
        assert words[1] in actions, f"`python -m crbot {command}` names no order action"


@pytest.mark.parametrize("key", list(LIMITED))
def test_cli_hint_names_the_limits_set_command_not_the_risk_page(key):
    denial = denial_for(key)
    hint = for_cli(denial.hint, key)
    assert "Risk page" not in hint
    (command,) = COMMAND.findall(hint)
    assert command == f"limits set {key} VALUE --reason TEXT" and label_of(key) in hint
    _parse_cli_command(command)


def test_every_cli_command_a_message_names_exists():
    sources = [*ROOT.joinpath("crbot").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py")]
    named = {m for path in sources for m in COMMAND.findall(path.read_text())}
    named = {c for c in named if "{" not in c}  # built at run time from the parser's own prog
    assert "limits" in named and "order create --help" not in named  # argparse hints are built from prog
    for command in sorted(named):
        _parse_cli_command(command.replace("NAME", KEYS[0]))


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    for key, value in make_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def _create(price: object) -> int:
    return main(["order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", str(price)])


def test_cli_refusals_say_what_to_run_and_the_proposed_price_passes(cli_env, capsys):
    assert main(["--json", "price", "--symbol", "BTCUSDT"]) == 0
    last = D(json.loads(capsys.readouterr().out)["price"])
    code = _create((last * D("0.85")).quantize(D("0.01")))  # inside the exchange's range, outside the 5 % band
    err = capsys.readouterr().err.strip()
    assert code == 3 and err.startswith("error: price ") and err.endswith("(PRICE_OUT_OF_BAND)")
    assert "Risk page" not in err and "the Price band limit with" in err
    assert "`python -m crbot limits set price_band_pct VALUE --reason TEXT`" in err
    code = _create(1000)  # far below what the exchange accepts: its hint must respect the band as well
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: BUY price 1000 is too far below the market")
    assert err.endswith("(PERCENT_PRICE_BY_SIDE)")
    found = RANGE.search(err)
    assert found is not None
    low, high = D(found[1]), D(found[2])
    assert last * D("0.95") * D("0.999") <= low < high <= last * D("1.05") * D("1.001")  # the band (prices move)
    assert _create(((low + high) / 2).quantize(D("0.01"))) == 0, capsys.readouterr().err


def test_cli_usage_hint_names_the_real_subcommand(cli_env, capsys):
    code = main(["order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "x"])
    err = capsys.readouterr().err
    assert code == 2
    (command,) = COMMAND.findall(err)
    assert command == "order create --help"
    _parse_cli_command(command.replace(" --help", ""))


def test_denied_limit_is_kept_on_the_error_for_every_surface():
    err = denial_for("max_order_notional").to_error()
    assert isinstance(err, Denied) and err.code == "ORDER_NOTIONAL_EXCEEDS_MAX" and err.limit == "max_order_notional"


def test_an_exchange_filter_refusal_from_binance_reads_the_same_way():
    from binance.exceptions import BinanceAPIException

    from crbot.broker.binance_errors import Call, translate

    response = type("R", (), {"status_code": 400, "headers": {}, "text": ""})()
    exc = BinanceAPIException(response, 400, '{"code": -1013, "msg": "Filter failure: LOT_SIZE"}')
    call = Call(what="BUY LIMIT BTCUSDT order c-1", venue="Binance testnet", now=datetime.now(UTC), placing="c-1")
    err = translate(exc, call)
    assert isinstance(err, FilterError) and err.filter_type == "LOT_SIZE"
    assert (
        err.message
        == "Binance testnet refused BUY LIMIT BTCUSDT order c-1: the quantity is not one the exchange accepts"
    )
    assert str(err).endswith("(LOT_SIZE)") and "Filter failure" not in str(err) and "step" in err.hint
