import math

import numpy as np
import pandas as pd
import pytest

from crbot.errors import InvalidInput
from crbot.metrics import (
    daily_returns,
    drawdown_series,
    latency,
    max_drawdown,
    sharpe,
    slippage_pct,
    slippage_series,
)

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def equity_frame(values: list[float], *, freq: str = "1h", start: pd.Timestamp = T0) -> pd.DataFrame:
    return pd.DataFrame({"time": pd.date_range(start, periods=len(values), freq=freq), "equity": values})


def test_drawdown_by_hand() -> None:
    equity = equity_frame([100, 120, 90, 130, 117])
    assert drawdown_series(equity).tolist() == pytest.approx([0, 0, -0.25, 0, -0.1])
    assert max_drawdown(equity) == pytest.approx(0.25)


def test_drawdown_edge_cases() -> None:
    assert max_drawdown(None) is None
    assert max_drawdown(equity_frame([])) is None
    assert max_drawdown(equity_frame([100, 110, 120])) == 0.0
    assert max_drawdown(equity_frame([0, 0, 50, 25])) == pytest.approx(0.5)  # no peak yet: undefined, skipped
    assert max_drawdown(equity_frame([100, math.nan, 50])) == pytest.approx(0.5)  # unknown point dropped
    shuffled = equity_frame([100, 120, 90]).iloc[[2, 0, 1]]
    assert max_drawdown(shuffled) == pytest.approx(0.25)  # sorted by time first


def reference_sharpe(times: pd.DatetimeIndex, values: np.ndarray) -> float:
    """The definition: close of each UTC calendar day (carried over days without a point), simple
    returns between consecutive closes, mean / sample std × sqrt(365)."""
    closes: dict = {}
    for when, value in zip(times, values, strict=True):
        closes[when.date()] = value  # the last point of the day wins
    days = pd.date_range(min(closes), max(closes), freq="D").date
    series, last = [], None
    for day in days:
        last = closes.get(day, last)
        series.append(last)
    arr = np.asarray(series, dtype=float)
    returns = arr[1:] / arr[:-1] - 1
    return float(returns.mean() / returns.std(ddof=1) * np.sqrt(365))


def test_sharpe_matches_a_numpy_computation_of_the_definition() -> None:
    rng = np.random.default_rng(7)
    times = pd.date_range(T0, periods=24 * 30, freq="1h")
    keep = np.ones(len(times), dtype=bool)
    keep[24 * 10 : 24 * 12] = False  # two days without any point
    values = 10_000 * np.cumprod(1 + rng.normal(0.0005, 0.004, len(times)))
    equity = pd.DataFrame({"time": times[keep], "equity": values[keep]})
    assert sharpe(equity) == pytest.approx(reference_sharpe(times[keep], values[keep]), rel=1e-9)
    assert len(daily_returns(equity)) == 29


def test_sharpe_by_hand_on_three_days() -> None:
    equity = equity_frame([100, 110, 99, 108.9], freq="1D")  # returns 10 %, -10 %, 10 %
    returns = np.array([0.1, -0.1, 0.1])
    assert sharpe(equity) == pytest.approx(returns.mean() / returns.std(ddof=1) * math.sqrt(365))


def test_sharpe_needs_two_returns_and_some_variation() -> None:
    assert sharpe(None) is None
    assert sharpe(equity_frame([100, 101], freq="1D")) is None  # one return
    assert sharpe(equity_frame([100, 101, 102, 103], freq="1h")) is None  # all in one day: no return
    assert sharpe(equity_frame([100, 100, 100], freq="1D")) is None  # std 0: undefined


def test_slippage_is_signed_against_the_trader() -> None:
    fills = pd.DataFrame(
        {
            "side": ["BUY", "SELL", "SELL", "BUY", "BUY"],
            "price": [101.0, 99.0, 101.0, 100.0, 100.0],
            "expected_price": [100.0, 100.0, 100.0, math.nan, 0.0],
        }
    )
    assert slippage_series(fills).tolist() == pytest.approx([1.0, 1.0, -1.0])
    assert slippage_pct(fills) == pytest.approx(1 / 3)


def test_slippage_without_expected_prices_is_none() -> None:
    assert slippage_pct(None) is None
    assert slippage_pct(pd.DataFrame({"side": ["BUY"], "price": [1.0], "expected_price": [math.nan]})) is None
    with pytest.raises(InvalidInput, match="expected_price"):
        slippage_pct(pd.DataFrame({"side": ["BUY"], "price": [1.0]}))


def test_latency_percentiles() -> None:
    stats = latency(pd.DataFrame({"latency_ms": [100.0, 200.0, 300.0, 400.0, math.nan]}))
    assert stats.count == 4
    assert stats.p50 == pytest.approx(250)
    assert stats.p95 == pytest.approx(np.percentile([100, 200, 300, 400], 95))
    assert stats.max == 400
    empty = latency(pd.DataFrame({"latency_ms": [math.nan]}))
    assert (empty.count, empty.p50, empty.p95, empty.max) == (0, None, None, None)
    assert latency(None).p95 is None
