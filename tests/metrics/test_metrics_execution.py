import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from crbot.domain import Side
from crbot.errors import InvalidInput
from crbot.metrics import fill_slippage_bps, latency, latency_percentiles, slippage_bps


def test_slippage_bps_is_positive_when_it_cost_the_trader() -> None:
    assert slippage_bps("BUY", 100.0, 100.1) == pytest.approx(10.0)  # paid more
    assert slippage_bps("BUY", 100.0, 99.9) == pytest.approx(-10.0)  # price improvement
    assert slippage_bps("SELL", 100.0, 99.9) == pytest.approx(10.0)  # received less
    assert slippage_bps("sell", Decimal("100"), Decimal("100.05")) == pytest.approx(-5.0)
    assert slippage_bps(Side.BUY, Decimal("50000"), Decimal("50005")) == pytest.approx(1.0)
    assert slippage_bps("BUY", 100.0, 100.0) == 0.0


def test_slippage_bps_without_a_usable_expected_price_is_none() -> None:
    assert slippage_bps("BUY", math.nan, 100.0) is None
    assert slippage_bps("BUY", 0.0, 100.0) is None
    assert slippage_bps("BUY", -1.0, 100.0) is None
    assert slippage_bps("BUY", 100.0, math.nan) is None
    assert slippage_bps("HOLD", 100.0, 101.0) is None


def test_fill_slippage_matches_the_scalar_definition() -> None:
    fills = pd.DataFrame(
        {
            "side": ["BUY", "SELL", "SELL", "BUY", "BUY"],
            "price": [101.0, 99.0, 101.0, 100.0, 100.0],
            "expected_price": [100.0, 100.0, 100.0, math.nan, 0.0],
        }
    )
    series = fill_slippage_bps(fills)
    assert series.tolist() == pytest.approx([100.0, 100.0, -100.0])
    assert series.index.tolist() == [0, 1, 2]
    for i, row in fills.iloc[:3].iterrows():
        assert series[i] == pytest.approx(slippage_bps(row["side"], row["expected_price"], row["price"]))
    assert fill_slippage_bps(None).empty
    with pytest.raises(InvalidInput, match="expected_price"):
        fill_slippage_bps(pd.DataFrame({"side": ["BUY"], "price": [1.0]}))


def test_latency_percentiles_by_hand() -> None:
    pct = latency_percentiles(pd.Series([100.0, 200.0, 300.0, 400.0, math.nan]))
    # linear: rank p/100 × (n − 1) over [100, 200, 300, 400]
    assert pct[50.0] == pytest.approx(250.0)
    assert pct[95.0] == pytest.approx(100 + 2.85 * 100)
    assert pct[99.0] == pytest.approx(100 + 2.97 * 100)
    assert latency_percentiles(pd.Series([math.nan])) == {50.0: None, 95.0: None, 99.0: None}
    assert latency_percentiles(pd.Series([7.0]), [10.0, 90.0]) == {10.0: 7.0, 90.0: 7.0}


def test_latency_of_the_orders_frame() -> None:
    stats = latency(pd.DataFrame({"latency_ms": [100.0, 200.0, 300.0, 400.0, math.nan]}))
    assert stats.count == 4
    assert stats.p50 == pytest.approx(250)
    assert stats.p95 == pytest.approx(np.percentile([100, 200, 300, 400], 95))
    assert stats.p99 == pytest.approx(397)
    assert stats.max == 400
    empty = latency(pd.DataFrame({"latency_ms": [math.nan]}))
    assert (empty.count, empty.p50, empty.p95, empty.p99, empty.max) == (0, None, None, None, None)
    assert latency(None).p95 is None
