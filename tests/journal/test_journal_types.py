"""Exact round trips through the database: Decimal as TEXT, aware UTC datetimes as epoch microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.errors import InvalidInput
from crbot.journal import Journal
from crbot.journal.types import datetime_to_us, decimal_to_text, us_to_datetime
from tests.journal.conftest import fill, spec


@pytest.mark.parametrize("text", ["0.00001000", "50000.00", "0", "123456789.123456789", "0.10"])
def test_decimal_text_keeps_digits_and_trailing_zeros(journal: Journal, text: str) -> None:
    journal.record_intent(
        [spec(qty=text, price=text)], list_client_id=None, source="t", mode="paper", expected_price=None, actor="a"
    )
    order = journal.get_order("c1")
    assert order is not None
    assert str(order.quantity) == text and str(order.price) == text
    assert isinstance(order.quantity, Decimal)


@settings(deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=-(10**12), max_value=10**12))
def test_decimal_to_text_round_trips_by_value_and_scale(value: Decimal) -> None:
    assert Decimal(decimal_to_text(value)) == value
    assert Decimal(decimal_to_text(value)).as_tuple().exponent == value.as_tuple().exponent


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), 0.1, True])
def test_non_finite_and_float_amounts_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        decimal_to_text(bad)  # type: ignore[arg-type]


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_datetime_round_trips_to_the_microsecond(value: datetime) -> None:
    back = us_to_datetime(datetime_to_us(value))
    assert back == value and back.tzinfo is UTC


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no timezone"):
        datetime_to_us(datetime(2026, 1, 5, 12, 0))


def test_other_timezones_come_back_as_the_same_instant_in_utc(journal: Journal) -> None:
    paris = datetime(2026, 1, 5, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    journal.record_fills([fill(at=paris)])
    (stored,) = journal.fills()
    assert stored.time == paris and stored.time.tzinfo is UTC
    assert stored.time == datetime(2026, 1, 5, 12, 0, 0, 123456, tzinfo=UTC)
