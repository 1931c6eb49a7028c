"""The fills frame, loaded once and then refreshed incrementally.

A fill row never changes after insert except for its client order id (linked once when the ack arrives
after the fill), and every insert or link stamps the row with a new ``revision``. The write lock (SQLite's
BEGIN IMMEDIATE, PostgreSQL's advisory lock: writers take turns) orders revisions exactly as they commit, so
"rows with a revision above the last one seen" is the whole change since the last load, whichever process
wrote it. A row count taken in the same read transaction guards against anything else (a restored file):
on mismatch the frame is reloaded in full. Other backends always load in full.

On SQLite the frame is also kept on disk beside the journal (Arrow IPC, ``<journal>.fills.arrow``), so a
new process starts from it and reads only the rows written since: the first Performance page after a
restart does not pay for parsing every fill again. The snapshot is only a cache: its revision is its
highest row revision, the same count check guards it, and anything unreadable is ignored.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

if TYPE_CHECKING:
    import pandas as pd

from crbot.journal.database import Database
from crbot.journal.frames import as_double, fetch, to_frame

logger = logging.getLogger(__name__)

FILL_COLUMNS = (
    "time",
    "symbol",
    "side",
    "price",
    "qty",
    "quote_qty",
    "commission",
    "commission_asset",
    "commission_quote",
    "is_maker",
    "trade_id",
    "order_id",
    "client_order_id",
    "expected_price",
)
_ROW_COLUMNS = ("id", "revision", *FILL_COLUMNS)
_SELECT = f"""
SELECT f.id, f.revision, f.time, f.symbol, f.side, {as_double("f.price")}, {as_double("f.quantity")},
       {as_double("f.quote_qty")}, {as_double("f.commission")}, f.commission_asset, {as_double("f.commission_quote")},
       f.is_maker, f.trade_id, f.order_id, COALESCE(f.client_order_id, ''), {as_double("o.expected_price")}
FROM fills f LEFT JOIN orders o ON o.client_order_id = f.client_order_id
"""
_ALL = _SELECT + "ORDER BY f.id"
_SINCE = _SELECT + "WHERE f.revision > ? ORDER BY f.id"  # qmark: SQLite's; PostgreSQL's %s via _driver_sql
_HEAD = "SELECT COUNT(*), COALESCE(MAX(revision), 0) FROM fills"
_ROW_CHECK = "SELECT revision, trade_id, symbol FROM fills WHERE id = ?"


class FillFrameCache:
    """Thread-safe; one per Journal. Returns frames the caller may modify (copy-on-write)."""

    SNAPSHOT_EVERY = 10_000  # rows added since the last snapshot before it is rewritten

    def __init__(self, snapshot: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._frame: pd.DataFrame | None = None  # with id and revision columns, ordered by (time, id)
        self._revision = 0
        self._snapshot = snapshot
        self._snapshot_rows = 0

    def load(self, db: Database) -> pd.DataFrame:
        with self._lock:
            if db.engine.dialect.name not in ("sqlite", "postgresql"):
                with db.connect() as conn:
                    return _public(_ordered(_to_frame(fetch(conn, _ALL))))
            with db.connect() as conn:
                if conn.dialect.name == "postgresql":  # READ COMMITTED would give each statement its own snapshot
                    conn.execution_options(isolation_level="REPEATABLE READ")
                self._load_in(conn)
            if len(self._frame) - self._snapshot_rows >= self.SNAPSHOT_EVERY:
                self._write_snapshot(self._frame)
            return _public(self._frame)

    def _load_in(self, conn: Connection) -> None:
        with conn.begin():  # one snapshot for the count and the rows
            if self._frame is None:
                self._frame = self._matching(conn, self._read_snapshot())
            self._frame = self._refresh(conn, self._frame)

    def _matching(self, conn: Connection, frame: pd.DataFrame | None) -> pd.DataFrame | None:
        """The snapshot only if its newest row is in this journal as it was (not a file left by another one)."""
        if frame is None or not len(frame):
            return None
        last = frame.loc[frame["id"].idxmax()]
        found = fetch(conn, _driver_sql(conn, _ROW_CHECK), (int(last["id"]),))
        if found and tuple(found[0]) == (int(last["revision"]), int(last["trade_id"]), last["symbol"]):
            return frame
        logger.warning("the fills snapshot %s belongs to another journal: reloading", self._snapshot)
        self._revision = 0
        return None

    def _read_snapshot(self) -> pd.DataFrame | None:
        if self._snapshot is None or not self._snapshot.exists():
            return None
        import pandas as pd

        try:
            frame = pd.read_feather(self._snapshot)
            if list(frame.columns) != list(_ROW_COLUMNS):
                raise ValueError(f"columns {list(frame.columns)}")
        except (OSError, ValueError, ImportError) as exc:  # a cache: never a reason to fail
            logger.warning("ignoring the fills snapshot %s: %s", self._snapshot, exc)
            return None
        self._revision = int(frame["revision"].max()) if len(frame) else 0
        self._snapshot_rows = len(frame)
        return frame

    def _write_snapshot(self, frame: pd.DataFrame) -> None:
        if self._snapshot is None:
            return
        partial = self._snapshot.with_name(f"{self._snapshot.name}.{os.getpid()}.tmp")
        try:
            frame.to_feather(partial)
            partial.chmod(0o600)  # the trader's fills: the owner's only, like the journal itself
            os.replace(partial, self._snapshot)  # atomic: another process reads the old or the new file
            self._snapshot_rows = len(frame)
        except (OSError, ValueError, ImportError) as exc:
            logger.warning("could not write the fills snapshot %s: %s", self._snapshot, exc)
            partial.unlink(missing_ok=True)

    def _refresh(self, conn: Connection, cached: pd.DataFrame | None) -> pd.DataFrame:
        count, revision = fetch(conn, _HEAD)[0]
        if cached is not None and revision == self._revision and count == len(cached):
            return cached
        if cached is not None and revision > self._revision:
            merged = _merge(cached, _to_frame(fetch(conn, _driver_sql(conn, _SINCE), (self._revision,))))
            if len(merged) == count:
                self._revision = revision
                return merged
            logger.warning("fills frame out of step (%d rows cached, %d in the journal): reloading", len(merged), count)
        self._revision = revision
        return _ordered(_to_frame(fetch(conn, _ALL)))


def _driver_sql(conn: Connection, sql: str) -> str:
    """``sql`` in the driver's parameter style (psycopg takes %s where sqlite3 takes ?)."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def _to_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return to_frame(
        rows,
        _ROW_COLUMNS,
        times=("time",),
        floats=("price", "qty", "quote_qty", "commission", "commission_quote", "expected_price"),
        ints=("id", "revision", "trade_id", "order_id"),
        bools=("is_maker",),
        strs=("symbol", "side", "commission_asset", "client_order_id"),
    )


def _merge(cached: pd.DataFrame, changed: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    if changed.empty:
        return cached
    relinked = cached["id"].isin(changed["id"])
    if relinked.any():
        return _ordered(pd.concat([cached[~relinked], changed], ignore_index=True), force=True)
    appended = pd.concat([cached, changed], ignore_index=True) if len(cached) else changed
    return _ordered(appended)


def _ordered(frame: pd.DataFrame, *, force: bool = False) -> pd.DataFrame:
    """Oldest first, ties in insertion order. Rows arrive by id, so a time-ordered frame is already right."""
    if force or not frame["time"].is_monotonic_increasing:
        return frame.sort_values(["time", "id"], kind="stable", ignore_index=True)
    return frame


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(FILL_COLUMNS)]  # a new frame: the caller cannot change the cached one
