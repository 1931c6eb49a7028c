"""Orders: the intent is journaled before the broker is called, then acks, rejects and exchange views.

Who may move a status where:
* INTENT / UNKNOWN are our own statements and anything the exchange says replaces them.
* Once the exchange has spoken, only newer exchange views move the order: a view that would take a
  final order back to open, or lower the executed quantity, is stale (a late ack, an old page of
  allOrders) and is ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crbot.clock import Clock
from crbot.domain import ZERO, Fill, OrderSpec, OrderStatus, OrderType, OrderView, Side, TradingState
from crbot.errors import Denied, InvalidInput
from crbot.journal import statements
from crbot.journal.control import read_state, state_record
from crbot.journal.database import Database
from crbot.journal.fills import insert_fills, next_revision
from crbot.journal.frames import as_double, fetch, to_frame
from crbot.journal.models import FillRow, OrderRow
from crbot.journal.records import PENDING_STATUSES, Acked, JournalOrder, OpenWork

if TYPE_CHECKING:  # pandas loads only when a frame is asked for (a CLI call never pays for it)
    import pandas as pd

logger = logging.getLogger(__name__)

_CHUNK = 500  # stay far below SQLite's bound-parameter limit
_PENDING = [s.value for s in PENDING_STATUSES]
_OPEN_OR_PENDING = statements.OPEN_OR_PENDING

ORDER_COLUMNS = (
    "client_order_id",
    "symbol",
    "side",
    "type",
    "status",
    "quantity",
    "price",
    "stop_price",
    "executed_qty",
    "cumulative_quote",
    "order_id",
    "list_client_id",
    "source",
    "mode",
    "actor",
    "expected_price",
    "latency_ms",
    "reason",
    "created_at",
    "updated_at",
)
_TEXT_COLUMNS = ("client_order_id", "symbol", "side", "type", "status", "list_client_id", "source", "mode", "actor")
_TEXT_COLUMNS += ("reason",)
_ORDERS = OrderRow.__table__
_ORDER_KEYS = tuple(c.key for c in _ORDERS.c)
_MERGED = ("status", "order_id", "executed_qty", "cumulative_quote", "quantity", "price", "stop_price")
_DECIMAL_COLUMNS = ("quantity", "price", "stop_price", "executed_qty", "cumulative_quote", "expected_price")


class OrderJournal:
    _db: Database
    _clock: Clock

    def record_intent(
        self,
        specs: Sequence[OrderSpec],
        *,
        list_client_id: str | None,
        source: str,
        mode: str,
        expected_price: Decimal | None,
        actor: str,
        planned: Sequence[OrderSpec] = (),
        planned_list_id: str | None = None,
        while_halted: bool = False,
    ) -> None:
        """Journal orders about to be sent (all or none), committed durably before this returns.

        ``planned`` are the exits of a MARKET entry: journaled now, in the same transaction, as PLANNED
        (parent = the entry) and sent once the entry has filled, so a crash in between cannot lose them.
        The trading state is read in this same write transaction: once STOP has latched HALTED no new intent
        can be written (``while_halted`` only for STOP's own flatten), so nothing slips in after the latch.
        """
        cids = [spec.client_order_id for spec in (*specs, *planned)]
        if len(set(cids)) != len(cids):
            raise InvalidInput(f"client order ids repeat within one intent: {cids}", hint="give every order its own id")
        now = self._clock.now()
        parent = specs[0].client_order_id if planned else None
        unsent = dict(order_id=None, executed_qty=ZERO, cumulative_quote=ZERO, latency_ms=None, reason="",
                      source=source, mode=mode, actor=actor, created_at=now, updated_at=now)  # fmt: skip
        rows = [
            _values(s, **unsent, status=OrderStatus.INTENT.value, list_client_id=list_client_id,
                    parent_client_id=None, expected_price=expected_price)
            for s in specs
        ] + [
            _values(s, **unsent, status=OrderStatus.PLANNED.value, list_client_id=planned_list_id,
                    parent_client_id=parent, expected_price=None)
            for s in planned
        ]  # fmt: skip
        try:
            with self._db.write_core() as conn:
                state = read_state(conn)
                if state.state is TradingState.HALTED and not while_halted:
                    raise Denied(
                        "TRADING_HALTED",
                        f"trading is HALTED {state.describe()}; no new orders are accepted",
                        hint="cancels still work; fix the cause, then resume trading with the typed confirmation",
                    )
                conn.execute(insert(OrderRow), rows)
        except IntegrityError as exc:  # the primary key: an id journaled before (a resend); the write rolled back
            taken = sorted(self.known_client_order_ids(cids)) or cids
            raise InvalidInput(
                f"client order id already journaled: {', '.join(taken)}",
                hint="look the order up (it may have been sent) or use a fresh client order id",
            ) from exc
        for row in rows:
            logger.info(
                "order %s %s %s %s journaled as %s",
                row["client_order_id"], row["symbol"], row["side"], row["type"], row["status"],
            )  # fmt: skip

    def record_ack(self, view: OrderView, *, latency_ms: float | None = None, fills: Sequence[Fill] = ()) -> Acked:
        """Store the exchange's acknowledgement (status, order id, executed amounts, round trip) and the fills it
        carried, in one write transaction on a plain connection (the order path's second commit). Returns the
        order as journaled and the trading state read in the same transaction."""
        # relaxed: a power cut may take this commit back, and the order is then INTENT again, which
        # reconciliation resolves by its client order id (and sync fetches its fills) as after any crash
        with self._db.write_core(relaxed=True) as conn:
            params = {"cid": view.client_order_id, "symbol": view.symbol, "order_id": view.order_id}
            found = conn.execute(statements.ACKED_ORDER, params).first()
            if found is None:
                # an ack is an exchange fact: keep it even if the intent is missing
                logger.warning("ack for %s which was never journaled; recording it", view.client_order_id)
                state = read_state(conn).state
                values = _values(view, **_from_view(view, source="ack", mode="", now=self._clock.now()))
                values["latency_ms"] = latency_ms
                conn.execute(insert(_ORDERS), [values])
                row, unlinked = SimpleNamespace(**values), True
            else:
                state = state_record(found.trading_state, None, "", "").state
                row = SimpleNamespace(**{k: found._mapping[k] for k in _ORDER_KEYS})
                changes = {"updated_at": self._clock.now()} if _merge(row, view) else {}
                changes |= {k: getattr(row, k) for k in _MERGED if getattr(row, k) != getattr(found, k)}
                if latency_ms is not None:
                    changes["latency_ms"] = float(latency_ms)
                if changes:
                    conn.execute(update(_ORDERS).where(_ORDERS.c.client_order_id == row.client_order_id), changes)
                    vars(row).update(changes)
                unlinked = bool(found.unlinked_fills)
            if unlinked:
                _link_fills(conn, view.symbol, view.order_id, view.client_order_id)
            if fills:
                insert_fills(conn, fills, raw=self._db.is_sqlite)
        logger.info("order %s acked: %s order_id=%s", view.client_order_id, row.status, view.order_id)
        return Acked(state=state, order=to_order(row))

    def record_reject(self, client_order_id: str, *, reason: str) -> None:
        """The exchange (or the broker boundary) refused the order before accepting it."""
        self._set_pending_outcome(client_order_id, OrderStatus.REJECTED, reason)

    def mark_unknown(self, client_order_id: str, *, reason: str) -> None:
        """Sent but no answer (timeout, 5xx): reconcile by client order id, never resend."""
        self._set_pending_outcome(client_order_id, OrderStatus.UNKNOWN, reason)

    def apply_exchange_view(self, views: Sequence[OrderView], *, source: str = "exchange", mode: str = "") -> int:
        """Upsert the exchange's orders; rows placed outside CRBOT are inserted. Returns rows changed."""
        changed = 0
        now = self._clock.now()
        with self._db.write() as session:
            # Three queries for the whole batch, not per order: a reconcile may bring thousands of views.
            rows = {row.client_order_id: row for row in _rows(session, [v.client_order_id for v in views])}
            by_id = _by_order_ids(session, [v for v in views if v.client_order_id not in rows])
            unlinked = set(
                session.execute(select(FillRow.symbol, FillRow.order_id).where(FillRow.client_order_id.is_(None)))
            )
            for view in views:
                row = rows.get(view.client_order_id) or by_id.get((view.symbol, view.order_id))
                if row is None:
                    row = _row_from_view(view, source=source, mode=mode, now=now)
                    session.add(row)
                    rows[row.client_order_id] = row
                    logger.info("order %s imported from the exchange: %s", view.client_order_id, view.status)
                elif _merge(row, view):
                    row.updated_at = now
                    logger.info("order %s now %s (exchange view)", row.client_order_id, row.status)
                else:
                    continue
                if (row.symbol, row.order_id) in unlinked:
                    _link_fills(session, row.symbol, row.order_id, row.client_order_id)
                changed += 1
        return changed

    def get_orders(self, client_order_ids: Sequence[str]) -> list[JournalOrder]:
        """These orders (the ones journaled), in the order asked, in one query."""
        ids = list(dict.fromkeys(client_order_ids))
        with self._db.read_core() as conn:  # a plain connection: this is the order path's last read
            found = {
                row.client_order_id: to_order(row) for row in conn.execute(statements.ORDERS_BY_CIDS, {"cids": ids})
            }
        return [found[cid] for cid in client_order_ids if cid in found]

    def get_order(self, client_order_id: str) -> JournalOrder | None:
        with self._db.read() as session:
            row = session.get(OrderRow, client_order_id)
            return None if row is None else to_order(row)

    def orders(
        self,
        *,
        symbol: str | None = None,
        open_only: bool = False,
        limit: int | None = None,
    ) -> list[JournalOrder]:
        """Newest first. ``open_only`` keeps open orders and INTENT/UNKNOWN ones (maybe live)."""
        query = select(OrderRow).order_by(OrderRow.created_at.desc(), OrderRow.client_order_id)
        if symbol is not None:
            query = query.where(OrderRow.symbol == symbol)
        if open_only:
            query = query.where(OrderRow.status.in_(_OPEN_OR_PENDING))
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as session:
            return [to_order(row) for row in session.scalars(query)]

    def open_work(self) -> OpenWork:
        """What STOP must reach, read in one snapshot: the symbols of every open or pending order (its cancel
        wave) and the INTENTs with their creation time (orders that may be on the wire right now)."""
        with self._db.read_core() as conn:
            rows = conn.execute(statements.OPEN_WORK).all()
        intents = {r.client_order_id: r.created_at for r in rows if r.status == OrderStatus.INTENT.value}
        return OpenWork(symbols=frozenset(r.symbol for r in rows), intents=intents)

    def pending_outcomes(self) -> list[JournalOrder]:
        """Orders whose exchange outcome is not known (INTENT or UNKNOWN), oldest first."""
        query = select(OrderRow).where(OrderRow.status.in_(_PENDING)).order_by(OrderRow.created_at)
        with self._db.read() as session:
            return [to_order(row) for row in session.scalars(query)]

    def has_client_order_id(self, client_order_id: str) -> bool:
        with self._db.read_core() as conn:
            return is_journaled(conn, client_order_id)

    def known_client_order_ids(self, client_order_ids: Sequence[str]) -> set[str]:
        """Which of these ids the journal has (one query per 500, for reconciliation)."""
        with self._db.read() as session:
            return _existing(session, client_order_ids)

    def orders_frame(self) -> pd.DataFrame:
        """All orders, oldest first; amounts float64, latency_ms NaN if unknown, order_id Int64 (nullable)."""
        selected = ", ".join(as_double(name) if name in _DECIMAL_COLUMNS else name for name in ORDER_COLUMNS)
        with self._db.connect() as conn:
            rows = fetch(conn, f"SELECT {selected} FROM orders ORDER BY created_at, client_order_id")
        return to_frame(
            rows,
            ORDER_COLUMNS,
            times=("created_at", "updated_at"),
            floats=(*_DECIMAL_COLUMNS, "latency_ms"),
            nullable_ints=("order_id",),
            strs=(
                "client_order_id",
                "symbol",
                "side",
                "type",
                "status",
                "list_client_id",
                "source",
                "mode",
                "actor",
                "reason",
            ),
        )

    def _set_pending_outcome(self, client_order_id: str, status: OrderStatus, reason: str) -> None:
        with self._db.write() as session:
            row = session.get(OrderRow, client_order_id)
            if row is None:
                raise InvalidInput(
                    f"no journaled order with client order id {client_order_id!r}",
                    hint="journal the intent (record_intent) before sending the order",
                )
            if OrderStatus(row.status) not in PENDING_STATUSES:
                logger.warning(
                    "order %s is %s per the exchange; not marking it %s (%s)",
                    client_order_id,
                    row.status,
                    status,
                    reason,
                )
                return
            row.status = status.value
            row.reason = reason
            row.updated_at = self._clock.now()
        logger.info("order %s %s: %s", client_order_id, status, reason)


def _merge(row: OrderRow, view: OrderView) -> bool:
    """Apply an exchange view to our row unless it is stale; True if anything changed."""
    before = (row.status, row.order_id, row.executed_qty, row.cumulative_quote, row.quantity, row.price, row.stop_price)
    current = OrderStatus(row.status)
    stale = current not in PENDING_STATUSES and (
        (current.is_final and not view.status.is_final) or view.executed_qty < row.executed_qty
    )
    if row.order_id is not None and row.order_id != view.order_id:
        logger.warning("order %s: exchange order id %s replaces %s", row.client_order_id, view.order_id, row.order_id)
    row.order_id = view.order_id
    if stale:
        logger.info("order %s: ignoring stale view %s (journal has %s)", row.client_order_id, view.status, row.status)
    else:
        row.status = view.status.value
        row.executed_qty = view.executed_qty
        row.cumulative_quote = view.cumulative_quote
        row.quantity = view.quantity
        row.price = view.price
        row.stop_price = view.stop_price
    after = (row.status, row.order_id, row.executed_qty, row.cumulative_quote, row.quantity, row.price, row.stop_price)
    return before != after  # by value: Decimal("1.0") == Decimal("1.00") is no change


def _values(order: OrderSpec | OrderView, **fields: Any) -> dict[str, Any]:
    """A new order row's values, for an order we are about to send (a spec) or learn of (an exchange view)."""
    return {
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "quantity": order.quantity,
        "price": order.price,
        "stop_price": order.stop_price,
        **fields,
    }


def _from_view(view: OrderView, *, source: str, mode: str, now: datetime) -> dict[str, Any]:
    """A new order row's fields beyond the order itself, for an order the exchange told us of."""
    return dict(
        list_client_id=None,
        parent_client_id=None,
        status=view.status.value,
        order_id=view.order_id,
        executed_qty=view.executed_qty,
        cumulative_quote=view.cumulative_quote,
        reason="",
        source=source,
        mode=mode,
        actor="",
        expected_price=None,
        latency_ms=None,
        created_at=view.time,
        updated_at=now,
    )


def _row_from_view(view: OrderView, *, source: str, mode: str, now: datetime) -> OrderRow:
    """An order the exchange told us of (placed outside CRBOT, or acked before its intent was journaled)."""
    return OrderRow(**_values(view, **_from_view(view, source=source, mode=mode, now=now)))


def to_order(row: OrderRow) -> JournalOrder:
    return JournalOrder(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        type=OrderType(row.type),
        quantity=row.quantity,
        price=row.price,
        stop_price=row.stop_price,
        list_client_id=row.list_client_id,
        parent_client_id=row.parent_client_id,
        status=OrderStatus(row.status),
        order_id=row.order_id,
        executed_qty=row.executed_qty,
        cumulative_quote=row.cumulative_quote,
        reason=row.reason,
        source=row.source,
        mode=row.mode,
        actor=row.actor,
        expected_price=row.expected_price,
        latency_ms=row.latency_ms,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _rows(session: Session, cids: Sequence[str]) -> list[OrderRow]:
    found: list[OrderRow] = []
    for chunk in _chunks(list(dict.fromkeys(cids))):
        found.extend(session.scalars(select(OrderRow).where(OrderRow.client_order_id.in_(chunk))))
    return found


def _existing(session: Session, cids: Sequence[str]) -> set[str]:
    return {row.client_order_id for row in _rows(session, cids)}


def _by_order_ids(session: Session, views: Sequence[OrderView]) -> dict[tuple[str, int], OrderRow]:
    """Our rows for these exchange orders, matched by (symbol, exchange order id)."""
    found: dict[tuple[str, int], OrderRow] = {}
    for symbol in {v.symbol for v in views}:
        ids = [v.order_id for v in views if v.symbol == symbol]
        for chunk in _chunks(ids):
            query = select(OrderRow).where(OrderRow.symbol == symbol, OrderRow.order_id.in_(chunk))
            found |= {(row.symbol, row.order_id): row for row in session.scalars(query)}
    return found


def _link_fills(conn: Session | Connection, symbol: str, order_id: int | None, client_order_id: str) -> None:
    """Fills that arrived before we knew the exchange order id get their client order id now."""
    if order_id is None:
        return
    unlinked = (FillRow.symbol == symbol, FillRow.order_id == order_id, FillRow.client_order_id.is_(None))
    if conn.scalar(select(FillRow.id).where(*unlinked).limit(1)) is None:
        return
    conn.execute(update(FillRow).where(*unlinked).values(client_order_id=client_order_id, revision=next_revision(conn)))


def is_journaled(conn: Session | Connection, client_order_id: str) -> bool:
    query = select(_ORDERS.c.client_order_id).where(_ORDERS.c.client_order_id == client_order_id)
    return conn.scalar(query) is not None
