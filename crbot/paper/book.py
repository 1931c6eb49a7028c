"""One transaction's view of the paper book: loads rows on demand, tracks changes, writes them back once.

A ``Book`` lives exactly as long as one ``BEGIN IMMEDIATE`` transaction, so nothing it holds can go stale:
every public engine call builds a fresh one from the database. Within it, each order is one object
(an identity map), so a fill seen by the matcher and a cancel asked by the caller touch the same row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from crbot.domain import ZERO, Balance, Fill, ListKind, ListStatusType, OrderStatus, OrderType, Side
from crbot.errors import CrbotError, fmt
from crbot.paper import store
from crbot.paper.queries import Statements
from crbot.paper.rows import ORDER_MUTABLE, ListRow, OrderRow, fill_from_row

logger = logging.getLogger(__name__)


class Book:
    """Rows of one transaction. ``flush()`` writes every change; the caller commits.

    Every query flushes first (like an ORM's autoflush), so it sees this transaction's own changes: an
    order filled by ``advance`` a moment ago is not "open" to the query that follows.
    """

    def __init__(self, conn: Connection, now: datetime, statements: Statements) -> None:
        self.conn = conn
        self.now = now
        self.q = statements
        self._orders: dict[int, OrderRow] = {}
        self._dirty_orders: set[int] = set()
        self._lists: dict[int, ListRow] = {}
        self._dirty_lists: set[int] = set()
        self._balances: dict[str, list[Decimal]] | None = None
        self._dirty_assets: set[str] = set()
        self._cursors: dict[str, datetime] = {}

    # ---- orders -------------------------------------------------------------------------------------
    def _adopt(self, rows: Iterable[Row[Any]]) -> list[OrderRow]:
        result = []
        for row in rows:
            known = self._orders.get(row.order_id)
            if known is None:
                known = self._orders[row.order_id] = OrderRow.from_row(row)
            result.append(known)
        return result

    def open_orders(self, symbol: str | None = None) -> list[OrderRow]:
        """Open orders (pending legs included), oldest first."""
        self.flush()
        if symbol is None:
            return self._adopt(self.conn.execute(self.q.open_all))
        return self._adopt(self.conn.execute(self.q.open_symbol, {"symbol": symbol}))

    def open_view_rows(self, symbol: str | None = None) -> list[tuple[Any, ...]]:
        """Open orders as stored (``rows.VIEW_COLUMNS``, untyped), oldest first: a listing that changes nothing."""
        self.flush()
        if symbol is None:
            return [tuple(r) for r in self.conn.execute(self.q.open_views_all)]
        return [tuple(r) for r in self.conn.execute(self.q.open_views_symbol, {"symbol": symbol})]

    def active_cursors(self) -> dict[str, datetime | None]:
        """Symbols with orders on the book (the only ones a price move can affect) -> matched up to."""
        self.flush()
        return {r.symbol: r.matched_to for r in self.conn.execute(self.q.active_cursors)}

    def open_client_ids(self, symbol: str) -> list[str]:
        """Client ids of the symbol's open orders: their number feeds MAX_NUM_ORDERS, their ids duplicates."""
        self.flush()
        return list(self.conn.execute(self.q.open_cids, {"symbol": symbol}).scalars())

    def find_order(self, symbol: str, *, order_id: int | None, client_order_id: str | None) -> OrderRow | None:
        """Binance's lookup: by id first (then the client id must match), else the newest with that client id."""
        self.flush()
        if order_id is not None:
            found = self._adopt(self.conn.execute(self.q.order_by_id, {"order_id": order_id, "symbol": symbol}))
        elif client_order_id is not None:
            found = self._adopt(self.conn.execute(self.q.order_by_cid, {"symbol": symbol, "cid": client_order_id}))
        else:
            return None
        if not found or (client_order_id is not None and found[0].client_order_id != client_order_id):
            return None
        return found[0]

    def list_orders(self, order_list_id: int) -> list[OrderRow]:
        self.flush()
        return self._adopt(self.conn.execute(self.q.list_legs, {"list_id": order_list_id}))

    def query_orders(self, where: Any, *, newest_first: bool, limit: int) -> list[OrderRow]:
        self.flush()
        c = store.orders.c
        q = select(store.orders).where(where).order_by(c.order_id.desc() if newest_first else c.order_id).limit(limit)
        return sorted(self._adopt(self.conn.execute(q)), key=_by_id)

    def insert_order(self, **values: Any) -> OrderRow:
        row = {
            "executed_qty": ZERO,
            "cumulative_quote": ZERO,
            "order_list_id": -1,
            "role": "",
            "locked": ZERO,
            "triggered": False,
            "time": self.now,
            "update_time": self.now,
            "active_from": self.now,
            **values,
        }
        db_row = {k: (v.value if isinstance(v, Side | OrderType | OrderStatus) else v) for k, v in row.items()}
        order_id = self.conn.execute(self.q.insert_order, db_row).inserted_primary_key[0]  # type: ignore[index]
        order = OrderRow(order_id=order_id, **row)
        self._orders[order_id] = order
        return order

    def save(self, order: OrderRow, *, at: datetime | None = None) -> None:
        """A state change of the order (its update time moves)."""
        order.update_time = at or self.now
        self._dirty_orders.add(order.order_id)

    def mark(self, order: OrderRow) -> None:
        """A bookkeeping change (what it locks) that the trader does not see as an update."""
        self._dirty_orders.add(order.order_id)

    # ---- order lists --------------------------------------------------------------------------------
    def insert_list(self, *, list_client_id: str, symbol: str, kind: ListKind) -> ListRow:
        status = ListStatusType.EXEC_STARTED
        values = {"list_client_id": list_client_id, "symbol": symbol, "kind": kind.value, "status": status.value}
        values.update(time=self.now, update_time=self.now)
        list_id = self.conn.execute(self.q.insert_list, values).inserted_primary_key[0]  # type: ignore[index]
        row = ListRow(
            order_list_id=list_id,
            list_client_id=list_client_id,
            symbol=symbol,
            kind=kind,
            status=status,
            time=self.now,
            update_time=self.now,
        )
        self._lists[list_id] = row
        return row

    def _adopt_lists(self, rows: Iterable[Row[Any]]) -> list[ListRow]:
        result = []
        for row in rows:
            known = self._lists.get(row.order_list_id)
            if known is None:
                known = self._lists[row.order_list_id] = ListRow.from_row(row)
            result.append(known)
        return result

    def get_list(self, order_list_id: int) -> ListRow:
        known = self._lists.get(order_list_id)
        if known is not None:
            return known
        return self._adopt_lists(self.conn.execute(self.q.list_by_id, {"list_id": order_list_id}))[0]

    def find_list(self, symbol: str, *, list_id: int | None, list_client_id: str | None) -> ListRow | None:
        self.flush()
        if list_id is not None:
            found = self._adopt_lists(self.conn.execute(self.q.list_by_id, {"list_id": list_id}))
            found = [r for r in found if r.symbol == symbol]
        elif list_client_id is not None:
            found = self._adopt_lists(self.conn.execute(self.q.list_by_cid, {"symbol": symbol, "cid": list_client_id}))
        else:
            return None
        if not found or (list_client_id is not None and found[0].list_client_id != list_client_id):
            return None
        return found[0]

    def open_list_exists(self, symbol: str, list_client_id: str) -> bool:
        self.flush()
        return self.conn.execute(self.q.open_list, {"symbol": symbol, "cid": list_client_id}).first() is not None

    def lists(self, *, open_only: bool, symbol: str | None) -> list[ListRow]:
        self.flush()
        c = store.order_lists.c
        conds = []
        if open_only:
            conds.append(c.status == ListStatusType.EXEC_STARTED.value)
        if symbol is not None:
            conds.append(c.symbol == symbol)
        return self._adopt_lists(self.conn.execute(select(store.order_lists).where(*conds).order_by(c.order_list_id)))

    def legs_of(self, list_ids: Sequence[int]) -> dict[int, list[OrderRow]]:
        """Every leg of these lists in one query (no N+1)."""
        self.flush()
        result: dict[int, list[OrderRow]] = {i: [] for i in list_ids}
        if list_ids:
            c = store.orders.c
            q = select(store.orders).where(c.order_list_id.in_(list(list_ids))).order_by(c.order_id)
            for order in self._adopt(self.conn.execute(q)):
                result[order.order_list_id].append(order)
        return result

    def save_list(self, row: ListRow, status: ListStatusType, *, at: datetime | None = None) -> None:
        row.status = status
        row.update_time = at or self.now
        self._dirty_lists.add(row.order_list_id)

    # ---- balances -----------------------------------------------------------------------------------
    def _ledger(self) -> dict[str, list[Decimal]]:
        if self._balances is None:
            self._balances = {r.asset: [r.free, r.locked] for r in self.conn.execute(self.q.balances)}
        return self._balances

    def free(self, asset: str) -> Decimal:
        return self._ledger().get(asset, [ZERO, ZERO])[0]

    def adjust(self, asset: str, *, free: Decimal = ZERO, locked: Decimal = ZERO) -> None:
        """Move money; a negative balance is a bug (the transaction rolls back), never a state."""
        entry = self._ledger().setdefault(asset, [ZERO, ZERO])
        new_free, new_locked = entry[0] + free, entry[1] + locked
        if new_free < ZERO or new_locked < ZERO:
            raise CrbotError(
                f"paper exchange ledger for {asset} would go negative (free {fmt(new_free)}, locked {fmt(new_locked)})",
                hint="this is a bug in the paper exchange; nothing was changed, please report it",
            )
        entry[0], entry[1] = new_free, new_locked
        self._dirty_assets.add(asset)

    def balances(self) -> list[Balance]:
        return [Balance(asset=a, free=f, locked=lk) for a, (f, lk) in sorted(self._ledger().items())]

    # ---- trades -------------------------------------------------------------------------------------
    def insert_trade(self, **values: Any) -> Fill:
        db_row = {k: (v.value if isinstance(v, Side) else v) for k, v in values.items()}
        trade_id = self.conn.execute(self.q.insert_trade, db_row).inserted_primary_key[0]  # type: ignore[index]
        return Fill(trade_id=trade_id, **values)

    def query_trades(self, where: Any, *, newest_first: bool, limit: int) -> list[Fill]:
        c = store.trades.c
        q = select(store.trades).where(where).order_by(c.trade_id.desc() if newest_first else c.trade_id).limit(limit)
        return sorted((fill_from_row(r) for r in self.conn.execute(q)), key=lambda f: f.trade_id)

    # ---- matching cursors ---------------------------------------------------------------------------
    def set_cursor(self, symbol: str, at: datetime) -> None:
        """Bars up to ``at`` are matched for ``symbol`` (written as max(stored, at): never moves back)."""
        self._cursors[symbol] = max(at, self._cursors.get(symbol, at))

    # ---- write back ---------------------------------------------------------------------------------
    def flush(self) -> None:
        if self._dirty_orders:
            params = []
            for order_id in sorted(self._dirty_orders):
                o = self._orders[order_id]
                p = {f"b_{k}": getattr(o, k) for k in ORDER_MUTABLE}
                p["b_status"] = o.status.value
                p["b_id"] = order_id
                params.append(p)
            self.conn.execute(self.q.update_order, params)
            self._dirty_orders.clear()
        if self._dirty_lists:
            rows = [self._lists[i] for i in sorted(self._dirty_lists)]
            self.conn.execute(
                self.q.update_list,
                [{"b_id": r.order_list_id, "b_status": r.status.value, "b_update_time": r.update_time} for r in rows],
            )
            self._dirty_lists.clear()
        if self._dirty_assets and self._balances is not None:
            ledger = self._balances
            self.conn.execute(
                self.q.upsert_balance,
                [{"asset": a, "free": ledger[a][0], "locked": ledger[a][1]} for a in sorted(self._dirty_assets)],
            )
            self._dirty_assets.clear()
        if self._cursors:
            self.conn.execute(
                self.q.upsert_cursor, [{"symbol": s, "matched_to": t} for s, t in sorted(self._cursors.items())]
            )
            self._cursors.clear()


def _by_id(order: OrderRow) -> int:
    return order.order_id
