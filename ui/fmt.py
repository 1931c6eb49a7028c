"""Formatting for people and parsing of what they type. Decimals stay Decimals until they are text."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from crbot.domain import Mode, TradingState
from crbot.errors import InvalidInput, fmt

# Streamlit markdown colours: the mode banner and the trading state must be readable at a glance.
MODE_COLOURS = {Mode.PAPER: "blue", Mode.TESTNET: "violet", Mode.DEMO: "orange", Mode.LIVE: "red"}
STATE_COLOURS = {TradingState.ACTIVE: "green", TradingState.REDUCING: "orange", TradingState.HALTED: "red"}


def num(value: Decimal | None, places: int | None = None) -> str:
    """A Decimal in plain notation (no exponent); ``places`` rounds for display only; None is an em dash."""
    if value is None:
        return "—"
    if places is not None:
        return f"{value:,.{places}f}"
    return fmt(value)


def usdt(value: Decimal | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:,.{places}f} USDT"


def pct(value: Decimal | float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:,.{places}f} %"


def local_time(when: datetime | None) -> str:
    """UTC times are stored; people read local time."""
    return "—" if when is None else when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def as_float(value: Decimal | None) -> float | None:
    """Display columns only (tables sort numbers, not text); never used on the order path."""
    return None if value is None else float(value)


def parse_decimal(text: str | None, label: str, *, required: bool = False) -> Decimal | None:
    """What the trader typed, as an exact positive Decimal; empty means None (or an error if required)."""
    cleaned = (text or "").strip()
    if not cleaned:
        if required:
            raise InvalidInput(f"{label} is empty", hint=f"enter the {label.lower()}")
        return None
    if "," in cleaned or "_" in cleaned:  # "0,5" vs "1,000" is ambiguous: a 10x or 1000x mistake
        raise InvalidInput(
            f"{label} {text!r} contains a comma or underscore",
            hint="use a dot for decimals and no separators, e.g. 1000.5",
        )
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput(f"{label} {text!r} is not a number", hint="type digits with a dot, e.g. 0.015") from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{label} {text!r} must be a positive number", hint="enter a number above 0")
    return value
