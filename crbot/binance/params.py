"""Domain orders -> Binance request parameters (POST /api/v3/order, /orderList/oco|oto|otoco).

Every value is text: decimals as ``plain`` strings (python-binance would send ``str(v)``, and Binance
rejects ``1E-8``). A malformed order is refused here, before anything is sent.
"""

from __future__ import annotations

import re

from crbot.binance.fields import plain
from crbot.domain import OrderListSpec, OrderSpec, OrderType, Side
from crbot.errors import InvalidInput

# Stricter than Binance (which also allows '.', ':' and '/'): CRBOT's own ids never need them.
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def check_client_id(client_id: str) -> None:
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidInput(
            f"client order id {client_id!r} is not valid for Binance",
            hint="use 1-36 characters from A-Z a-z 0-9 _ -",
        )


def _leg(spec: OrderSpec, prefix: str, *, side: bool = True, quantity: bool = True) -> dict[str, str]:
    """One order's fields; ``prefix`` "" for a plain order, else working/pending/above/below names."""

    def key(name: str) -> str:
        return prefix + name[0].upper() + name[1:] if prefix else name

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
