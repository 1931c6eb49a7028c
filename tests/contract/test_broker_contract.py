"""What every Broker must do, the same way: paper and Binance (testnet mode against the local exchange).

The service, the kill switch and the reconciler are written against ``crbot.broker.base.Broker``; each test
here runs once per broker (``venue`` in conftest.py), so a difference between paper and Binance is a failure.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crbot.broker.base import Broker
from crbot.domain import ZERO, Balance, OrderListSpec, OrderSpec, OrderStatus, OrderType, Side
from crbot.errors import ExchangeRejected, FilterError, InsufficientBalance, OrderNotFound
from tests.contract.conftest import BTC, Venue

D = Decimal
START = [Balance(asset="USDT", free=D("10000"), locked=ZERO)]


def order(cid: str, side: Side, type_: OrderType, qty: str, price: str | None = None, stop: str | None = None):
    return OrderSpec(
        client_order_id=cid, symbol=BTC, side=side, type=type_, quantity=D(qty),
        price=D(price) if price else None, stop_price=D(stop) if stop else None,
    )  # fmt: skip


def exits(qty: str = "0.00999", suffix: str = "1") -> tuple[OrderSpec, OrderSpec]:
    """A SELL stop-loss (stop 47000, limit 46900) and take-profit (52000) pair."""
    return (
        order(f"sl-{suffix}", Side.SELL, OrderType.STOP_LOSS_LIMIT, qty, "46900", "47000"),
        order(f"tp-{suffix}", Side.SELL, OrderType.LIMIT_MAKER, qty, "52000"),
    )


def otoco(entry_price: str = "49000") -> OrderListSpec:
    entry = order("e-1", Side.BUY, OrderType.LIMIT, "0.01", entry_price)
    return OrderListSpec(list_client_id="L-1", symbol=BTC, working=entry, pending=exits())


def holding(broker: Broker, asset: str) -> tuple[Decimal, Decimal]:
    for b in broker.balances():
        if b.asset == asset:
            return b.free, b.locked
    return ZERO, ZERO


def statuses(broker: Broker, *cids: str) -> list[OrderStatus]:
    return [broker.get_order(BTC, cid).status for cid in cids]


# -- market data and account ---------------------------------------------------------------------------
def test_rules_list_btcusdt_with_its_filters(venue: Venue) -> None:
    rules = venue.broker.rules()[BTC]
    assert (rules.base_asset, rules.quote_asset, rules.status) == ("BTC", "USDT", "TRADING")
    assert {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL", "PERCENT_PRICE_BY_SIDE", "MAX_NUM_ORDERS"} <= set(rules.filters)
    assert (rules.tick_size, rules.step_size) == (D("0.01"), D("0.00001"))
    assert {"LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT"} <= set(rules.order_types)


def test_last_price_follows_the_market(venue: Venue) -> None:
    assert venue.broker.last_price(BTC) == D("50000")
    venue.move("50123.45")
    assert venue.broker.last_price(BTC) == D("50123.45")
    assert venue.broker.avg_price(BTC) > 0


def test_balances_and_account_commissions(venue: Venue) -> None:
    assert venue.broker.balances() == START
    account = venue.broker.account()
    assert list(account.balances) == START
    assert account.commissions == venue.fees and account.can_trade
    assert venue.broker.ping() >= 0 and venue.broker.price_source()


# -- single orders -------------------------------------------------------------------------------------
def test_limit_order_lifecycle_releases_its_lock(venue: Venue) -> None:
    broker = venue.broker
    placed = broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    assert (placed.client_order_id, placed.status, placed.type, placed.side) == (
        "c-1",
        OrderStatus.NEW,
        OrderType.LIMIT,
        Side.BUY,
    )
    assert (placed.quantity, placed.price, placed.executed_qty, placed.order_list_id) == (D("0.01"), D("49000"), 0, -1)
    assert holding(broker, "USDT") == (D("9510"), D("490"))
    found = broker.get_order(BTC, "c-1")
    assert (found.order_id, found.status, found.price) == (placed.order_id, OrderStatus.NEW, D("49000"))
    assert [o.client_order_id for o in broker.open_orders(BTC)] == ["c-1"]
    assert [o.client_order_id for o in broker.open_orders()] == ["c-1"]  # every symbol
    canceled = broker.cancel(BTC, "c-1")
    assert (canceled.client_order_id, canceled.order_id, canceled.status) == ("c-1", placed.order_id, "CANCELED")
    assert broker.get_order(BTC, "c-1").status is OrderStatus.CANCELED
    assert broker.open_orders(BTC) == [] and broker.balances() == START
    assert [o.client_order_id for o in broker.all_orders(BTC)] == ["c-1"]


def test_market_fill_appears_in_trades_with_commission_in_the_base_asset(venue: Venue) -> None:
    broker = venue.broker
    bought = broker.submit(order("m-1", Side.BUY, OrderType.MARKET, "0.01"))
    assert bought.status is OrderStatus.FILLED and bought.executed_qty == D("0.01") and bought.price is None
    assert bought.avg_price == D("50000") and bought.cumulative_quote == D("500")
    (fill,) = broker.trades(BTC)
    assert (fill.order_id, fill.side, fill.price, fill.quantity) == (bought.order_id, Side.BUY, D("50000"), D("0.01"))
    assert (fill.commission, fill.commission_asset, fill.is_maker) == (D("0.01") * venue.fees.taker, "BTC", False)
    assert fill.quote_qty == D("500")
    assert holding(broker, "BTC") == (D("0.01") - fill.commission, ZERO)
    assert holding(broker, "USDT") == (D("9500"), ZERO)
    assert broker.trades(BTC, since=fill.time + timedelta(seconds=1)) == []


def test_a_duplicate_client_order_id_is_refused(venue: Venue) -> None:
    venue.broker.submit(order("dup", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    with pytest.raises(ExchangeRejected, match="Duplicate") as caught:
        venue.broker.submit(order("dup", Side.BUY, OrderType.LIMIT, "0.01", "48000"))
    assert caught.value.code == -2010 and len(venue.broker.open_orders(BTC)) == 1


# -- order lists -----------------------------------------------------------------------------------------
def test_otoco_entry_fill_activates_the_exits_and_the_take_profit_expires_the_stop(venue: Venue) -> None:
    broker = venue.broker
    views = broker.submit_list(otoco())
    assert [(v.client_order_id, v.status) for v in views] == [
        ("e-1", OrderStatus.NEW),
        ("sl-1", OrderStatus.PENDING_NEW),
        ("tp-1", OrderStatus.PENDING_NEW),
    ]
    assert len({v.order_list_id for v in views}) == 1 and views[0].order_list_id >= 0
    assert holding(broker, "USDT") == (D("9510"), D("490"))  # the pending exits lock nothing yet
    venue.move("48900")
    assert statuses(broker, "e-1", "sl-1", "tp-1") == [OrderStatus.FILLED, OrderStatus.NEW, OrderStatus.NEW]
    assert holding(broker, "BTC")[1] == D("0.00999")  # the OCO pair locks its quantity once
    venue.move("51000")
    venue.move("52000.5")
    assert statuses(broker, "e-1", "sl-1", "tp-1") == [OrderStatus.FILLED, OrderStatus.EXPIRED, OrderStatus.FILLED]
    assert broker.open_orders(BTC) == []
    entry, take = (broker.get_order(BTC, c).order_id for c in ("e-1", "tp-1"))
    assert [(f.order_id, f.side) for f in broker.trades(BTC)] == [(entry, Side.BUY), (take, Side.SELL)]
    assert holding(broker, "BTC")[1] == ZERO and holding(broker, "USDT")[1] == ZERO


def test_oco_on_a_held_position_locks_it_once_and_one_leg_cancels_both(venue: Venue) -> None:
    broker = venue.broker
    broker.submit(order("buy", Side.BUY, OrderType.MARKET, "0.02"))
    oco = OrderListSpec(list_client_id="L-2", symbol=BTC, working=None, pending=exits())
    views = broker.submit_list(oco)
    assert [(v.client_order_id, v.status) for v in views] == [("sl-1", OrderStatus.NEW), ("tp-1", OrderStatus.NEW)]
    assert len({v.order_list_id for v in views}) == 1 and views[0].order_list_id >= 0
    free, locked = holding(broker, "BTC")
    assert locked == D("0.00999") and free + locked == D("0.02") * (1 - venue.fees.taker)
    assert broker.cancel(BTC, "tp-1").status is OrderStatus.CANCELED
    assert statuses(broker, "sl-1", "tp-1") == [OrderStatus.CANCELED, OrderStatus.CANCELED]
    assert broker.open_orders(BTC) == [] and holding(broker, "BTC")[1] == ZERO


def test_oco_without_the_position_is_refused_for_balance(venue: Venue) -> None:
    oco = OrderListSpec(list_client_id="L-3", symbol=BTC, working=None, pending=exits())
    with pytest.raises(InsufficientBalance):
        venue.broker.submit_list(oco)
    assert venue.broker.open_orders() == []


def test_cancel_all_cancels_single_orders_and_whole_lists(venue: Venue) -> None:
    broker = venue.broker
    broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    broker.submit(order("c-2", Side.BUY, OrderType.LIMIT, "0.01", "48000"))
    broker.submit_list(otoco("47500"))
    assert len(broker.open_orders(BTC)) == 5
    canceled = broker.cancel_all(BTC)
    assert sorted(v.client_order_id for v in canceled) == ["c-1", "c-2", "e-1", "sl-1", "tp-1"]
    assert {v.status for v in canceled} == {OrderStatus.CANCELED}
    assert broker.open_orders() == [] and broker.balances() == START
    assert broker.cancel_all(BTC) == []  # nothing open: nothing to cancel, not an error


# -- refusals ----------------------------------------------------------------------------------------------
def test_an_unknown_order_is_not_found(venue: Venue) -> None:
    with pytest.raises(OrderNotFound):
        venue.broker.get_order(BTC, "never")
    with pytest.raises(OrderNotFound):
        venue.broker.cancel(BTC, "never")
    venue.broker.submit(order("c-1", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    venue.broker.cancel(BTC, "c-1")
    with pytest.raises(OrderNotFound):  # canceled already: nothing open by that id
        venue.broker.cancel(BTC, "c-1")


def test_an_order_beyond_the_balance_is_insufficient_balance(venue: Venue) -> None:
    with pytest.raises(InsufficientBalance) as caught:
        venue.broker.submit(order("big", Side.BUY, OrderType.LIMIT, "1", "49000"))
    assert caught.value.code == -2010
    with pytest.raises(InsufficientBalance):
        venue.broker.submit(order("naked", Side.SELL, OrderType.MARKET, "0.01"))
    assert venue.broker.open_orders() == [] and venue.broker.balances() == START


@pytest.mark.parametrize(
    ("spec", "filter_types"),
    [
        (order("tiny", Side.BUY, OrderType.LIMIT, "0.00001", "49000"), {"NOTIONAL", "MIN_NOTIONAL"}),
        (order("tick", Side.BUY, OrderType.LIMIT, "0.01", "49000.005"), {"PRICE_FILTER"}),
        (order("step", Side.BUY, OrderType.LIMIT, "0.000015", "49000"), {"LOT_SIZE"}),
        (order("far", Side.BUY, OrderType.LIMIT, "0.01", "9000"), {"PERCENT_PRICE_BY_SIDE"}),
    ],
)
def test_a_filter_failure_is_a_filter_error_naming_the_filter(
    venue: Venue, spec: OrderSpec, filter_types: set[str]
) -> None:
    with pytest.raises(FilterError) as caught:
        venue.broker.submit(spec)
    assert caught.value.filter_type in filter_types
    assert venue.broker.open_orders() == [] and venue.broker.balances() == START
