"""Fills (trades): idempotent on (symbol, trade_id), linked to our orders, fees valued in the quote asset."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Double, Select, cast, column, func, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crbot.clock import Clock
from crbot.domain import ZERO, Fill
from crbot.journal import statements
from crbot.journal.database import Database
from crbot.journal.fill_frames import FILL_COLUMNS, FillFrameCache
from crbot.journal.models import FillRow, OrderRow
from crbot.journal.types import datetime_to_us, decimal_to_text

if TYPE_CHECKING:  # pandas loads only when a frame is asked for (a CLI call never pays for it)
    import pandas as pd

logger = logging.getLogger(__name__)

_CHUNK = 500
CLOCK_MARGIN = timedelta(hours=1)  # the journal's clock against the exchange's, when bounding an order's fills
_FILLS_TABLE = table("fills", *(column(c.name) for c in FillRow.__table__.columns if c.name != "id"))
__all__ = ["FILL_COLUMNS", "FillJournal", "commission_quote"]


def commission_quote(fill: Fill) -> Decimal | None:
    """The fee in the symbol's quote asset; None when paid in a third asset (e.g. BNB on BTCUSDT)."""
    if fill.commission == ZERO:
        return ZERO
    if fill.symbol.endswith(fill.commission_asset):
        return fill.commission
    if fill.symbol.startswith(fill.commission_asset):
        return fill.commission * fill.price
    return None


class FillJournal:
    _db: Database
    _clock: Clock
    _fill_frames: FillFrameCache

    def record_fills(self, fills: Sequence[Fill]) -> int:
        """Store new fills; ones already journaled (same symbol and trade id) are skipped. Returns how many were new."""
        if not fills:
            return 0
        with self._db.write_core() as conn:
            return insert_fills(conn, fills, raw=self._db.is_sqlite)

    def fills(self, *, symbol: str | None = None, since: datetime | None = None) -> list[Fill]:
        """Oldest first."""
        query = select(FillRow).order_by(FillRow.time, FillRow.id)
        if symbol is not None:
            query = query.where(FillRow.symbol == symbol)
        if since is not None:
            query = query.where(FillRow.time >= since)
        with self._db.read() as session:
            return [Fill.from_record(row) for row in session.scalars(query)]

    def order_fills(self, symbol: str, order_id: int) -> list[Fill]:
        """The fills of one exchange order, oldest first (indexed: cheap however many fills others journal)."""
        query = (
            select(FillRow)
            .where(FillRow.symbol == symbol, FillRow.order_id == order_id)
            .order_by(FillRow.time, FillRow.id)
        )
        with self._db.read() as session:
            return [Fill.from_record(row) for row in session.scalars(query)]

    def known_trade_ids(self, symbol: str, trade_ids: Sequence[int]) -> set[int]:
        """Which of these trades of ``symbol`` are journaled (one query per 500 ids)."""
        with self._db.read() as session:
            return {trade_id for _, trade_id in _known_trades(session, [(symbol, t) for t in trade_ids])}

    def journaled_order_ids(self, symbol: str, order_ids: Sequence[int]) -> set[int]:
        """Which of these exchange order ids of ``symbol`` belong to a journaled order."""
        with self._db.read() as session:
            return {order_id for _, order_id in _order_links(session, [(symbol, i) for i in order_ids])}

    def trade_id_before(self, symbol: str, when: datetime) -> int:
        """One past the newest trade journaled before ``when`` less ``CLOCK_MARGIN`` (0 when none): a cursor
        that reaches back before every fill of an order placed at ``when``."""
        with self._db.read() as session:
            return _trade_id_before(session, symbol, when)

    def fill_cursors(self) -> dict[str, int]:
        """The trade id from which to ask the exchange for fills this journal may lack, for every symbol it has
        orders or fills on, however long ago they traded.

        One past the newest journaled trade (0 when none: the whole history), or earlier when an order's
        executed quantity exceeds its journaled fills (say its fill was missed while a later order's fill,
        carried by that order's acknowledgement, was journaled): then ``trade_id_before`` the oldest such order.
        """
        with self._db.read() as session:
            newest = {
                s: t
                for s, t in session.execute(select(FillRow.symbol, func.max(FillRow.trade_id)).group_by(FillRow.symbol))
            }
            symbols = set(newest) | set(session.scalars(select(OrderRow.symbol).distinct()))
            cursors = {s: 0 if newest.get(s) is None else newest[s] + 1 for s in symbols}
            for symbol, placed in session.execute(_lacking_fills()):
                if cursors[symbol]:  # cursor 0 already reaches back to the beginning
                    cursors[symbol] = min(cursors[symbol], _trade_id_before(session, symbol, placed))
        return cursors

    def symbols_lacking_fills(self) -> set[str]:
        """Symbols with an order that executed more than the fills journaled for it (answered by a lookup)."""
        with self._db.read() as session:
            return {symbol for symbol, _ in session.execute(_lacking_fills())}

    def fills_frame(self) -> pd.DataFrame:
        """One row per fill, oldest first, columns and dtypes as in docs/ARCHITECTURE.md (cached, incremental)."""
        return self._fill_frames.load(self._db)


def insert_fills(conn: Session | Connection, fills: Sequence[Fill], *, raw: bool) -> int:
    """Insert the fills not journaled yet, in the caller's write transaction (its write lock means nobody can
    insert the same trade between the lookup and the insert). ``raw`` (SQLite): values converted here once, the
    untyped table skips per-row type processing; elsewhere (NUMERIC, timestamptz) the typed table binds them."""
    unique: dict[tuple[str, int], Fill] = {}
    for fill in fills:
        unique.setdefault((fill.symbol, fill.trade_id), fill)
    known = _known_trades(conn, list(unique))
    new = [fill for key, fill in unique.items() if key not in known]
    if new:
        links = _order_links(conn, [(f.symbol, f.order_id) for f in new])
        revision = next_revision(conn)
        conn.execute(
            (_FILLS_TABLE if raw else FillRow.__table__).insert(),
            [_fill_values(f, links.get((f.symbol, f.order_id)), revision, raw=raw) for f in new],
        )
        logger.info("journaled %d new fill(s) (%d already known)", len(new), len(unique) - len(new))
    return len(new)


def _trade_id_before(session: Session, symbol: str, when: datetime) -> int:
    newest = session.scalar(
        select(func.max(FillRow.trade_id)).where(FillRow.symbol == symbol, FillRow.time < when - CLOCK_MARGIN)
    )
    return 0 if newest is None else newest + 1


def _lacking_fills() -> Select[tuple[str, datetime]]:
    """Per symbol, when the oldest order whose executed quantity exceeds its journaled fills was placed.

    Compared as doubles in SQL (one pass, any dialect) with a relative margin far above float error and far
    below one lot step, so equal amounts never count as lacking and one missing fill always does."""
    o, f = OrderRow, FillRow
    executed = cast(o.executed_qty, Double)
    journaled = (
        select(func.coalesce(func.sum(cast(f.quantity, Double)), 0.0))
        .where(f.symbol == o.symbol, f.order_id == o.order_id)
        .scalar_subquery()
    )
    return (
        select(o.symbol, func.min(o.created_at))
        .where(o.order_id.is_not(None), executed > 0, journaled < executed * (1 - 1e-12))
        .group_by(o.symbol)
    )


def _known_trades(session: Session | Connection, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
    by_symbol: dict[str, list[int]] = defaultdict(list)
    for symbol, trade_id in keys:
        by_symbol[symbol].append(trade_id)
    known: set[tuple[str, int]] = set()
    for symbol, ids in by_symbol.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = {"symbol": symbol, "ids": ids[start : start + _CHUNK]}
            known.update((symbol, trade_id) for trade_id in session.scalars(statements.KNOWN_TRADES, chunk))
    return known


def _order_links(session: Session | Connection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """(symbol, exchange order id) -> our client order id, for the orders we have journaled."""
    by_symbol: dict[str, set[int]] = defaultdict(set)
    for symbol, order_id in keys:
        by_symbol[symbol].add(order_id)
    links: dict[tuple[str, int], str] = {}
    for symbol, id_set in by_symbol.items():
        ids = sorted(id_set)
        for start in range(0, len(ids), _CHUNK):
            rows = session.execute(statements.ORDER_LINKS, {"symbol": symbol, "ids": ids[start : start + _CHUNK]})
            links.update({(symbol, order_id): cid for order_id, cid in rows if order_id is not None})
    return links


def next_revision(session: Session | Connection) -> int:
    """The stamp for rows this transaction writes (the write lock makes it unique and ordered)."""
    return (session.scalar(statements.NEWEST_REVISION) or 0) + 1


def _fill_values(fill: Fill, client_order_id: str | None, revision: int, *, raw: bool) -> dict[str, Any]:
    """The row's values; ``raw``: already in SQLite's storage form (TEXT decimals, epoch microseconds)."""
    fee_quote = commission_quote(fill)
    money = decimal_to_text if raw else _checked
    return {
        "symbol": fill.symbol,
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "client_order_id": client_order_id,
        "side": fill.side.value,
        "price": money(fill.price),
        "quantity": money(fill.quantity),
        "quote_qty": money(fill.quote_qty),
        "commission": money(fill.commission),
        "commission_asset": fill.commission_asset,
        "commission_quote": None if fee_quote is None else money(fee_quote),
        "is_maker": bool(fill.is_maker),
        "time": datetime_to_us(fill.time) if raw else fill.time,
        "revision": revision,
    }


def _checked(value: Decimal) -> Decimal:
    decimal_to_text(value)  # the same refusals (NaN, infinity, float) as the SQLite path
    return value
