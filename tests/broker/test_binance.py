"""BinanceBroker through the real python-binance Client against a scripted Binance (no sockets)."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from crbot.broker.binance import BinanceBroker
from crbot.broker.binance_transport import endpoint_for, make_client
from crbot.clock import ManualClock, from_ms
from crbot.config import Settings
from crbot.domain import Mode, OrderListSpec, OrderSpec, OrderStatus, OrderType, Side
from crbot.errors import (
    AuthError,
    ConfigError,
    ConnectivityError,
    CrbotError,
    FilterError,
    IpBanned,
    KeyAuditFailed,
    OrderNotFound,
    OutcomeUnknown,
    RateLimited,
)
from tests.broker.test_binance_fake import BASE, KEY, SECRET, SERVER_AHEAD_MS, FakeBinance, env, error, make_broker

D = Decimal
SAFE_KEY = {
    "ipRestrict": True,
    "enableReading": True,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "enableMargin": False,
    "enableFutures": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableSpotAndMarginTrading": True,
}


@pytest.fixture
def fake() -> FakeBinance:
    return FakeBinance()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def broker(fake: FakeBinance, clock: ManualClock) -> BinanceBroker:
    return make_broker(fake, clock)[0]


def limit_buy(cid: str = "c-1", qty: str = "0.001", price: str = "50000") -> OrderSpec:
    return OrderSpec(
        client_order_id=cid, symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=D(qty), price=D(price)
    )


# -- construction ---------------------------------------------------------------------------
def test_construction_sends_nothing_and_sets_up_the_client(fake: FakeBinance, clock: ManualClock) -> None:
    broker, _ = make_broker(fake, clock)
    assert fake.log == []  # ping=False, no time sync, no exchangeInfo until used
    settings = Settings.load(env(), dotenv=False)
    client = make_client(settings, endpoint_for(settings, timeout_s=10))
    assert client.REQUEST_RECVWINDOW == 7000
    assert client.testnet and not client.demo
    assert client.API_URL == client.API_TESTNET_URL == f"{BASE}/api"
    assert client.MARGIN_API_URL.endswith("fake.binance/sapi")
    assert client._requests_params == {"timeout": (5.0, 10)}
    assert broker.name == "binance-testnet" and broker.price_source() == "Binance testnet (fake.binance)"


def test_the_environment_is_read_once_and_still_applies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Proxies and a CA bundle from the environment are kept; requests stops re-reading them per request."""
    bundle = tmp_path / "company-ca.pem"
    bundle.write_text("not read by this test")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    settings = Settings.load(env(CRBOT_BINANCE_BASE_URL="https://fake.binance"), dotenv=False)
    session = make_client(settings, endpoint_for(settings, timeout_s=10)).session
    assert session.trust_env is False
    assert session.proxies.get("https") == "http://proxy.example:3128" and session.verify == str(bundle)
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:1")  # later changes are not re-read per request
    merged = session.merge_environment_settings("https://fake.binance/api/v3/ping", {}, None, None, None)
    assert merged["proxies"].get("https") == "http://proxy.example:3128"


@pytest.mark.parametrize(
    ("mode", "host"),
    [("testnet", "testnet.binance.vision"), ("demo", "demo-api.binance.com"), ("live", "api.binance.com")],
)
def test_default_hosts(mode: str, host: str) -> None:
    settings = Settings.load(env(CRBOT_MODE=mode, CRBOT_BINANCE_BASE_URL=""), dotenv=False)
    broker = BinanceBroker(settings, clock=ManualClock())
    assert broker.price_source() == f"Binance {mode} ({host})"
    client = make_client(settings, broker.endpoint)
    assert client.demo is (mode == "demo") and client.testnet is (mode == "testnet")


def test_missing_keys_and_paper_mode_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="BINANCE_API_KEY"):
        BinanceBroker(Settings.load(env(BINANCE_API_SECRET=""), dotenv=False))
    with pytest.raises(ConfigError, match="paper"):
        BinanceBroker(Settings.load(env(CRBOT_MODE="paper"), dotenv=False))


# -- clock, weight ---------------------------------------------------------------------------
def test_first_signed_call_syncs_the_clock_once(broker: BinanceBroker, fake: FakeBinance) -> None:
    assert broker.clock_offset_ms is None
    broker.balances()
    broker.open_orders("BTCUSDT")
    assert broker.clock_offset_ms == SERVER_AHEAD_MS
    assert len(fake.calls("GET", "/api/v3/time")) == 1
    signed = fake.calls("GET", "/api/v3/account")[0]
    assert signed["recvWindow"] == "7000" and "signature" in signed and "timestamp" in signed


def test_timestamp_rejection_resyncs_and_retries_once(broker: BinanceBroker, fake: FakeBinance) -> None:
    fake.fail("POST", "/api/v3/order", error(400, -1021, "Timestamp for this request is outside of the recvWindow."))
    view = broker.submit(limit_buy())
    assert view.status is OrderStatus.NEW
    assert len(fake.calls("GET", "/api/v3/time")) == 2 and len(fake.calls("POST", "/api/v3/order")) == 2


def test_persistent_timestamp_rejection_says_fix_the_clock(broker: BinanceBroker, fake: FakeBinance) -> None:
    drift = error(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    fake.fail("POST", "/api/v3/order", drift, drift)
    with pytest.raises(ConnectivityError, match="clock out of sync") as caught:
        broker.submit(limit_buy())
    assert "NTP" in caught.value.hint and len(fake.calls("POST", "/api/v3/order")) == 2


def test_weight_and_its_limit_are_tracked(broker: BinanceBroker, fake: FakeBinance) -> None:
    assert broker.used_weight is None and broker.weight_limit == 6000
    broker.rules()
    assert broker.weight_limit == 1200  # from exchangeInfo's rateLimits
    broker.last_price("BTCUSDT")
    assert broker.used_weight == fake.weight


# -- retries -----------------------------------------------------------------------------------
def test_queries_retry_transient_failures_with_growing_jittered_backoff(fake: FakeBinance, clock: ManualClock) -> None:
    broker, sleeps = make_broker(fake, clock)
    broker.submit(limit_buy())
    fake.fail(
        "GET", "/api/v3/order", error(503, None), error(400, -1001, "Internal error"), requests.ReadTimeout("slow")
    )
    assert broker.get_order("BTCUSDT", "c-1").client_order_id == "c-1"
    assert len(fake.calls("GET", "/api/v3/order")) == 4
    assert len(sleeps) == 3
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4 and 0.4 <= sleeps[2] <= 0.8


def test_queries_give_up_after_the_last_attempt(fake: FakeBinance, clock: ManualClock) -> None:
    broker, sleeps = make_broker(fake, clock)
    fake.fail("GET", "/api/v3/openOrders", *[error(502, None)] * 4)
    with pytest.raises(ConnectivityError):
        broker.open_orders("BTCUSDT")
    assert len(fake.calls("GET", "/api/v3/openOrders")) == 4 and len(sleeps) == 3


def test_permanent_failures_are_not_retried(fake: FakeBinance, clock: ManualClock) -> None:
    broker, sleeps = make_broker(fake, clock)
    fake.fail("GET", "/api/v3/account", error(401, -2015, "Invalid API-key, IP, or permissions for action."))
    with pytest.raises(AuthError, match="Invalid API key"):
        broker.balances()
    assert len(fake.calls("GET", "/api/v3/account")) == 1 and sleeps == []


def test_cancels_are_retried(fake: FakeBinance, clock: ManualClock) -> None:
    broker, sleeps = make_broker(fake, clock)
    broker.submit(limit_buy())
    fake.fail("DELETE", "/api/v3/order", error(503, None))
    assert broker.cancel("BTCUSDT", "c-1").status is OrderStatus.CANCELED
    assert len(sleeps) == 1


def test_a_cancel_whose_answer_was_lost_is_confirmed_on_retry(broker: BinanceBroker, fake: FakeBinance) -> None:
    broker.submit(limit_buy())

    def canceled_then_503(params: dict[str, str]):
        fake.orders["c-1"]["status"] = "CANCELED"
        return error(503, None)

    fake.fail("DELETE", "/api/v3/order", canceled_then_503)
    assert broker.cancel("BTCUSDT", "c-1").status is OrderStatus.CANCELED  # the retry's -2011 is looked up
    assert len(fake.calls("DELETE", "/api/v3/order")) == 2
    broker.submit(limit_buy("c-2"))
    fake.orders["c-2"]["status"] = "FILLED"
    with pytest.raises(OrderNotFound):  # a plain -2011 on the first try stays an error
        broker.cancel("BTCUSDT", "c-2")


def test_429_on_a_query_waits_retry_after(fake: FakeBinance, clock: ManualClock) -> None:
    broker, sleeps = make_broker(fake, clock)
    fake.fail("GET", "/api/v3/ticker/price", error(429, -1003, "Too much request weight used", Retry_After="3"))
    assert broker.last_price("BTCUSDT") == D("50000")
    assert sleeps == [3.0]


def test_429_on_placement_is_not_retried_and_pauses_everyone(fake: FakeBinance, clock: ManualClock) -> None:
    broker, sleeps = make_broker(fake, clock)
    broker.rules(), broker.avg_price("BTCUSDT")
    fake.fail("POST", "/api/v3/order", error(429, -1015, "Too many new orders.", Retry_After="30"))
    with pytest.raises(RateLimited) as caught:
        broker.submit(limit_buy())
    assert caught.value.retry_after == 30 and sleeps == [] and len(fake.calls("POST", "/api/v3/order")) == 1
    before = len(fake.log)
    with pytest.raises(RateLimited, match="no request was sent"):
        broker.ping()
    assert len(fake.log) == before


# -- the ban ------------------------------------------------------------------------------------
def test_no_call_is_made_during_a_418_ban(broker: BinanceBroker, fake: FakeBinance, clock: ManualClock) -> None:
    broker.balances()
    fake.fail(
        "GET",
        "/api/v3/ticker/price",
        error(418, -1003, "Way too much request weight used; IP banned", Retry_After="120"),
    )
    with pytest.raises(IpBanned):
        broker.last_price("BTCUSDT")
    assert broker.banned_until is not None and (broker.banned_until - clock.now()).total_seconds() == 120
    before = len(fake.log)
    for attempt in (
        broker.ping,
        broker.balances,
        lambda: broker.cancel_all("BTCUSDT"),
        lambda: broker.submit(limit_buy()),
    ):
        with pytest.raises(IpBanned, match="no request was sent"):
            attempt()
    info = broker.connection_info()
    assert info.banned_until == broker.banned_until and info.ping_ms is None and "banned" in (info.error or "")
    assert len(fake.log) == before
    clock.advance(120)
    assert broker.banned_until is None
    assert broker.last_price("BTCUSDT") == D("50000")


# -- placement: unknown outcomes -------------------------------------------------------------------
def test_an_order_that_landed_before_the_answer_was_lost_is_not_resent(
    broker: BinanceBroker, fake: FakeBinance
) -> None:
    def landed_then_503(params: dict[str, str]):
        fake.land(params)
        return error(503, None)

    fake.fail("POST", "/api/v3/order", landed_then_503)
    view = broker.submit(limit_buy())
    assert view.client_order_id == "c-1" and view.status is OrderStatus.NEW
    assert len(fake.calls("POST", "/api/v3/order")) == 1
    assert [p["origClientOrderId"] for p in fake.calls("GET", "/api/v3/order")] == ["c-1"]


def test_a_read_timeout_after_landing_is_resolved_the_same_way(broker: BinanceBroker, fake: FakeBinance) -> None:
    def landed_then_timeout(params: dict[str, str]):
        fake.land(params)
        return requests.ReadTimeout("read timed out")

    fake.fail("POST", "/api/v3/order", landed_then_timeout)
    assert broker.submit(limit_buy()).status is OrderStatus.NEW
    assert len(fake.calls("POST", "/api/v3/order")) == 1 and len(fake.orders) == 1


def test_an_order_that_never_arrived_is_resent_once(broker: BinanceBroker, fake: FakeBinance) -> None:
    fake.fail("POST", "/api/v3/order", error(503, None))
    assert broker.submit(limit_buy()).status is OrderStatus.NEW
    assert len(fake.calls("POST", "/api/v3/order")) == 2 and len(fake.orders) == 1


def test_only_one_resend_then_still_unknown(broker: BinanceBroker, fake: FakeBinance) -> None:
    fake.fail("POST", "/api/v3/order", error(503, None), error(504, None))
    with pytest.raises(OutcomeUnknown) as caught:
        broker.submit(limit_buy())
    assert caught.value.client_order_id == "c-1"
    assert len(fake.calls("POST", "/api/v3/order")) == 2


def test_a_duplicate_on_resend_means_the_first_landed_late(broker: BinanceBroker, fake: FakeBinance) -> None:
    fake.fail("POST", "/api/v3/order", error(503, None))

    def lands_late(params: dict[str, str]):
        fake.land({k: v for k, v in params.items() if k != "signature"})  # the first request, arriving now
        return fake.place(params)  # -> Duplicate order sent.

    fake.fail("POST", "/api/v3/order", lands_late)
    view = broker.submit(limit_buy())
    assert view.client_order_id == "c-1" and len(fake.orders) == 1


def test_when_the_lookup_fails_the_outcome_stays_unknown(fake: FakeBinance, clock: ManualClock) -> None:
    broker, _ = make_broker(fake, clock)
    fake.fail("POST", "/api/v3/order", error(503, None))
    fake.fail("GET", "/api/v3/order", *[error(503, None)] * 4)
    with pytest.raises(OutcomeUnknown, match="may or may not exist") as caught:
        broker.submit(limit_buy())
    assert caught.value.client_order_id == "c-1" and len(fake.calls("POST", "/api/v3/order")) == 1


def test_a_refused_connection_sent_nothing_and_is_not_looked_up(broker: BinanceBroker, fake: FakeBinance) -> None:
    broker.rules(), broker.avg_price("BTCUSDT")
    refused = requests.ConnectTimeout("connect timed out")
    fake.fail("POST", "/api/v3/order", refused)
    with pytest.raises(ConnectivityError, match="nothing was sent") as caught:
        broker.submit(limit_buy())
    assert not isinstance(caught.value, OutcomeUnknown) and fake.calls("GET", "/api/v3/order") == []


def test_unknown_order_list_outcome_is_resolved_by_its_first_leg(broker: BinanceBroker, fake: FakeBinance) -> None:
    def landed_then_500(params: dict[str, str]):
        fake.place_list("OTOCO", params)
        return error(500, None)

    fake.fail("POST", "/api/v3/orderList/otoco", landed_then_500)
    views = broker.submit_list(bracket())
    assert [v.client_order_id for v in views] == ["e-1", "sl-1", "tp-1"]
    assert len(fake.calls("POST", "/api/v3/orderList/otoco")) == 1


# -- orders and lists -------------------------------------------------------------------------------
def bracket(working: bool = True) -> OrderListSpec:
    entry = limit_buy("e-1") if working else None
    sl = OrderSpec(
        client_order_id="sl-1", symbol="BTCUSDT", side=Side.SELL, type=OrderType.STOP_LOSS_LIMIT,
        quantity=D("0.00099"), price=D("47900"), stop_price=D("48000"),
    )  # fmt: skip
    tp = OrderSpec(
        client_order_id="tp-1", symbol="BTCUSDT", side=Side.SELL, type=OrderType.LIMIT_MAKER,
        quantity=D("0.00099"), price=D("52000"),
    )  # fmt: skip
    return OrderListSpec(list_client_id="L-1", symbol="BTCUSDT", working=entry, pending=(sl, tp))


def test_otoco_bracket(broker: BinanceBroker, fake: FakeBinance) -> None:
    views = broker.submit_list(bracket())
    assert [(v.client_order_id, v.status) for v in views] == [
        ("e-1", OrderStatus.NEW),
        ("sl-1", OrderStatus.PENDING_NEW),
        ("tp-1", OrderStatus.PENDING_NEW),
    ]
    sent = fake.calls("POST", "/api/v3/orderList/otoco")[0]
    assert sent["pendingAboveType"] == "LIMIT_MAKER" and sent["pendingBelowType"] == "STOP_LOSS_LIMIT"
    assert sent["listClientOrderId"] == "L-1" and sent["newOrderRespType"] == "RESULT"


def test_oco_exit_pair(broker: BinanceBroker, fake: FakeBinance) -> None:
    views = broker.submit_list(bracket(working=False))
    assert [v.client_order_id for v in views] == ["sl-1", "tp-1"]
    sent = fake.calls("POST", "/api/v3/orderList/oco")[0]
    assert (sent["aboveType"], sent["belowType"], sent["belowTimeInForce"]) == ("LIMIT_MAKER", "STOP_LOSS_LIMIT", "GTC")


def test_oto(broker: BinanceBroker, fake: FakeBinance) -> None:
    spec = bracket()
    oto = OrderListSpec(list_client_id="L-2", symbol="BTCUSDT", working=spec.working, pending=(spec.pending[1],))
    assert [v.client_order_id for v in broker.submit_list(oto)] == ["e-1", "tp-1"]
    assert fake.calls("POST", "/api/v3/orderList/oto")[0]["pendingType"] == "LIMIT_MAKER"


def test_filters_are_checked_before_sending(broker: BinanceBroker, fake: FakeBinance) -> None:
    with pytest.raises(FilterError) as caught:
        broker.submit(limit_buy(qty="0.00001"))  # 0.5 USDT < 5 USDT minimum
    assert caught.value.filter_type in ("NOTIONAL", "MIN_NOTIONAL")
    assert fake.calls("POST", "/api/v3/order") == []


def test_order_round_trip(broker: BinanceBroker, fake: FakeBinance) -> None:
    sent = broker.submit(limit_buy())
    params = fake.calls("POST", "/api/v3/order")[0]
    assert (params["quantity"], params["price"], params["timeInForce"]) == ("0.001", "50000", "GTC")
    assert params["newClientOrderId"] == "c-1" and params["newOrderRespType"] == "FULL"
    assert broker.get_order("BTCUSDT", "c-1").order_id == sent.order_id
    assert [o.client_order_id for o in broker.open_orders()] == ["c-1"]
    assert [o.client_order_id for o in broker.all_orders("BTCUSDT")] == ["c-1"]
    canceled = broker.cancel("BTCUSDT", "c-1")
    assert canceled.client_order_id == "c-1" and canceled.status is OrderStatus.CANCELED
    assert fake.calls("DELETE", "/api/v3/order")[0]["origClientOrderId"] == "c-1"
    assert broker.open_orders("BTCUSDT") == []


def test_cancel_unknown_order(broker: BinanceBroker) -> None:
    with pytest.raises(OrderNotFound) as caught:
        broker.cancel("BTCUSDT", "nope")
    assert caught.value.code == -2011
    with pytest.raises(OrderNotFound) as caught:
        broker.get_order("BTCUSDT", "nope")
    assert caught.value.code == -2013


def test_cancel_all_with_nothing_open_is_empty(broker: BinanceBroker, fake: FakeBinance) -> None:
    assert broker.cancel_all("BTCUSDT") == []
    broker.submit(limit_buy("c-1"))
    broker.submit(limit_buy("c-2"))
    assert sorted(v.client_order_id for v in broker.cancel_all("BTCUSDT")) == ["c-1", "c-2"]
    assert fake.calls("DELETE", "/api/v3/openOrders")[-1] == fake.calls("DELETE", "/api/v3/openOrders")[-1] | {
        "symbol": "BTCUSDT"
    }


def test_trades_page_forward_by_id(broker: BinanceBroker, fake: FakeBinance) -> None:
    base = {"symbol": "BTCUSDT", "orderId": 1, "orderListId": -1, "price": "50000", "qty": "0.001"}
    base |= {"quoteQty": "50", "commission": "0", "commissionAsset": "BNB", "isBuyer": True, "isMaker": True}
    fake.trades = [base | {"id": i, "time": 1_767_614_400_000 + i} for i in range(1, 2501)]
    fills = broker.trades("BTCUSDT")
    assert [f.trade_id for f in fills] == list(range(1, 2501))
    assert [p.get("fromId") for p in fake.calls("GET", "/api/v3/myTrades")] == ["0", "1001", "2001"]


def test_history_since_a_time_is_one_call_when_the_recent_page_reaches_back(
    broker: BinanceBroker, fake: FakeBinance
) -> None:
    base = {"symbol": "BTCUSDT", "orderId": 1, "orderListId": -1, "price": "50000", "qty": "0.001"}
    base |= {"quoteQty": "50", "commission": "0", "commissionAsset": "BNB", "isBuyer": False, "isMaker": False}
    day = 86_400_000
    start = 1_767_614_400_000
    fake.trades = [base | {"id": i, "time": start + i * day // 2} for i in range(8)]  # every 12 h for 3.5 days
    since = from_ms(start + 2 * day // 2)
    assert [f.trade_id for f in broker.trades("BTCUSDT", since=since)] == [2, 3, 4, 5, 6, 7]
    assert [f.trade_id for f in broker.trades("BTCUSDT", since=from_ms(start - 10 * day))] == list(range(8))
    # no 24 h window, no cursor: the most recent page, which holds everything since
    calls = fake.calls("GET", "/api/v3/myTrades")
    assert len(calls) == 2 and all(
        c["limit"] == "1000" and not {"startTime", "endTime", "fromId"} & set(c) for c in calls
    )


def test_history_since_a_time_with_more_than_a_page_since_walks_every_id(
    broker: BinanceBroker, fake: FakeBinance
) -> None:
    base = {"symbol": "BTCUSDT", "orderId": 1, "orderListId": -1, "price": "50000", "qty": "0.001"}
    base |= {"quoteQty": "50", "commission": "0", "commissionAsset": "BNB", "isBuyer": True, "isMaker": True}
    start = 1_767_614_400_000
    fake.trades = [base | {"id": i, "time": start + i * 60_000} for i in range(1, 2501)]  # one a minute
    fills = broker.trades("BTCUSDT", since=from_ms(start + 1000 * 60_000))
    assert [f.trade_id for f in fills] == list(range(1000, 2501))
    calls = fake.calls("GET", "/api/v3/myTrades")
    assert [c.get("fromId") for c in calls] == [None, "0", "1001", "2001"]  # recent page, then every id


def test_history_from_an_id_pages_forward_however_old(broker: BinanceBroker, fake: FakeBinance) -> None:
    base = {"symbol": "BTCUSDT", "orderId": 1, "orderListId": -1, "price": "50000", "qty": "0.001"}
    base |= {"quoteQty": "50", "commission": "0", "commissionAsset": "BNB", "isBuyer": True, "isMaker": True}
    start = 1_767_614_400_000 - 400 * 86_400_000  # more than a year ago
    fake.trades = [base | {"id": i, "time": start + i * 3_600_000} for i in range(1, 1201)]
    assert [f.trade_id for f in broker.trades("BTCUSDT", from_id=150)] == list(range(150, 1201))
    assert [c["fromId"] for c in fake.calls("GET", "/api/v3/myTrades")] == ["150", "1150"]
    for call in fake.calls("GET", "/api/v3/myTrades"):
        assert call["limit"] == "1000" and "startTime" not in call


def test_account_and_commissions(broker: BinanceBroker) -> None:
    info = broker.account()
    assert [(b.asset, b.free) for b in info.balances] == [("USDT", D("1000"))]
    assert (info.commissions.maker, info.commissions.taker) == (D("0.00075"), D("0.001"))
    assert broker.avg_price("BTCUSDT") == D("50000") and broker.ping() >= 0


# -- /sapi and the key audit ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["testnet", "demo"])
def test_sapi_is_never_called_outside_live(mode: str, fake: FakeBinance, clock: ManualClock) -> None:
    broker, _ = make_broker(fake, clock, mode=mode)
    with pytest.raises(ConfigError, match="live mode only"):
        broker.audit_key()
    assert broker.require_safe_key() is None
    settings = Settings.load(env(CRBOT_MODE=mode), dotenv=False)
    client = make_client(settings, broker.endpoint)
    client.session.mount(BASE, fake)
    with pytest.raises(ConfigError, match="/sapi"):
        client.get_account_api_permissions()
    broker.submit(limit_buy())
    info = broker.connection_info()
    assert info.key_audit is None and info.maker == D("0.00075") and info.error is None
    assert [path for _, path, _ in fake.log if path.startswith("/sapi")] == []


def test_live_refuses_to_place_with_an_unsafe_key(fake: FakeBinance, clock: ManualClock) -> None:
    broker, _ = make_broker(fake, clock, mode="live")
    fake.permissions = SAFE_KEY | {"enableWithdrawals": True, "ipRestrict": False}
    with pytest.raises(KeyAuditFailed) as caught:
        broker.submit(limit_buy())
    assert "Untick 'Enable Withdrawals' in Binance > API Management > Edit restrictions" in str(caught.value)
    assert fake.calls("POST", "/api/v3/order") == []
    info = broker.connection_info()
    assert info.key_audit is not None and not info.key_audit.ok and len(info.key_audit.problems) == 2


def test_live_places_once_the_key_is_safe_and_audits_at_most_hourly(fake: FakeBinance, clock: ManualClock) -> None:
    broker, _ = make_broker(fake, clock, mode="live")
    fake.permissions = SAFE_KEY
    assert broker.require_safe_key() is not None
    broker.submit(limit_buy("c-1"))
    broker.submit(limit_buy("c-2"))
    assert len(fake.calls("GET", "/sapi/v1/account/apiRestrictions")) == 1
    clock.advance(3601)
    broker.submit(limit_buy("c-3"))
    assert len(fake.calls("GET", "/sapi/v1/account/apiRestrictions")) == 2


# -- secrets and threads ----------------------------------------------------------------------------
def test_the_secret_never_shows(fake: FakeBinance, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    broker, _ = make_broker(fake, clock)
    fake.fail("GET", "/api/v3/account", error(401, -2015, "Invalid API-key, IP, or permissions for action."))
    with pytest.raises(CrbotError) as caught:
        broker.balances()
    fake.fail("POST", "/api/v3/order", error(503, None), error(503, None))
    with pytest.raises(CrbotError) as second:
        broker.submit(limit_buy())
    seen = [
        repr(broker),
        str(caught.value),
        str(second.value),
        repr(caught.value),
        caplog.text,
        repr(broker.connection_info()),
    ]
    assert not any(SECRET in text for text in seen)
    assert not any(KEY in text for text in seen)


def test_parallel_calls_use_separate_clients(fake: FakeBinance, clock: ManualClock) -> None:
    created: list[object] = []
    broker, _ = make_broker(fake, clock, pool_size=4)
    factory = broker._t._pool._factory
    broker._t._pool._factory = lambda: created.append(1) or factory()  # type: ignore[method-assign]
    broker.balances()  # clock synced
    barrier = threading.Barrier(4, timeout=10)

    def hold(method: str, path: str) -> None:
        if path == "/api/v3/openOrders" and method == "DELETE":
            barrier.wait()  # all four cancels are in flight at once, or this times out

    fake.hold = hold
    symbols = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"]
    results: dict[str, object] = {}

    def cancel(symbol: str) -> None:
        results[symbol] = broker.cancel_all(symbol)

    threads = [threading.Thread(target=cancel, args=(s,)) for s in symbols]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert results == {s: [] for s in symbols}
    assert len(created) == 4 and broker.used_weight == fake.weight


def test_mode_is_exposed(broker: BinanceBroker) -> None:
    assert broker.mode is Mode.TESTNET
