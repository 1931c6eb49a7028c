"""Equity snapshots: the curve behind drawdown and the daily-loss limit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crbot.clock import Clock
from crbot.journal import statements
from crbot.journal.database import Database
from crbot.journal.frames import as_double, fetch, to_frame
from crbot.journal.models import EquityRow

if TYPE_CHECKING:  # pandas loads only when a frame is asked for (a CLI call never pays for it)
    import pandas as pd

_EQUITY_SQL = f"SELECT time, {as_double('equity')} FROM equity_snapshots ORDER BY time, id"


class EquityJournal:
    _db: Database
    _clock: Clock

    def snapshot_equity(self, equity: Decimal, *, at: datetime | None = None) -> None:
        """Record the account's value in the quote asset, at ``at`` (default: now)."""
        with self._db.write() as session:
            session.add(EquityRow(time=at or self._clock.now(), equity=equity))

    def equity_frame(self) -> pd.DataFrame:
        """time (datetime64[ns, UTC]), equity (float64), oldest first."""
        with self._db.connect() as conn:
            rows = fetch(conn, _EQUITY_SQL)
        return to_frame(rows, ("time", "equity"), times=("time",), floats=("equity",))

    def day_start_equity(self, day: date) -> Decimal | None:
        """The first snapshot taken on that UTC day, None if there is none."""
        with self._db.read() as session:
            return read_day_start(session, day)


def read_day_start(session: Session | Connection, day: date) -> Decimal | None:
    return session.scalar(statements.DAY_START, statements.day_bounds(day))
