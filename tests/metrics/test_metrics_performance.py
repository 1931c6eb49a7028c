import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.metrics import (
    cagr,
    calmar_ratio,
    daily_closes,
    daily_returns,
    downside_deviation,
    drawdown_series,
    equity_series,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
)

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")


def curve(values: list[float], *, freq: str = "1h", start: pd.Timestamp = T0) -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq=freq), dtype="float64")


def test_drawdown_by_hand() -> None:
    equity = curve([100, 120, 90, 130, 117])
    assert drawdown_series(equity).tolist() == pytest.approx([0, 0, -0.25, 0, -0.1])
    assert max_drawdown(equity) == pytest.approx(0.25)


def test_drawdown_edge_cases() -> None:
    assert max_drawdown(curve([])) is None
    assert max_drawdown(curve([100, 110, 120])) == 0.0  # never fell
    assert max_drawdown(curve([100, 100, 100])) == 0.0  # flat
    assert max_drawdown(curve([0, 0, 50, 25])) == pytest.approx(0.5)  # no peak yet: undefined, skipped
    assert max_drawdown(curve([0, 0])) is None
    assert max_drawdown(curve([100, math.nan, 50])) == pytest.approx(0.5)  # unknown point dropped
    assert max_drawdown(curve([100, 120, 90]).iloc[[2, 0, 1]]) == pytest.approx(0.25)  # sorted by time first
    naive = pd.Series([100.0, 50.0], index=pd.DatetimeIndex(["2026-01-01", "2026-01-02"]))
    assert max_drawdown(naive) == pytest.approx(0.5)  # a naive index is UTC
    assert max_drawdown(curve([100, 0])) == pytest.approx(1.0)  # total loss


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=50))
def test_max_drawdown_is_a_fraction(values: list[float]) -> None:
    drawdown = max_drawdown(curve(values))
    assert drawdown is None or 0.0 <= drawdown <= 1.0
    if drawdown is not None and values == sorted(values):
        assert drawdown == 0.0


def test_daily_closes_are_the_last_point_of_each_utc_day_carried_over_empty_days() -> None:
    times = pd.DatetimeIndex(["2026-01-05 01:00", "2026-01-05 23:59", "2026-01-07 00:00", "2026-01-07 12:00"], tz="UTC")
    equity = pd.Series([100.0, 110.0, 121.0, 132.0], index=times)
    assert daily_closes(equity).tolist() == [110.0, 110.0, 132.0]  # the 6th had no point: keeps 110
    assert daily_returns(equity).tolist() == pytest.approx([0.0, 0.2])
    # another zone: 2026-01-06 00:30 in Paris is 2026-01-05 23:30 UTC, so it closes the 5th
    paris = pd.Series(
        [100.0, 105.0], index=pd.DatetimeIndex(["2026-01-05 10:00", "2026-01-06 00:30"], tz="Europe/Paris")
    )
    assert daily_closes(paris).tolist() == [105.0]
    assert daily_returns(paris).empty


def test_sharpe_and_sortino_by_hand() -> None:
    returns = pd.Series([0.1, -0.1, 0.1])
    mean, std = 0.1 / 3, math.sqrt(((2 / 30) ** 2 * 2 + (4 / 30) ** 2) / 2)
    assert sharpe_ratio(returns) == pytest.approx(mean / std * math.sqrt(365))
    assert downside_deviation(returns) == pytest.approx(math.sqrt(0.01 / 3))
    assert sortino_ratio(returns) == pytest.approx(mean / math.sqrt(0.01 / 3) * math.sqrt(365))
    assert sharpe_ratio(returns, periods_per_year=252) == pytest.approx(mean / std * math.sqrt(252))
    assert sharpe_ratio(pd.Series([0.1, math.nan, -0.1, 0.1])) == pytest.approx(sharpe_ratio(returns))  # NaN left out


def test_sharpe_and_sortino_edge_cases() -> None:
    for ratio in (sharpe_ratio, sortino_ratio):
        assert ratio(pd.Series([], dtype="float64")) is None  # no returns
        assert ratio(pd.Series([0.01])) is None  # one day: one return
        assert ratio(pd.Series([0.0, 0.0, 0.0])) is None  # flat equity
        assert ratio(pd.Series([math.nan, 0.02])) is None  # one known return
    assert sharpe_ratio(pd.Series([0.01, 0.01])) is None  # std 0
    assert sortino_ratio(pd.Series([0.01, 0.02])) is None  # no losing day: downside 0
    assert downside_deviation(pd.Series([], dtype="float64")) is None


def test_sharpe_of_an_equity_curve_uses_its_daily_returns() -> None:
    equity = curve([100, 110, 99, 108.9], freq="1D")  # returns 10 %, -10 %, 10 %
    assert daily_returns(equity).tolist() == pytest.approx([0.1, -0.1, 0.1])
    assert sharpe_ratio(daily_returns(curve([100, 101, 102, 103], freq="1h"))) is None  # all in one day


def test_cagr_by_hand() -> None:
    assert cagr(curve([100, 121], freq="730D")) == pytest.approx(0.1)  # 2 × 365 days, ×1.21
    assert cagr(curve([100.0] * 11, freq="1D")) == 0.0  # flat
    assert cagr(curve([100, 50], freq="365D")) == pytest.approx(-0.5)
    assert cagr(curve([100, 0], freq="365D")) == pytest.approx(-1.0)  # total loss
    assert cagr(curve([100, 200], freq="1D")) == pytest.approx(2.0**365 - 1)  # one day: a real but silly number
    assert cagr(curve([100, 130], freq="1h")) is None  # within one day: no daily return
    assert cagr(curve([])) is None
    assert cagr(curve([0, 10], freq="1D")) is None  # no positive start


def test_calmar_by_hand() -> None:
    equity = curve([100, 80, 121], freq="365D")  # CAGR over 2 years: 10 %; max drawdown 20 %
    assert cagr(equity) == pytest.approx(0.1)
    assert calmar_ratio(equity) == pytest.approx(0.1 / 0.2)
    assert calmar_ratio(curve([100, 110, 121], freq="1D")) is None  # never fell
    assert calmar_ratio(curve([])) is None


def test_equity_series_from_the_journal_frame() -> None:
    frame = pd.DataFrame({"time": pd.date_range(T0, periods=3, freq="1D"), "equity": [100.0, math.nan, 90.0]})
    series = equity_series(frame)
    assert series.tolist() == [100.0, 90.0]
    assert str(series.index.tz) == "UTC"
    assert equity_series(None).empty
