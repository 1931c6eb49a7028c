"""TRADE endpoints of the local exchange: orders, order lists (OCO / OTO / OTOCO), cancels.

Parameters are checked the way Binance checks them (mandatory per type, -1106 for a price on a
MARKET order, -1100 for ``1e-05``) before the engine sees an ``OrderSpec``; the engine's errors
become Binance replies in crbot.binance.errors.error_reply. The paper exchange models GTC orders of the
crbot.domain.OrderType kinds only: icebergs, trailing stops, pegs, IOC/FOK and quote-quantity market
orders are refused with Binance's own "not supported" answers.
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
from crbot.domain import Fill, OrderListSpec, OrderSpec, OrderStatus, OrderType, OrderView, Side
from crbot.errors import ExchangeRejected, OrderNotFound
from crbot.exchange.filters import validate_order
from crbot.localexchange.account import find_list
from crbot.localexchange.market import average_price
from crbot.localexchange.params import Params, missing
from crbot.localexchange.venue import Reply, Venue, new_client_id

BINANCE_TYPES = (
    "LIMIT",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
    "LIMIT_MAKER",
)
_RESP_TYPES = ("ACK", "RESULT", "FULL")
_UNSUPPORTED = ("icebergQty", "trailingDelta", "pegPriceType", "pegOffsetValue", "pegOffsetType")


def _unsupported() -> ExchangeRejected:
    return ExchangeRejected("Unsupported order combination.", code=-1014)


def _name(prefix: str, field: str) -> str:
    return prefix + field[0].upper() + field[1:] if prefix else field


def parse_leg(
    p: Params,
    symbol: str,
    *,
    prefix: str = "",
    side: Side | None = None,
    quantity_field: str | None = None,
    client_id_field: str | None = None,
) -> OrderSpec:
    """One order from its parameters: plain (``type``, ``price`` ...) or an order list leg
    (``workingType``, ``abovePrice`` ...). ``side`` / ``quantity_field`` cover the OCO and OTOCO
    parameters that both legs share."""
    raw_type = p.choice(_name(prefix, "type"), BINANCE_TYPES, required=True)
    if raw_type not in OrderType.__members__:
        raise _unsupported()  # STOP_LOSS / TAKE_PROFIT (market on trigger) are not modelled
    otype = OrderType(raw_type)
    if side is None:
        side = Side(p.choice(_name(prefix, "side"), ("BUY", "SELL"), required=True))
    for field in _UNSUPPORTED:
        if p.has(_name(prefix, field)):
            raise _unsupported()
    qty_name = quantity_field or _name(prefix, "quantity")
    if not prefix and otype is OrderType.MARKET and p.has("quoteOrderQty"):
        raise ExchangeRejected("Quote order qty market orders are not support for this symbol.", code=-2010)
    quantity = p.decimal(qty_name, required=True)
    price_name, stop_name, tif_name = _name(prefix, "price"), _name(prefix, "stopPrice"), _name(prefix, "timeInForce")
    price = p.decimal(price_name, required=otype.has_price)
    stop = p.decimal(stop_name, required=otype.has_stop)
    if not otype.has_price:
        p.forbid(price_name)
    if not otype.has_stop:
        p.forbid(stop_name)
    tif = p.choice(tif_name, ("GTC", "IOC", "FOK"), required=otype.has_time_in_force)
    if not otype.has_time_in_force:
        p.forbid(tif_name)
    elif tif != "GTC":
        raise _unsupported()
    client_id = p.client_id(client_id_field or _name(prefix, "clientOrderId")) or new_client_id()
    assert quantity is not None
    return OrderSpec(
        client_order_id=client_id,
        symbol=symbol,
        side=side,
        type=otype,
        quantity=quantity,
        price=price,
        stop_price=stop,
    )


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
    spec = parse_leg(p, symbol, client_id_field="newClientOrderId")
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
    spec = parse_leg(p, symbol, client_id_field="newClientOrderId")
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


def _list_client_id(p: Params) -> str:
    return p.client_id("listClientOrderId") or new_client_id()


def new_oco(venue: Venue, p: Params) -> Reply:
    symbol = _symbol(venue, p)
    above, below = _oco_legs(p, symbol)
    spec = OrderListSpec(list_client_id=_list_client_id(p), symbol=symbol, working=None, pending=(above, below))
    return _place_list(venue, p, spec)


def new_oto(venue: Venue, p: Params) -> Reply:
    symbol = _symbol(venue, p)
    working = _working(p, symbol)
    pending = parse_leg(p, symbol, prefix="pending")
    spec = OrderListSpec(list_client_id=_list_client_id(p), symbol=symbol, working=working, pending=(pending,))
    return _place_list(venue, p, spec)


def new_otoco(venue: Venue, p: Params) -> Reply:
    symbol = _symbol(venue, p)
    working = _working(p, symbol)
    above, below = _oco_legs(p, symbol, prefix="pending")
    spec = OrderListSpec(list_client_id=_list_client_id(p), symbol=symbol, working=working, pending=(above, below))
    return _place_list(venue, p, spec)


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


def _working(p: Params, symbol: str) -> OrderSpec:
    spec = parse_leg(p, symbol, prefix="working")
    if spec.type not in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
        raise ExchangeRejected("Unsupported order combination.", code=-1014)
    return spec


def _oco_legs(p: Params, symbol: str, *, prefix: str = "") -> tuple[OrderSpec, OrderSpec]:
    """The above and below legs of an OCO, sharing one side and one quantity (``side``, ``aboveType`` ...;
    with ``prefix="pending"`` the OCO half of an OTOCO: ``pendingSide``, ``pendingAboveType`` ...)."""
    side = Side(p.choice(_name(prefix, "side"), ("BUY", "SELL"), required=True))
    quantity_field = _name(prefix, "quantity")
    if not p.has(quantity_field):
        raise missing(quantity_field)
    above = parse_leg(p, symbol, prefix=_name(prefix, "above"), side=side, quantity_field=quantity_field)
    below = parse_leg(p, symbol, prefix=_name(prefix, "below"), side=side, quantity_field=quantity_field)
    _check_oco_types(above, below)
    return above, below


def _check_oco_types(above: OrderSpec, below: OrderSpec) -> None:
    # rest-api.md: one leg LIMIT_MAKER / TAKE_PROFIT_LIMIT, the other STOP_LOSS_LIMIT (the engine checks prices)
    types = {above.type, below.type}
    if OrderType.STOP_LOSS_LIMIT not in types or not types & {OrderType.LIMIT_MAKER, OrderType.TAKE_PROFIT_LIMIT}:
        raise ExchangeRejected("Order type not supported in OCO.", code=-1158)
