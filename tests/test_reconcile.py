"""Reconciliation shows every difference between journal and exchange, then fixes the journal."""

from decimal import Decimal as D

from crbot.domain import OrderRequest, OrderSpec, OrderStatus, OrderType, Side
from crbot.reconcile import Action

ACTOR = "tester"


def spec(cid, price="49000"):
    return OrderSpec(
        client_order_id=cid, symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=D("0.001"), price=D(price)
    )


def test_differences_are_listed_then_fixed(service, feed, clock):
    # 2. an intent journaled by a process that died before sending
    service.journal.record_intent(
        [spec("crb-never-sent")],
        list_client_id=None,
        source="ticket",
        mode="paper",
        expected_price=D("50000"),
        actor=ACTOR,
    )
    # 3. an order that filled while nobody synced
    placed = service.place(
        OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=D("0.001"), price=D("49500")), actor=ACTOR
    )
    # 1. an order placed outside CRBOT (e.g. on the exchange's website)
    service.broker.submit(spec("outside-1"))
    feed.move("BTCUSDT", "49400", clock.advance(10))
    service.broker.open_orders()  # the exchange matches; the journal has not heard yet

    dry = service.reconcile(apply=False)
    actions = {(d.client_order_id, d.action) for d in dry.differences}
    assert ("outside-1", Action.IMPORT) in actions
    assert ("crb-never-sent", Action.MARK_REJECTED) in actions
    assert (placed.client_order_id, Action.UPDATE) in actions
    assert ("*", Action.RECORD_FILLS) in actions
    assert service.journal.get_order("outside-1") is None  # a dry run changes nothing

    service.reconcile(apply=True)
    assert service.journal.get_order("outside-1").status is OrderStatus.NEW
    assert service.journal.get_order("crb-never-sent").status is OrderStatus.REJECTED
    assert service.journal.get_order(placed.client_order_id).status is OrderStatus.FILLED
    assert len(service.journal.fills(symbol="BTCUSDT")) == 1
    assert service.reconcile().clean  # nothing left to fix
