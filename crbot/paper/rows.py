"""Rows of the paper book as one transaction holds them: mutable while it runs, views on the way out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from crbot.domain import (
    Fill,
    ListKind,
    ListOrderStatus,
    ListStatusType,
    OrderListView,
    OrderStatus,
    OrderType,
    OrderView,
    Side,
)
from crbot.paper import store

OPEN = (OrderStatus.PENDING_NEW.value, OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)
ACTIVE = (OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)  # on the book: can match


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
        return self.type.has_stop and not self.triggered

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


# an order's view read untyped (no per-value type processing): the open-orders listing on every order path
VIEW_COLUMNS = (
    "client_order_id", "order_id", "symbol", "side", "type", "status", "quantity", "executed_qty",
    "cumulative_quote", "price", "stop_price", "order_list_id", "time", "update_time",
)  # fmt: skip


def view_from_raw(raw: Sequence[Any]) -> OrderView:
    """``VIEW_COLUMNS`` as stored -> the view (the same conversions as store's column types)."""
    cid, order_id, symbol, side, type_, status, qty, executed, quote, price, stop, list_id, time, updated = raw
    return OrderView(
        client_order_id=cid,
        order_id=order_id,
        symbol=symbol,
        side=Side(side),
        type=OrderType(type_),
        status=OrderStatus(status),
        quantity=Decimal(qty),
        executed_qty=Decimal(executed),
        cumulative_quote=Decimal(quote),
        price=store.to_decimal(price),
        stop_price=store.to_decimal(stop),
        order_list_id=list_id,
        time=store.to_utc(time),
        update_time=store.to_utc(updated),
    )


_ORDER_PLAIN = tuple(
    c.name for c in store.orders.columns if c.name not in ("side", "type", "status")
)  # columns copied as they come
ORDER_MUTABLE = ("status", "executed_qty", "cumulative_quote", "locked", "triggered", "update_time", "active_from")


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


def fill_from_row(row: Row[Any]) -> Fill:
    return Fill.from_record(row)  # the journal builds its fills the same way
