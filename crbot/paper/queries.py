"""The book's hot statements, built once per engine: building a statement costs more than running it.

Each is executed with its parameters bound at run time, so SQLAlchemy compiles it once and reuses the
compiled form (its cache key) on every call of the order path.
"""

from __future__ import annotations

from sqlalchemy import Insert, Select, Update, bindparam, column, func, select, table, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crbot.domain import ListStatusType
from crbot.paper import store
from crbot.paper.rows import ACTIVE, OPEN, ORDER_MUTABLE, VIEW_COLUMNS


class Statements:
    """Immutable once built; shared by every transaction of one engine."""

    __slots__ = (
        "active_cursors",
        "balances",
        "insert_list",
        "insert_order",
        "insert_trade",
        "list_by_cid",
        "list_by_id",
        "list_legs",
        "open_all",
        "open_cids",
        "open_list",
        "open_symbol",
        "open_views_all",
        "open_views_symbol",
        "order_by_cid",
        "order_by_id",
        "update_list",
        "update_order",
        "upsert_balance",
        "upsert_cursor",
    )

    def __init__(self, dialect: str = "sqlite") -> None:
        o, lc, cur = store.orders.c, store.order_lists.c, store.cursors.c
        insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert  # both: ON CONFLICT upserts
        later = func.greatest if dialect == "postgresql" else func.max  # SQLite's two-argument max() is scalar
        symbol = bindparam("symbol")
        self.open_all: Select = select(store.orders).where(o.status.in_(OPEN)).order_by(o.order_id)
        self.open_symbol: Select = (
            select(store.orders).where(o.status.in_(OPEN), o.symbol == symbol).order_by(o.order_id)
        )
        # the same listings untyped, a view's columns only: converted by rows.view_from_raw and memoised by the
        # engine (no per-value type processing of a hundred resting orders on every order path)
        raw = table(store.orders.name, *(column(name) for name in VIEW_COLUMNS))
        self.open_views_all: Select = select(raw).where(raw.c.status.in_(OPEN)).order_by(raw.c.order_id)
        self.open_views_symbol: Select = (
            select(raw).where(raw.c.status.in_(OPEN), raw.c.symbol == symbol).order_by(raw.c.order_id)
        )
        self.open_cids: Select = select(o.client_order_id).where(o.symbol == symbol, o.status.in_(OPEN))
        # symbols with orders on the book, each with how far it has been matched (index on status, symbol)
        self.active_cursors: Select = (
            select(o.symbol, func.max(cur.matched_to).label("matched_to"))
            .select_from(store.orders.outerjoin(store.cursors, cur.symbol == o.symbol))
            .where(o.status.in_(ACTIVE))
            .group_by(o.symbol)
        )
        self.order_by_id: Select = select(store.orders).where(o.order_id == bindparam("order_id"), o.symbol == symbol)
        self.order_by_cid: Select = (
            select(store.orders)
            .where(o.symbol == symbol, o.client_order_id == bindparam("cid"))
            .order_by(o.order_id.desc())
            .limit(1)
        )
        self.list_legs: Select = (
            select(store.orders).where(o.order_list_id == bindparam("list_id")).order_by(o.order_id)
        )
        self.list_by_id: Select = select(store.order_lists).where(lc.order_list_id == bindparam("list_id"))
        self.list_by_cid: Select = (
            select(store.order_lists)
            .where(lc.symbol == symbol, lc.list_client_id == bindparam("cid"))
            .order_by(lc.order_list_id.desc())
            .limit(1)
        )
        self.open_list: Select = (
            select(lc.order_list_id)
            .where(lc.symbol == symbol, lc.list_client_id == bindparam("cid"))
            .where(lc.status == ListStatusType.EXEC_STARTED.value)
            .limit(1)
        )
        self.balances: Select = select(store.balances)
        self.insert_order: Insert = store.orders.insert()
        self.insert_list: Insert = store.order_lists.insert()
        self.insert_trade: Insert = store.trades.insert()
        self.update_order: Update = (
            update(store.orders)
            .where(o.order_id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in ORDER_MUTABLE})
        )
        self.update_list: Update = (
            update(store.order_lists)
            .where(lc.order_list_id == bindparam("b_id"))
            .values(status=bindparam("b_status"), update_time=bindparam("b_update_time"))
        )
        ins = insert_for(store.balances)
        self.upsert_balance: Insert = ins.on_conflict_do_update(
            index_elements=["asset"], set_={"free": ins.excluded.free, "locked": ins.excluded.locked}
        )
        ins = insert_for(store.cursors)
        # a cursor never moves back: another process (or a clock ahead of ours) may have matched further;
        # fixed-width UTC ISO text (SQLite) compares like the times it holds
        self.upsert_cursor: Insert = ins.on_conflict_do_update(
            index_elements=["symbol"], set_={"matched_to": later(cur.matched_to, ins.excluded.matched_to)}
        )


__all__ = ["Statements"]
