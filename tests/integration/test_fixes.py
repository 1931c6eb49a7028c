"""Regression tests for the bugs the fault batches found in the service layer (paper mode, no HTTP)."""

from __future__ import annotations

from decimal import Decimal as D

from crbot.domain import OrderSpec, OrderStatus, OrderType, Side

ACTOR = "faults"


def market_buy(cid: str, qty: str = "0.001") -> OrderSpec:
    return OrderSpec(client_order_id=cid, symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D(qty))


def test_reconcile_records_fills_of_a_symbol_with_nothing_open_or_pending(service) -> None:
    """The journal knows an order FILLED but never got its fill (the trades query failed after the ack), and
    nothing open or pending points at the symbol any more: reconcile must still look there and record it."""
    spec = market_buy("crb-filled-no-fill")
    service.journal.record_intent(
        [spec], list_client_id=None, source="ticket", mode="paper", expected_price=D("50000"), actor=ACTOR
    )
    service.journal.record_ack(service.broker.submit(spec))
    order = service.journal.get_order(spec.client_order_id)
    assert order.status is OrderStatus.FILLED and service.journal.fills(symbol="BTCUSDT") == []

    report = service.reconcile()

    assert not report.clean  # the missing fill is listed ...
    [fill] = service.journal.fills(symbol="BTCUSDT")  # ... and recorded
    assert fill.order_id == order.order_id and fill.quantity == D("0.001")
    assert service.reconcile().clean
