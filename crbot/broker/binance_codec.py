"""Binance spot JSON <-> domain values: request parameters out, orders / fills / balances in.

Decimals go out as ``format(d, "f")`` strings (python-binance would send ``str(v)``, and Binance
rejects ``1E-8``); every value comes back through ``Decimal(str)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from crbot.clock import from_ms
from crbot.domain import (
    ZERO,
    Balance,
    Commissions,
    Fill,
    OrderListSpec,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    Side,
)
from crbot.errors import ExchangeRejected, InvalidInput

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
_WITH_TIF = {OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
_WITH_STOP = {OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
_WITH_PRICE = _WITH_TIF | {OrderType.LIMIT_MAKER}


def dec(value: Decimal) -> str:
    return format(value, "f")


def check_client_id(client_id: str) -> None:
    if not CLIENT_ID.match(client_id):
        raise InvalidInput(
            f"client order id {client_id!r} is not valid for Binance",
            hint="use 1-36 characters from A-Z a-z 0-9 _ -",
        )


def _leg(spec: OrderSpec, prefix: str, *, side: bool = True, quantity: bool = True) -> dict[str, str]:
    """One order's fields; ``prefix`` "" for a plain order, else working/pending/above/below names."""

    def key(name: str) -> str:
        return prefix + name[0].upper() + name[1:] if prefix else name

    check_client_id(spec.client_order_id)
    if spec.type in _WITH_PRICE and spec.price is None:
        raise InvalidInput(f"{spec.type} order {spec.client_order_id} has no price", hint="set a limit price")
    if spec.type in _WITH_STOP and spec.stop_price is None:
        raise InvalidInput(f"{spec.type} order {spec.client_order_id} has no stop price", hint="set a stop price")
    if spec.quantity <= 0:
        raise InvalidInput(f"order {spec.client_order_id} has quantity {spec.quantity}", hint="use a positive quantity")
    out = {key("type"): spec.type.value, key("clientOrderId"): spec.client_order_id}
    if not prefix:
        out["newClientOrderId"] = out.pop("clientOrderId")
    if side:
        out[key("side")] = spec.side.value
    if quantity:
        out[key("quantity")] = dec(spec.quantity)
    if spec.type in _WITH_PRICE:
        out[key("price")] = dec(spec.price)  # type: ignore[arg-type]
    if spec.type in _WITH_STOP:
        out[key("stopPrice")] = dec(spec.stop_price)  # type: ignore[arg-type]
    if spec.type in _WITH_TIF:
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
        params |= {"side": above.side.value, "quantity": dec(above.quantity)}
        params |= _leg(above, "above", side=False, quantity=False) | _leg(below, "below", side=False, quantity=False)
        return kind, params
    params |= _leg(spec.working, "working")  # type: ignore[arg-type]
    params |= {"pendingSide": above.side.value, "pendingQuantity": dec(above.quantity)}
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


def _ms(raw: Mapping[str, Any], *keys: str) -> datetime | None:
    for key in keys:
        value = raw.get(key)
        if isinstance(value, int) and value > 0:
            return from_ms(value)
    return None


def _price(raw: Mapping[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    return None if value in (None, "") or Decimal(value) == 0 else Decimal(value)


def parse_order(raw: Mapping[str, Any], *, now: datetime) -> OrderView:
    """An order from a placement (RESULT/FULL), query, open-orders or cancel answer."""
    try:
        type_, status = OrderType(raw["type"]), OrderStatus(raw["status"])
    except ValueError as exc:
        raise ExchangeRejected(
            f"Binance reported order {raw.get('clientOrderId')} on {raw.get('symbol')} as {raw.get('type')} "
            f"{raw.get('status')}, which CRBOT does not handle",
            hint="manage that order on Binance directly (it was not placed by CRBOT)",
        ) from exc
    created = _ms(raw, "time", "transactTime", "workingTime") or now
    quote = Decimal(raw.get("cummulativeQuoteQty") or "0")
    return OrderView(
        client_order_id=raw.get("origClientOrderId") or raw["clientOrderId"],  # a cancel answer renames it
        order_id=int(raw["orderId"]),
        symbol=raw["symbol"],
        side=Side(raw["side"]),
        type=type_,
        status=status,
        quantity=Decimal(raw["origQty"]),
        executed_qty=Decimal(raw.get("executedQty") or "0"),
        cumulative_quote=quote if quote > 0 else ZERO,  # < 0 on some historical orders: unknown
        price=_price(raw, "price"),
        stop_price=_price(raw, "stopPrice"),
        order_list_id=int(raw.get("orderListId", -1)),
        time=created,
        update_time=_ms(raw, "updateTime", "transactTime") or created,
    )


def order_reports(raw: Any) -> list[Mapping[str, Any]]:
    """Flatten an answer holding orders and/or order lists (each with ``orderReports``)."""
    items: Iterable[Any] = raw if isinstance(raw, list) else [raw]
    out: list[Mapping[str, Any]] = []
    for item in items:
        if "orderReports" in item:
            out.extend(item["orderReports"])
        elif "orderId" in item and "type" in item:
            out.append(item)
    return out


def parse_fill(raw: Mapping[str, Any]) -> Fill:
    """One row of GET /api/v3/myTrades."""
    return Fill(
        symbol=raw["symbol"],
        trade_id=int(raw["id"]),
        order_id=int(raw["orderId"]),
        side=Side.BUY if raw["isBuyer"] else Side.SELL,
        price=Decimal(raw["price"]),
        quantity=Decimal(raw["qty"]),
        quote_qty=Decimal(raw.get("quoteQty") or Decimal(raw["price"]) * Decimal(raw["qty"])),
        commission=Decimal(raw["commission"]),
        commission_asset=raw["commissionAsset"],
        is_maker=bool(raw["isMaker"]),
        time=from_ms(int(raw["time"])),
    )


def parse_balances(account: Mapping[str, Any]) -> list[Balance]:
    """Non-zero balances of GET /api/v3/account, by asset name."""
    out = [Balance(asset=b["asset"], free=Decimal(b["free"]), locked=Decimal(b["locked"])) for b in account["balances"]]
    return sorted((b for b in out if b.total != 0), key=lambda b: b.asset)


def parse_commissions(account: Mapping[str, Any]) -> Commissions:
    """commissionRates (fractions as strings); the older makerCommission is in basis points."""
    rates = account.get("commissionRates")
    if rates:
        return Commissions(maker=Decimal(rates["maker"]), taker=Decimal(rates["taker"]))
    bps = Decimal(10000)
    return Commissions(maker=Decimal(account["makerCommission"]) / bps, taker=Decimal(account["takerCommission"]) / bps)


def weight_limit(exchange_info: Mapping[str, Any]) -> int | None:
    """The REQUEST_WEIGHT limit per 1 minute from exchangeInfo's rateLimits."""
    for limit in exchange_info.get("rateLimits", ()):
        one_minute = limit.get("interval") == "MINUTE" and int(limit.get("intervalNum", 1)) == 1
        if limit.get("rateLimitType") == "REQUEST_WEIGHT" and one_minute:
            return int(limit["limit"])
    return None
