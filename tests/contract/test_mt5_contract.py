"""The broker contract against the MT5 adapter over the MetaTrader5 stand-in (tests/mt5/standin.py).

The venue-neutral tests of test_broker_contract.py run here unchanged (imported, so they are collected again
with this module's ``venue``). The ones that assert Binance facts MT5 does not have are replaced below by
the MT5 form of the same promise: Binance's error code -2010, a commission paid in the base asset, the
NOTIONAL and PERCENT_PRICE_BY_SIDE filters, exits that leave fee dust (MT5's sl / tp close the whole position).
This proves the adapter against the stand-in's model of MT5, not against a real terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.clock import ManualClock
from crbot.domain import ZERO, OrderListSpec, OrderSpec, OrderStatus, OrderType, Side
from crbot.errors import ExchangeRejected, FilterError, InsufficientBalance
from crbot.market.feed import ManualFeed
from tests.contract.conftest import BTC, Venue
from tests.contract.test_broker_contract import (  # noqa: F401  collected again against MT5
    START,
    exits,
    holding,
    order,
    test_an_unknown_order_is_not_found,
    test_balances_and_account_commissions,
    test_cancel_all_cancels_single_orders_and_whole_lists,
    test_last_price_follows_the_market,
    test_limit_order_lifecycle_releases_its_lock,
    test_oco_without_the_position_is_refused_for_balance,
    test_otoco_entry_fill_activates_the_exits_and_the_take_profit_expires_the_stop,
)
from tests.mt5.rig import FEES, make_broker

D = Decimal


@pytest.fixture
def venue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed) -> Iterator[Venue]:
    broker, _ = make_broker(tmp_path, monkeypatch, clock, feed)
    yield Venue(name="mt5", broker=broker, clock=clock, feed=feed, fees=FEES)


def test_rules_carry_the_symbol_specification(venue: Venue) -> None:
    rules = venue.broker.rules()[BTC]
    assert (rules.base_asset, rules.quote_asset, rules.status) == ("BTC", "USDT", "TRADING")
    assert {"PRICE_FILTER", "LOT_SIZE", "MAX_NUM_ORDERS"} <= set(rules.filters)
    assert (rules.tick_size, rules.step_size) == (D("0.01"), D("0.00001"))
    assert {"LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT"} <= set(rules.order_types)


def test_market_fill_appears_in_trades_with_commission_in_the_account_currency(venue: Venue) -> None:
    broker = venue.broker
    bought = broker.submit(order("m-1", Side.BUY, OrderType.MARKET, "0.01"))
    assert bought.status is OrderStatus.FILLED and bought.executed_qty == D("0.01") and bought.price is None
    assert bought.avg_price == D("50000") and bought.cumulative_quote == D("500")
    (fill,) = broker.trades(BTC)
    assert bought.fills == (fill,)
    assert (fill.order_id, fill.side, fill.price, fill.quantity) == (bought.order_id, Side.BUY, D("50000"), D("0.01"))
    assert (fill.commission, fill.commission_asset, fill.is_maker) == (D("500") * venue.fees.taker, "USDT", False)
    assert holding(broker, "BTC") == (D("0.01"), ZERO)
    assert holding(broker, "USDT") == (D("9500") - fill.commission, ZERO)


def test_a_duplicate_client_order_id_is_refused(venue: Venue) -> None:
    venue.broker.submit(order("dup", Side.BUY, OrderType.LIMIT, "0.01", "49000"))
    with pytest.raises(ExchangeRejected, match="Duplicate"):
        venue.broker.submit(order("dup", Side.BUY, OrderType.LIMIT, "0.01", "48000"))
    assert len(venue.broker.open_orders(BTC)) == 1


def test_oco_on_a_held_position_locks_its_quantity_and_one_leg_cancels_both(venue: Venue) -> None:
    broker = venue.broker
    broker.submit(order("buy", Side.BUY, OrderType.MARKET, "0.02"))
    oco = OrderListSpec(list_client_id="L-2", symbol=BTC, working=None, pending=exits())
    views = broker.submit_list(oco)
    assert [(v.client_order_id, v.status) for v in views] == [("sl-1", OrderStatus.NEW), ("tp-1", OrderStatus.NEW)]
    assert len({v.order_list_id for v in views}) == 1 and views[0].order_list_id >= 0
    assert holding(broker, "BTC") == (D("0.02") - D("0.00999"), D("0.00999"))
    assert broker.cancel(BTC, "tp-1").status is OrderStatus.CANCELED
    assert [broker.get_order(BTC, c).status for c in ("sl-1", "tp-1")] == [OrderStatus.CANCELED] * 2
    assert broker.open_orders(BTC) == [] and holding(broker, "BTC") == (D("0.02"), ZERO)


def test_an_order_beyond_the_balance_is_insufficient_balance(venue: Venue) -> None:
    with pytest.raises(InsufficientBalance):
        venue.broker.submit(order("big", Side.BUY, OrderType.LIMIT, "1", "49000"))
    with pytest.raises(InsufficientBalance):  # long only: no naked short on a margin account
        venue.broker.submit(order("naked", Side.SELL, OrderType.MARKET, "0.01"))
    assert venue.broker.open_orders() == [] and venue.broker.balances() == START


@pytest.mark.parametrize(
    ("spec", "filter_type"),
    [
        (order("tick", Side.BUY, OrderType.LIMIT, "0.01", "49000.005"), "PRICE_FILTER"),
        (order("step", Side.BUY, OrderType.LIMIT, "0.000015", "49000"), "LOT_SIZE"),
        (order("side", Side.BUY, OrderType.LIMIT, "0.01", "50100"), "PRICE_FILTER"),  # a buy limit above the ask
    ],
)
def test_a_filter_failure_is_a_filter_error_naming_the_filter(venue: Venue, spec: OrderSpec, filter_type: str) -> None:
    with pytest.raises(FilterError) as caught:
        venue.broker.submit(spec)
    assert caught.value.filter_type == filter_type
    assert venue.broker.open_orders() == [] and venue.broker.balances() == START
