"""Request validation, before anything changes: the paper exchange refuses what Binance would refuse.

Order of checks as on Binance: the symbol (-1121), the request's shape (-1102 / -1158), the filters
(-1013, ``FilterError``), then the matching engine's own refusals (-2010): duplicate ids, a LIMIT_MAKER
that would take, a stop that would trigger at once, OCO prices in the wrong order. Balances are checked
by the engine when it locks (-2010 insufficient balance).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal

from crbot.binance.fields import CLIENT_ID
from crbot.domain import ListKind, OrderListSpec, OrderSpec, OrderType, Side
from crbot.errors import ExchangeRejected, InvalidInput, fmt
from crbot.exchange import filters
from crbot.exchange.rules import SymbolRules

DUPLICATE = "Duplicate order sent."
WOULD_TAKE = "Order would immediately match and take."
WOULD_TRIGGER = "Order would trigger immediately."
BAD_RELATIONSHIP = "The relationship of the prices for the orders is not correct."
WORKING_TYPES = frozenset({OrderType.LIMIT, OrderType.LIMIT_MAKER})
TAKE_PROFIT_LEGS = frozenset({OrderType.LIMIT_MAKER, OrderType.TAKE_PROFIT_LIMIT})


def symbol_rules(rules: Mapping[str, SymbolRules], symbol: str) -> SymbolRules:
    found = rules.get(symbol)
    if found is None:
        raise InvalidInput("Invalid symbol.", code=-1121, hint=f"{symbol!r} is not traded on the paper exchange")
    return found


def list_kind(spec: OrderListSpec) -> ListKind:
    """OCO (no working order, two legs), OTO (working + one), OTOCO (working + two); else -1102."""
    n = len(spec.pending)
    check_client_id(spec.list_client_id, "listClientOrderId")
    if spec.working is None and n == 2:
        return ListKind.OCO
    if spec.working is not None and n in (1, 2):
        return ListKind.OTO if n == 1 else ListKind.OTOCO
    raise InvalidInput(
        f"an order list has an OCO pair, or a working order with 1 or 2 pending orders; got "
        f"{'a' if spec.working else 'no'} working order and {n} pending",
        code=-1102,
        hint="send an OCO (2 orders), an OTO (working + 1) or an OTOCO (working + 2)",
    )


def check_shape(spec: OrderSpec, symbol: str) -> None:
    """What Binance answers -1102 / -1106 for: missing or meaningless parameters."""
    if spec.symbol != symbol:
        raise InvalidInput(
            f"order {spec.client_order_id} is for {spec.symbol}, its list for {symbol}",
            code=-1102,
            hint="every order of a list trades the list's symbol",
        )
    check_client_id(spec.client_order_id, "newClientOrderId")
    if spec.type is OrderType.MARKET and spec.price is not None:
        raise InvalidInput("a MARKET order takes no price", code=-1106, hint="leave the price empty")


def check_client_id(value: str, name: str) -> None:
    """Binance's rule, the one the live broker applies (crbot.binance.fields.CLIENT_ID): -1100 otherwise."""
    if not CLIENT_ID.fullmatch(value):  # fullmatch: the pattern's '$' would let a trailing newline through
        raise InvalidInput(
            f"Illegal characters found in parameter '{name}'; legal range is '{CLIENT_ID.pattern}'.",
            code=-1100,
            hint=f"{value[:40]!r} is not a valid id: use 1-36 characters from A-Z a-z 0-9 _ -",
        )


def check_oco_pair(legs: Sequence[OrderSpec], reference: Decimal, *, against: str) -> None:
    """One take-profit leg (LIMIT_MAKER / TAKE_PROFIT_LIMIT) and one STOP_LOSS_LIMIT, prices on either side.

    SELL: take-profit price > reference > stop price; BUY: take-profit price < reference < stop price.
    ``reference`` is the last price for an OCO, the working order's price for an OTOCO's pending pair.
    """
    a, b = legs
    if a.side is not b.side or a.quantity != b.quantity:
        raise InvalidInput(
            "both orders of an OCO pair must have the same side and quantity",
            code=-1102,
            hint="give the take-profit and the stop-loss the same side and quantity",
        )
    stops = [leg for leg in legs if leg.type is OrderType.STOP_LOSS_LIMIT]
    takes = [leg for leg in legs if leg.type in TAKE_PROFIT_LEGS]
    if len(stops) != 1 or len(takes) != 1:
        raise InvalidInput(
            "Order type not supported in OCO.",
            code=-1158,
            hint="pair one LIMIT_MAKER (or TAKE_PROFIT_LIMIT) with one STOP_LOSS_LIMIT",
        )
    stop, take = stops[0], takes[0]
    take_at = take.stop_price if take.type is OrderType.TAKE_PROFIT_LIMIT else take.price
    assert take_at is not None and stop.stop_price is not None  # filters checked the shape
    ok = take_at > reference > stop.stop_price if a.side is Side.SELL else take_at < reference < stop.stop_price
    if not ok:
        order = "take-profit > {0} > stop" if a.side is Side.SELL else "take-profit < {0} < stop"
        raise ExchangeRejected(
            BAD_RELATIONSHIP,
            code=-2010,
            hint=f"a {a.side} OCO needs {order.format(against)} ({against} {fmt(reference)}, "
            f"take-profit {fmt(take_at)}, stop {fmt(stop.stop_price)})",
        )


def check_against_market(spec: OrderSpec, reference: Decimal, *, against: str = "last price") -> None:
    """LIMIT_MAKER must not take; a stop must not already be through its stop price."""
    if spec.type is OrderType.LIMIT_MAKER:
        assert spec.price is not None
        takes = spec.price >= reference if spec.side is Side.BUY else spec.price <= reference
        if takes:
            raise ExchangeRejected(
                WOULD_TAKE,
                code=-2010,
                hint=f"a {spec.side} LIMIT_MAKER must be {'below' if spec.side is Side.BUY else 'above'} "
                f"the {against} {fmt(reference)}; move the price or use LIMIT",
            )
    elif spec.type in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
        assert spec.stop_price is not None
        above = (spec.type is OrderType.STOP_LOSS_LIMIT) == (spec.side is Side.BUY)  # trigger when price rises
        now = spec.stop_price <= reference if above else spec.stop_price >= reference
        if now:
            raise ExchangeRejected(
                WOULD_TRIGGER,
                code=-2010,
                hint=f"a {spec.side} {spec.type} needs its stop {'above' if above else 'below'} the {against} "
                f"{fmt(reference)} (stop {fmt(spec.stop_price)})",
            )


def check_duplicates(
    open_ids: Collection[str], specs: Sequence[OrderSpec], *, list_client_id: str = "", list_open: bool = False
) -> None:
    """Client order ids are unique among OPEN orders (and within the request); list ids among open lists."""
    ids = [s.client_order_id for s in specs]
    clash = {i for i in ids if ids.count(i) > 1} or set(ids).intersection(open_ids)
    if clash or list_open:
        what = ", ".join(sorted(clash)) or f"list {list_client_id}"
        raise ExchangeRejected(
            DUPLICATE, code=-2010, hint=f"{what} is already used by an open order; use a new client order id"
        )


def check_filters(rules: SymbolRules, specs: Sequence[OrderSpec], *, avg_price: Decimal, open_orders: int) -> None:
    for spec in specs:
        filters.validate_order(rules, spec, avg_price=avg_price, open_orders=open_orders, adds=len(specs))
