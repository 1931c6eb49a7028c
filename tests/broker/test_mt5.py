"""The MT5 adapter's own promises, over the stand-in: the error tables, filling modes, comment ids, an
unknown outcome looked up and never resent, demo vs real, and the Linux error through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crbot.broker import mt5_wire as w
from crbot.broker.mt5 import account_mode
from crbot.broker.mt5_errors import LAST_ERRORS, RETCODES, SUCCESS, UNKNOWN_IF_SENT, from_last_error, from_retcode
from crbot.clock import ManualClock
from crbot.domain import Mode, OrderSpec, OrderStatus, OrderType, Side
from crbot.errors import (
    AuthError,
    ConfigError,
    ConnectivityError,
    ExchangeRejected,
    FilterError,
    InsufficientBalance,
    InvalidInput,
    OrderNotFound,
    OutcomeUnknown,
    RateLimited,
)
from crbot.market.feed import ManualFeed
from tests.mt5 import constants as c
from tests.mt5.rig import make_broker

BTC = "BTCUSDT"
RETCODE_NAMES = {v: k for k, v in vars(c).items() if k.startswith("TRADE_RETCODE_")}
RES_NAMES = {v: k for k, v in vars(c).items() if k.startswith("RES_E_")}


def buy(cid: str, type_: OrderType = OrderType.MARKET, price: str | None = None) -> OrderSpec:
    from decimal import Decimal

    return OrderSpec(
        client_order_id=cid, symbol=BTC, side=Side.BUY, type=type_, quantity=Decimal("0.01"),
        price=Decimal(price) if price else None,
    )  # fmt: skip


# -- the tables --------------------------------------------------------------------------------------------------
def test_every_return_code_is_either_a_success_or_translated() -> None:
    assert set(RETCODE_NAMES) == SUCCESS | set(RETCODES)  # nothing the server can answer is left out
    assert {RETCODE_NAMES[s] for s in SUCCESS} == {
        "TRADE_RETCODE_PLACED", "TRADE_RETCODE_DONE", "TRADE_RETCODE_DONE_PARTIAL", "TRADE_RETCODE_NO_CHANGES",
    }  # fmt: skip
    assert set(LAST_ERRORS) == set(RES_NAMES)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("REQUOTE", ConnectivityError), ("REJECT", ExchangeRejected), ("INVALID_VOLUME", FilterError),
        ("INVALID_PRICE", FilterError), ("INVALID_STOPS", InvalidInput), ("MARKET_CLOSED", ExchangeRejected),
        ("NO_MONEY", InsufficientBalance), ("PRICE_CHANGED", ConnectivityError), ("TOO_MANY_REQUESTS", RateLimited),
        ("CONNECTION", ConnectivityError), ("CLIENT_DISABLES_AT", AuthError), ("SERVER_DISABLES_AT", AuthError),
        ("INVALID_FILL", InvalidInput), ("LIMIT_ORDERS", FilterError), ("TRADE_DISABLED", ExchangeRejected),
    ],
)  # fmt: skip
def test_a_return_code_becomes_the_right_error_with_what_to_do(name: str, kind: type) -> None:
    code = getattr(c, f"TRADE_RETCODE_{name}")
    err = from_retcode(code, "server words")
    assert type(err) is kind and not isinstance(err, OutcomeUnknown)
    assert str(code) in str(err) and "server words" in str(err) and err.hint


@pytest.mark.parametrize("code", sorted(RETCODES))
def test_every_translated_code_has_a_message_and_a_hint(code: int) -> None:
    err = from_retcode(code)
    assert err.message and err.hint and RETCODE_NAMES[code]


def test_a_connection_timeout_or_lock_after_sending_is_an_unknown_outcome() -> None:
    assert {RETCODE_NAMES[x] for x in UNKNOWN_IF_SENT} == {
        "TRADE_RETCODE_CONNECTION", "TRADE_RETCODE_TIMEOUT", "TRADE_RETCODE_LOCKED",
    }  # fmt: skip
    for code in UNKNOWN_IF_SENT:
        err = from_retcode(code, client_order_id="crb-1")
        assert isinstance(err, OutcomeUnknown) and err.client_order_id == "crb-1"
    lost = from_last_error((c.RES_E_INTERNAL_FAIL_TIMEOUT, "IPC timeout"), "order_send", client_order_id="crb-1")
    assert isinstance(lost, OutcomeUnknown)
    assert isinstance(from_last_error((c.RES_E_AUTH_FAILED, "Authorization failed"), "login"), AuthError)
    assert isinstance(from_last_error((c.RES_E_AUTO_TRADING_DISABLED, "off"), "order_send"), AuthError)
    assert isinstance(from_last_error((c.RES_E_INVALID_VERSION, "old"), "initialize"), ConfigError)


# -- wire ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bitmask", "enum"),
    [(c.SYMBOL_FILLING_FOK, c.ORDER_FILLING_FOK), (c.SYMBOL_FILLING_IOC, c.ORDER_FILLING_IOC),
     (c.SYMBOL_FILLING_FOK | c.SYMBOL_FILLING_IOC, c.ORDER_FILLING_FOK),
     (c.SYMBOL_FILLING_IOC | c.SYMBOL_FILLING_BOC, c.ORDER_FILLING_IOC)],
)  # fmt: skip
def test_the_filling_bitmask_maps_to_the_filling_enum(bitmask: int, enum: int) -> None:
    assert w.market_filling(bitmask) == enum
    assert w.pending_filling() == c.ORDER_FILLING_RETURN


@pytest.mark.parametrize("bitmask", [0, c.SYMBOL_FILLING_BOC])
def test_a_symbol_without_fok_or_ioc_refuses_market_orders(bitmask: int) -> None:
    with pytest.raises(InvalidInput, match="neither FOK nor IOC"):
        w.market_filling(bitmask)


def test_client_ids_map_to_comments_of_at_most_31_characters_deterministically() -> None:
    assert w.comment_for("crb-0123456789abcdef01234567") == "crb-0123456789abcdef01234567"
    long_a, long_b = "crb-" + "a" * 40, "crb-" + "a" * 39 + "b"
    assert len(w.comment_for(long_a)) == 31 and w.comment_for(long_a) == w.comment_for(long_a)
    assert w.comment_for(long_a) != w.comment_for(long_b)
    assert "~" in w.comment_for("has space") and w.comment_for("x~y") != "x~y"


# -- over the stand-in -----------------------------------------------------------------------------------------
def test_order_check_runs_before_every_order_send_with_the_symbols_filling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed
) -> None:
    broker, standin = make_broker(tmp_path, monkeypatch, clock, feed)
    broker.submit(buy("m-1"))
    broker.submit(buy("l-1", OrderType.LIMIT, "49000"))
    broker.cancel(BTC, "l-1")
    sends = [r for r in standin.send_calls if r["action"] != c.TRADE_ACTION_REMOVE]
    assert [r["comment"] for r in standin.check_calls] == [r["comment"] for r in sends] == ["m-1", "l-1"]
    assert [r["type_filling"] for r in sends] == [c.ORDER_FILLING_FOK, c.ORDER_FILLING_RETURN]
    assert all(r["magic"] == w.MAGIC for r in sends)


@pytest.mark.parametrize("fault", ["none", "connection", "timeout"])
def test_an_unknown_outcome_that_executed_is_found_by_comment_and_never_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed, fault: str
) -> None:
    broker, standin = make_broker(tmp_path, monkeypatch, clock, feed)
    standin.fail_next_send = (fault, True)  # the server executed it, the answer was lost
    view = broker.submit(buy("m-1"))
    assert (view.client_order_id, view.status) == ("m-1", OrderStatus.FILLED)
    assert len(standin.send_calls) == 1 and len(broker.trades(BTC)) == 1


@pytest.mark.parametrize("fault", ["none", "connection"])
def test_an_unknown_outcome_not_found_stays_unknown_and_is_not_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed, fault: str
) -> None:
    broker, standin = make_broker(tmp_path, monkeypatch, clock, feed)
    standin.fail_next_send = (fault, False)  # lost before the server
    with pytest.raises(OutcomeUnknown) as caught:
        broker.submit(buy("m-1"))
    assert caught.value.client_order_id == "m-1" and len(standin.send_calls) == 1
    with pytest.raises(OrderNotFound):
        broker.get_order(BTC, "m-1")


def test_algo_trading_switched_off_is_an_auth_error_saying_which_button(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed
) -> None:
    broker, standin = make_broker(tmp_path, monkeypatch, clock, feed)
    standin.algo_trading = False
    with pytest.raises(AuthError, match="Algo Trading"):
        broker.submit(buy("m-1"))


@pytest.mark.parametrize(
    ("trade_mode", "mode"),
    [(c.ACCOUNT_TRADE_MODE_DEMO, Mode.DEMO), (c.ACCOUNT_TRADE_MODE_CONTEST, Mode.DEMO),
     (c.ACCOUNT_TRADE_MODE_REAL, Mode.LIVE)],
)  # fmt: skip
def test_a_real_account_is_live_and_a_demo_account_is_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed, trade_mode: int, mode: Mode
) -> None:
    broker, standin = make_broker(tmp_path, monkeypatch, clock, feed, mode=mode, trade_mode=trade_mode)
    assert account_mode(standin, trade_mode) is mode
    assert broker.connection_info().mode is mode and broker.balances()


@pytest.mark.parametrize(
    ("trade_mode", "mode", "says"),
    [(c.ACCOUNT_TRADE_MODE_REAL, Mode.DEMO, "REAL-money"), (c.ACCOUNT_TRADE_MODE_DEMO, Mode.LIVE, "demo")],
)
def test_an_account_that_does_not_match_the_mode_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed, trade_mode: int,
    mode: Mode, says: str,
) -> None:  # fmt: skip
    broker, standin = make_broker(tmp_path, monkeypatch, clock, feed, mode=mode, trade_mode=trade_mode)
    with pytest.raises(ConfigError, match=says):
        broker.balances()
    assert standin.send_calls == []


def test_wrong_credentials_are_an_auth_error_naming_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed
) -> None:
    broker, standin = make_broker(tmp_path, monkeypatch, clock, feed)
    standin.credentials = (5001234, "other", "StandIn-Demo")
    with pytest.raises(AuthError, match="MT5_PASSWORD"):
        broker.balances()
    assert "demo-pass" not in repr(broker)


@pytest.mark.skipif(sys.platform == "win32", reason="the package exists on Windows")
def test_choosing_mt5_on_linux_is_one_clear_line_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "MT5_", "BINANCE_"))}
    env |= {"CRBOT_HOME": str(tmp_path), "CRBOT_BROKER": "mt5", "CRBOT_PRICE_FEED": "synthetic"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # the repository, run from an empty folder
    done = subprocess.run(
        [sys.executable, "-m", "crbot", "status"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "MetaTrader5 package" in lines[0] and "only for Windows" in lines[0]
    assert "Windows host" in lines[0] and "paper mode" in lines[0]
