"""History has no horizon (issue 7, point 4): an account left alone for 10 days had 4 fills on the exchange and
none in the journal, while reconcile said "clean". Paper mode here (the same runtime the dashboard and CLI
build); tests/integration/test_history_horizon.py runs the same story through the real python-binance Client.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

from crbot.clock import ManualClock
from crbot.domain import OrderRequest, OrderSpec, OrderStatus, OrderType, Side
from crbot.market.feed import ManualFeed
from crbot.metrics import round_trips
from crbot.reconcile import Action
from crbot.service import TradingService

ACTOR = "tester"
BTC, ETH = "BTCUSDT", "ETHUSDT"


def leave_two_brackets_alone_for_ten_days(service: TradingService, feed: ManualFeed, clock: ManualClock) -> None:
    """Two brackets (entry, take-profit, stop-loss); in the first three days each entry and then its take-profit
    fill on the exchange: 4 fills, 2 round trips. Nobody looks until day 10."""
    for symbol, entry, stop, take in ((BTC, "49000", "48000", "51000"), (ETH, "2940", "2880", "3060")):
        qty = "0.01" if symbol == BTC else "0.1"
        req = OrderRequest(symbol=symbol, side=Side.BUY, quantity=qty, price=entry, stop_loss=stop, take_profit=take)
        service.place(req, actor=ACTOR)
    start = clock.now()
    for days, symbol, price in ((1, BTC, "48990"), (1.5, ETH, "2930"), (2, BTC, "51010"), (2.5, ETH, "3070")):
        feed.move(symbol, price, start + timedelta(days=days))
    clock.set(start + timedelta(days=10))


def assert_all_four_journaled(service: TradingService) -> None:
    fills = service.journal.fills()
    assert len(fills) == 4 and {f.symbol for f in fills} == {BTC, ETH}
    assert len(round_trips(service.journal.fills_frame())) == 2
    assert (service.journal.fills_frame()["client_order_id"] != "").all()  # each linked to its order
    assert service.reconcile().clean


def test_ten_days_alone_reconcile_lists_then_journals_every_fill(service, feed, clock) -> None:
    leave_two_brackets_alone_for_ten_days(service, feed, clock)

    dry = service.reconcile(apply=False)
    assert not dry.clean
    records = {d.symbol: d.exchange for d in dry.differences if d.action is Action.RECORD_FILLS}
    assert records == {BTC: "2 new fills", ETH: "2 new fills"}
    assert (
        sum(d.action is Action.UPDATE for d in dry.differences) == 6
    )  # entries and take-profits filled, stops expired
    assert service.journal.fills() == []  # a dry run changes nothing

    applied = service.reconcile()
    assert not applied.clean and applied.applied
    assert_all_four_journaled(service)
    assert {o.status for o in service.journal.orders()} <= {OrderStatus.FILLED, OrderStatus.EXPIRED}


def test_ten_days_alone_sync_journals_every_fill(service, feed, clock) -> None:
    leave_two_brackets_alone_for_ten_days(service, feed, clock)
    service.sync()
    assert_all_four_journaled(service)


def test_a_fill_older_than_a_journaled_one_is_still_found(service, feed, clock) -> None:
    """Order A fills while nobody looks; a later MARKET order's fill is journaled from its acknowledgement. The
    journal's newest trade id is past A's fill: reconcile must reach back before A was placed."""
    resting = service.place(OrderRequest(symbol=BTC, side=Side.BUY, quantity="0.001", price="49500"), actor=ACTOR)
    feed.move(BTC, "49400", clock.advance(8 * 86400))
    later = OrderSpec(
        client_order_id="crb-later", symbol=BTC, side=Side.BUY, type=OrderType.MARKET, quantity=D("0.001")
    )
    service.journal.record_intent(
        [later], list_client_id=None, source="ticket", mode="paper", expected_price=None, actor=ACTOR
    )
    view = service.broker.submit(later)
    service.journal.record_ack(view)
    (own,) = [f for f in service.broker.trades(BTC) if f.order_id == view.order_id]
    service.journal.record_fills([own])  # what the acknowledgement carried
    assert service.journal.fill_cursors()[BTC] == own.trade_id + 1

    report = service.reconcile()

    assert (resting.client_order_id, Action.UPDATE) in {(d.client_order_id, d.action) for d in report.differences}
    assert {f.order_id for f in service.journal.fills(symbol=BTC)} == {view.order_id, resting.orders[0].order_id}
    assert service.reconcile().clean


def test_orders_marked_filled_without_their_fills_are_repaired(service, feed, clock) -> None:
    """The damage the 7-day lookback left behind: orders FILLED in the journal, their fills never recorded,
    and a newer fill journaled. The journal itself shows what is lacking; reconcile fetches it."""
    first = service.place(OrderRequest(symbol=BTC, side=Side.BUY, quantity="0.001", price="49500"), actor=ACTOR)
    feed.move(BTC, "49400", clock.advance(86400))
    (filled,) = [v for v in service.broker.all_orders(BTC) if v.client_order_id == first.client_order_id]
    service.journal.apply_exchange_view([filled])  # marked FILLED, its fill not journaled
    clock.advance(9 * 86400)
    second = service.broker.submit(
        OrderSpec(client_order_id="crb-2", symbol=BTC, side=Side.BUY, type=OrderType.MARKET, quantity=D("0.001"))
    )
    service.journal.apply_exchange_view([second])
    newest = service.broker.trades(BTC)[-1]
    service.journal.record_fills([newest])
    assert newest.order_id == second.order_id and len(service.journal.fills()) == 1

    dry = service.reconcile(apply=False)
    assert [d.exchange for d in dry.differences if d.action is Action.RECORD_FILLS] == ["1 new fills"]
    service.reconcile()
    assert len(service.journal.fills(symbol=BTC)) == 2
    assert service.reconcile().clean


def test_a_closed_order_placed_outside_crbot_is_imported_with_its_fill(service, feed, clock) -> None:
    service.place(OrderRequest(symbol=BTC, side=Side.BUY, quantity="0.001", price="48000"), actor=ACTOR)
    clock.advance(30 * 86400)
    outside = OrderSpec(client_order_id="web-1", symbol=BTC, side=Side.BUY, type=OrderType.MARKET, quantity=D("0.001"))
    service.broker.submit(outside)  # e.g. on the exchange's website: filled at once, never open

    report = service.reconcile()

    assert ("web-1", Action.IMPORT) in {(d.client_order_id, d.action) for d in report.differences}
    imported = service.journal.get_order("web-1")
    assert imported is not None and imported.status is OrderStatus.FILLED
    (fill,) = service.journal.fills(symbol=BTC)
    assert service.journal.fills_frame().loc[0, "client_order_id"] == "web-1" and fill.quantity == D("0.001")
    assert service.reconcile().clean


def test_every_journal_symbol_is_checked_however_long_ago_it_traded(service, feed, clock) -> None:
    """No open order, nothing pending, last journal activity a year ago: a fill on that symbol since (made
    outside CRBOT) must still be found."""
    service.place(OrderRequest(symbol=ETH, side=Side.BUY, type="MARKET", quantity="0.01"), actor=ACTOR)
    assert len(service.journal.fills(symbol=ETH)) == 1 and service.reconcile().clean
    clock.advance(365 * 86400)
    service.broker.submit(
        OrderSpec(client_order_id="web-eth", symbol=ETH, side=Side.SELL, type=OrderType.MARKET, quantity=D("0.005"))
    )
    report = service.reconcile(apply=False)
    assert not report.clean
    assert {(d.client_order_id, d.action) for d in report.differences} == {
        ("*", Action.RECORD_FILLS),
        ("web-eth", Action.IMPORT),
    }
    service.reconcile()
    assert [f.side for f in service.journal.fills(symbol=ETH)] == [Side.BUY, Side.SELL]


def test_more_than_a_page_of_history_is_walked_by_id(service, feed, clock) -> None:
    """1,200 fills made outside CRBOT on a symbol the journal knows: the paper broker pages by trade and order
    id (1,000 a page) and every one is journaled, with its order."""
    service.place(OrderRequest(symbol=BTC, side=Side.BUY, quantity="0.001", price="48000"), actor=ACTOR)
    engine = service.broker.engine
    market = OrderSpec(client_order_id="x", symbol=BTC, side=Side.BUY, type=OrderType.MARKET, quantity=D("0.0001"))
    for i in range(1200):
        engine.new_order(replace(market, client_order_id=f"web-{i}"))
    clock.advance(10 * 86400)
    report = service.reconcile()
    assert sum(d.action is Action.IMPORT for d in report.differences) == 1200
    assert len(service.journal.fills(symbol=BTC)) == 1200
    assert service.reconcile().clean
