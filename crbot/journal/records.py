"""What the journal hands back besides the shared domain values (crbot.domain)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crbot.domain import ZERO, OrderSpec, OrderStatus, OrderType, Side, TradingState

# statuses that say nothing about the exchange yet: the order may or may not be live there
PENDING_STATUSES = (OrderStatus.INTENT, OrderStatus.UNKNOWN)


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalOrder:
    """One order as CRBOT recorded it: the spec we sent plus what we learnt since."""

    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    list_client_id: str | None = None
    parent_client_id: str | None = None  # set on an exit journaled with its entry
    status: OrderStatus
    order_id: int | None = None
    executed_qty: Decimal = ZERO
    cumulative_quote: Decimal = ZERO
    reason: str = ""
    source: str
    mode: str
    actor: str = ""
    expected_price: Decimal | None = None
    latency_ms: float | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def spec(self) -> OrderSpec:
        """The order exactly as it was (or would be) sent: resend-safe only under the same client id."""
        return OrderSpec(
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            type=self.type,
            quantity=self.quantity,
            price=self.price,
            stop_price=self.stop_price,
        )

    @property
    def is_pending(self) -> bool:
        """INTENT or UNKNOWN: the exchange's view must be fetched before anything else is decided."""
        return self.status in PENDING_STATUSES


@dataclass(frozen=True, slots=True, kw_only=True)
class StateRecord:
    """The latched trading state; ``since`` is None while it was never set (the default is ACTIVE)."""

    state: TradingState
    since: datetime | None
    actor: str
    reason: str

    def describe(self) -> str:
        """Who set the state, when and why, for denials and reports: "by cli:ana at 2026-... UTC: reason"."""
        when = f" at {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"by {self.actor or 'unknown'}{when}: {self.reason or 'no reason given'}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PretradeFacts:
    """What the risk manager reads from the journal before every order (one read transaction)."""

    state: StateRecord
    limits: dict[str, str]
    day_start_equity: Decimal | None
    orders_since: int
    open_elsewhere: tuple[JournalOrder, ...] = ()  # open orders of the other symbols, when asked
    known: bool = False  # the client order id asked about is journaled already (a double click, a retry)


@dataclass(frozen=True, slots=True)
class Acked:
    """An acknowledgement as journaled: the order now, and the trading state read in the same transaction (the
    sender cancels an order that landed after STOP latched HALTED without a second read)."""

    state: TradingState
    order: JournalOrder


@dataclass(frozen=True, slots=True)
class OpenWork:
    """What STOP must reach, from one snapshot of the journal: in it every order is either acknowledged (its
    symbol is in ``symbols``) or still an INTENT (in ``intents``, client order id -> created at)."""

    symbols: frozenset[str]
    intents: dict[str, datetime]
