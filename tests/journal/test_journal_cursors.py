"""Where the journal's fill history ends: the trade id from which the exchange is asked for what it lacks."""

from __future__ import annotations

from datetime import timedelta

from crbot.domain import OrderStatus
from crbot.journal import Journal
from crbot.journal.fills import CLOCK_MARGIN
from tests.journal.conftest import START, fill, spec, view

DAY = timedelta(days=1)


def placed(journal: Journal, cid: str, order_id: int, *, symbol: str = "BTCUSDT") -> None:
    journal.record_intent(
        [spec(cid, symbol=symbol)], list_client_id=None, source="ticket", mode="paper", expected_price=None, actor="t"
    )
    journal.record_ack(view(cid, order_id=order_id, symbol=symbol))


def filled(journal: Journal, cid: str, order_id: int, executed: str, *, symbol: str = "BTCUSDT") -> None:
    status = OrderStatus.FILLED if executed == "0.00100000" else OrderStatus.PARTIALLY_FILLED
    journal.apply_exchange_view([view(cid, order_id=order_id, symbol=symbol, status=status, executed=executed)])


def test_every_symbol_with_orders_or_fills_has_a_cursor(journal: Journal) -> None:
    assert journal.fill_cursors() == {}
    placed(journal, "a", 1)  # an order, no fill yet: the whole history
    journal.record_fills([fill(7, order_id=99, symbol="ETHUSDT")])  # a fill of an order not journaled
    assert journal.fill_cursors() == {"BTCUSDT": 0, "ETHUSDT": 8}


def test_the_cursor_is_one_past_the_newest_trade_when_nothing_lacks(journal: Journal, clock) -> None:
    placed(journal, "a", 1)
    clock.advance(10 * DAY.total_seconds())
    placed(journal, "b", 2)
    filled(journal, "a", 1, "0.00100000")
    filled(journal, "b", 2, "0.00100000")
    journal.record_fills([fill(40, order_id=1), fill(41, order_id=2, at=START + 10 * DAY)])
    assert journal.fill_cursors() == {"BTCUSDT": 42}


def test_an_order_lacking_fills_moves_the_cursor_back_before_it_was_placed(journal: Journal, clock) -> None:
    journal.record_fills([fill(10, order_id=500, at=START - 3 * DAY)])  # long before
    clock.advance(DAY.total_seconds())
    placed(journal, "a", 1)  # placed on day 1 ...
    clock.advance(9 * DAY.total_seconds())
    placed(journal, "b", 2)
    filled(journal, "a", 1, "0.00100000")  # ... FILLED, its fill never journaled
    filled(journal, "b", 2, "0.00100000")
    journal.record_fills([fill(30, order_id=2, at=START + 10 * DAY)])  # b's fill, carried by its ack
    assert journal.fill_cursors() == {"BTCUSDT": 11}  # after the last fill journaled before a was placed

    journal.record_fills([fill(20, order_id=1, at=START + 2 * DAY)])
    assert journal.fill_cursors() == {"BTCUSDT": 31}


def test_partly_journaled_fills_count_as_lacking_and_exact_sums_do_not(journal: Journal) -> None:
    placed(journal, "a", 1)
    journal.record_fills([fill(5, order_id=1, qty="0.00030000", at=START - 2 * CLOCK_MARGIN)])
    filled(journal, "a", 1, "0.00100000")
    journal.record_fills([fill(6, order_id=1, qty="0.0004", at=START + DAY)])
    assert journal.fill_cursors() == {"BTCUSDT": 6}  # 0.0007 of 0.001: fill 5 predates a (clock margin)
    journal.record_fills([fill(7, order_id=1, qty="0.00030000000", at=START + DAY)])
    assert journal.fill_cursors() == {"BTCUSDT": 8}  # 0.0003 + 0.0004 + 0.0003 == 0.001 exactly


def test_trade_id_before_allows_for_the_clock_margin(journal: Journal) -> None:
    journal.record_fills([fill(3, at=START), fill(4, at=START + CLOCK_MARGIN), fill(9, at=START + 3 * CLOCK_MARGIN)])
    assert journal.trade_id_before("BTCUSDT", START) == 0
    assert journal.trade_id_before("BTCUSDT", START + 2 * CLOCK_MARGIN + timedelta(seconds=1)) == 5
    assert journal.trade_id_before("ETHUSDT", START + DAY) == 0


def test_known_trades_and_orders(journal: Journal) -> None:
    placed(journal, "a", 1)
    journal.record_fills([fill(3, order_id=1), fill(4, order_id=77)])
    assert journal.known_trade_ids("BTCUSDT", [2, 3, 4, 5]) == {3, 4}
    assert journal.known_trade_ids("ETHUSDT", [3]) == set()
    assert journal.journaled_order_ids("BTCUSDT", [1, 77]) == {1}
