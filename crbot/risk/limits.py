"""Risk limits: a frozen, validated value, round-tripped through strings for the journal and the UI.

Amounts are USDT (the quote asset). Defaults suit a small account; every change goes through
``with_changes`` or ``from_strings`` so it is validated again.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from crbot.config import DEFAULT_SYMBOLS
from crbot.errors import InvalidInput, fmt

logger = logging.getLogger(__name__)

_SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")
_DECIMAL_KEYS = (
    "max_order_notional",
    "max_position_notional",
    "max_total_exposure",
    "price_band_pct",
    "daily_loss_limit",
)
_INT_KEYS = ("max_open_orders", "max_orders_per_minute")
_MAX_BAND_PCT = Decimal(100)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimits:
    """Hard limits the risk manager enforces on every new order (cancels are never limited)."""

    max_order_notional: Decimal = Decimal("1000")  # USDT per order
    max_position_notional: Decimal = Decimal("2500")  # USDT held per symbol, after the order
    max_total_exposure: Decimal = Decimal("5000")  # USDT across symbols incl. open BUY orders
    max_open_orders: int = 20
    price_band_pct: Decimal = Decimal("5")  # % a limit price may sit from the last price
    allowed_symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    max_orders_per_minute: int = 30
    daily_loss_limit: Decimal = Decimal("200")  # USDT lost since the UTC day start blocks new entries

    def __post_init__(self) -> None:
        # Converted here so callers may pass "1000" or 1000; floats never get near the order path.
        for key in _DECIMAL_KEYS:
            value = _to_decimal(key, getattr(self, key))
            if value <= 0:
                raise InvalidInput(f"{label_of(key)} {fmt(value)} must be above 0", hint="enter a number above 0")
            object.__setattr__(self, key, value)
        if self.price_band_pct > _MAX_BAND_PCT:
            raise InvalidInput(
                f"{label_of('price_band_pct')} {fmt(self.price_band_pct)} % is above 100 %",
                hint="enter a band in percent, e.g. 5 for ±5 % around the last price",
            )
        for key in _INT_KEYS:
            object.__setattr__(self, key, _to_int(key, getattr(self, key)))
        object.__setattr__(self, "allowed_symbols", _to_symbols(self.allowed_symbols))

    def to_strings(self) -> dict[str, str]:
        """Every limit as text (Decimals in plain notation, symbols comma-separated)."""
        out: dict[str, str] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Decimal):
                out[field.name] = fmt(value)
            elif isinstance(value, tuple):
                out[field.name] = ",".join(value)
            else:
                out[field.name] = str(value)
        return out

    @classmethod
    def from_strings(cls, values: Mapping[str, str]) -> RiskLimits:
        """Parse what ``to_strings`` wrote. Unknown keys are ignored, missing keys take the default."""
        known = {f.name for f in dataclasses.fields(cls)}
        ignored = sorted(set(values) - known)
        if ignored:
            logger.info("ignoring unknown risk limit keys: %s", ", ".join(ignored))
        return cls(**{k: v for k, v in values.items() if k in known})

    def with_changes(self, **changes: Any) -> RiskLimits:
        """A copy with some limits changed, validated again."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise InvalidInput(
                f"unknown risk limit(s): {', '.join(unknown)}",
                hint=f"use one of: {', '.join(f.key for f in limit_fields())}",
            )
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitField:
    """How the dashboard's editor presents one limit."""

    key: str
    label: str
    unit: str
    help: str
    kind: Literal["decimal", "int", "symbols"]


def limit_fields() -> tuple[LimitField, ...]:
    """Each limit in display order, with a label, unit and help text."""
    return (
        LimitField(
            key="max_order_notional",
            label="Max order size",
            unit="USDT",
            help="Largest value of a single order (quantity × price). Larger orders are refused.",
            kind="decimal",
        ),
        LimitField(
            key="max_position_notional",
            label="Max position per symbol",
            unit="USDT",
            help="Largest value you may hold in one symbol once a BUY fills. Sells that reduce it are always allowed.",
            kind="decimal",
        ),
        LimitField(
            key="max_total_exposure",
            label="Max total exposure",
            unit="USDT",
            help="Value held across all symbols plus open BUY orders, after this BUY.",
            kind="decimal",
        ),
        LimitField(
            key="max_open_orders",
            label="Max open orders",
            unit="orders",
            help="Open orders allowed at once, all symbols; a bracket counts as three.",
            kind="int",
        ),
        LimitField(
            key="price_band_pct",
            label="Price band",
            unit="%",
            help="How far a limit price may be from the last traded price; catches fat-finger prices.",
            kind="decimal",
        ),
        LimitField(
            key="allowed_symbols",
            label="Allowed symbols",
            unit="",
            help="Comma-separated symbols you may open orders on, e.g. BTCUSDT,ETHUSDT.",
            kind="symbols",
        ),
        LimitField(
            key="max_orders_per_minute",
            label="Max orders per minute",
            unit="orders/min",
            help="New orders allowed in any 60 s window; stops a runaway script.",
            kind="int",
        ),
        LimitField(
            key="daily_loss_limit",
            label="Daily loss limit",
            unit="USDT",
            help="Once today's P&L (since 00:00 UTC) is this far negative, only exits that reduce a position pass.",
            kind="decimal",
        ),
    )


def label_of(key: str) -> str:
    """The Risk page's label for a limit key ("Max order size" for max_order_notional); the key if unknown."""
    return next((f.label for f in limit_fields() if f.key == key), key)


# How a trader changes a limit, by where they are: the dashboard's Risk page, the CLI, or (for a program using
# the HTTP API, which cannot change limits) either of the two
_CHANGE = {
    "ui": "or change the {label} limit on the Risk page",
    "cli": "or change the {label} limit with `python -m crbot limits set {key} VALUE --reason TEXT`",
    "api": "or have the operator change the {label} limit ({key}) on the dashboard's Risk page or with"
    " `python -m crbot limits set {key} VALUE --reason TEXT`",
}


def change_limit(key: str, surface: str = "ui") -> str:
    """The closing words of a denial's hint: how to change limit ``key`` from ``surface`` ("ui", "cli", "api")."""
    return _CHANGE[surface].format(label=label_of(key), key=key)


def for_cli(hint: str, key: str, surface: str = "cli") -> str:
    """A denial's hint with the Risk page swapped for how ``surface`` ("cli", "api") changes the same limit."""
    return hint.replace(change_limit(key, "ui"), change_limit(key, surface)) if key else hint


def _to_decimal(key: str, value: object) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput(f"{label_of(key)} {value!r} is not a number", hint="enter a number such as 1000")
    try:
        # str() of a float is its shortest exact repr (0.1 -> "0.1"), never the binary expansion.
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{label_of(key)} {value!r} is not a number", hint="enter a number such as 1000") from None
    if not number.is_finite():
        raise InvalidInput(f"{label_of(key)} {value!r} is not a finite number", hint="enter a number such as 1000")
    return number


def _to_int(key: str, value: object) -> int:
    if isinstance(value, bool):
        raise InvalidInput(f"{label_of(key)} {value!r} is not a whole number", hint="enter a whole number such as 20")
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        raise InvalidInput(
            f"{label_of(key)} {value!r} is not a whole number", hint="enter a whole number such as 20"
        ) from None
    if number <= 0:
        raise InvalidInput(f"{label_of(key)} {number} must be above 0", hint="enter a whole number above 0")
    return number


def _to_symbols(value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    try:
        symbols = tuple(dict.fromkeys(str(s).strip().upper() for s in items if str(s).strip()))  # type: ignore[union-attr]
    except TypeError:
        raise InvalidInput(
            f"{label_of('allowed_symbols')} {value!r} is not a list of symbols", hint="enter e.g. BTCUSDT,ETHUSDT"
        ) from None
    bad = [s for s in symbols if not _SYMBOL.match(s)]
    if bad:
        raise InvalidInput(
            f"{label_of('allowed_symbols')} has invalid symbol(s): {', '.join(bad)}",
            hint="use exchange symbols made of letters and digits, comma-separated, e.g. BTCUSDT,ETHUSDT",
        )
    if not symbols:
        raise InvalidInput(f"{label_of('allowed_symbols')} is empty", hint="allow at least one symbol, e.g. BTCUSDT")
    return symbols
