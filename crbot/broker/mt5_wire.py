"""MetaTrader 5's wire shapes, both directions: our client order id <-> an MT5 comment, filling modes,
floats <-> Decimal, OrderSpec -> request dict, MT5 orders and deals -> OrderView / Fill.

MT5 speaks floats; CRBOT never does in the order path. A Decimal becomes a float only in the request dict
(``float(format(d, "f"))``, exact for the symbol's few digits) and a float comes back through its shortest
repr, then to the symbol's digits, so 0.1 stays Decimal("0.1").
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crbot.domain import ZERO, Fill, OrderSpec, OrderStatus, OrderType, OrderView, Side
from crbot.errors import InvalidInput
from crbot.exchange.rules import SymbolRules

COMMENT_MAX = 31  # MqlTradeRequest.comment: longer comments are cut by the terminal, so ours never are
MAGIC = 1_400_014  # every CRBOT order carries it: orders placed by hand or by other EAs are told apart
_PLAIN = re.compile(r"[A-Za-z0-9_.-]{1,31}")

# symbol_info().filling_mode is a BITMASK (SYMBOL_FILLING_FOK=1, SYMBOL_FILLING_IOC=2, SYMBOL_FILLING_BOC=4);
# the request's type_filling is an ENUM (ORDER_FILLING_FOK=0, IOC=1, RETURN=2, BOC=3). Mixing them sends
# IOC where FOK was meant (or RETURN for a market order) and the server answers 10030.
SYMBOL_FILLING_FOK, SYMBOL_FILLING_IOC = 1, 2
ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN = 0, 1, 2


def comment_for(client_order_id: str) -> str:
    """Our id as an MT5 comment, deterministic so any process finds the order again: the id itself when it
    fits (<= 31 of [A-Za-z0-9_.-]); else a 19-character head, '~' and 11 hex digits of its SHA-256 (31 in all;
    '~' never appears in a plain id, so the two forms cannot collide)."""
    if _PLAIN.fullmatch(client_order_id):
        return client_order_id
    digest = hashlib.sha256(client_order_id.encode()).hexdigest()[:11]
    head = re.sub(r"[^A-Za-z0-9_.-]", "_", client_order_id)[:19]
    return f"{head}~{digest}"


def market_filling(filling_mode: int) -> int:
    """The ORDER_FILLING_* enum for a market order on a symbol whose bitmask is ``filling_mode``: FOK (all
    or nothing, as a Binance MARKET of this size behaves) when allowed, else IOC."""
    if filling_mode & SYMBOL_FILLING_FOK:
        return ORDER_FILLING_FOK
    if filling_mode & SYMBOL_FILLING_IOC:
        return ORDER_FILLING_IOC
    raise InvalidInput(
        f"the symbol allows neither FOK nor IOC market orders (filling_mode={filling_mode})",
        hint="pick a symbol with market execution, or trade it with LIMIT orders",
    )


def pending_filling() -> int:
    """Pending (limit) orders rest on the book: RETURN, the one mode every server accepts for them."""
    return ORDER_FILLING_RETURN


def wire(value: Decimal | None) -> float:
    return float(format(value, "f")) if value else 0.0


def dec(value: float, digits: int | None = None) -> Decimal:
    """An MT5 float as the Decimal it stands for (0.0 -> 0)."""
    if not value:
        return ZERO
    d = Decimal(repr(float(value)))
    return round(d, digits).normalize() if digits is not None else d.normalize()


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def volume_digits(step: float) -> int:
    return max(0, -dec(step).as_tuple().exponent)  # type: ignore[operator]


def request(
    mt5: Any,
    spec: OrderSpec,
    *,
    filling_mode: int,
    sl: Decimal | None = None,
    tp: Decimal | None = None,
) -> dict[str, Any]:
    """One OrderSpec as an order_send request: MARKET -> TRADE_ACTION_DEAL, LIMIT / LIMIT_MAKER ->
    TRADE_ACTION_PENDING BUY_LIMIT / SELL_LIMIT (a limit on the wrong side of the market is refused, so it
    never takes: both are makers); ``sl`` / ``tp`` travel on the order."""
    buy = spec.side is Side.BUY
    base = {
        "symbol": spec.symbol,
        "volume": wire(spec.quantity),
        "sl": wire(sl),
        "tp": wire(tp),
        "magic": MAGIC,
        "comment": comment_for(spec.client_order_id),
        "type_time": mt5.ORDER_TIME_GTC,
    }
    if spec.type is OrderType.MARKET:
        return base | {
            "action": mt5.TRADE_ACTION_DEAL,
            "type": mt5.ORDER_TYPE_BUY if buy else mt5.ORDER_TYPE_SELL,
            "type_filling": market_filling(filling_mode),
            "deviation": 0,
        }
    if spec.type in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
        return base | {
            "action": mt5.TRADE_ACTION_PENDING,
            "type": mt5.ORDER_TYPE_BUY_LIMIT if buy else mt5.ORDER_TYPE_SELL_LIMIT,
            "price": wire(spec.price),
            "type_filling": pending_filling(),
        }
    raise InvalidInput(
        f"{spec.type} is not sent on its own to MetaTrader 5",
        hint="on MT5 a stop-loss / take-profit rides on its entry or position: send it as a bracket",
    )


def order_view(mt5: Any, o: Any, client_order_id: str, *, digits: int, vdigits: int) -> OrderView:
    """An MT5 order (open or history) as CRBOT's OrderView; a filled one's quote from its price."""
    market = o.type in (mt5.ORDER_TYPE_BUY, mt5.ORDER_TYPE_SELL)
    state = {
        mt5.ORDER_STATE_STARTED: OrderStatus.NEW,
        mt5.ORDER_STATE_PLACED: OrderStatus.NEW,
        mt5.ORDER_STATE_PARTIAL: OrderStatus.PARTIALLY_FILLED,
        mt5.ORDER_STATE_FILLED: OrderStatus.FILLED,
        mt5.ORDER_STATE_CANCELED: OrderStatus.CANCELED,
        mt5.ORDER_STATE_REJECTED: OrderStatus.REJECTED,
        mt5.ORDER_STATE_EXPIRED: OrderStatus.EXPIRED,
    }.get(o.state, OrderStatus.NEW)
    qty = dec(o.volume_initial, vdigits)
    executed = qty - dec(o.volume_current, vdigits) if state is not OrderStatus.CANCELED else ZERO
    price = dec(o.price_open, digits)
    return OrderView(
        client_order_id=client_order_id,
        order_id=o.ticket,
        symbol=o.symbol,
        side=Side.BUY if o.type in (mt5.ORDER_TYPE_BUY, mt5.ORDER_TYPE_BUY_LIMIT) else Side.SELL,
        type=OrderType.MARKET if market else OrderType.LIMIT,
        status=state,
        quantity=qty,
        executed_qty=executed,
        cumulative_quote=ZERO,  # filled in from the deals by the broker
        price=None if market else price,
        time=utc(o.time_setup),
        update_time=utc(o.time_done or o.time_setup),
    )


def fill(mt5: Any, deal: Any, *, order_id: int, currency: str, digits: int, vdigits: int) -> Fill:
    """One MT5 deal as a Fill: commission (and fee) in the account currency, as MT5 charges it."""
    price, qty = dec(deal.price, digits), dec(deal.volume, vdigits)
    return Fill(
        symbol=deal.symbol,
        trade_id=deal.ticket,
        order_id=order_id,
        side=Side.BUY if deal.type == mt5.DEAL_TYPE_BUY else Side.SELL,
        price=price,
        quantity=qty,
        quote_qty=price * qty,
        commission=-(dec(deal.commission) + dec(deal.fee)),
        commission_asset=currency,
        is_maker=False,  # MT5 does not say; CFD brokers charge one rate
        time=utc(deal.time),
    )


def symbol_rules(mt5: Any, info: Any) -> SymbolRules:
    """A symbol's MT5 specification in exchangeInfo form: tick, volume min / max / step."""
    vol = {k: format(dec(getattr(info, k)), "f") for k in ("volume_min", "volume_max", "volume_step")}
    tick = format(dec(info.trade_tick_size), "f")
    filters = {
        "PRICE_FILTER": {"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": tick},
        "LOT_SIZE": {"filterType": "LOT_SIZE", "minQty": vol["volume_min"], "maxQty": vol["volume_max"],
                     "stepSize": vol["volume_step"]},
        "MARKET_LOT_SIZE": {"filterType": "MARKET_LOT_SIZE", "minQty": vol["volume_min"],
                            "maxQty": vol["volume_max"], "stepSize": vol["volume_step"]},
        "MAX_NUM_ORDERS": {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
    }  # fmt: skip
    trading = info.trade_mode == mt5.SYMBOL_TRADE_MODE_FULL
    return SymbolRules(
        symbol=info.name,
        base_asset=info.currency_base,
        quote_asset=info.currency_profit,
        status="TRADING" if trading else "BREAK",
        base_precision=volume_digits(info.volume_step),
        quote_precision=info.digits,
        filters=filters,
        # STOP_LOSS_LIMIT / LIMIT_MAKER are accepted as a bracket's legs (sl / tp), not on their own
        order_types=("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT"),
    )
