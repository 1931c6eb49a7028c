"""Journal facts for monitor tests, written through the journal's own API (orders, equity points)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import update

from crbot.domain import OrderSpec, OrderType, Side
from crbot.journal.models import OrderRow


def order(journal, cid: str, *, status: str = "FILLED", latency_ms: float | None = None) -> None:
    """An order journaled as CRBOT does (intent), then given an outcome."""
    spec = OrderSpec(
        client_order_id=cid,
        symbol="BTCUSDT",
        side=Side.BUY,
        type=OrderType.LIMIT,
        quantity=Decimal("0.001"),
        price=Decimal("50000"),
    )
    journal.record_intent(
        [spec], list_client_id=None, source="test", mode="paper", expected_price=Decimal("50000"), actor="t"
    )
    if status == "REJECTED":
        journal.record_reject(cid, reason="-2010 test reject")
        return
    with journal._db.write() as s:  # the ack's fields, as record_ack stores them
        s.execute(update(OrderRow).where(OrderRow.client_order_id == cid).values(status=status, latency_ms=latency_ms))


def day_start(clock) -> datetime:
    now = clock.now()
    return now.replace(hour=0, minute=0, second=1, microsecond=0)


def audit_reasons(journal, action: str = "trading_state") -> list[str]:
    return [e.reason for e in journal.audit_events() if e.action == action]
