"""One transaction's view of the paper book: loads rows on demand, tracks changes, writes them back once.

A ``Book`` lives exactly as long as one ``BEGIN IMMEDIATE`` transaction, so nothing it holds can go stale:
every public engine call builds a fresh one from the database. Within it, each order is one object
(an identity map), so a fill seen by the matcher and a cancel asked by the caller touch the same row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from crbot.domain import ZERO, Balance, Fill, OrderStatus, OrderType, OrderView, Side
from crbot.errors import CrbotError, fmt
from crbot.sim import store
from crbot.sim.views import ListKind, ListOrderStatus, ListStatusType, OrderListView

logger = logging.getLogger(__name__)

OPEN = (OrderStatus.PENDING_NEW.value, OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)
ACTIVE = (OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)  # on the book: can match
STOP_TYPES = frozenset({OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})


@dataclass(slots=True)
class OrderRow:
    """An order inside one transaction (mutable; becomes an ``OrderView`` on the way out)."""

    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    status: OrderStatus
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    executed_qty: Decimal
    cumulative_quote: Decimal
    order_list_id: int
    role: str  # "" alone, "working" or "pending" in a list
    locked: Decimal
    triggered: bool
    time: datetime
    update_time: datetime
    active_from: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> OrderRow:
        m = row._mapping
        return cls(
            **{k: m[k] for k in _ORDER_PLAIN},
            side=Side(m["side"]),
            type=OrderType(m["type"]),
            status=OrderStatus(m["status"]),
        )

    @property
    def is_active(self) -> bool:
        return self.status.value in ACTIVE

    @property
    def is_stop(self) -> bool:
        """A stop order still waiting for its stop price to trade."""
        return self.type in STOP_TYPES and not self.triggered

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.executed_qty

    def view(self) -> OrderView:
        return OrderView(
            client_order_id=self.client_order_id,
            order_id=self.order_id,
            symbol=self.symbol,
            side=self.side,
            type=self.type,
            status=self.status,
            quantity=self.quantity,
            executed_qty=self.executed_qty,
            cumulative_quote=self.cumulative_quote,
            price=self.price,
            stop_price=self.stop_price,
            order_list_id=self.order_list_id,
            time=self.time,
            update_time=self.update_time,
        )


_ORDER_PLAIN = tuple(
    c.name for c in store.orders.columns if c.name not in ("side", "type", "status")
)  # columns copied as they come
_ORDER_MUTABLE = ("status", "executed_qty", "cumulative_quote", "locked", "triggered", "update_time", "active_from")


@dataclass(slots=True)
class ListRow:
    order_list_id: int
    list_client_id: str
    symbol: str
    kind: ListKind
    status: ListStatusType
    time: datetime
    update_time: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> ListRow:
        m = row._mapping
        return cls(
            order_list_id=m["order_list_id"],
            list_client_id=m["list_client_id"],
            symbol=m["symbol"],
            kind=ListKind(m["kind"]),
            status=ListStatusType(m["status"]),
            time=m["time"],
            update_time=m["update_time"],
        )

    def view(self, legs: Sequence[OrderRow]) -> OrderListView:
        done = self.status is ListStatusType.ALL_DONE
        return OrderListView(
            order_list_id=self.order_list_id,
            list_client_id=self.list_client_id,
            symbol=self.symbol,
            kind=self.kind,
            status=self.status,
            order_status=ListOrderStatus.ALL_DONE if done else ListOrderStatus.EXECUTING,
            time=self.time,
            update_time=self.update_time,
            orders=tuple(leg.view() for leg in legs),
        )


class Book:
    """Rows of one transaction. ``flush()`` writes every change; the caller commits.

    Every query flushes first (like an ORM's autoflush), so it sees this transaction's own changes: an
    order filled by ``advance`` a moment ago is not "open" to the query that follows.
    """

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self._orders: dict[int, OrderRow] = {}
        self._dirty_orders: set[int] = set()
        self._lists: dict[int, ListRow] = {}
        self._dirty_lists: set[int] = set()
        self._balances: dict[str, list[Decimal]] | None = None
        self._dirty_assets: set[str] = set()
        self._cursors: dict[str, datetime] | None = None
        self._dirty_cursors: set[str] = set()

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
        cond = store.orders.c.status.in_(OPEN)
        if symbol is not None:
            cond = and_(cond, store.orders.c.symbol == symbol)
        return self._adopt(self.conn.execute(select(store.orders).where(cond).order_by(store.orders.c.order_id)))

    def active_symbols(self) -> set[str]:
        """Symbols with at least one order on the book (the only ones a price move can affect)."""
        self.flush()
        q = select(store.orders.c.symbol).where(store.orders.c.status.in_(ACTIVE)).group_by(store.orders.c.symbol)
        return set(self.conn.execute(q).scalars())

    def count_open(self, symbol: str) -> int:
        self.flush()
        q = select(func.count()).where(store.orders.c.status.in_(OPEN), store.orders.c.symbol == symbol)
        return int(self.conn.execute(q).scalar_one())

    def find_order(self, symbol: str, *, order_id: int | None, client_order_id: str | None) -> OrderRow | None:
        """Binance's lookup: by id first (then the client id must match), else the newest with that client id."""
        self.flush()
        c = store.orders.c
        if order_id is not None:
            q = select(store.orders).where(c.order_id == order_id, c.symbol == symbol)
        elif client_order_id is not None:
            q = select(store.orders).where(c.symbol == symbol, c.client_order_id == client_order_id)
            q = q.order_by(c.order_id.desc()).limit(1)
        else:
            return None
        found = self._adopt(self.conn.execute(q))
        if not found or (client_order_id is not None and found[0].client_order_id != client_order_id):
            return None
        return found[0]

    def list_orders(self, order_list_id: int) -> list[OrderRow]:
        self.flush()
        q = select(store.orders).where(store.orders.c.order_list_id == order_list_id).order_by(store.orders.c.order_id)
        return self._adopt(self.conn.execute(q))

    def open_client_ids(self, symbol: str, client_ids: Iterable[str]) -> set[str]:
        self.flush()
        c = store.orders.c
        q = select(c.client_order_id).where(
            c.symbol == symbol, c.status.in_(OPEN), c.client_order_id.in_(list(client_ids))
        )
        return set(self.conn.execute(q).scalars())

    def query_orders(self, where: Any, *, newest_first: bool, limit: int) -> list[OrderRow]:
        self.flush()
        c = store.orders.c
        q = select(store.orders).where(where).order_by(c.order_id.desc() if newest_first else c.order_id).limit(limit)
        found = self._adopt(self.conn.execute(q))
        return sorted(found, key=lambda o: o.order_id)

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
        order_id = self.conn.execute(insert(store.orders).values(**db_row)).inserted_primary_key[0]  # type: ignore[index]
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
        values = {
            "list_client_id": list_client_id,
            "symbol": symbol,
            "kind": kind.value,
            "status": ListStatusType.EXEC_STARTED.value,
            "time": self.now,
            "update_time": self.now,
        }
        list_id = self.conn.execute(insert(store.order_lists).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        row = ListRow(
            order_list_id=list_id,
            list_client_id=list_client_id,
            symbol=symbol,
            kind=kind,
            status=ListStatusType.EXEC_STARTED,
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
        q = select(store.order_lists).where(store.order_lists.c.order_list_id == order_list_id)
        return self._adopt_lists(self.conn.execute(q))[0]

    def find_list(self, symbol: str, *, list_id: int | None, list_client_id: str | None) -> ListRow | None:
        self.flush()
        c = store.order_lists.c
        if list_id is not None:
            q = select(store.order_lists).where(c.order_list_id == list_id, c.symbol == symbol)
        elif list_client_id is not None:
            q = select(store.order_lists).where(c.symbol == symbol, c.list_client_id == list_client_id)
            q = q.order_by(c.order_list_id.desc()).limit(1)
        else:
            return None
        found = self._adopt_lists(self.conn.execute(q))
        if not found or (list_client_id is not None and found[0].list_client_id != list_client_id):
            return None
        return found[0]

    def open_list_exists(self, symbol: str, list_client_id: str) -> bool:
        self.flush()
        c = store.order_lists.c
        q = select(c.order_list_id).where(
            c.symbol == symbol, c.list_client_id == list_client_id, c.status == ListStatusType.EXEC_STARTED.value
        )
        return self.conn.execute(q.limit(1)).first() is not None

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
            q = select(store.orders).where(store.orders.c.order_list_id.in_(list(list_ids)))
            for order in sorted(self._adopt(self.conn.execute(q.order_by(store.orders.c.order_id))), key=_by_id):
                result[order.order_list_id].append(order)
        return result

    def save_list(self, row: ListRow, status: ListStatusType, *, at: datetime | None = None) -> None:
        row.status = status
        row.update_time = at or self.now
        self._dirty_lists.add(row.order_list_id)

    # ---- balances -----------------------------------------------------------------------------------
    def _ledger(self) -> dict[str, list[Decimal]]:
        if self._balances is None:
            rows = self.conn.execute(select(store.balances))
            self._balances = {r.asset: [r.free, r.locked] for r in rows}
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
        trade_id = self.conn.execute(insert(store.trades).values(**db_row)).inserted_primary_key[0]  # type: ignore[index]
        return Fill(trade_id=trade_id, **values)

    def query_trades(self, where: Any, *, newest_first: bool, limit: int) -> list[Fill]:
        c = store.trades.c
        q = select(store.trades).where(where).order_by(c.trade_id.desc() if newest_first else c.trade_id).limit(limit)
        fills = [_fill(r) for r in self.conn.execute(q)]
        return sorted(fills, key=lambda f: f.trade_id)

    # ---- matching cursors ---------------------------------------------------------------------------
    def cursors(self) -> dict[str, datetime]:
        if self._cursors is None:
            self._cursors = {r.symbol: r.matched_to for r in self.conn.execute(select(store.cursors))}
        return self._cursors

    def set_cursor(self, symbol: str, at: datetime) -> None:
        """Never moves back: another process (or clock) may already have matched further."""
        known = self.cursors()
        if symbol not in known or at > known[symbol]:
            known[symbol] = at
            self._dirty_cursors.add(symbol)

    # ---- write back ---------------------------------------------------------------------------------
    def flush(self) -> None:
        c = store.orders.c
        if self._dirty_orders:
            stmt = update(store.orders).where(c.order_id == bindparam("b_id"))
            stmt = stmt.values({k: bindparam(f"b_{k}") for k in _ORDER_MUTABLE})
            params = []
            for order_id in sorted(self._dirty_orders):
                o = self._orders[order_id]
                p = {f"b_{k}": getattr(o, k) for k in _ORDER_MUTABLE}
                p["b_status"] = o.status.value
                p["b_id"] = order_id
                params.append(p)
            self.conn.execute(stmt, params)
        if self._dirty_lists:
            lc = store.order_lists.c
            stmt = update(store.order_lists).where(lc.order_list_id == bindparam("b_id"))
            stmt = stmt.values(status=bindparam("b_status"), update_time=bindparam("b_update_time"))
            rows = [self._lists[i] for i in sorted(self._dirty_lists)]
            self.conn.execute(
                stmt,
                [{"b_id": r.order_list_id, "b_status": r.status.value, "b_update_time": r.update_time} for r in rows],
            )
        if self._dirty_assets and self._balances is not None:
            ins = sqlite_insert(store.balances)
            ins = ins.on_conflict_do_update(
                index_elements=["asset"], set_={"free": ins.excluded.free, "locked": ins.excluded.locked}
            )
            ledger = self._balances
            self.conn.execute(
                ins, [{"asset": a, "free": ledger[a][0], "locked": ledger[a][1]} for a in sorted(self._dirty_assets)]
            )
        if self._dirty_cursors and self._cursors is not None:
            ins = sqlite_insert(store.cursors)
            ins = ins.on_conflict_do_update(index_elements=["symbol"], set_={"matched_to": ins.excluded.matched_to})
            self.conn.execute(ins, [{"symbol": s, "matched_to": self._cursors[s]} for s in sorted(self._dirty_cursors)])
        self._dirty_orders.clear()
        self._dirty_lists.clear()
        self._dirty_assets.clear()
        self._dirty_cursors.clear()


def _by_id(order: OrderRow) -> int:
    return order.order_id


def _fill(row: Row[Any]) -> Fill:
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
