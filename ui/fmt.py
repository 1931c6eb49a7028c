"""Formatting for people and parsing of what they type. Decimals stay Decimals until they are text."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from crbot.domain import Mode, TradingState
from crbot.errors import InvalidInput
from crbot.numfmt import count, duration, num, places, price, qty, quote  # one formatting per kind

logger = logging.getLogger(__name__)
__all__ = ["count", "duration", "num", "places", "price", "qty", "quote"]  # re-exported for the pages

# Streamlit markdown colours: the mode banner and the trading state must be readable at a glance.
MODE_COLOURS = {Mode.PAPER: "blue", Mode.TESTNET: "violet", Mode.DEMO: "orange", Mode.LIVE: "red"}
STATE_COLOURS = {TradingState.ACTIVE: "green", TradingState.REDUCING: "orange", TradingState.HALTED: "red"}


def usdt(value: Decimal | None, places: int = 2) -> str:
    return "—" if value is None else f"{quote(value, places)} USDT"


def pct(value: Decimal | float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:,.{places}f} %"


def browser_zone() -> tzinfo:
    """The browser's time zone (``st.context.timezone``); UTC when the browser has not said (or named an
    unknown zone), so a time is never shown in the server's zone by accident."""
    if get_script_run_ctx(suppress_warning=True) is None:  # outside a Streamlit run (plain tests): UTC
        return UTC
    name = st.context.timezone
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown browser time zone %r: showing UTC", name)
        return UTC


def zone_name(when: datetime | None = None) -> str:
    """The zone's name for axis titles and captions, e.g. "America/New_York" (or "UTC")."""
    zone = browser_zone()
    return getattr(zone, "key", None) or (zone.tzname(when) if when else None) or "UTC"


def local_time(when: datetime | None, *, seconds: bool = True) -> str:
    """UTC times are stored; people read them in their browser's zone, with the zone named (e.g. EST)."""
    if when is None:
        return "—"
    shown = when.astimezone(browser_zone())
    return shown.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


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
