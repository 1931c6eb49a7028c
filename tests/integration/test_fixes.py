"""Regression tests for the bugs the fault batches found in the service layer (paper mode, no HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D

from crbot.domain import OrderRequest, OrderSpec, OrderStatus, OrderType, Side, TradingState
from crbot.errors import ConnectivityError

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


def broken(what: str) -> Callable[..., None]:
    """A broker method that fails the way a flaky network does."""

    def fail(*args: object, **kwargs: object) -> None:
        raise ConnectivityError(f"{what} failed: the exchange did not answer", hint="temporary: retry in a moment")

    return fail


def test_an_order_that_was_placed_is_never_reported_as_failed(service, monkeypatch) -> None:
    """The MARKET order is acknowledged FILLED, then the trades query fails: the trader must hear "sent" (an
    error saying "retry" would invite a second, duplicate order); the fill is picked up later."""
    monkeypatch.setattr(service.broker, "trades", broken("the trades query"))
    result = service.place(
        OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity="0.001"), actor=ACTOR
    )
    assert result.message == "sent"
    assert [o.status for o in result.orders] == [OrderStatus.FILLED]
    monkeypatch.undo()
    service.reconcile()
    assert len(service.journal.fills(symbol="BTCUSDT")) == 1


def test_a_cancel_that_happened_is_reported_even_if_the_refresh_fails(service, monkeypatch) -> None:
    placed = service.place(OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity="0.001", price="49000"), actor=ACTOR)
    monkeypatch.setattr(service.broker, "trades", broken("the trades query"))
    view = service.cancel("BTCUSDT", placed.client_order_id, actor=ACTOR)
    assert view.status is OrderStatus.CANCELED
    assert service.broker.open_orders() == []


def test_stop_returns_its_report_even_if_the_refresh_after_it_fails(service, monkeypatch) -> None:
    service.place(OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity="0.001", price="49000"), actor=ACTOR)
    monkeypatch.setattr(service.broker, "trades", broken("the trades query"))
    report = service.stop(reason="test", actor=ACTOR)
    assert report.ok and len(report.canceled) == 1
    assert service.trading_state().state is TradingState.HALTED


def test_market_bracket_is_protected_from_the_ack_when_the_order_query_fails(service, monkeypatch) -> None:
    """The MARKET entry filled; the follow-up order query fails. The ack already says what was bought, so the
    stop-loss and take-profit go out anyway: never an unprotected position behind an error that says "retry"."""
    monkeypatch.setattr(service.broker, "get_order", broken("the order query"))
    request = OrderRequest(
        symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity="0.001", stop_loss="48000", take_profit="52000"
    )
    result = service.place(request, actor=ACTOR)
    assert result.message == "sent"
    monkeypatch.undo()
    exits = {o.type for o in service.broker.open_orders("BTCUSDT")}
    assert exits == {OrderType.STOP_LOSS_LIMIT, OrderType.LIMIT_MAKER}
