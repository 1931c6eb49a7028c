"""Fills (trades): idempotent on (symbol, trade_id), linked to our orders, fees valued in the quote asset."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crbot.clock import Clock
from crbot.domain import ZERO, Fill, Side
from crbot.journal.database import Database
from crbot.journal.frames import as_float, as_int, as_str, as_utc, read_frame
from crbot.journal.models import FillRow, OrderRow

logger = logging.getLogger(__name__)

_CHUNK = 500

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
_FILLS_SQL = """
SELECT f.time, f.symbol, f.side, f.price, f.quantity, f.quote_qty, f.commission, f.commission_asset,
       f.commission_quote, f.is_maker, f.trade_id, f.order_id, f.client_order_id, o.expected_price
FROM fills f LEFT JOIN orders o ON o.client_order_id = f.client_order_id
ORDER BY f.time, f.symbol, f.trade_id
"""


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

    def record_fills(self, fills: Sequence[Fill]) -> int:
        """Store new fills; ones already journaled (same symbol and trade id) are skipped. Returns how many were new."""
        unique: dict[tuple[str, int], Fill] = {}
        for fill in fills:
            unique.setdefault((fill.symbol, fill.trade_id), fill)
        if not unique:
            return 0
        # the write transaction holds SQLite's write lock from its first statement, so nobody can insert
        # the same trade between the lookup and the insert
        with self._db.write() as session:
            known = _known_trades(session, list(unique))
            new = [fill for key, fill in unique.items() if key not in known]
            if new:
                links = _order_links(session, [(f.symbol, f.order_id) for f in new])
                session.execute(insert(FillRow), [_fill_values(f, links.get((f.symbol, f.order_id))) for f in new])
        if new:
            logger.info("journaled %d new fill(s) (%d already known)", len(new), len(unique) - len(new))
        return len(new)

    def fills(self, *, symbol: str | None = None, since: datetime | None = None) -> list[Fill]:
        """Oldest first."""
        query = select(FillRow).order_by(FillRow.time, FillRow.symbol, FillRow.trade_id)
        if symbol is not None:
            query = query.where(FillRow.symbol == symbol)
        if since is not None:
            query = query.where(FillRow.time >= since)
        with self._db.read() as session:
            return [_to_fill(row) for row in session.scalars(query)]

    def last_fill_time(self, symbol: str) -> datetime | None:
        with self._db.read() as session:
            return session.scalar(select(func.max(FillRow.time)).where(FillRow.symbol == symbol))

    def fills_frame(self) -> pd.DataFrame:
        """One row per fill, oldest first, columns and dtypes as in docs/CONTRACTS.md."""
        with self._db.connect() as conn:
            frame = read_frame(conn, _FILLS_SQL, {}, FILL_COLUMNS)
        frame["time"] = as_utc(frame["time"])
        for name in ("price", "qty", "quote_qty", "commission", "commission_quote", "expected_price"):
            frame[name] = as_float(frame[name])
        for name in ("symbol", "side", "commission_asset", "client_order_id"):
            frame[name] = as_str(frame[name])
        frame["is_maker"] = frame["is_maker"].astype(bool)
        for name in ("trade_id", "order_id"):
            frame[name] = as_int(frame[name])
        return frame


def _known_trades(session: Session, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
    by_symbol: dict[str, list[int]] = defaultdict(list)
    for symbol, trade_id in keys:
        by_symbol[symbol].append(trade_id)
    known: set[tuple[str, int]] = set()
    for symbol, ids in by_symbol.items():
        for start in range(0, len(ids), _CHUNK):
            query = select(FillRow.trade_id).where(
                FillRow.symbol == symbol, FillRow.trade_id.in_(ids[start : start + _CHUNK])
            )
            known.update((symbol, trade_id) for trade_id in session.scalars(query))
    return known


def _order_links(session: Session, keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """(symbol, exchange order id) -> our client order id, for the orders we have journaled."""
    by_symbol: dict[str, set[int]] = defaultdict(set)
    for symbol, order_id in keys:
        by_symbol[symbol].add(order_id)
    links: dict[tuple[str, int], str] = {}
    for symbol, id_set in by_symbol.items():
        ids = sorted(id_set)
        for start in range(0, len(ids), _CHUNK):
            query = select(OrderRow.order_id, OrderRow.client_order_id).where(
                OrderRow.symbol == symbol, OrderRow.order_id.in_(ids[start : start + _CHUNK])
            )
            links.update({(symbol, order_id): cid for order_id, cid in session.execute(query) if order_id is not None})
    return links


def _fill_values(fill: Fill, client_order_id: str | None) -> dict[str, Any]:
    return {
        "symbol": fill.symbol,
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "client_order_id": client_order_id,
        "side": fill.side.value,
        "price": fill.price,
        "quantity": fill.quantity,
        "quote_qty": fill.quote_qty,
        "commission": fill.commission,
        "commission_asset": fill.commission_asset,
        "commission_quote": commission_quote(fill),
        "is_maker": fill.is_maker,
        "time": fill.time,
    }


def _to_fill(row: FillRow) -> Fill:
    return Fill(
        symbol=row.symbol,
        trade_id=row.trade_id,
        order_id=row.order_id,
        side=Side(row.side),
        price=row.price,
        quantity=row.quantity,
        quote_qty=row.quote_qty,
        commission=row.commission,
        commission_asset=row.commission_asset,
        is_maker=row.is_maker,
        time=row.time,
    )
