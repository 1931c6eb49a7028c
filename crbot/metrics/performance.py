"""Curve metrics over the equity Series (account value in quote currency, indexed by UTC time).

    max_drawdown(equity), drawdown_series(equity)          every recorded point
    daily_returns(equity)                                   UTC day closes -> simple returns
    sharpe_ratio(returns), sortino_ratio(returns)           risk-free rate 0, × √periods_per_year
    cagr(equity), calmar_ratio(equity)                      over the UTC day closes

None means undefined for that sample (too few points, no variation, no peak); the definitions are in
docs/METRICS.md.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crbot.metrics.frames import clean_curve, finite_values

# Crypto trades every day of the year, so daily figures annualise over 365 periods, not 252.
DAYS_PER_YEAR = 365


def drawdown_series(equity: pd.Series) -> pd.Series:
    """Drawdown at each point as a fraction <= 0: equity / running peak − 1 (for the underwater chart).

    Points while the running peak is not yet positive are NaN: a fall from nothing is undefined.
    """
    curve = clean_curve(equity)
    peak = curve.cummax()
    return ((curve / peak.where(peak > 0)) - 1.0).rename("drawdown")


def max_drawdown(equity: pd.Series) -> float | None:
    """The deepest fall from the running peak as a positive fraction: max over t of 1 − equity_t / peak_t.

    0.12 is a 12 % fall; 0.0 when equity never fell. None without a point after a positive peak.
    """
    drawdown = drawdown_series(equity).dropna()
    return None if drawdown.empty else max(0.0, -float(drawdown.min()))


def daily_closes(equity: pd.Series) -> pd.Series:
    """The close of each UTC calendar day: the last equity point at or before 24:00 UTC.

    A day without any point keeps the previous day's close (the account did not change as far as we
    know); days before the first point do not exist.
    """
    curve = clean_curve(equity)
    if curve.empty:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC"), name="close")
    return curve.resample("1D").last().ffill().rename("close")


def daily_returns(equity: pd.Series) -> pd.Series:
    """Simple returns between consecutive UTC day closes: close_d / close_(d−1) − 1.

    n calendar days from the first point's day to the last point's give n − 1 returns; a return over a
    non-positive close is undefined and left out.
    """
    closes = daily_closes(equity)
    previous = closes.shift(1)
    returns = (closes / previous.where(previous > 0)) - 1.0
    return returns.replace([np.inf, -np.inf], np.nan).dropna().rename("return")


def sharpe_ratio(returns: pd.Series, periods_per_year: int = DAYS_PER_YEAR) -> float | None:
    """Annualised Sharpe ratio, risk-free rate 0: mean(r) / std(r, ddof=1) × √periods_per_year.

    ``returns`` are per period (daily for the dashboard); NaN returns are left out. None with fewer
    than 2 returns or when they never vary (std 0).
    """
    values = finite_values(returns)
    if values.size < 2:
        return None
    std = float(values.std(ddof=1))
    if not std > 0:
        return None
    return float(values.mean()) / std * math.sqrt(periods_per_year)


def downside_deviation(returns: pd.Series) -> float | None:
    """√(mean(min(r, 0)²)) over all periods (target 0; gains count as 0, not left out). None if no returns."""
    values = finite_values(returns)
    return None if values.size == 0 else math.sqrt(float(np.mean(np.minimum(values, 0.0) ** 2)))


def sortino_ratio(returns: pd.Series, periods_per_year: int = DAYS_PER_YEAR) -> float | None:
    """Annualised Sortino ratio, target 0: mean(r) / √(mean(min(r, 0)²)) × √periods_per_year.

    None with fewer than 2 returns or no losing period (downside deviation 0: undefined).
    """
    values = finite_values(returns)
    if values.size < 2:
        return None
    downside = downside_deviation(pd.Series(values))
    if not downside:
        return None
    return float(values.mean()) / downside * math.sqrt(periods_per_year)


def cagr(equity: pd.Series, periods_per_year: int = DAYS_PER_YEAR) -> float | None:
    """Compound annual growth rate over the UTC day closes: (last / first)^(periods_per_year / n) − 1.

    n is the number of daily returns (days between the first and last close), so 365 days of history
    compound over exactly one year. None with fewer than 1 daily return or a non-positive first close.
    A total loss gives −1.0.
    """
    closes = daily_closes(equity).to_numpy()
    days = closes.size - 1
    if days < 1 or not closes[0] > 0:
        return None
    growth = max(0.0, float(closes[-1] / closes[0]))
    return growth ** (periods_per_year / days) - 1.0


def calmar_ratio(equity: pd.Series, periods_per_year: int = DAYS_PER_YEAR) -> float | None:
    """CAGR / max drawdown: cagr(equity, periods_per_year) / max_drawdown(equity), dimensionless.

    The drawdown is over every recorded point (as shown on the dashboard). None when either is None
    or equity never fell (max drawdown 0).
    """
    growth, drawdown = cagr(equity, periods_per_year), max_drawdown(equity)
    if growth is None or not drawdown:
        return None
    return growth / drawdown
