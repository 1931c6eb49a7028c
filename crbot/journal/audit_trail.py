"""The audit trail read for the Audit page and ``crbot audit``: audit events and order placements by time.

Audit rows are append-only (database triggers refuse UPDATE and DELETE, see ``database.py``). An order's
placement is read from the orders table itself (who, when, what, from which source): the order path does
not pay a second durable write for an audit line that would only repeat the intent row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crbot.journal.database import Database
from crbot.journal.models import AuditRow, OrderRow


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailRow:
    time: datetime
    actor: str
    action: str
    detail: str
    reason: str


class AuditTrailJournal:
    _db: Database

    def audit_trail_rows(
        self, *, since: datetime | None = None, until: datetime | None = None, limit: int = 5000
    ) -> list[TrailRow]:
        """Audit events and order placements between ``since`` and ``until`` (inclusive), newest first."""
        a, o = AuditRow, OrderRow
        events = select(a.time, a.actor, a.action, a.detail, a.reason)
        orders = select(
            o.created_at, o.actor, o.client_order_id, o.symbol, o.side, o.type, o.quantity, o.price, o.stop_price,
            o.status, o.source, o.mode, o.parent_client_id,
        )  # fmt: skip
        if since is not None:
            events, orders = events.where(a.time >= since), orders.where(o.created_at >= since)
        if until is not None:
            events, orders = events.where(a.time <= until), orders.where(o.created_at <= until)
        events = events.order_by(a.time.desc(), a.id.desc()).limit(limit)
        orders = orders.order_by(o.created_at.desc()).limit(limit)
        with self._db.read() as session:
            rows = [
                TrailRow(time=r[0], actor=r[1], action=r[2], detail=r[3], reason=r[4]) for r in session.execute(events)
            ]
            for r in session.execute(orders):
                price = f" @ {r.price}" if r.price is not None else ""
                stop = f" stop {r.stop_price}" if r.stop_price is not None else ""
                exit_of = f" (exit of {r.parent_client_id})" if r.parent_client_id else ""
                rows.append(
                    TrailRow(
                        time=r.created_at,
                        actor=r.actor or f"({r.source})",
                        action="order_place",
                        detail=f"{r.mode} {r.symbol} {r.side} {r.type} {r.quantity}{price}{stop} {r.client_order_id}"
                        f"{exit_of}: -> {r.status}",
                        reason=f"source={r.source}",
                    )
                )
        rows.sort(key=lambda r: r.time, reverse=True)
        return rows[:limit]

    def latest_audit(self, actions: tuple[str, ...]) -> TrailRow | None:
        """The newest audit event among ``actions`` (go-live evidence: the last drill, lock, override, STOP)."""
        a = AuditRow
        query = (
            select(a.time, a.actor, a.action, a.detail, a.reason)
            .where(a.action.in_(actions))
            .order_by(a.time.desc(), a.id.desc())
            .limit(1)
        )
        with self._db.read() as session:
            r = session.execute(query).first()
        return None if r is None else TrailRow(time=r[0], actor=r[1], action=r[2], detail=r[3], reason=r[4])
