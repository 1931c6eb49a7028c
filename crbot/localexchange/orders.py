"""TRADE endpoints of the local exchange: orders, order lists (OCO / OTO / OTOCO), cancels.

The orders are read from the parameters by crbot.binance.params (``parse_order``, ``parse_order_list``:
Binance's checks and refusals) before the engine sees an ``OrderSpec``; the engine's errors become Binance
replies in crbot.binance.errors.error_reply.
"""

from __future__ import annotations

from datetime import timedelta

from crbot.binance.codec import (
    order_ack_json,
    order_cancel_json,
    order_json,
    order_list_json,
    order_query_json,
)
from crbot.binance.params import new_client_id, parse_order, parse_order_list
from crbot.binance.query import Params
from crbot.domain import Fill, OrderListSpec, OrderStatus, OrderType, OrderView
from crbot.errors import ExchangeRejected, OrderNotFound
from crbot.exchange.filters import validate_order
from crbot.localexchange.account import find_list
from crbot.localexchange.market import average_price
from crbot.localexchange.venue import Reply, Venue

_RESP_TYPES = ("ACK", "RESULT", "FULL")


def _symbol(venue: Venue, p: Params) -> str:
    symbol = p.symbol(venue.rules)
    assert symbol is not None
    return symbol


def _fills_of(venue: Venue, view: OrderView) -> list[Fill]:
    if not view.executed_qty:
        return []
    since = view.time - timedelta(milliseconds=1)
    return [f for f in venue.engine.trades(view.symbol, start=since, limit=1000) if f.order_id == view.order_id]


def new_order(venue: Venue, p: Params) -> Reply:
    symbol = _symbol(venue, p)
    spec = parse_order(p, symbol)
    default = "FULL" if spec.type in (OrderType.MARKET, OrderType.LIMIT) else "ACK"
    resp = p.choice("newOrderRespType", _RESP_TYPES) or default
    view = venue.engine.new_order(spec)
    if resp == "ACK":
        return Reply(body=order_ack_json(view), new_orders=1)
    if resp == "RESULT":
        return Reply(body=order_json(view), new_orders=1)
    return Reply(body=order_json(view, full=True, fills=view.fills), new_orders=1)


def order_test_weight(p: Params) -> int:
    return 20 if (p.raw("computeCommissionRates") or "").lower() == "true" else 1


def order_test(venue: Venue, p: Params) -> Reply:
    """Validated against the filters, never sent to the engine."""
    symbol = _symbol(venue, p)
    spec = parse_order(p, symbol)
    p.choice("newOrderRespType", _RESP_TYPES)
    now = venue.now()
    validate_order(
        venue.symbol_rules(symbol),
        spec,
        avg_price=average_price(venue, symbol, now),
        open_orders=len(venue.engine.open_orders(symbol)),
    )
    if not p.flag("computeCommissionRates"):
        return Reply(body={})
    rates = {"maker": str(venue.commissions.maker), "taker": str(venue.commissions.taker)}
    zero = {"maker": "0", "taker": "0"}
    return Reply(
        body={
            "standardCommissionForOrder": rates,
            "specialCommissionForOrder": zero,
            "taxCommissionForOrder": zero,
            "discount": {
                "enabledForAccount": False,
                "enabledForSymbol": False,
                "discountAsset": "BNB",
                "discount": "0",
            },
        }
    )


def _order_ref(p: Params) -> tuple[int | None, str | None]:
    order_id = p.long("orderId")
    client_id = p.text("origClientOrderId")
    if order_id is None and client_id is None:
        raise ExchangeRejected(
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!", code=-1102
        )
    return order_id, client_id


def get_order(venue: Venue, p: Params) -> Reply:
    symbol = _symbol(venue, p)
    order_id, client_id = _order_ref(p)
    try:
        view = venue.engine.get_order(symbol, client_order_id=client_id, order_id=order_id)
    except OrderNotFound:
        raise OrderNotFound("Order does not exist.", code=-2013) from None
    return Reply(body=order_query_json(view))


def cancel_order(venue: Venue, p: Params) -> Reply:
    symbol = _symbol(venue, p)
    order_id, client_id = _order_ref(p)
    cancel_id = p.client_id("newClientOrderId") or new_client_id()
    restriction = p.choice("cancelRestrictions", ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"))
    try:
        if restriction is not None:
            current = venue.engine.get_order(symbol, client_order_id=client_id, order_id=order_id)
            if current.status.value != restriction.removeprefix("ONLY_"):
                raise ExchangeRejected("Order was not canceled due to cancel restrictions.", code=-2011)
        view = venue.engine.cancel(symbol, client_order_id=client_id, order_id=order_id)
    except OrderNotFound:
        raise OrderNotFound("Unknown order sent.", code=-2011) from None
    return Reply(body=order_cancel_json(view, cancel_client_order_id=cancel_id))


def cancel_open_orders(venue: Venue, p: Params) -> Reply:
    """Every open order and order list on the symbol; Binance answers -2011 when nothing was open."""
    symbol = _symbol(venue, p)
    cancel_id = new_client_id()
    canceled = venue.engine.cancel_all(symbol)
    if not canceled:
        raise OrderNotFound("Unknown order sent.", code=-2011)
    body: list[dict[str, object]] = []
    by_list: dict[int, list[OrderView]] = {}
    for view in canceled:
        if view.order_list_id == -1:
            body.append(order_cancel_json(view, cancel_client_order_id=cancel_id))
        else:
            by_list.setdefault(view.order_list_id, []).append(view)
    for list_id, legs in by_list.items():
        lst = find_list(venue, list_id=list_id, list_client_id=None)
        body.append(order_list_json(lst, reports="cancel", cancel_client_order_id=cancel_id, reported=legs))
    return Reply(body=body)


def _place_list(venue: Venue, p: Params, spec: OrderListSpec) -> Reply:
    resp = p.choice("newOrderRespType", _RESP_TYPES) or "ACK"
    views = venue.engine.new_order_list(spec)
    lst = find_list(venue, list_id=views[0].order_list_id, list_client_id=None)
    fills = {v.order_id: _fills_of(venue, v) for v in views} if resp == "FULL" else None
    return Reply(body=order_list_json(lst, reports=resp.lower(), fills=fills), new_orders=len(views))


def new_oco(venue: Venue, p: Params) -> Reply:
    return _place_list(venue, p, parse_order_list("OCO", p, _symbol(venue, p)))


def new_oto(venue: Venue, p: Params) -> Reply:
    return _place_list(venue, p, parse_order_list("OTO", p, _symbol(venue, p)))


def new_otoco(venue: Venue, p: Params) -> Reply:
    return _place_list(venue, p, parse_order_list("OTOCO", p, _symbol(venue, p)))


def cancel_order_list(venue: Venue, p: Params) -> Reply:
    symbol = _symbol(venue, p)
    list_id = p.long("orderListId")
    client_id = p.text("listClientOrderId")
    if list_id is None and client_id is None:
        raise ExchangeRejected(
            "Param 'orderListId' or 'listClientOrderId' must be sent, but both were empty/null!", code=-1102
        )
    cancel_id = p.client_id("newClientOrderId") or new_client_id()
    try:
        views = venue.engine.cancel_list(symbol, list_id=list_id, list_client_id=client_id)
    except OrderNotFound:
        raise OrderNotFound("Unknown order list sent.", code=-2011) from None
    lst = find_list(venue, list_id=views[0].order_list_id, list_client_id=None)
    canceled = [v for v in views if v.status is OrderStatus.CANCELED]
    return Reply(body=order_list_json(lst, reports="cancel", cancel_client_order_id=cancel_id, reported=canceled))
