"""What the risk manager looks at (an order intent and the account context) and what it answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from crbot.domain import Side, TradingState
from crbot.errors import Denied, InvalidInput, fmt


class IntentKind(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    BRACKET = "bracket"  # entry + take-profit + stop-loss: three exchange orders


class DenialCode(StrEnum):
    """Every reason the risk manager refuses an order, in the order the checks run."""

    DATABASE_UNREACHABLE = "DATABASE_UNREACHABLE"
    TRADING_HALTED = "TRADING_HALTED"
    TRADING_REDUCING = "TRADING_REDUCING"
    SYMBOL_NOT_ALLOWED = "SYMBOL_NOT_ALLOWED"
    PRICE_UNKNOWN = "PRICE_UNKNOWN"
    PRICE_OUT_OF_BAND = "PRICE_OUT_OF_BAND"
    ORDER_NOTIONAL_EXCEEDS_MAX = "ORDER_NOTIONAL_EXCEEDS_MAX"
    POSITION_EXCEEDS_MAX = "POSITION_EXCEEDS_MAX"
    EXPOSURE_EXCEEDS_MAX = "EXPOSURE_EXCEEDS_MAX"
    TOO_MANY_OPEN_ORDERS = "TOO_MANY_OPEN_ORDERS"
    ORDER_RATE_EXCEEDED = "ORDER_RATE_EXCEEDED"
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    DATA_MISSING = "DATA_MISSING"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderIntent:
    """A normalised order as the risk manager sees it.

    ``price`` is the limit price, or the reference price for a MARKET order; ``notional`` is what the
    order commits in USDT. ``reduces_position`` is the caller's claim that this is a SELL no larger
    than the position held; ``check`` verifies it against the context before trusting it.
    """

    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    notional: Decimal
    kind: IntentKind = IntentKind.ENTRY
    reduces_position: bool = False

    def __post_init__(self) -> None:
        for name in ("quantity", "price", "notional"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
                raise InvalidInput(
                    f"order intent {name}={value!r} must be a positive Decimal",
                    hint="normalise the order against the exchange filters before the risk check",
                )
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "kind", IntentKind(self.kind))

    @classmethod
    def build(
        cls,
        *,
        symbol: str,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        position_qty: Decimal | None,
        kind: IntentKind = IntentKind.ENTRY,
    ) -> OrderIntent:
        """An intent with ``notional = quantity × price`` and ``reduces_position`` worked out."""
        side = Side(side)
        reduces = (
            side is Side.SELL and position_qty is not None and position_qty.is_finite() and quantity <= position_qty
        )
        return cls(
            symbol=symbol,
            side=side,
            quantity=quantity,
            price=price,
            notional=quantity * price,
            kind=kind,
            reduces_position=reduces,
        )

    @property
    def orders_added(self) -> int:
        """Exchange orders this intent opens (a bracket is an OTOCO list of three)."""
        return 3 if self.kind is IntentKind.BRACKET else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskContext:
    """The account as it stands when the order is checked. ``None`` means unknown, and unknown denies.

    ``position_notional`` maps symbol -> USDT value held; a symbol absent from it counts as zero only
    when ``position_qty`` (for the intent's symbol) is known to be zero. ``daily_pnl`` is realised +
    unrealised P&L since the UTC day start.
    """

    state: TradingState
    last_price: Decimal | None
    position_qty: Decimal | None
    position_notional: Mapping[str, Decimal] | None
    open_buy_notional: Decimal | None
    open_orders: int | None
    orders_last_minute: int | None
    daily_pnl: Decimal | None
    equity: Decimal | None
    halt_reason: str = ""  # why the kill switch is engaged, named in the TRADING_HALTED denial
    journal_problem: str = ""  # why this process cannot reach the journal (crbot.statewatch); "" = reachable
    # Prices both the exchange's percent-price filter and the price band accept, on the tick (low, high); the
    # PRICE_OUT_OF_BAND hint proposes these. None: the hint falls back on the band alone.
    accepted_prices: tuple[Decimal, Decimal] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", TradingState(self.state))
        # A read-only copy, so a caller mutating its dict cannot change a context already checked.
        if self.position_notional is not None:
            object.__setattr__(self, "position_notional", MappingProxyType(dict(self.position_notional)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Denial:
    """Why an order was refused: a stable code, the numbers, and what the trader can do."""

    code: DenialCode
    detail: str
    hint: str
    limit: str = ""  # the limit's key when changing it would let the order pass (the hint says how)

    def __str__(self) -> str:
        return str(self.to_error())

    def to_error(self) -> Denied:
        return Denied(str(self.code), self.detail, hint=self.hint, limit=self.limit)


def usdt(value: Decimal) -> str:
    """Money in a denial: two decimals, the way a trader reads a balance."""
    return f"{value:.2f} USDT"


def limit_usdt(value: Decimal) -> str:
    """A configured limit exactly as entered."""
    return f"{fmt(value)} USDT"
