"""Order parameters of POST /api/v3/order and /orderList/oco|oto|otoco, both directions.

Out (the connector): domain orders -> parameters, every value text: decimals as ``plain`` strings
(python-binance would send ``str(v)``, and Binance rejects ``1E-8``). A malformed order is refused here
(``InvalidInput``), before anything is sent.
In (the local exchange): parameters -> domain orders, checked the way Binance checks them (mandatory per
type, -1106 for a price on a MARKET order, -1100 for ``1e-05``: the value rules are ``query.Params``'s),
refusals are ``ExchangeRejected`` with Binance's code. ``OrderSpec`` carries GTC orders of the
crbot.domain.OrderType kinds only, so icebergs, trailing stops, pegs, IOC/FOK, STOP_LOSS / TAKE_PROFIT
(market on trigger) and quote-quantity market orders are refused with Binance's "not supported" answers.
``parse_order(order_params(spec))`` gives ``spec`` back (tests/binance/test_params_roundtrip.py).
"""

from __future__ import annotations

import secrets
import string

from crbot.binance.fields import CLIENT_ID, plain
from crbot.binance.query import Params, missing
from crbot.domain import OrderListSpec, OrderSpec, OrderType, Side
from crbot.errors import ExchangeRejected, InvalidInput

ORDER_TYPES = ("LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER")
_UNSUPPORTED = ("icebergQty", "trailingDelta", "pegPriceType", "pegOffsetValue", "pegOffsetType")
_ALNUM = string.ascii_letters + string.digits


def _name(prefix: str, field: str) -> str:
    """``price`` for a plain order, ``abovePrice`` / ``pendingAbovePrice`` ... for a list leg."""
    return prefix + field[0].upper() + field[1:] if prefix else field


def new_client_id() -> str:
    """An id like the ones Binance generates when the client sends none."""
    return "".join(secrets.choice(_ALNUM) for _ in range(22))


def check_client_id(client_id: str) -> None:
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidInput(
            f"client order id {client_id!r} is not valid for Binance",
            hint="use 1-36 characters from A-Z a-z 0-9 _ -",
        )


def _leg(spec: OrderSpec, prefix: str, *, side: bool = True, quantity: bool = True) -> dict[str, str]:
    """One order's fields; ``prefix`` "" for a plain order, else working/pending/above/below names."""

    def key(name: str) -> str:
        return _name(prefix, name)

    check_client_id(spec.client_order_id)
    if spec.type.has_price and spec.price is None:
        raise InvalidInput(f"{spec.type} order {spec.client_order_id} has no price", hint="set a limit price")
    if spec.type.has_stop and spec.stop_price is None:
        raise InvalidInput(f"{spec.type} order {spec.client_order_id} has no stop price", hint="set a stop price")
    if spec.quantity <= 0:
        raise InvalidInput(f"order {spec.client_order_id} has quantity {spec.quantity}", hint="use a positive quantity")
    out = {key("type"): spec.type.value, key("clientOrderId"): spec.client_order_id}
    if not prefix:
        out["newClientOrderId"] = out.pop("clientOrderId")
    if side:
        out[key("side")] = spec.side.value
    if quantity:
        out[key("quantity")] = plain(spec.quantity)
    if spec.type.has_price:
        out[key("price")] = plain(spec.price)  # type: ignore[arg-type]
    if spec.type.has_stop:
        out[key("stopPrice")] = plain(spec.stop_price)  # type: ignore[arg-type]
    if spec.type.has_time_in_force:
        out[key("timeInForce")] = "GTC"
    return out


def order_params(spec: OrderSpec) -> dict[str, str]:
    """POST /api/v3/order for one order (LIMIT GTC, MARKET, LIMIT_MAKER, STOP_LOSS_LIMIT, ...)."""
    return {"symbol": spec.symbol, **_leg(spec, ""), "newOrderRespType": "FULL"}


def list_kind(spec: OrderListSpec) -> str:
    """ "OCO", "OTO" or "OTOCO", or InvalidInput for a shape Binance does not have."""
    n = len(spec.pending)
    kind = {(False, 2): "OCO", (True, 1): "OTO", (True, 2): "OTOCO"}.get((spec.working is not None, n))
    if kind is None:
        raise InvalidInput(
            f"order list {spec.list_client_id}: {n} pending order(s) "
            f"{'with' if spec.working else 'without'} a working order",
            hint="use OCO (two orders), OTO (working + one) or OTOCO (working + two)",
        )
    if any(o.symbol != spec.symbol for o in spec.orders):
        raise InvalidInput(f"order list {spec.list_client_id} mixes symbols", hint="one symbol per order list")
    return kind


def order_list_params(spec: OrderListSpec) -> tuple[str, dict[str, str]]:
    """The kind ("OCO" / "OTO" / "OTOCO", which names the endpoint) and its parameters."""
    kind = list_kind(spec)
    check_client_id(spec.list_client_id)
    params = {"symbol": spec.symbol, "listClientOrderId": spec.list_client_id, "newOrderRespType": "RESULT"}
    if kind == "OTO":
        params |= _leg(spec.working, "working") | _leg(spec.pending[0], "pending")  # type: ignore[arg-type]
        return kind, params
    above, below = _above_below(spec)
    if above.side != below.side or above.quantity != below.quantity:
        raise InvalidInput(
            f"order list {spec.list_client_id}: the two exit orders differ in side or quantity",
            hint="an OCO pair shares one side and one quantity",
        )
    if kind == "OCO":
        params |= {"side": above.side.value, "quantity": plain(above.quantity)}
        params |= _leg(above, "above", side=False, quantity=False) | _leg(below, "below", side=False, quantity=False)
        return kind, params
    params |= _leg(spec.working, "working")  # type: ignore[arg-type]
    params |= {"pendingSide": above.side.value, "pendingQuantity": plain(above.quantity)}
    params |= _leg(above, "pendingAbove", side=False, quantity=False)
    params |= _leg(below, "pendingBelow", side=False, quantity=False)
    return kind, params


def _above_below(spec: OrderListSpec) -> tuple[OrderSpec, OrderSpec]:
    """A SELL exit's take-profit sits above the market and its stop below; a BUY exit is mirrored."""
    stops = [o for o in spec.pending if o.type is OrderType.STOP_LOSS_LIMIT]
    others = [o for o in spec.pending if o.type is not OrderType.STOP_LOSS_LIMIT]
    if len(stops) != 1:
        raise InvalidInput(
            f"order list {spec.list_client_id}: an OCO needs exactly one STOP_LOSS_LIMIT leg",
            hint="pair a STOP_LOSS_LIMIT stop-loss with a LIMIT_MAKER or TAKE_PROFIT_LIMIT take-profit",
        )
    stop, other = stops[0], others[0]
    return (other, stop) if stop.side is Side.SELL else (stop, other)


# --- in: parameters -> orders -------------------------------------------------------------------------


def parse_order(p: Params, symbol: str) -> OrderSpec:
    """POST /api/v3/order (and /order/test): the inverse of ``order_params``; ``symbol`` already checked."""
    return _parse_leg(p, symbol, client_id_field="newClientOrderId")


def parse_order_list(kind: str, p: Params, symbol: str) -> OrderListSpec:
    """POST /api/v3/orderList/{kind} (``kind`` "OCO", "OTO" or "OTOCO"): the inverse of ``order_list_params``;
    an OCO pair comes back as (above, below)."""
    if kind not in ("OCO", "OTO", "OTOCO"):
        raise ValueError(f"not an order list kind: {kind!r}")
    working = None if kind == "OCO" else _parse_leg(p, symbol, prefix="working")
    if working is not None and working.type not in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
        raise _unsupported()
    pending: tuple[OrderSpec, ...]
    if kind == "OTO":
        pending = (_parse_leg(p, symbol, prefix="pending"),)
    else:
        pending = _parse_oco(p, symbol, prefix="" if kind == "OCO" else "pending")
    list_id = p.client_id("listClientOrderId") or new_client_id()
    return OrderListSpec(list_client_id=list_id, symbol=symbol, working=working, pending=pending)


def _unsupported() -> ExchangeRejected:
    return ExchangeRejected("Unsupported order combination.", code=-1014)


def _parse_leg(
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
    raw_type = p.choice(_name(prefix, "type"), ORDER_TYPES, required=True)
    if raw_type not in OrderType.__members__:
        raise _unsupported()  # STOP_LOSS / TAKE_PROFIT (market on trigger) are not modelled
    otype = OrderType(raw_type)
    if side is None:
        side = Side(p.choice(_name(prefix, "side"), ("BUY", "SELL"), required=True))
    for field in _UNSUPPORTED:
        if p.has(_name(prefix, field)):
            raise _unsupported()
    if not prefix and otype is OrderType.MARKET and p.has("quoteOrderQty"):
        raise ExchangeRejected("Quote order qty market orders are not support for this symbol.", code=-2010)
    quantity = p.decimal(quantity_field or _name(prefix, "quantity"), required=True)
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
    assert quantity is not None  # required above
    return OrderSpec(
        client_order_id=client_id,
        symbol=symbol,
        side=side,
        type=otype,
        quantity=quantity,
        price=price,
        stop_price=stop,
    )


def _parse_oco(p: Params, symbol: str, *, prefix: str = "") -> tuple[OrderSpec, OrderSpec]:
    """The above and below legs of an OCO, sharing one side and one quantity (``side``, ``aboveType`` ...;
    with ``prefix="pending"`` the OCO half of an OTOCO: ``pendingSide``, ``pendingAboveType`` ...)."""
    side = Side(p.choice(_name(prefix, "side"), ("BUY", "SELL"), required=True))
    quantity_field = _name(prefix, "quantity")
    if not p.has(quantity_field):
        raise missing(quantity_field)
    above = _parse_leg(p, symbol, prefix=_name(prefix, "above"), side=side, quantity_field=quantity_field)
    below = _parse_leg(p, symbol, prefix=_name(prefix, "below"), side=side, quantity_field=quantity_field)
    # rest-api.md: one leg LIMIT_MAKER / TAKE_PROFIT_LIMIT, the other STOP_LOSS_LIMIT (the engine checks prices)
    types = {above.type, below.type}
    if OrderType.STOP_LOSS_LIMIT not in types or not types & {OrderType.LIMIT_MAKER, OrderType.TAKE_PROFIT_LIMIT}:
        raise ExchangeRejected("Order type not supported in OCO.", code=-1158)
    return above, below
