"""The Journal facade: one object per process, safe to share between threads and Streamlit sessions."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from crbot.clock import Clock
from crbot.journal import statements
from crbot.journal.audit_trail import AuditTrailJournal
from crbot.journal.control import ControlJournal, state_record
from crbot.journal.database import Database
from crbot.journal.equity import EquityJournal
from crbot.journal.exits import ExitJournal
from crbot.journal.fill_frames import FillFrameCache
from crbot.journal.fills import FillJournal
from crbot.journal.models import EquityRow, FillRow
from crbot.journal.orders import OrderJournal, to_order
from crbot.journal.records import PretradeFacts

logger = logging.getLogger(__name__)


class Journal(OrderJournal, ExitJournal, FillJournal, ControlJournal, EquityJournal, AuditTrailJournal):
    """CRBOT's own record of orders, fills, trading state, audit events, risk limits and equity.

    Each concept lives in its own mixin (orders.py, exits.py, fills.py, control.py, equity.py); they share the
    Database (engine + sessions) and the injected clock. The schema is created on open.
    """

    def __init__(self, url: str, clock: Clock) -> None:
        self._clock = clock
        self._db = Database(url, clock)
        path = self._db.url_path
        self._fill_frames = FillFrameCache(path.with_name(path.name + ".fills.arrow") if path else None)
        logger.info("journal open at %s", self._db.safe_url)

    @property
    def created(self) -> bool:
        """True when opening this journal created its schema: a brand-new, empty journal."""
        return self._db.created

    @property
    def url(self) -> str:
        return self._db.safe_url  # password hidden: safe to show

    def pretrade_facts(
        self,
        now: datetime,
        *,
        orders_since: datetime,
        open_other_than: str | None = None,
        client_order_id: str | None = None,
    ) -> PretradeFacts:
        """State, limits, the day's first equity, the order count since ``orders_since``, (with
        ``open_other_than``) the open orders of every other symbol and (with ``client_order_id``) whether that
        id is journaled already, read together: one transaction on a plain connection on the order path."""
        one = {**statements.day_bounds(now.date()), "since": orders_since, "cid": client_order_id or ""}
        with self._db.read_core() as conn:
            row = conn.execute(statements.PRETRADE, one).one()
            limits = {key: value for key, value in conn.execute(statements.LIMITS)}
            elsewhere = conn.execute(statements.OPEN_ELSEWHERE, {"symbol": open_other_than}) if open_other_than else ()
            return PretradeFacts(
                state=state_record(row.state, row.since, row.actor, row.reason),
                limits=limits,
                day_start_equity=row.day_start_equity,
                orders_since=row.orders_since,
                open_elsewhere=tuple(to_order(r) for r in elsewhere),
                known=client_order_id is not None and bool(row.known),
            )

    def data_version(self) -> tuple[int, int]:
        """(newest fill revision, newest equity point): changes whenever what the metrics read changes. Two
        indexed MAX queries: cheap enough to poll every few seconds."""
        with self._db.read() as session:
            fills = session.scalar(select(func.max(FillRow.revision))) or 0
            equity = session.scalar(select(func.max(EquityRow.id))) or 0
        return int(fills), int(equity)

    def backup(self, path: str | Path) -> Path:
        """Online backup of a SQLite journal to ``path`` (consistent even while others write)."""
        return self._db.backup(path)

    def close(self) -> None:
        """Release pooled connections (the file stays; open a new Journal to use it again)."""
        self._db.dispose()
