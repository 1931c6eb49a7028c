"""A MARKET entry's exits in the journal, and CRBOT's own fills (what flatten may sell).

Exits are journaled with their entry as PLANNED (``parent_client_id`` = the entry) and become INTENT when the
entry has filled and they are about to be sent (``activate_planned``); those of an entry that never filled are
dropped (CANCELED). ``entries_with_failed_exits`` finds filled entries whose exits the exchange refused.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select, update

from crbot.clock import Clock
from crbot.domain import Fill, OrderStatus
from crbot.journal.database import Database
from crbot.journal.models import FillRow, OrderRow
from crbot.journal.orders import to_order
from crbot.journal.records import JournalOrder

logger = logging.getLogger(__name__)

IMPORTED_SOURCES = ("exchange", "ack")  # rows CRBOT learnt of from the exchange, not orders it placed
_GAVE_UP = (OrderStatus.REJECTED.value, OrderStatus.CANCELED.value, OrderStatus.EXPIRED.value)


class ExitJournal:
    _db: Database
    _clock: Clock

    def activate_planned(self, parent_client_id: str, quantity: Decimal) -> list[JournalOrder]:
        """The entry filled: its PLANNED exits become INTENT, sized to what was really bought."""
        with self._db.write() as session:
            query = select(OrderRow).where(
                OrderRow.parent_client_id == parent_client_id, OrderRow.status == OrderStatus.PLANNED.value
            )
            rows = list(session.scalars(query.order_by(OrderRow.client_order_id)))
            for row in rows:
                row.status, row.quantity, row.updated_at = OrderStatus.INTENT.value, quantity, self._clock.now()
            return [to_order(row) for row in rows]

    def exits_of(self, parent_client_id: str) -> list[JournalOrder]:
        """The exits journaled with this entry (any status), by client order id."""
        query = select(OrderRow).where(OrderRow.parent_client_id == parent_client_id)
        with self._db.read() as session:
            return [to_order(row) for row in session.scalars(query.order_by(OrderRow.client_order_id))]

    def entries_with_planned_exits(self) -> list[JournalOrder]:
        """Entries that still have PLANNED exits (sent once the entry fills; cancelled if it never does)."""
        parents = select(OrderRow.parent_client_id).where(OrderRow.status == OrderStatus.PLANNED.value)
        query = select(OrderRow).where(OrderRow.client_order_id.in_(parents)).order_by(OrderRow.created_at)
        with self._db.read() as session:
            return [to_order(row) for row in session.scalars(query)]

    def own_fills(self) -> list[Fill]:
        """Fills of orders CRBOT itself placed (not imported from the exchange), oldest first: CRBOT's positions."""
        query = (
            select(FillRow)
            .join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
            .where(OrderRow.source.not_in(IMPORTED_SOURCES))
            .order_by(FillRow.time, FillRow.trade_id)
        )
        with self._db.read() as session:
            return [Fill.from_record(row) for row in session.scalars(query)]

    def entries_with_failed_exits(self) -> list[tuple[JournalOrder, list[JournalOrder]]]:
        """Filled entries whose exits were refused: none working, filled or still to be sent, one REJECTED."""
        rejected = select(OrderRow.parent_client_id).where(
            OrderRow.parent_client_id.is_not(None), OrderRow.status == OrderStatus.REJECTED.value
        )
        found = []
        with self._db.read() as session:
            entries = session.scalars(select(OrderRow).where(OrderRow.client_order_id.in_(rejected)))
            for entry in entries:
                exits = list(
                    session.scalars(select(OrderRow).where(OrderRow.parent_client_id == entry.client_order_id))
                )
                if entry.executed_qty > 0 and all(row.status in _GAVE_UP for row in exits):
                    found.append((to_order(entry), [to_order(row) for row in exits]))
        return found

    def drop_planned(self, parent_client_id: str, *, reason: str) -> None:
        """PLANNED exits that will never be sent (the entry did not fill, or the position is gone)."""
        with self._db.write() as session:
            session.execute(
                update(OrderRow)
                .where(OrderRow.parent_client_id == parent_client_id, OrderRow.status == OrderStatus.PLANNED.value)
                .values(status=OrderStatus.CANCELED.value, reason=reason, updated_at=self._clock.now())
            )
        logger.info("planned exits of %s dropped: %s", parent_client_id, reason)
