"""The paper exchange, order lists: OCO one-cancels-other, OTO/OTOCO pending legs, brackets filled while
nobody watched, list cancels, and the locks each stage holds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crbot.domain import ZERO, ListKind, ListStatusType, OrderStatus, Side
from crbot.errors import ExchangeRejected, FilterError, InsufficientBalance, InvalidInput, OrderNotFound
from tests.paper.conftest import Book
from tests.paper.test_engine_kit import (
    BTC,
    Rig,
    assert_ledger,
    bracket,
    oco,
    rig,
    sl,
    spec,
    tp,
    with_max_orders,
)

D = Decimal
__all__ = ["rig"]


@pytest.fixture
def holder(book: Book) -> Rig:
    """An account holding 1 BTC and 10000 USDT, BTC at 50000."""
    return Rig(book("holder"), balances={"USDT": D("10000"), "BTC": D("1")})


def statuses(r: Rig, lid: str) -> tuple[ListStatusType, list[OrderStatus]]:
    (lst,) = [x for x in r.engine.order_lists() if x.list_client_id == lid]
    return lst.status, [o.status for o in lst.orders]


def sell_oco(qty: str = "0.1") -> object:
    return oco("o1", tp("o1-tp", Side.SELL, qty, "52000"), sl("o1-sl", Side.SELL, qty, "48000", "47760"))


# ---- OCO ------------------------------------------------------------------------------------------------
def test_an_oco_locks_its_quantity_once(holder: Rig) -> None:
    views = holder.engine.new_order_list(sell_oco())
    assert [v.status for v in views] == [OrderStatus.NEW, OrderStatus.NEW]
    assert len({v.order_list_id for v in views}) == 1 and views[0].order_list_id != -1
    assert holder.bal("BTC") == (D("0.9"), D("0.1"))
    (lst,) = holder.engine.order_lists(open_only=True)
    assert (lst.kind, lst.contingency_type, lst.status) == (ListKind.OCO, "OCO", ListStatusType.EXEC_STARTED)
    assert_ledger(holder)


def test_oco_take_profit_fills_and_the_stop_expires(holder: Rig) -> None:
    holder.engine.new_order_list(sell_oco())
    holder.move("51000")
    holder.move("52000.5")
    assert statuses(holder, "o1") == (ListStatusType.ALL_DONE, [OrderStatus.FILLED, OrderStatus.EXPIRED])
    (fill,) = holder.engine.trades(BTC)
    assert (fill.price, fill.is_maker, fill.commission) == (D("52000"), True, D("5.2"))
    assert holder.bal("BTC") == (D("0.9"), ZERO)
    assert holder.bal("USDT") == (D("10000") + D("5200") - D("5.2"), ZERO)
    assert holder.engine.order_lists(open_only=True) == []
    assert_ledger(holder)


def test_oco_stop_triggers_fills_and_the_take_profit_expires(holder: Rig) -> None:
    holder.engine.new_order_list(sell_oco())
    holder.move("47900")
    assert statuses(holder, "o1") == (ListStatusType.ALL_DONE, [OrderStatus.EXPIRED, OrderStatus.FILLED])
    (fill,) = holder.engine.trades(BTC)
    assert (fill.price, fill.is_maker) == (D("47900"), False)
    assert holder.bal("BTC") == (D("0.9"), ZERO)
    holder.move("53000")  # the expired take-profit must not fill any more
    assert len(holder.engine.trades(BTC)) == 1
    assert_ledger(holder)


def test_a_stop_that_triggers_below_its_limit_keeps_the_lock_after_the_take_profit_expires(holder: Rig) -> None:
    holder.engine.new_order_list(sell_oco())
    holder.move("47000")  # triggers (stop 48000), but below the 47760 limit: rests as a limit
    assert statuses(holder, "o1") == (ListStatusType.ALL_DONE, [OrderStatus.EXPIRED, OrderStatus.NEW])
    assert holder.bal("BTC") == (D("0.9"), D("0.1"))  # the surviving leg now holds the shared lock
    holder.move("47800")
    (fill,) = holder.engine.trades(BTC)
    assert (fill.price, fill.is_maker) == (D("47760"), True)
    assert holder.bal("BTC") == (D("0.9"), ZERO)
    assert_ledger(holder)


def test_a_bar_that_touches_both_legs_resolves_against_the_trader(book: Book) -> None:
    from datetime import datetime, timedelta

    from crbot.domain import Bar
    from crbot.market.feed import ManualFeed

    class WideFeed(ManualFeed):
        def bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
            t = start + timedelta(seconds=60)
            return [Bar(open_time=start, close_time=t, open=D(50000), high=D(53000), low=D(47900), close=D(50000))]

    r = Rig(book("wide"), balances={"BTC": D("1")}, feed=WideFeed({BTC: D(50000)}))
    r.engine.new_order_list(sell_oco())
    r.clock.advance(61)
    assert statuses(r, "o1") == (ListStatusType.ALL_DONE, [OrderStatus.EXPIRED, OrderStatus.FILLED])
    (fill,) = r.engine.trades(BTC)
    assert fill.price == D("48000")  # the stop traded at its stop price inside the bar


def test_a_buy_oco_locks_the_larger_of_its_legs_costs(book: Book) -> None:
    r = Rig(book("p"))
    r.engine.new_order_list(
        oco("b", tp("b-tp", Side.BUY, "0.1", "48000"), sl("b-sl", Side.BUY, "0.1", "52000", "52260"))
    )
    assert r.bal("USDT") == (D("10000") - D("5226"), D("5226"))
    r.move("47999")
    assert statuses(r, "b") == (ListStatusType.ALL_DONE, [OrderStatus.FILLED, OrderStatus.EXPIRED])
    assert r.bal("USDT") == (D("10000") - D("4800"), ZERO)
    assert r.bal("BTC") == (D("0.0999"), ZERO)
    assert_ledger(r)


@pytest.mark.parametrize(
    ("take", "stop"),
    [("49000", "48000"), ("52000", "50000"), ("50000", "48000"), ("52000", "51000")],
)
def test_an_oco_with_prices_on_the_wrong_sides_is_refused_and_changes_nothing(
    holder: Rig, take: str, stop: str
) -> None:
    before = holder.engine.balances()
    with pytest.raises(ExchangeRejected) as err:
        holder.engine.new_order_list(
            oco("x", tp("x-tp", Side.SELL, "0.1", take), sl("x-sl", Side.SELL, "0.1", stop, stop))
        )
    assert (err.value.code, err.value.message) == (
        -2010,
        "The relationship of the prices for the orders is not correct.",
    )
    assert holder.engine.balances() == before
    assert holder.engine.all_orders(BTC) == [] and holder.engine.order_lists() == []


def test_an_oco_the_account_cannot_cover_is_refused_and_changes_nothing(rig: Rig) -> None:
    with pytest.raises(InsufficientBalance) as err:  # holds no BTC to sell
        rig.engine.new_order_list(sell_oco())
    assert err.value.code == -2010
    assert rig.engine.all_orders(BTC) == [] and rig.engine.order_lists() == []
    assert rig.bal("USDT") == (D("10000"), ZERO)


def test_malformed_lists_are_invalid_input(holder: Rig) -> None:
    with pytest.raises(InvalidInput) as err:  # two limit makers: no contingent leg
        holder.engine.new_order_list(oco("x", tp("a", Side.SELL, "0.1", "52000"), tp("b", Side.SELL, "0.1", "53000")))
    assert err.value.code == -1158
    with pytest.raises(InvalidInput):  # legs of different quantities
        holder.engine.new_order_list(
            oco("x", tp("a", Side.SELL, "0.1", "52000"), sl("b", Side.SELL, "0.2", "48000", "47900"))
        )
    with pytest.raises(InvalidInput):  # a single leg is no list
        holder.engine.new_order_list(oco("x", tp("a", Side.SELL, "0.1", "52000")))
    assert holder.engine.all_orders(BTC) == []


def test_a_duplicate_list_client_id_among_open_lists_is_refused(holder: Rig) -> None:
    holder.engine.new_order_list(sell_oco("0.1"))
    again = oco("o1", tp("n-tp", Side.SELL, "0.1", "52000"), sl("n-sl", Side.SELL, "0.1", "48000", "47760"))
    with pytest.raises(ExchangeRejected) as err:
        holder.engine.new_order_list(again)
    assert err.value.message == "Duplicate order sent."
    with pytest.raises(ExchangeRejected):  # a leg reusing an open order's client id
        holder.engine.new_order_list(
            oco("o2", tp("o1-tp", Side.SELL, "0.1", "52000"), sl("z", Side.SELL, "0.1", "48000", "47760"))
        )


# ---- OTO / OTOCO ----------------------------------------------------------------------------------------
def entry_bracket(exit_qty: str = "0.00099", lid: str = "br") -> object:
    return bracket(
        lid,
        spec(f"{lid}-in", Side.BUY, "0.001", "49000"),
        tp(f"{lid}-tp", Side.SELL, exit_qty, "51000"),
        sl(f"{lid}-sl", Side.SELL, exit_qty, "48000", "47760"),
    )


def test_otoco_legs_stay_pending_and_lock_nothing_until_the_entry_fills(rig: Rig) -> None:
    views = rig.engine.new_order_list(entry_bracket())
    assert [v.status for v in views] == [OrderStatus.NEW, OrderStatus.PENDING_NEW, OrderStatus.PENDING_NEW]
    assert rig.bal("USDT") == (D("9951"), D("49"))
    assert len(rig.engine.open_orders(BTC)) == 3
    (lst,) = rig.engine.order_lists()
    assert (lst.kind, lst.contingency_type) == (ListKind.OTOCO, "OTO")
    rig.move("51500")  # above the take-profit, but the legs are not on the book yet
    assert statuses(rig, "br") == (
        ListStatusType.EXEC_STARTED,
        [OrderStatus.NEW, OrderStatus.PENDING_NEW, OrderStatus.PENDING_NEW],
    )
    rig.move("49000")  # entry fills; its legs go on the book but match only from the next bar
    assert statuses(rig, "br") == (ListStatusType.EXEC_STARTED, [OrderStatus.FILLED, OrderStatus.NEW, OrderStatus.NEW])
    assert rig.bal("BTC") == (D("0.000009"), D("0.00099"))  # the pair locks the exit quantity once
    assert_ledger(rig)
    rig.move("51000")
    assert statuses(rig, "br") == (
        ListStatusType.ALL_DONE,
        [OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.EXPIRED],
    )
    assert_ledger(rig)


def test_a_bracket_fills_entry_then_take_profit_while_nobody_watched(rig: Rig) -> None:
    t0 = rig.clock.now()
    rig.engine.new_order_list(entry_bracket())
    for price in ("49500", "48990", "50000", "51200", "50500"):  # one minute apart, no engine call
        rig.move(price, seconds=60)
    fills = rig.engine.trades(BTC)
    assert [(f.side, f.price, f.is_maker, (f.time - t0).seconds) for f in fills] == [
        (Side.BUY, D("49000"), True, 120),
        (Side.SELL, D("51000"), True, 240),
    ]
    assert statuses(rig, "br") == (
        ListStatusType.ALL_DONE,
        [OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.EXPIRED],
    )
    # bought 0.001 (fee 0.000001 BTC), sold 0.00099 at 51000 = 50.49 (fee 0.05049 USDT)
    assert rig.bal("BTC") == (D("0.000009"), ZERO)
    assert rig.bal("USDT") == (D("10000") - D("49") + D("50.49") - D("0.05049"), ZERO)
    assert rig.engine.open_orders() == []
    assert_ledger(rig)


def test_the_entry_and_a_leg_never_fill_in_the_same_bar(rig: Rig) -> None:
    rig.engine.new_order_list(entry_bracket())
    rig.move("47000")  # fills the entry and is already below the stop: the stop sees only the NEXT bar
    assert statuses(rig, "br")[1] == [OrderStatus.FILLED, OrderStatus.NEW, OrderStatus.NEW]
    rig.move("47900")
    assert statuses(rig, "br")[1] == [OrderStatus.FILLED, OrderStatus.EXPIRED, OrderStatus.FILLED]
    assert_ledger(rig)


def test_exit_legs_for_the_gross_quantity_cannot_be_covered_after_the_fee(rig: Rig) -> None:
    rig.engine.new_order_list(entry_bracket(exit_qty="0.001"))
    rig.move("48900")
    status, orders = statuses(rig, "br")
    assert status is ListStatusType.ALL_DONE
    assert orders == [OrderStatus.FILLED, OrderStatus.REJECTED, OrderStatus.REJECTED]
    assert rig.bal("BTC") == (D("0.000999"), ZERO)
    assert_ledger(rig)


def test_an_entry_that_crosses_at_placement_places_its_legs_at_once(rig: Rig) -> None:
    lst = bracket(
        "x",
        spec("x-in", Side.BUY, "0.001", "50500"),
        tp("x-tp", Side.SELL, "0.00099", "52000"),
        sl("x-sl", Side.SELL, "0.00099", "49000", "48755"),
    )
    views = rig.engine.new_order_list(lst)
    assert [v.status for v in views] == [OrderStatus.FILLED, OrderStatus.NEW, OrderStatus.NEW]
    assert views[0].cumulative_quote == D("50")  # took at the market, 50000
    assert_ledger(rig)


def test_an_oto_places_its_single_pending_order_after_the_fill(rig: Rig) -> None:
    rig.engine.new_order_list(
        bracket("t", spec("t-in", Side.BUY, "0.001", "49000"), tp("t-tp", Side.SELL, "0.00099", "50000"))
    )
    (lst,) = rig.engine.order_lists()
    assert lst.kind is ListKind.OTO
    rig.move("49000")
    assert statuses(rig, "t") == (ListStatusType.EXEC_STARTED, [OrderStatus.FILLED, OrderStatus.NEW])
    rig.move("50000")
    assert statuses(rig, "t") == (ListStatusType.ALL_DONE, [OrderStatus.FILLED, OrderStatus.FILLED])
    assert_ledger(rig)


def test_canceling_any_leg_cancels_the_whole_list(rig: Rig) -> None:
    rig.engine.new_order_list(entry_bracket(lid="a"))
    rig.engine.new_order_list(entry_bracket(lid="b"))
    view = rig.engine.cancel(BTC, client_order_id="a-sl")  # a pending leg
    assert view.status is OrderStatus.CANCELED
    assert statuses(rig, "a") == (ListStatusType.ALL_DONE, [OrderStatus.CANCELED] * 3)
    legs = rig.engine.cancel_list(BTC, list_client_id="b")
    assert [o.status for o in legs] == [OrderStatus.CANCELED] * 3
    assert rig.bal("USDT") == (D("10000"), ZERO)
    with pytest.raises(OrderNotFound) as err:
        rig.engine.cancel_list(BTC, list_client_id="b")
    assert err.value.code == -2011
    assert_ledger(rig)


def test_canceling_the_working_order_after_the_fill_is_unknown_but_a_leg_cancels_the_pair(holder: Rig) -> None:
    holder.engine.new_order_list(entry_bracket())
    holder.move("48999")
    with pytest.raises(OrderNotFound):
        holder.engine.cancel(BTC, client_order_id="br-in")  # filled: no longer open
    holder.engine.cancel(BTC, client_order_id="br-tp")
    assert statuses(holder, "br") == (
        ListStatusType.ALL_DONE,
        [OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.CANCELED],
    )
    assert holder.bal("BTC")[1] == ZERO
    assert_ledger(holder)


def test_cancel_all_includes_order_lists(holder: Rig) -> None:
    holder.engine.new_order_list(entry_bracket())
    holder.engine.new_order_list(sell_oco())
    holder.engine.new_order(spec("lone", Side.BUY, "0.001", "40000"))
    canceled = holder.engine.cancel_all(BTC)
    assert len(canceled) == 6 and {o.status for o in canceled} == {OrderStatus.CANCELED}
    assert holder.engine.open_orders() == [] and holder.engine.order_lists(open_only=True) == []
    assert holder.bal("BTC") == (D("1"), ZERO) and holder.bal("USDT") == (D("10000"), ZERO)


def test_max_num_orders_counts_pending_legs(book: Book) -> None:
    from crbot.exchange.bundled import load_bundled_rules

    r = Rig(book("p"), rules=with_max_orders(load_bundled_rules(), BTC, 4))
    r.engine.new_order_list(entry_bracket(lid="a"))  # 3 open
    with pytest.raises(FilterError) as err:
        r.engine.new_order_list(entry_bracket(lid="b"))  # 3 + 3 > 4
    assert err.value.filter_type == "MAX_NUM_ORDERS"
    r.engine.new_order(spec("one", Side.BUY, "0.001", "40000"))  # 3 + 1 = 4
    with pytest.raises(FilterError):
        r.engine.new_order(spec("two", Side.BUY, "0.001", "40000"))


def test_a_limit_maker_entry_that_would_take_is_refused(rig: Rig) -> None:
    lst = bracket(
        "m",
        spec("m-in", Side.BUY, "0.001", "50100", type=tp("", Side.BUY, "1", "1").type),
        tp("m-tp", Side.SELL, "0.00099", "52000"),
    )
    with pytest.raises(ExchangeRejected) as err:
        rig.engine.new_order_list(lst)
    assert err.value.message == "Order would immediately match and take."
    assert rig.engine.all_orders(BTC) == []
