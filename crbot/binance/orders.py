"""Binance JSON <-> single orders: the new-order ACK / RESULT / FULL, query and cancel shapes.

See crbot.binance.codec for the conventions; order lists are in lists.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crbot.binance.fields import (
    Json,
    dec,
    malformed,
    ms_time,
    need,
    opt_dec,
    order_type_of,
    req_dec,
    side_of,
    status_of,
)
from crbot.clock import to_ms
from crbot.domain import ZERO, Fill, OrderSpec, OrderStatus, OrderView

STP_MODE = "EXPIRE_MAKER"  # what SymbolRules.to_exchange_info announces as the default


# --------------------------------------------------------------------------------------------------
# orders -> JSON (served by the local exchange)


def order_ack_json(view: OrderView) -> Json:
    """``newOrderRespType=ACK``."""
    return {
        "symbol": view.symbol,
        "orderId": view.order_id,
        "orderListId": view.order_list_id,
        "clientOrderId": view.client_order_id,
        "transactTime": to_ms(view.update_time),  # the transaction this report answers
    }


def order_json(view: OrderView, *, full: bool = False, fills: Iterable[Fill] = ()) -> Json:
    """A new order's ``RESULT`` response; ``full=True`` adds ``fills`` (the FULL shape)."""
    data = {
        **order_ack_json(view),
        **_order_body(view),
        "workingTime": _working_time(view),
        "selfTradePreventionMode": STP_MODE,
    }
    if full:
        data["fills"] = [order_fill_json(f) for f in fills]
    return data


def order_query_json(view: OrderView) -> Json:
    """``GET /api/v3/order``, ``openOrders`` and ``allOrders`` items."""
    body = _order_body(view)
    body.setdefault("stopPrice", dec(ZERO))  # the query shape always carries it
    return {
        "symbol": view.symbol,
        "orderId": view.order_id,
        "orderListId": view.order_list_id,
        "clientOrderId": view.client_order_id,
        **body,
        "icebergQty": dec(ZERO),
        "time": to_ms(view.time),
        "updateTime": to_ms(view.update_time),
        "isWorking": _is_working(view),
        "workingTime": _working_time(view),
        "selfTradePreventionMode": STP_MODE,
    }


def order_cancel_json(view: OrderView, *, cancel_client_order_id: str) -> Json:
    """``DELETE /api/v3/order``: ``clientOrderId`` names the cancel, ``origClientOrderId`` the order."""
    return {
        "symbol": view.symbol,
        "origClientOrderId": view.client_order_id,
        "orderId": view.order_id,
        "orderListId": view.order_list_id,
        "clientOrderId": cancel_client_order_id,
        "transactTime": to_ms(view.update_time),
        **_order_body(view),
        "selfTradePreventionMode": STP_MODE,
    }


def order_fill_json(fill: Fill) -> Json:
    """One element of a FULL response's ``fills``."""
    return {
        "price": dec(fill.price),
        "qty": dec(fill.quantity),
        "commission": dec(fill.commission),
        "commissionAsset": fill.commission_asset,
        "tradeId": fill.trade_id,
    }


def _order_body(view: OrderView) -> Json:
    body: Json = {
        "price": dec(view.price),
        "origQty": dec(view.quantity),
        "executedQty": dec(view.executed_qty),
        "origQuoteOrderQty": dec(ZERO),
        "cummulativeQuoteQty": dec(view.cumulative_quote),  # sic: Binance's spelling
        "status": view.status.value,
        "timeInForce": "GTC",
        "type": view.type.value,
        "side": view.side.value,
    }
    if view.type.has_stop or view.stop_price is not None:
        body["stopPrice"] = dec(view.stop_price)
    return body


def _is_working(view: OrderView) -> bool:
    # A stop order rests outside the book until its stop price trades; a pending leg waits for its trigger.
    return view.status is not OrderStatus.PENDING_NEW and not view.type.has_stop


def _working_time(view: OrderView) -> int:
    return to_ms(view.time) if _is_working(view) else -1


# --------------------------------------------------------------------------------------------------
# JSON -> orders (read by the Binance connector)


def is_order_report(data: Mapping[str, Any]) -> bool:
    """An item that says what state an order is in; an ACK (no status) only says it was accepted."""
    return "orderId" in data and data.get("status") not in (None, "")


def order_from_json(
    data: Mapping[str, Any], *, spec: OrderSpec | None = None, default_time: datetime | None = None
) -> OrderView:
    """Any order shape Binance returns: new order ACK / RESULT / FULL, query, ``openOrders``,
    ``allOrders``, cancel, and order list ``orderReports`` items.

    An ACK carries no side, type, quantity or status: pass the ``spec`` that was sent and the
    view is completed from it (status NEW). ``default_time`` covers reports without a time of their
    own. A cancel names the cancel request in ``clientOrderId``: the order's id is ``origClientOrderId``.
    """
    what = f"order {data.get('orderId', '?')}"
    symbol = str(data.get("symbol") or (spec.symbol if spec else "")) or None
    client_id = data.get("origClientOrderId") or data.get("clientOrderId") or (spec.client_order_id if spec else None)
    side = data.get("side") or (spec.side.value if spec else None)
    otype = data.get("type") or (spec.type.value if spec else None)
    quantity = opt_dec(data, "origQty")
    quantity = quantity if quantity is not None else (spec.quantity if spec else None)
    for name, value in (("symbol", symbol), ("clientOrderId", client_id), ("side", side), ("type", otype)):
        if value is None:
            raise malformed(what, name)
    if quantity is None:
        raise malformed(what, "origQty")
    created = ms_time(data, "time", "workingTime", "transactTime") or default_time
    if created is None:
        raise malformed(what, "time")
    updated = ms_time(data, "updateTime", "transactTime") or created
    price = opt_dec(data, "price")
    stop = opt_dec(data, "stopPrice")
    if price is None and spec is not None:
        price = spec.price
    if stop is None and spec is not None:
        stop = spec.stop_price
    cumulative = opt_dec(data, "cummulativeQuoteQty", "cumulativeQuoteQty") or ZERO
    if cumulative < 0:  # "not available" for some historical orders
        cumulative = ZERO
    return OrderView(
        client_order_id=str(client_id),
        order_id=int(need(data, "orderId", what)),
        symbol=str(symbol),
        side=side_of(side, what),
        type=order_type_of(otype, what),
        status=status_of(data.get("status")),
        quantity=quantity,
        executed_qty=opt_dec(data, "executedQty") or ZERO,
        cumulative_quote=cumulative,
        price=price or None,  # Binance sends 0 for "no price" (MARKET)
        stop_price=stop or None,
        order_list_id=int(data.get("orderListId", -1)),
        time=created,
        update_time=updated,
    )


def fills_from_order_json(data: Mapping[str, Any], *, spec: OrderSpec | None = None) -> list[Fill]:
    """The ``fills`` of a FULL new-order response, completed from the order (placement fills are taker)."""
    raw = data.get("fills") or ()
    if not raw:
        return []
    order = order_from_json(data, spec=spec)
    fills = []
    for item in raw:
        what = f"fill of order {order.order_id}"
        price, qty = req_dec(item, "price", what), req_dec(item, "qty", what)
        fills.append(
            Fill(
                symbol=order.symbol,
                trade_id=int(need(item, "tradeId", what)),
                order_id=order.order_id,
                side=order.side,
                price=price,
                quantity=qty,
                quote_qty=price * qty,
                commission=opt_dec(item, "commission") or ZERO,
                commission_asset=str(item.get("commissionAsset", "")),
                is_maker=False,
                time=order.update_time,
            )
        )
    return fills
