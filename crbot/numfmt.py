"""One formatting per kind of quantity, for people (the dashboard and the CLI's human output).

Quote amounts: 2 decimals, thousands separated. Base quantities: the symbol's lot step (rounded down, never
more than held). Prices: the symbol's tick. Counts: integers. Durations: "1 m 17 s". Machine output
(``--json``, exports) never goes through here: it stays exact.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

from crbot.errors import fmt

DASH = "—"


def to_decimal(value: object) -> Decimal | None:
    """A Decimal from a Decimal, int, float or numeric text; None when it is none of these (or NaN)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        found = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def num(value: Decimal | None, places: int | None = None) -> str:
    """A Decimal in plain notation (no exponent); ``places`` rounds for display only; None is an em dash."""
    if value is None:
        return DASH
    if places is not None:
        return f"{value:,.{places}f}"
    return fmt(value)


def places(increment: Decimal | None) -> int | None:
    """Decimal places of a tick or lot step (0.01 -> 2, 0.00001000 -> 5); None when unknown or zero."""
    if increment is None or increment <= 0:
        return None
    return max(0, -increment.normalize().as_tuple().exponent)  # type: ignore[operator]


def _fixed(value: Decimal, digits: int, rounding: str) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-digits), rounding=rounding):,.{digits}f}"


def quote(value: Decimal | float | None, digits: int = 2) -> str:
    """A quote-currency amount (USDT): 2 decimals, thousands separated, e.g. "9,554.91"."""
    found = to_decimal(value)
    return DASH if found is None else _fixed(found, digits, ROUND_HALF_EVEN)


def price(value: Decimal | None, tick: Decimal | None = None) -> str:
    """A price with the symbol's tick precision, thousands separated (no tick: as exact as it is)."""
    found = to_decimal(value)
    if found is None:
        return DASH
    digits = places(tick)
    return _plain(found) if digits is None else _fixed(found, digits, ROUND_HALF_EVEN)


def qty(value: Decimal | None, step: Decimal | None = None) -> str:
    """A base-asset quantity with the symbol's lot-step precision (rounded down: never shows more than held)."""
    found = to_decimal(value)
    if found is None:
        return DASH
    digits = places(step)
    return _plain(found) if digits is None else _fixed(found, digits, ROUND_DOWN)


def _plain(value: Decimal) -> str:
    """No increment known: at most 8 decimals, trailing zeros dropped, thousands separated."""
    shown = value.quantize(Decimal("1e-8"), rounding=ROUND_HALF_EVEN).normalize()
    return f"{shown:,f}"


def count(value: float | int | Decimal | None) -> str:
    """A count (trades, orders, days): an integer, "12", never "12.0"."""
    found = to_decimal(value)
    return DASH if found is None else f"{int(found):,}"


def duration(seconds: float | None) -> str:
    """ "1 m 17 s", "2 h 05 m", "3 d 4 h": a holding time a person reads at a glance."""
    if seconds is None or seconds != seconds:  # None or NaN
        return DASH
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} m"
    if minutes:
        return f"{minutes} m {secs} s"
    return f"{secs} s"
