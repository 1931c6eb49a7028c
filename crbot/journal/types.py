"""Column types that keep money exact and time aware on every backend (SQLite today, PostgreSQL later).

* ``DecimalText``: a Decimal stored as TEXT in plain notation, so "0.00001000" comes back as
  ``Decimal("0.00001000")`` (SQLite's NUMERIC would hand back a float).
* ``UtcDateTime``: an aware datetime stored as integer microseconds since the Unix epoch (BIGINT), so it
  round-trips exactly, sorts and compares in SQL, and loads into pandas with one vectorised conversion.

Decimal columns compare as text in SQL: filter and sum them in Python or pandas, never in a query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Dialect, Text
from sqlalchemy.types import TypeDecorator

from crbot.errors import InvalidInput

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def decimal_to_text(value: Decimal | int | str) -> str:
    """Plain notation, trailing zeros kept (they carry the precision the exchange sent)."""
    number = value if isinstance(value, Decimal) else _parse_decimal(value)
    if not number.is_finite():
        raise InvalidInput(f"cannot store {number} as an amount", hint="amounts must be finite numbers")
    return format(number, "f")


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, int | str):
        # floats carry binary noise; refusing them keeps the order path exact
        raise InvalidInput(f"amount {value!r} is a {type(value).__name__}", hint="pass a Decimal built from a string")
    return Decimal(value)


def datetime_to_us(value: datetime) -> int:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"datetime {value.isoformat()} has no timezone", hint="use an aware UTC time from crbot.clock"
        )
    return (value - EPOCH) // _MICROSECOND


def us_to_datetime(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(value))


class DecimalText(TypeDecorator[Decimal]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decimal_to_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UtcDateTime(TypeDecorator[datetime]):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else datetime_to_us(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else us_to_datetime(value)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
