"""The paper exchange, single orders: fills, fees, locks, refusals, cancels, queries, catch-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from crbot.domain import ZERO, Bar, OrderStatus, OrderType, Side
from crbot.errors import (
    ConnectivityError,
    ExchangeRejected,
    FilterError,
    InsufficientBalance,
    InvalidInput,
    OrderNotFound,
)
from crbot.market.feed import ManualFeed
from tests.paper.conftest import Book
from tests.paper.test_engine_kit import BTC, ETH, PRICES, Rig, assert_ledger, rig, sl, spec

D = Decimal
__all__ = ["rig"]  # the fixture, re-exported for pytest


def snapshot(r: Rig) -> tuple[object, ...]:
    e = r.engine
    return (e.balances(), e.open_orders(), e.all_orders(BTC), e.trades(BTC), e.order_lists())


# ---- resting limits -----------------------------------------------------------------------------------
def test_a_resting_buy_locks_its_cost_and_fills_as_maker_when_the_price_crosses(rig: Rig) -> None:
    placed = rig.engine.new_order(spec("b1", Side.BUY, "0.001", "49000"))
    assert placed.status is OrderStatus.NEW and placed.time == rig.clock.now()
    assert rig.bal("USDT") == (D("9951"), D("49"))

    rig.move("49500")  # above the limit: nothing
    assert rig.engine.get_order(BTC, client_order_id="b1").status is OrderStatus.NEW
    rig.move("49000")  # touches it
    filled_at = rig.clock.now()
    rig.clock.advance(30)

    order = rig.engine.get_order(BTC, client_order_id="b1")
    assert order.status is OrderStatus.FILLED
    assert (order.executed_qty, order.cumulative_quote, order.update_time) == (D("0.001"), D("49"), filled_at)
    (fill,) = rig.engine.trades(BTC)
    assert (fill.price, fill.quantity, fill.is_maker, fill.time) == (D("49000"), D("0.001"), True, filled_at)
    assert (fill.commission, fill.commission_asset) == (D("0.000001"), "BTC")
    # 0.001 BTC bought at a 0.1 % fee leaves 0.000999 BTC; the lock is released, the cost paid
    assert rig.bal("BTC") == (D("0.000999"), ZERO)
    assert rig.bal("USDT") == (D("9951"), ZERO)
    assert_ledger(rig)


def test_a_buy_fills_at_its_own_price_when_the_market_gaps_through_it(rig: Rig) -> None:
    rig.engine.new_order(spec("b1", Side.BUY, "0.01", "49000"))
    rig.move("47000")
    (fill,) = rig.engine.trades(BTC)
    assert fill.price == D("49000") and fill.is_maker
    assert rig.bal("USDT") == (D("9510"), ZERO)
    assert_ledger(rig)


def test_a_resting_sell_fills_when_the_high_reaches_it_and_pays_its_fee_in_quote(book: Book) -> None:
    rig = Rig(book("p"), balances={"USDT": D("0"), "BTC": D("0.5")})
    rig.engine.new_order(spec("s1", Side.SELL, "0.2", "51000"))
    assert rig.bal("BTC") == (D("0.3"), D("0.2"))
    rig.move("50999.99")
    assert rig.engine.trades(BTC) == []
    rig.move("51000.01")
    (fill,) = rig.engine.trades(BTC)
    assert fill.price == D("51000") and fill.is_maker
    assert (fill.commission, fill.commission_asset) == (D("10.2"), "USDT")
    assert rig.bal("BTC") == (D("0.3"), ZERO)
    assert rig.bal("USDT") == (D("10189.8"), ZERO)
    assert_ledger(rig)


def test_a_crossing_limit_takes_at_once_at_the_better_of_limit_and_market(rig: Rig) -> None:
    view = rig.engine.new_order(spec("b1", Side.BUY, "0.01", "51000"))  # market is 50000
    assert view.status is OrderStatus.FILLED and view.cumulative_quote == D("500")
    (fill,) = rig.engine.trades(BTC)
    assert (fill.price, fill.is_maker, fill.commission) == (D("50000"), False, D("0.00001"))
    assert rig.bal("USDT") == (D("9500"), ZERO)
    sell = rig.engine.new_order(spec("s1", Side.SELL, "0.005", "40000"))
    assert sell.status is OrderStatus.FILLED and sell.avg_price == D("50000")
    assert_ledger(rig)


def test_the_call_that_catches_up_already_reports_the_new_state(rig: Rig) -> None:
    rig.engine.new_order(spec("b1", Side.BUY, "0.001", "49000"))
    rig.engine.new_order(spec("b2", Side.BUY, "0.001", "48000"))
    rig.move("48500")
    assert [o.client_order_id for o in rig.engine.open_orders()] == ["b2"]  # this very call matched b1
    rig.move("47000")
    assert [o.status for o in rig.engine.all_orders(BTC)] == [OrderStatus.FILLED, OrderStatus.FILLED]
    rig.move("46000")
    assert rig.engine.cancel_all(BTC) == []


def test_a_limit_placed_after_a_move_is_not_filled_by_prices_from_before_it(rig: Rig) -> None:
    rig.move("48000")  # nobody is watching: no open orders, so nothing to match yet
    rig.move("50000")
    rig.engine.new_order(spec("b1", Side.BUY, "0.001", "49000"))
    rig.clock.advance(5)
    assert rig.engine.get_order(BTC, client_order_id="b1").status is OrderStatus.NEW
    assert rig.engine.trades(BTC) == []


def test_catch_up_after_a_gap_fills_each_order_at_the_bar_that_crossed_it(rig: Rig) -> None:
    e = rig.engine
    e.new_order(spec("b1", Side.BUY, "0.01", "49000"))
    e.new_order(spec("b2", Side.BUY, "0.01", "48000"))
    e.new_order(spec("b3", Side.BUY, "0.01", "40000"))
    start = rig.clock.now()
    for price in ("49900", "48950", "49500", "47990", "49000"):  # nobody calls the engine meanwhile
        rig.move(price, seconds=60)
    rig.clock.advance(3600)
    fills = e.trades(BTC)
    assert [(f.order_id, f.price, f.time) for f in fills] == [
        (1, D("49000"), start + timedelta(seconds=120)),
        (2, D("48000"), start + timedelta(seconds=240)),
    ]
    assert [o.client_order_id for o in e.open_orders()] == ["b3"]
    assert rig.bal("USDT") == (D("10000") - D("490") - D("480") - D("400"), D("400"))
    assert rig.bal("BTC") == (D("0.01998"), ZERO)
    assert_ledger(rig)


def test_wide_bars_from_a_feed_match_on_their_high_and_low(book: Book) -> None:
    class BarFeed(ManualFeed):
        def bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
            t = start + timedelta(seconds=60)
            if symbol != BTC or t > end:
                return []
            return [Bar(open_time=start, close_time=t, open=D(50000), high=D(52000), low=D(48500), close=D(50000))]

    r = Rig(book("bars"), feed=BarFeed(PRICES), balances={"USDT": D("10000"), "BTC": D("1")})
    r.engine.new_order(spec("b", Side.BUY, "0.01", "49000"))
    r.engine.new_order(spec("s", Side.SELL, "0.01", "51000"))
    r.engine.new_order(spec("far", Side.SELL, "0.01", "53000"))
    r.clock.advance(61)
    assert sorted(f.price for f in r.engine.trades(BTC)) == [D("49000"), D("51000")]
    assert [o.client_order_id for o in r.engine.open_orders()] == ["far"]
    assert_ledger(r)


# ---- market orders -------------------------------------------------------------------------------------
def test_market_orders_fill_at_once_with_slippage_against_the_trader_on_the_tick(book: Book) -> None:
    feed = ManualFeed({BTC: D("50000.01"), ETH: D("3000")})
    rig = Rig(book("p"), slippage="5", feed=feed)
    buy = rig.engine.new_order(spec("m1", Side.BUY, "0.01", type=OrderType.MARKET))
    # 50000.01 * 1.0005 = 50025.010005 -> up to the tick 50025.02
    assert buy.status is OrderStatus.FILLED and buy.cumulative_quote == D("500.2502")
    sell = rig.engine.new_order(spec("m2", Side.SELL, "0.005", type=OrderType.MARKET))
    # 50000.01 * 0.9995 = 49975.009995 -> down to 49975.00
    assert sell.cumulative_quote == D("249.875")
    fills = rig.engine.trades(BTC)
    assert [(f.price, f.is_maker, f.commission, f.commission_asset) for f in fills] == [
        (D("50025.02"), False, D("0.00001"), "BTC"),
        (D("49975.00"), False, D("0.24987500"), "USDT"),
    ]
    assert rig.bal("BTC") == (D("0.00499"), ZERO)
    assert_ledger(rig)


# ---- refusals change nothing ----------------------------------------------------------------------------
def test_insufficient_balance_is_refused_with_binances_code_and_changes_nothing(rig: Rig) -> None:
    rig.engine.new_order(spec("b1", Side.BUY, "0.1", "49000"))  # locks 4900
    before = snapshot(rig)
    with pytest.raises(InsufficientBalance) as err:
        rig.engine.new_order(spec("b2", Side.BUY, "0.11", "49000"))  # 5390 > 5100 free
    assert err.value.code == -2010 and err.value.message == "Account has insufficient balance for requested action."
    assert "5390" in str(err.value) and "5100" in str(err.value)
    with pytest.raises(InsufficientBalance):
        rig.engine.new_order(spec("m", Side.BUY, "0.2", type=OrderType.MARKET))
    with pytest.raises(InsufficientBalance):
        rig.engine.new_order(spec("s", Side.SELL, "0.001", "60000"))  # holds no BTC
    assert snapshot(rig) == before


def test_a_limit_maker_that_would_take_is_refused(rig: Rig) -> None:
    before = snapshot(rig)
    with pytest.raises(ExchangeRejected) as err:
        rig.engine.new_order(spec("lm", Side.BUY, "0.001", "50000", type=OrderType.LIMIT_MAKER))
    assert (err.value.code, err.value.message) == (-2010, "Order would immediately match and take.")
    assert snapshot(rig) == before
    rested = rig.engine.new_order(spec("lm", Side.BUY, "0.001", "49999.99", type=OrderType.LIMIT_MAKER))
    assert rested.status is OrderStatus.NEW


def test_a_duplicate_client_order_id_among_open_orders_is_refused(rig: Rig) -> None:
    rig.engine.new_order(spec("dup", Side.BUY, "0.001", "40000"))
    before = snapshot(rig)
    with pytest.raises(ExchangeRejected) as err:
        rig.engine.new_order(spec("dup", Side.BUY, "0.001", "41000"))
    assert (err.value.code, err.value.message) == (-2010, "Duplicate order sent.")
    assert snapshot(rig) == before
    rig.engine.new_order(spec("dup", Side.BUY, "0.01", "2900", symbol=ETH))  # another symbol: its own ids
    rig.engine.cancel(BTC, client_order_id="dup")
    again = rig.engine.new_order(spec("dup", Side.BUY, "0.001", "42000"))  # no longer open: reusable
    assert rig.engine.get_order(BTC, client_order_id="dup").order_id == again.order_id


def test_unknown_symbols_and_filter_failures_are_refused_before_anything_changes(rig: Rig) -> None:
    before = snapshot(rig)
    with pytest.raises(InvalidInput) as err:
        rig.engine.new_order(spec("x", Side.BUY, "1", "1", symbol="NOPEUSDT"))
    assert (err.value.code, err.value.message) == (-1121, "Invalid symbol.")
    with pytest.raises(FilterError) as ferr:
        rig.engine.new_order(spec("x", Side.BUY, "0.001", "49000.005"))
    assert ferr.value.filter_type == "PRICE_FILTER"
    with pytest.raises(FilterError) as ferr:
        rig.engine.new_order(spec("x", Side.BUY, "0.00001", "49000"))  # 0.49 USDT < 5 minimum
    assert ferr.value.filter_type == "NOTIONAL"
    assert snapshot(rig) == before


def test_a_stop_that_would_trigger_at_once_is_refused(book: Book) -> None:
    rig = Rig(book("p"), balances={"BTC": D("1")})
    with pytest.raises(ExchangeRejected) as err:
        rig.engine.new_order(sl("s", Side.SELL, "0.1", "50000", "49900"))  # stop not below the market
    assert (err.value.code, err.value.message) == (-2010, "Order would trigger immediately.")
    assert rig.engine.open_orders() == []


# ---- stop-loss limits ---------------------------------------------------------------------------------
def test_a_stop_loss_triggers_and_fills_at_the_traded_price_as_taker(book: Book) -> None:
    rig = Rig(book("p"), balances={"BTC": D("1")})
    rig.engine.new_order(sl("s", Side.SELL, "0.1", "49000", "48500"))
    assert rig.bal("BTC") == (D("0.9"), D("0.1"))
    rig.move("49100")
    assert rig.engine.open_orders()[0].status is OrderStatus.NEW
    rig.move("48800")  # through the stop, still above the limit
    (fill,) = rig.engine.trades(BTC)
    assert (fill.price, fill.is_maker) == (D("48800"), False)
    assert rig.bal("BTC") == (D("0.9"), ZERO)
    assert rig.bal("USDT") == (D("4880") - D("4.88"), ZERO)
    assert_ledger(rig)


def test_a_stop_gapped_below_its_limit_rests_and_fills_later_at_its_limit(book: Book) -> None:
    rig = Rig(book("p"), balances={"BTC": D("1")})
    rig.engine.new_order(sl("s", Side.SELL, "0.1", "49000", "48500"))
    rig.move("48000")  # triggered, but a SELL limit at 48500 cannot fill at 48000
    assert rig.engine.trades(BTC) == []
    assert rig.engine.get_order(BTC, client_order_id="s").status is OrderStatus.NEW
    rig.move("48499")
    assert rig.engine.trades(BTC) == []
    rig.move("48600")
    (fill,) = rig.engine.trades(BTC)
    assert (fill.price, fill.is_maker) == (D("48500"), True)
    assert_ledger(rig)


@pytest.mark.parametrize(
    ("side", "type_", "stop", "limit", "path", "fill"),
    [
        (Side.SELL, OrderType.STOP_LOSS_LIMIT, "49000", "48900", ("49500", "48950"), "48950"),  # falls to it
        (Side.BUY, OrderType.STOP_LOSS_LIMIT, "51000", "51100", ("50500", "51050"), "51050"),  # rises to it
        (Side.SELL, OrderType.TAKE_PROFIT_LIMIT, "51000", "50900", ("50500", "51020"), "51020"),  # rises to it
        (Side.BUY, OrderType.TAKE_PROFIT_LIMIT, "49000", "49100", ("49500", "48990"), "48990"),  # falls to it
    ],
)
def test_stop_orders_trigger_in_the_direction_their_type_and_side_say(
    book: Book, side: Side, type_: OrderType, stop: str, limit: str, path: tuple[str, str], fill: str
) -> None:
    rig = Rig(book("p"), balances={"USDT": D("10000"), "BTC": D("1")})
    rig.engine.new_order(spec("s", side, "0.01", limit, type=type_, stop=stop))
    rig.move(path[0])  # toward, not through, the stop
    assert rig.engine.trades(BTC) == []
    rig.move(path[1])
    (f,) = rig.engine.trades(BTC)
    assert (f.side, f.price, f.is_maker) == (side, D(fill), False)
    assert_ledger(rig)


# ---- cancels ------------------------------------------------------------------------------------------
def test_cancel_unlocks_exactly_what_was_locked(rig: Rig) -> None:
    a = rig.engine.new_order(spec("a", Side.BUY, "0.003", "43210.57"))
    rig.engine.new_order(spec("b", Side.BUY, "0.002", "41000"))
    assert rig.bal("USDT") == (D("10000") - D("129.63171") - D("82"), D("129.63171") + D("82"))
    canceled = rig.engine.cancel(BTC, order_id=a.order_id)
    assert canceled.status is OrderStatus.CANCELED and canceled.client_order_id == "a"
    assert rig.bal("USDT") == (D("9918"), D("82"))
    rig.engine.cancel(BTC, client_order_id="b")
    assert rig.bal("USDT") == (D("10000"), ZERO)
    assert_ledger(rig)


def test_cancel_and_query_of_unknown_orders_use_binances_codes(rig: Rig) -> None:
    with pytest.raises(OrderNotFound) as err:
        rig.engine.cancel(BTC, client_order_id="nope")
    assert (err.value.code, err.value.message) == (-2011, "Unknown order sent.")
    with pytest.raises(OrderNotFound) as err:
        rig.engine.get_order(BTC, order_id=42)
    assert (err.value.code, err.value.message) == (-2013, "Order does not exist.")
    v = rig.engine.new_order(spec("a", Side.BUY, "0.001", "40000"))
    with pytest.raises(OrderNotFound):  # the id belongs to another client id
        rig.engine.get_order(BTC, order_id=v.order_id, client_order_id="b")
    rig.engine.cancel(BTC, client_order_id="a")
    with pytest.raises(OrderNotFound) as err:  # canceling twice
        rig.engine.cancel(BTC, client_order_id="a")
    assert err.value.code == -2011
    with pytest.raises(InvalidInput):
        rig.engine.cancel(BTC)


def test_cancel_all_cancels_every_open_order_on_the_symbol_only(rig: Rig) -> None:
    e = rig.engine
    for i in range(4):
        e.new_order(spec(f"b{i}", Side.BUY, "0.001", str(45000 + i)))
    e.new_order(spec("eth", Side.BUY, "0.01", "2900", symbol=ETH))
    e.new_order(spec("filled", Side.BUY, "0.001", "60000"))  # takes at once
    canceled = e.cancel_all(BTC)
    assert [o.client_order_id for o in canceled] == ["b0", "b1", "b2", "b3"]
    assert all(o.status is OrderStatus.CANCELED for o in canceled)
    assert [o.client_order_id for o in e.open_orders()] == ["eth"]
    assert e.cancel_all(BTC) == []
    assert rig.bal("USDT")[1] == D("29")
    assert_ledger(rig)


def test_cancels_and_queries_work_while_the_feed_is_down(book: Book) -> None:
    class DownFeed(ManualFeed):
        def bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
            raise ConnectivityError("no prices", hint="feed down")

    r = Rig(book("down"), feed=DownFeed(PRICES))
    r.engine.new_order(spec("a", Side.BUY, "0.001", "40000"))
    r.clock.advance(10)
    assert r.engine.open_orders()[0].client_order_id == "a"
    assert r.engine.cancel(BTC, client_order_id="a").status is OrderStatus.CANCELED


# ---- ids, times, queries ------------------------------------------------------------------------------
def test_ids_are_monotonic_and_times_come_from_the_clock(rig: Rig) -> None:
    views = []
    for i in range(3):
        views.append(rig.engine.new_order(spec(f"o{i}", Side.BUY, "0.001", "40000")))
        rig.clock.advance(1)
    assert [v.order_id for v in views] == [1, 2, 3]
    assert [v.time for v in views] == [views[0].time + timedelta(seconds=i) for i in range(3)]
    rig.engine.cancel(BTC, client_order_id="o2")
    assert rig.engine.new_order(spec("o3", Side.BUY, "0.001", "40000")).order_id == 4  # never reused


def test_all_orders_and_trades_page_by_time_and_id(rig: Rig) -> None:
    e = rig.engine
    t0 = rig.clock.now()
    for i in range(5):
        e.new_order(spec(f"t{i}", Side.BUY, "0.001", "51000"))  # each takes at once
        rig.clock.advance(60)
    assert [o.client_order_id for o in e.all_orders(BTC)] == [f"t{i}" for i in range(5)]
    assert [o.client_order_id for o in e.all_orders(BTC, limit=2)] == ["t3", "t4"]  # the newest, oldest first
    window = e.all_orders(BTC, start=t0 + timedelta(seconds=60), end=t0 + timedelta(seconds=180))
    assert [o.client_order_id for o in window] == ["t1", "t2", "t3"]
    assert [f.trade_id for f in e.trades(BTC, from_id=2, limit=2)] == [2, 3]
    assert [f.trade_id for f in e.trades(BTC, limit=2)] == [4, 5]
    assert [f.trade_id for f in e.trades(BTC, start=t0 + timedelta(seconds=200))] == [5]
    with pytest.raises(InvalidInput):
        e.trades(BTC, limit=0)


def test_open_orders_read_untyped_equal_the_typed_lookup_and_follow_every_change(rig: Rig) -> None:
    e = rig.engine
    e.new_order(spec("a", Side.BUY, "0.001", "49000"))
    e.new_order(spec("b", Side.BUY, "0.002", "41000.5"))
    first = e.open_orders(BTC)
    assert first == [e.get_order(BTC, client_order_id=c) for c in ("a", "b")]  # same values, types and zones
    again = e.open_orders(BTC)
    assert [x is y for x, y in zip(first, again, strict=True)] == [True, True]  # unchanged rows are not rebuilt
    rig.move("49000")  # fills "a"
    (b,) = e.open_orders(BTC)
    assert b is first[1] and e.get_order(BTC, client_order_id="a").status is OrderStatus.FILLED
    assert e.open_orders() == [b]  # every symbol: the same listing
    e.cancel(BTC, client_order_id="b")
    assert e.open_orders(BTC) == [] and e.open_orders() == []
