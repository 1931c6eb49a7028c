"""BinanceBroker with the real python-binance Client against the local Binance-compatible exchange
(crbot.localexchange.server.LocalExchange over the paper matching engine) on 127.0.0.1.

Every request the exchange receives is logged by wrapping ``LocalExchange.handle``, so "no call was
made" and "/sapi was never called" are checked on the server side, not just believed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from crbot.binance.retry import RetryPolicy
from crbot.broker.binance import BinanceBroker
from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.domain import Commissions, OrderListSpec, OrderSpec, OrderStatus, OrderType, Side
from crbot.errors import (
    AuthError,
    ExchangeRejected,
    FilterError,
    InsufficientBalance,
    IpBanned,
    KeyAuditFailed,
    OrderNotFound,
    OutcomeUnknown,
    RateLimited,
)
from crbot.exchange.bundled import load_bundled_rules
from crbot.localexchange.server import LocalExchange, RateLimits
from crbot.market.feed import ManualFeed
from crbot.paper.engine import MatchingEngine

D = Decimal
KEY = "local-key-0123456789"
SECRET = "local-secret-abcdefghijklmnop"
FEES = Commissions(maker=D("0.00075"), taker=D("0.001"))
BTC = "BTCUSDT"


class Rig:
    def __init__(self, root: Path, clock: ManualClock, feed: ManualFeed, **exchange: Any) -> None:
        self.clock, self.feed = clock, feed
        rules = load_bundled_rules()
        engine = MatchingEngine(
            db_url=f"sqlite:///{root / 'exchange.db'}",
            feed=feed,
            clock=clock,
            rules=rules,
            commissions=FEES,
            slippage_bps=D(0),
            starting_balances={"USDT": D("10000")},
        )
        self.engine = engine
        self.exchange = LocalExchange(
            engine,
            api_key=KEY,
            clock=clock,
            rules=rules,
            feed=feed,
            commissions=FEES,
            **{"api_secret": SECRET} | exchange,
        )
        self.log: list[tuple[str, str]] = []
        handle = self.exchange.handle

        def logged(req: Any) -> Any:
            self.log.append((req.method, req.path))
            return handle(req)

        self.exchange.handle = logged  # type: ignore[method-assign]
        self.url = self.exchange.start()
        self.sleeps: list[float] = []

    def broker(self, mode: str = "testnet", **kwargs: Any) -> BinanceBroker:
        env = {
            "CRBOT_MODE": mode,
            "CRBOT_BINANCE_BASE_URL": self.url,
            "BINANCE_API_KEY": kwargs.pop("key", KEY),
            "BINANCE_API_SECRET": kwargs.pop("secret", SECRET),
            "CRBOT_ACTOR": "tester",
        }

        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.clock.advance(seconds)

        return BinanceBroker(
            Settings.load(env, dotenv=False),
            clock=self.clock,
            sleep=sleep,
            rng=random.Random(3),
            retry=kwargs.pop("retry", RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.5, max_wait=10.0)),
            **kwargs,
        )

    def calls(self, method: str, path: str) -> int:
        return self.log.count((method, path))

    def sapi_calls(self) -> list[tuple[str, str]]:
        return [c for c in self.log if c[1].startswith("/sapi")]


@pytest.fixture
def rig(tmp_path: Path, clock: ManualClock, feed: ManualFeed) -> Iterator[Rig]:
    rig = Rig(tmp_path, clock, feed)
    yield rig
    rig.exchange.stop()


@pytest.fixture
def broker(rig: Rig) -> BinanceBroker:
    return rig.broker()


def order(cid: str, side: Side, type_: OrderType, qty: str, price: str | None = None, stop: str | None = None):
    return OrderSpec(
        client_order_id=cid, symbol=BTC, side=side, type=type_, quantity=D(qty),
        price=D(price) if price else None, stop_price=D(stop) if stop else None,
    )  # fmt: skip


def bracket(entry_price: str = "49000") -> OrderListSpec:
    return OrderListSpec(
        list_client_id="L-1",
        symbol=BTC,
        working=order("e-1", Side.BUY, OrderType.LIMIT, "0.01", entry_price),
        pending=(
            order("sl-1", Side.SELL, OrderType.STOP_LOSS_LIMIT, "0.00999", "46900", "47000"),
            order("tp-1", Side.SELL, OrderType.LIMIT_MAKER, "0.00999", "52000"),
        ),
    )


# -- every operation ---------------------------------------------------------------------------
def test_market_data_and_account(broker: BinanceBroker, rig: Rig) -> None:
    assert broker.ping() >= 0
    assert broker.price_source() == f"Binance testnet ({rig.url.removeprefix('http://')})"
    assert BTC in broker.rules() and broker.rules()[BTC].tick_size == D("0.01")
    assert rig.calls("GET", "/api/v3/exchangeInfo") == 1  # cached
    assert broker.last_price(BTC) == D("50000")
    assert broker.avg_price(BTC) > 0
    info = broker.account()
    assert (info.commissions.maker, info.commissions.taker) == (D("0.00075"), D("0.001"))
    assert [(b.asset, b.free) for b in broker.balances()] == [("USDT", D("10000"))]
    assert broker.clock_offset_ms is not None and broker.used_weight and broker.weight_limit == 6000


def test_single_orders_round_trip(broker: BinanceBroker, rig: Rig) -> None:
    placed = broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    assert (placed.client_order_id, placed.status, placed.price) == ("c-1", OrderStatus.NEW, D("49000"))
    assert broker.get_order(BTC, "c-1").order_id == placed.order_id
    assert [o.client_order_id for o in broker.open_orders(BTC)] == ["c-1"]
    canceled = broker.cancel(BTC, "c-1")
    assert (canceled.client_order_id, canceled.status) == ("c-1", OrderStatus.CANCELED)
    bought = broker.submit(order("c-2", Side.BUY, OrderType.MARKET, "0.01"))
    assert bought.status is OrderStatus.FILLED and bought.executed_qty == D("0.01")
    fills = broker.trades(BTC)
    assert len(fills) >= 1 and {f.order_id for f in fills} == {bought.order_id} and fills[0].side is Side.BUY
    maker = broker.submit(order("c-3", Side.SELL, OrderType.LIMIT_MAKER, "0.005", "52000"))
    stop = broker.submit(order("c-4", Side.SELL, OrderType.STOP_LOSS_LIMIT, "0.004", "46900", "47000"))
    assert maker.status is OrderStatus.NEW and stop.status is OrderStatus.NEW
    assert {o.client_order_id for o in broker.all_orders(BTC)} == {"c-1", "c-2", "c-3", "c-4"}
    assert sorted(v.client_order_id for v in broker.cancel_all(BTC)) == ["c-3", "c-4"]
    assert broker.open_orders() == [] and broker.cancel_all(BTC) == []


def test_otoco_bracket_then_entry_fill_activates_the_exits(broker: BinanceBroker, rig: Rig) -> None:
    views = broker.submit_list(bracket())
    assert [(v.client_order_id, v.status) for v in views] == [
        ("e-1", OrderStatus.NEW),
        ("sl-1", OrderStatus.PENDING_NEW),
        ("tp-1", OrderStatus.PENDING_NEW),
    ]
    assert len({v.order_list_id for v in views}) == 1 and views[0].order_list_id >= 0
    rig.feed.move(BTC, "48900", rig.clock.advance(5))
    assert broker.get_order(BTC, "e-1").status is OrderStatus.FILLED
    assert {o.client_order_id: o.status for o in broker.open_orders(BTC)} == {
        "sl-1": OrderStatus.NEW,
        "tp-1": OrderStatus.NEW,
    }
    canceled = broker.cancel(BTC, "tp-1")  # one leg cancels its list
    assert canceled.status is OrderStatus.CANCELED and broker.open_orders(BTC) == []


def test_oco_and_oto(broker: BinanceBroker) -> None:
    broker.submit(order("buy", Side.BUY, OrderType.MARKET, "0.02"))
    oco = OrderListSpec(list_client_id="L-2", symbol=BTC, working=None, pending=bracket().pending)
    assert [v.status for v in broker.submit_list(oco)] == [OrderStatus.NEW, OrderStatus.NEW]
    take_profit = order("tp-2", Side.SELL, OrderType.LIMIT_MAKER, "0.00999", "53000")
    oto = OrderListSpec(list_client_id="L-3", symbol=BTC, working=bracket().working, pending=(take_profit,))
    views = broker.submit_list(oto)
    assert [(v.client_order_id, v.status) for v in views] == [
        ("e-1", OrderStatus.NEW),
        ("tp-2", OrderStatus.PENDING_NEW),
    ]
    assert len(broker.cancel_all(BTC)) == 4


# -- error translation against the exchange's own answers ------------------------------------------
def test_exchange_rejections_are_translated(broker: BinanceBroker, rig: Rig) -> None:
    with pytest.raises(InsufficientBalance) as poor:
        broker.submit(order("big", Side.BUY, OrderType.LIMIT, "1", "49000"))
    assert poor.value.code == -2010
    with pytest.raises(ExchangeRejected, match="immediately match") as taker:
        broker.submit(order("mk", Side.BUY, OrderType.LIMIT_MAKER, "0.01", "50500"))
    assert taker.value.code == -2010
    with pytest.raises(OrderNotFound) as cancel:
        broker.cancel(BTC, "never")
    with pytest.raises(OrderNotFound) as query:
        broker.get_order(BTC, "never")
    assert (cancel.value.code, query.value.code) == (-2011, -2013)
    broker.submit(order("dup", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    with pytest.raises(ExchangeRejected, match="Duplicate"):
        broker.submit(order("dup", Side.BUY, OrderType.LIMIT, "0.01", "49000"))


def test_the_exchange_filter_failure_without_prevalidation(rig: Rig) -> None:
    broker = rig.broker(prevalidate=False)
    with pytest.raises(FilterError) as caught:
        broker.submit(order("tiny", Side.BUY, OrderType.LIMIT, "0.00001", "49000"))
    assert caught.value.filter_type in ("NOTIONAL", "MIN_NOTIONAL") and "MIN_NOTIONAL" in caught.value.hint
    assert rig.calls("POST", "/api/v3/order") == 1


def test_prevalidation_keeps_a_bad_order_off_the_wire(broker: BinanceBroker, rig: Rig) -> None:
    with pytest.raises(FilterError):
        broker.submit(order("tiny", Side.BUY, OrderType.LIMIT, "0.00001", "49000"))
    assert rig.calls("POST", "/api/v3/order") == 0


@pytest.mark.parametrize(
    ("key", "secret", "code"), [("wrong-key", SECRET, -2014), ("A" * 64, SECRET, -2015), (KEY, "wrong-secret", -1022)]
)
def test_bad_credentials(rig: Rig, key: str, secret: str, code: int) -> None:
    broker = rig.broker(key=key, secret=secret)
    with pytest.raises(AuthError) as caught:
        broker.balances()
    assert caught.value.code == code and SECRET not in str(caught.value)
    assert caught.value.message.startswith("Invalid API key") or code == -1022


# -- clock --------------------------------------------------------------------------------------------
def test_clock_jump_is_resynced_and_retried_once(broker: BinanceBroker, rig: Rig) -> None:
    broker.balances()
    rig.exchange.faults.skew_ms = 90_000  # the exchange clock leaps 90 s ahead of our stamp
    assert broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000")).status is OrderStatus.NEW
    assert rig.calls("GET", "/api/v3/time") == 2 and rig.calls("POST", "/api/v3/order") == 2
    assert broker.clock_offset_ms is not None and len(rig.engine.open_orders(BTC)) == 1


# -- transient failures and unknown outcomes -------------------------------------------------------------
def test_transient_query_failures_are_retried(broker: BinanceBroker, rig: Rig) -> None:
    broker.balances()
    rig.exchange.faults.fail_next(2, status=503, path="/api/v3/openOrders")
    assert broker.open_orders(BTC) == []
    assert rig.calls("GET", "/api/v3/openOrders") == 3 and len(rig.sleeps) == 2


def test_rejections_are_not_retried(broker: BinanceBroker, rig: Rig) -> None:
    with pytest.raises(OrderNotFound):
        broker.get_order(BTC, "never")
    assert rig.calls("GET", "/api/v3/order") == 1 and rig.sleeps == []


def test_placed_then_503_is_found_not_duplicated(broker: BinanceBroker, rig: Rig) -> None:
    broker.rules()
    rig.exchange.faults.fail_next(status=503, path="/api/v3/order", method="POST", after=True)
    view = broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    assert view.client_order_id == "c-1" and view.status is OrderStatus.NEW
    assert rig.calls("POST", "/api/v3/order") == 1 and len(rig.engine.open_orders(BTC)) == 1


def test_503_before_processing_is_resent_once(broker: BinanceBroker, rig: Rig) -> None:
    rig.exchange.faults.fail_next(status=503, path="/api/v3/order", method="POST")
    assert broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000")).status is OrderStatus.NEW
    assert rig.calls("POST", "/api/v3/order") == 2 and len(rig.engine.open_orders(BTC)) == 1


def test_bracket_accepted_then_connection_dropped(broker: BinanceBroker, rig: Rig) -> None:
    rig.exchange.faults.drop_next(path="/api/v3/orderList/otoco", after=True)
    views = broker.submit_list(bracket())
    assert [v.client_order_id for v in views] == ["e-1", "sl-1", "tp-1"]
    assert rig.calls("POST", "/api/v3/orderList/otoco") == 1


def test_timeout_after_acceptance_is_resolved_without_a_duplicate(rig: Rig) -> None:
    broker = rig.broker(timeout_s=0.5)
    broker.rules()
    rig.exchange.faults.timeout_next(path="/api/v3/order", method="POST", after=True)
    view = broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    assert view.status is OrderStatus.NEW
    assert rig.calls("POST", "/api/v3/order") == 1 and len(rig.engine.open_orders(BTC)) == 1


def test_outcome_stays_unknown_when_nothing_answers(broker: BinanceBroker, rig: Rig) -> None:
    broker.rules()
    rig.exchange.faults.fail_next(status=504, path="/api/v3/order", method="POST", after=True)
    rig.exchange.faults.fail_next(4, status=503, path="/api/v3/order", method="GET")
    with pytest.raises(OutcomeUnknown) as caught:
        broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    assert caught.value.client_order_id == "c-1" and rig.calls("POST", "/api/v3/order") == 1
    assert broker.get_order(BTC, "c-1").status is OrderStatus.NEW  # reconcilable afterwards


# -- rate limits and bans -----------------------------------------------------------------------------------
def test_after_a_429_the_broker_waits_and_is_never_banned(tmp_path: Path, clock: ManualClock, feed: ManualFeed) -> None:
    clock.set(clock.now().replace(second=30))
    rig = Rig(tmp_path, clock, feed, limits=RateLimits(weight_per_minute=30, bans_after=1, ban_seconds=120))
    try:
        broker = rig.broker(retry=RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.5, max_wait=5.0))
        broker.rules()  # weight 20
        broker.avg_price(BTC)  # 22
        broker.last_price(BTC)  # 24
        broker.balances()  # 44 > 30: 429, Retry-After 30 s > max_wait -> raised, cool-down set
        pytest.fail("expected a 429")
    except RateLimited as exc:
        assert not isinstance(exc, IpBanned) and exc.retry_after == 30
        before = len(rig.log)
        for _ in range(5):  # hammering the broker sends nothing, so the exchange never bans us
            with pytest.raises(RateLimited, match="no request was sent"):
                broker.ping()
        assert len(rig.log) == before
        clock.advance(30)
        assert broker.ping() >= 0 and broker.banned_until is None
    finally:
        rig.exchange.stop()


def test_no_request_reaches_the_exchange_during_a_ban(tmp_path: Path, clock: ManualClock, feed: ManualFeed) -> None:
    rig = Rig(tmp_path, clock, feed, limits=RateLimits(weight_per_minute=5, bans_after=1, ban_seconds=120))
    try:
        broker = rig.broker()
        for _ in range(7):  # another process on this IP ignores the 429s and gets the IP banned
            requests.get(f"{rig.url}/api/v3/ping", timeout=5)
        with pytest.raises(IpBanned) as caught:
            broker.ping()
        assert caught.value.retry_after == 120 and broker.banned_until is not None
        before = len(rig.log)
        for call in (broker.ping, broker.balances, lambda: broker.cancel_all(BTC), lambda: broker.open_orders(BTC)):
            with pytest.raises(IpBanned, match="no request was sent"):
                call()
        assert broker.connection_info().banned_until == broker.banned_until
        assert len(rig.log) == before
        clock.advance(121)
        assert broker.banned_until is None and broker.ping() >= 0
    finally:
        rig.exchange.stop()


# -- /sapi and the key audit -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["testnet", "demo"])
def test_sapi_is_never_called_in_testnet_or_demo(rig: Rig, mode: str) -> None:
    broker = rig.broker(mode)
    broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    info = broker.connection_info()
    assert info.key_audit is None and info.error is None and info.maker == D("0.00075")
    assert broker.require_safe_key() is None
    with pytest.raises(Exception, match="live mode only"):
        broker.audit_key()
    assert rig.sapi_calls() == [] and rig.calls("POST", "/api/v3/order") == 1


def test_live_key_audit_passes_a_safe_key(rig: Rig) -> None:
    broker = rig.broker("live")
    audit = broker.require_safe_key()
    assert audit is not None and audit.ok
    assert broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000")).status is OrderStatus.NEW
    assert rig.sapi_calls() == [("GET", "/sapi/v1/account/apiRestrictions")]
    info = broker.connection_info()
    assert info.key_audit is not None and info.key_audit.ok and info.mode.value == "live"


def test_live_refuses_a_key_that_can_withdraw(tmp_path: Path, clock: ManualClock, feed: ManualFeed) -> None:
    risky = {"enableWithdrawals": True, "enableFutures": True, "ipRestrict": False}
    rig = Rig(tmp_path, clock, feed, restrictions=risky)
    try:
        broker = rig.broker("live")
        audit = broker.audit_key()
        assert not audit.ok
        assert "Untick 'Enable Withdrawals' in Binance > API Management > Edit restrictions" in audit.problems
        assert "Untick 'Enable Futures' in Binance > API Management > Edit restrictions" in audit.problems
        assert any("trusted IPs only" in p for p in audit.problems)
        with pytest.raises(KeyAuditFailed, match="Enable Withdrawals"):
            broker.require_safe_key()
        with pytest.raises(KeyAuditFailed):
            broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
        assert rig.calls("POST", "/api/v3/order") == 0
    finally:
        rig.exchange.stop()


def test_ed25519_key_signs(tmp_path: Path, clock: ManualClock, feed: ManualFeed) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    rig = Rig(tmp_path, clock, feed, api_secret=None, ed25519_public_key=private.public_key())
    try:
        broker = rig.broker(secret=pem)
        assert broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000")).status is OrderStatus.NEW
        assert pem not in repr(broker)
    finally:
        rig.exchange.stop()
