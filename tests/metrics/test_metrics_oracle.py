"""The curve metrics against an independent implementation: empyrical-reloaded (a test-only dependency)."""

import empyrical
import numpy as np
import pandas as pd
import pytest

from crbot.metrics import cagr, calmar_ratio, daily_returns, max_drawdown, sharpe_ratio, sortino_ratio

T0 = pd.Timestamp("2025-03-01", tz="UTC")
SEEDS = range(20)


def random_returns(seed: int, n: int = 400) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0008, 0.03, n), index=pd.date_range(T0, periods=n, freq="1D"))


def daily_equity(returns: pd.Series) -> pd.Series:
    """A curve with one point per UTC day whose daily returns are ``returns``."""
    start = pd.Series([10_000.0], index=[returns.index[0] - pd.Timedelta(days=1)])
    return pd.concat([start, 10_000.0 * (1 + returns).cumprod()])


@pytest.mark.parametrize("seed", SEEDS)
def test_sharpe_and_sortino_agree_with_empyrical(seed: int) -> None:
    returns = random_returns(seed)
    assert sharpe_ratio(returns) == pytest.approx(empyrical.sharpe_ratio(returns, annualization=365), rel=1e-10)
    assert sortino_ratio(returns) == pytest.approx(empyrical.sortino_ratio(returns, annualization=365), rel=1e-10)
    assert sharpe_ratio(returns, 252) == pytest.approx(empyrical.sharpe_ratio(returns, annualization=252), rel=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_curve_metrics_agree_with_empyrical(seed: int) -> None:
    returns = random_returns(seed)
    equity = daily_equity(returns)
    assert daily_returns(equity).to_numpy() == pytest.approx(returns.to_numpy(), rel=1e-12)
    assert max_drawdown(equity) == pytest.approx(-empyrical.max_drawdown(returns), rel=1e-10)
    assert cagr(equity) == pytest.approx(empyrical.cagr(returns, annualization=365), rel=1e-10)
    assert calmar_ratio(equity) == pytest.approx(empyrical.calmar_ratio(returns, annualization=365), rel=1e-10)


def test_intraday_equity_is_resampled_to_utc_day_closes_before_the_ratios() -> None:
    rng = np.random.default_rng(7)
    times = pd.date_range(T0, periods=24 * 60, freq="1h")
    equity = pd.Series(10_000 * np.cumprod(1 + rng.normal(0.0002, 0.004, len(times))), index=times)
    equity = equity.drop(times[24 * 10 : 24 * 12])  # two days without any point: their close is carried
    closes = equity.groupby(equity.index.floor("D")).last().reindex(pd.date_range(T0, periods=60, freq="1D")).ffill()
    by_hand = closes.pct_change().dropna()
    returns = daily_returns(equity)
    assert len(returns) == 59
    assert sharpe_ratio(returns) == pytest.approx(empyrical.sharpe_ratio(by_hand, annualization=365), rel=1e-10)
    assert sortino_ratio(returns) == pytest.approx(empyrical.sortino_ratio(by_hand, annualization=365), rel=1e-10)
