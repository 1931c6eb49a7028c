"""Column types that keep money exact and time aware on every backend (SQLite and PostgreSQL).

* ``DecimalText``: on SQLite a Decimal stored as TEXT in plain notation, so "0.00001000" comes back as
  ``Decimal("0.00001000")`` (SQLite's NUMERIC would hand back a float); on PostgreSQL an unconstrained
  NUMERIC, which is exact and keeps the scale too.
* ``UtcDateTime``: on SQLite an aware datetime stored as integer microseconds since the Unix epoch (BIGINT),
  so it round-trips exactly, sorts and compares in SQL, and loads into pandas with one vectorised
  conversion; on PostgreSQL a TIMESTAMP WITH TIME ZONE (microsecond resolution too). Both come back UTC.

Decimal columns compare as text on SQLite: filter and sum them in Python or pandas, never in a query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Dialect, Numeric, Text
from sqlalchemy.types import TIMESTAMP, TypeDecorator, TypeEngine

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


def _native(dialect: Dialect) -> bool:
    """PostgreSQL has exact NUMERIC and a real timestamptz: use them; everything else gets the portable form."""
    return dialect.name == "postgresql"


class DecimalText(TypeDecorator[Decimal]):
    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Numeric(asdecimal=True) if _native(dialect) else Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | Decimal | None:
        if value is None:
            return None
        text = decimal_to_text(value)  # the same checks on every backend: finite, never a float
        return Decimal(text) if _native(dialect) else text

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UtcDateTime(TypeDecorator[datetime]):
    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(TIMESTAMP(timezone=True) if _native(dialect) else BigInteger())

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | datetime | None:
        if value is None:
            return None
        micros = datetime_to_us(value)  # refuses a naive datetime on every backend
        return value.astimezone(UTC) if _native(dialect) else micros

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return us_to_datetime(value)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
