"""Binance JSON <-> order lists (OCO / OTO / OTOCO), and answers that mix orders with order lists.

See crbot.binance.codec for the conventions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from crbot.binance.fields import Json, malformed, ms_time, need
from crbot.binance.orders import (
    is_order_report,
    order_ack_json,
    order_cancel_json,
    order_from_json,
    order_json,
)
from crbot.clock import to_ms
from crbot.domain import Fill, ListKind, ListOrderStatus, ListStatusType, OrderListView, OrderView


def order_list_json(
    view: OrderListView,
    *,
    reports: str | None = "result",
    cancel_client_order_id: str = "",
    fills: Mapping[int, Sequence[Fill]] | None = None,
    reported: Sequence[OrderView] | None = None,
) -> Json:
    """An order list response. ``reports`` shapes ``orderReports``: None (queries and ``openOrderList``
    carry none), "ack", "result", "full" (``fills`` by order id) or "cancel". ``reported`` narrows the
    reports to some legs (a cancel reports the legs it canceled, not an entry that had filled)."""
    data: Json = {
        "orderListId": view.order_list_id,
        "contingencyType": view.contingency_type,
        "listStatusType": view.status.value,
        "listOrderStatus": view.order_status.value,
        "listClientOrderId": view.list_client_id,
        "transactionTime": to_ms(view.update_time),
        "symbol": view.symbol,
        "orders": [_leg_json(o) for o in view.orders],
    }
    legs = view.orders if reported is None else reported
    if reports == "ack":
        data["orderReports"] = [order_ack_json(o) for o in legs]
    elif reports == "result":
        data["orderReports"] = [order_json(o) for o in legs]
    elif reports == "full":
        data["orderReports"] = [order_json(o, full=True, fills=(fills or {}).get(o.order_id, ())) for o in legs]
    elif reports == "cancel":
        data["orderReports"] = [order_cancel_json(o, cancel_client_order_id=cancel_client_order_id) for o in legs]
    return data


def _leg_json(view: OrderView) -> Json:
    return {"symbol": view.symbol, "orderId": view.order_id, "clientOrderId": view.client_order_id}


def order_list_from_json(data: Mapping[str, Any]) -> OrderListView:
    """Any order list response: placement, cancel, query, ``openOrderList`` items.

    ``orders`` holds the ``orderReports`` that give an order's state (RESULT, FULL and cancel answers);
    ACK reports and queries carry none, so it is empty for them: ``order_list_legs`` gives their
    (orderId, clientOrderId) pairs instead.
    """
    what = f"order list {data.get('orderListId', '?')}"
    when = ms_time(data, "transactionTime", "transactTime")
    if when is None:
        raise malformed(what, "transactionTime")
    legs = order_list_legs(data)
    if data.get("contingencyType", "OCO") == "OCO":
        kind = ListKind.OCO
    else:  # Binance reports an OTOCO as "OTO": its three legs tell them apart
        kind = ListKind.OTOCO if len(legs) == 3 else ListKind.OTO
    done = data.get("listStatusType") == "ALL_DONE" or data.get("listOrderStatus") in ("ALL_DONE", "REJECT")
    return OrderListView(
        order_list_id=int(need(data, "orderListId", what)),
        list_client_id=str(data.get("listClientOrderId", "")),
        symbol=str(need(data, "symbol", what)),
        kind=kind,
        status=ListStatusType.ALL_DONE if done else ListStatusType.EXEC_STARTED,
        order_status=ListOrderStatus.ALL_DONE if done else ListOrderStatus.EXECUTING,
        time=when,
        update_time=when,
        orders=tuple(_reports(data, when)),
    )


def _reports(data: Mapping[str, Any], default_time: datetime | None) -> list[OrderView]:
    """The legs an order list answer reports on; the list's own time covers a report without one."""
    when = ms_time(data, "transactionTime", "transactTime") or default_time
    return [order_from_json(r, default_time=when) for r in data.get("orderReports") or () if is_order_report(r)]


def order_list_legs(data: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(orderId, clientOrderId) of every leg of an order list response."""
    return [(int(o["orderId"]), str(o.get("clientOrderId", ""))) for o in data.get("orders") or ()]


def orders_from_json(
    payload: Mapping[str, Any] | Iterable[Mapping[str, Any]], *, default_time: datetime | None = None
) -> list[OrderView]:
    """The orders of an answer that may hold one order, one order list or a list mixing both (a cancel,
    ``DELETE /api/v3/openOrders``, ``openOrders``): each order list contributes its ``orderReports``.
    ACK-shaped items (no status) are left out: they do not say what state the order is in. Only the
    reports are read, so an order list answer lacking its own fields still gives its orders."""
    items: Iterable[Mapping[str, Any]] = [payload] if isinstance(payload, Mapping) else payload
    views: list[OrderView] = []
    for item in items:
        if "orderReports" in item:
            views.extend(_reports(item, default_time))
        elif is_order_report(item):
            views.append(order_from_json(item, default_time=default_time))
    return views
