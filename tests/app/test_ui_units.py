"""The UI's pure helpers: typed numbers become exact Decimals (or clear errors); charts keep extremes."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from crbot.errors import InvalidInput
from ui.charts import downsample
from ui.fmt import num, parse_decimal


@pytest.mark.parametrize(
    ("typed", "expected"), [("0.001", Decimal("0.001")), (" 60000.5 ", Decimal("60000.5")), ("", None)]
)
def test_parse_decimal_is_exact(typed: str, expected: Decimal | None) -> None:
    assert parse_decimal(typed, "Size") == expected


@pytest.mark.parametrize("typed", ["0,5", "1,000", "abc", "-1", "0", "nan", "inf", "1_000"])
def test_parse_decimal_refuses_ambiguous_or_bad_input(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_decimal(typed, "Size")


def test_required_empty_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        parse_decimal("  ", "Limit price", required=True)


def test_num_never_uses_exponents() -> None:
    assert num(Decimal("1E-8")) == "0.00000001"
    assert num(None) == "—"


def test_downsample_bounds_points_and_keeps_extremes() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"time": pd.date_range("2026-01-01", periods=50_000, freq="min", tz="UTC")})
    frame["equity"] = 10_000 + rng.standard_normal(len(frame)).cumsum()
    small = downsample(frame, "equity", max_points=1000)
    assert len(small) <= 1002
    assert small["equity"].min() == frame["equity"].min()
    assert small["equity"].max() == frame["equity"].max()
    assert small["time"].is_monotonic_increasing
    assert downsample(frame.head(10), "equity") is not None and len(downsample(frame.head(10), "equity")) == 10


def test_the_orders_table_shows_the_average_fill_price_and_the_fee_of_a_partly_filled_order() -> None:
    from datetime import UTC, datetime

    from crbot.domain import OrderStatus, OrderType, Side
    from crbot.exchange.bundled import load_bundled_rules
    from crbot.journal import JournalOrder
    from ui.tables import orders_table

    now = datetime(2026, 11, 29, tzinfo=UTC)
    common = dict(
        symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, price=Decimal("90000.00"), source="t", mode="paper"
    )
    partly = JournalOrder(
        client_order_id="a",
        quantity=Decimal("0.003"),
        status=OrderStatus.PARTIALLY_FILLED,
        executed_qty=Decimal("0.002"),
        cumulative_quote=Decimal("179.9902"),  # 0.002 at 89,995.10 on average
        created_at=now,
        updated_at=now,
        **common,
    )
    resting = JournalOrder(
        client_order_id="b", quantity=Decimal("0.001"), status=OrderStatus.NEW, created_at=now, updated_at=now, **common
    )
    rules = load_bundled_rules()  # BTCUSDT: tick 0.01
    table = orders_table([partly, resting], rules, {"a": "0.000002 BTC"})
    assert list(table["Avg fill"]) == ["89,995.10", ""]
    assert list(table["Fee"]) == ["0.000002 BTC", ""]
