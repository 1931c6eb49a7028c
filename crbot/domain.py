"""Domain values shared by every layer: Decimal money, aware UTC times, frozen dataclasses.

Order-related shapes follow Binance spot semantics, because both brokers (paper and Binance) speak
them: an ``OrderSpec`` is exactly one exchange order, an ``OrderListSpec`` one exchange order list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

ZERO = Decimal(0)
QUOTE_ASSET = "USDT"


class Mode(StrEnum):
    PAPER = "paper"
    TESTNET = "testnet"
    DEMO = "demo"
    LIVE = "live"


class TradingState(StrEnum):
    ACTIVE = "ACTIVE"  # normal
    REDUCING = "REDUCING"  # only orders that shrink a position
    HALTED = "HALTED"  # no new orders; cancels and queries still work


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"  # take-profit leg: rejected if it would take
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"  # stop-loss leg: a LIMIT placed when stopPrice trades
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"

    # What each type carries on Binance (rest-api.md, "Additional mandatory parameters based on type"):
    # defined once here; the codec, the filters, the local exchange and the paper engine all ask these.
    @property
    def has_price(self) -> bool:
        """A limit price (``price``): every type but MARKET."""
        return self is not OrderType.MARKET

    @property
    def has_stop(self) -> bool:
        """A trigger (``stopPrice``): the stop-loss and take-profit limits."""
        return self in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)

    @property
    def has_time_in_force(self) -> bool:
        """A ``timeInForce``: the priced types but LIMIT_MAKER (which is always a maker, never GTC/IOC/FOK)."""
        return self.has_price and self is not OrderType.LIMIT_MAKER


class OrderStatus(StrEnum):
    # Binance statuses
    PENDING_NEW = "PENDING_NEW"  # pending leg of an OTO/OTOCO, waits for the working order
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"
    # journal-only statuses
    INTENT = "INTENT"  # journaled, not yet acknowledged by the exchange
    UNKNOWN = "UNKNOWN"  # sent, outcome unknown: reconcile by client order id
    PLANNED = "PLANNED"  # an exit journaled with its entry, sent once the entry has filled

    @property
    def is_open(self) -> bool:
        return self in _OPEN

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_OPEN = {OrderStatus.PENDING_NEW, OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED}
_FINAL = {
    OrderStatus.FILLED,
    OrderStatus.CANCELED,
    OrderStatus.REJECTED,
    OrderStatus.EXPIRED,
    OrderStatus.EXPIRED_IN_MATCH,
}


def _frozen(cls):  # type: ignore[no-untyped-def]
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


@_frozen
class OrderRequest:
    """What a trader asks for on the ticket or the CLI, before normalisation.

    Exactly one of ``quantity`` (base asset) or ``quote_amount`` (USDT to spend/receive).
    ``stop_loss`` / ``take_profit`` make it a bracket: on a LIMIT entry one OTO/OTOCO list;
    on a MARKET entry, exits placed right after the fill.
    """

    symbol: str
    side: Side
    type: OrderType = OrderType.LIMIT
    quantity: Decimal | None = None
    quote_amount: Decimal | None = None
    price: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None

    def __post_init__(self) -> None:
        # Bots may pass text or whole numbers; floats are refused (never float in the order path).
        for name in ("quantity", "quote_amount", "price", "stop_loss", "take_profit"):
            object.__setattr__(self, name, as_decimal(name, getattr(self, name)))
        object.__setattr__(self, "symbol", self.symbol.strip().upper())
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "type", OrderType(self.type))


def as_decimal(name: str, value: object) -> Decimal | None:
    """None, Decimal, int or numeric text -> Decimal; anything else is an InvalidInput naming the field."""
    from crbot.errors import InvalidInput

    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value).strip())
        except ArithmeticError:
            pass
    raise InvalidInput(f"{name} {value!r} is not a number", hint=f"write the {name} as text, e.g. '0.001'")


@_frozen
class OrderSpec:
    """One normalised exchange order, ready to send (prices on tick, quantity on step)."""

    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None = None  # LIMIT, LIMIT_MAKER, *_LIMIT
    stop_price: Decimal | None = None  # STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT


@_frozen
class OrderListSpec:
    """An exchange order list.

    * ``working`` set: OTO (one pending) or OTOCO (two pending, one-cancels-other); the pending
      orders become active only when the working order is fully filled.
    * ``working`` None: an OCO of the two ``pending`` orders, active at once.
    """

    list_client_id: str
    symbol: str
    working: OrderSpec | None
    pending: tuple[OrderSpec, ...]

    @property
    def orders(self) -> tuple[OrderSpec, ...]:
        return ((self.working,) if self.working else ()) + self.pending


@_frozen
class OrderView:
    """An order as the exchange reports it."""

    client_order_id: str
    order_id: int
    symbol: str
    side: Side
    type: OrderType
    status: OrderStatus
    quantity: Decimal
    executed_qty: Decimal = ZERO
    cumulative_quote: Decimal = ZERO
    price: Decimal | None = None
    stop_price: Decimal | None = None
    order_list_id: int = -1
    time: datetime
    update_time: datetime
    fills: tuple[Fill, ...] = ()  # trades reported with a new order's acknowledgement (FULL / paper matches)

    @property
    def avg_price(self) -> Decimal | None:
        return self.cumulative_quote / self.executed_qty if self.executed_qty else None


class ListKind(StrEnum):
    OCO = "OCO"  # two legs, active at once, one cancels the other
    OTO = "OTO"  # working order + one pending order
    OTOCO = "OTOCO"  # working order + a pending OCO pair

    @property
    def contingency_type(self) -> str:
        """Binance's ``contingencyType``: an OTOCO is reported as "OTO" (rest-api.md, OTOCO response)."""
        return "OCO" if self is ListKind.OCO else "OTO"


class ListStatusType(StrEnum):
    EXEC_STARTED = "EXEC_STARTED"  # placed, or updated and still working
    ALL_DONE = "ALL_DONE"  # finished: filled, one-cancels-other resolved, or canceled


class ListOrderStatus(StrEnum):
    EXECUTING = "EXECUTING"
    ALL_DONE = "ALL_DONE"


@_frozen
class OrderListView:
    """An order list (OCO / OTO / OTOCO) as the exchange reports it; ``orders`` in placement order (working
    first)."""

    order_list_id: int
    list_client_id: str
    symbol: str
    kind: ListKind
    status: ListStatusType
    order_status: ListOrderStatus
    time: datetime
    update_time: datetime
    orders: tuple[OrderView, ...]

    @property
    def contingency_type(self) -> str:
        return self.kind.contingency_type

    @property
    def is_open(self) -> bool:
        return self.status is ListStatusType.EXEC_STARTED


@_frozen
class Fill:
    """One trade (execution) of one of our orders; ``trade_id`` is unique per symbol."""

    symbol: str
    trade_id: int
    order_id: int
    side: Side
    price: Decimal
    quantity: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    is_maker: bool
    time: datetime

    @classmethod
    def from_record(cls, record: Any) -> Fill:
        """A Fill from any stored record with the same attribute names and ``side`` as text (a DB row)."""
        return cls(
            symbol=record.symbol,
            trade_id=record.trade_id,
            order_id=record.order_id,
            side=Side(record.side),
            price=record.price,
            quantity=record.quantity,
            quote_qty=record.quote_qty,
            commission=record.commission,
            commission_asset=record.commission_asset,
            is_maker=record.is_maker,
            time=record.time,
        )


@_frozen
class Balance:
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@_frozen
class Commissions:
    maker: Decimal  # fraction, e.g. 0.001 = 0.1 %
    taker: Decimal


@_frozen
class AccountInfo:
    balances: tuple[Balance, ...]
    commissions: Commissions
    can_trade: bool = True
    permissions: tuple[str, ...] = ("SPOT",)


@_frozen
class Position:
    """A spot position: base asset held, valued against the quote asset."""

    symbol: str
    quantity: Decimal
    avg_entry: Decimal | None
    market_price: Decimal | None

    @property
    def unrealized_pnl(self) -> Decimal | None:
        if self.avg_entry is None or self.market_price is None:
            return None
        return (self.market_price - self.avg_entry) * self.quantity

    @property
    def market_value(self) -> Decimal | None:
        return None if self.market_price is None else self.market_price * self.quantity


@_frozen
class Bar:
    """A price bar: the path between ``open_time`` and ``close_time`` touched [low, high]."""

    open_time: datetime
    close_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


@_frozen
class AuditEvent:
    time: datetime
    actor: str
    action: str
    detail: str
    reason: str = ""


@_frozen
class StopReport:
    """What the kill switch did; ``ok`` only when nothing is left open."""

    state: TradingState
    canceled: tuple[str, ...] = ()
    flattened: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # what flatten left on the account, and why (dust, not CRBOT's, ...)
    errors: tuple[str, ...] = ()
    left_open: tuple[str, ...] = ()
    already_halted: bool = False

    @property
    def ok(self) -> bool:
        return not self.left_open and not self.errors
