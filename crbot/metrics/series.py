"""Series behind the Performance page's charts: pure functions over the curve and the round trips.

    rolling_sharpe(returns, window=30)     Sharpe of each trailing 30-day window of daily returns
    monthly_returns(equity)                compounded return of each UTC calendar month (year × month table)
    pnl_by_symbol(trips)                   realised P&L per symbol, after fees
    holding_hours(trips)                   how long each round trip was held, in hours

Definitions match the headline figures (docs/METRICS.md): daily returns from UTC day closes, sample std
(ddof=1), risk-free 0, × √365.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crbot.metrics.performance import DAYS_PER_YEAR, daily_closes
from crbot.metrics.trades import holding_times

ROLLING_DAYS = 30


def rolling_sharpe(returns: pd.Series, window: int = ROLLING_DAYS, periods_per_year: int = DAYS_PER_YEAR) -> pd.Series:
    """``sharpe_ratio`` of each trailing window of ``window`` returns, indexed by the window's last day.

    NaN (undefined, not plotted) for the first ``window − 1`` returns and for a window whose returns
    never vary. NaN returns are left out of the index first (as ``sharpe_ratio`` does).
    """
    values = pd.to_numeric(pd.Series(returns), errors="coerce").astype("float64")
    values = values[np.isfinite(values.to_numpy())]
    if len(values) < window or window < 2:
        return pd.Series(np.nan, index=values.index, dtype="float64", name="rolling_sharpe")
    rolling = values.rolling(window, min_periods=window)
    std = rolling.std(ddof=1)
    sharpe = rolling.mean() / std.where(std > 1e-15) * math.sqrt(periods_per_year)
    return sharpe.rename("rolling_sharpe")


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Compounded return of each UTC calendar month, as a year × month (1..12) table of fractions.

    A month's return is its last day close / the previous month's last day close − 1; the first month
    runs from the first day close. Months outside the history are NaN. Empty with under 2 day closes.
    """
    closes = daily_closes(equity)
    if len(closes) < 2:
        return pd.DataFrame(dtype="float64", columns=pd.RangeIndex(1, 13, name="month"))
    month_end = closes.groupby(closes.index.tz_convert("UTC").tz_localize(None).to_period("M")).last()
    previous = month_end.shift(1)
    previous.iloc[0] = closes.iloc[0]
    returns = month_end / previous.where(previous > 0) - 1.0
    table = pd.DataFrame(
        {"year": returns.index.year, "month": returns.index.month, "return": returns.to_numpy(dtype="float64")}
    )
    grid = table.pivot(index="year", columns="month", values="return")
    return grid.reindex(columns=pd.RangeIndex(1, 13, name="month"))


def pnl_by_symbol(trips: pd.DataFrame) -> pd.Series:
    """Realised P&L (USDT, after fees) summed by symbol, largest first. Empty without round trips."""
    if len(trips) == 0:
        return pd.Series(dtype="float64", name="pnl")
    by_symbol = pd.Series(trips["pnl"].to_numpy(dtype="float64"), index=trips["symbol"].astype(str), name="pnl")
    return by_symbol.groupby(level=0).sum().sort_values(ascending=False)


def holding_hours(trips: pd.DataFrame) -> pd.Series:
    """Holding time of each round trip in hours (float; for the duration distribution)."""
    held = holding_times(trips).dropna()
    return pd.Series(held.dt.total_seconds().to_numpy() / 3600.0, index=held.index, name="hours", dtype="float64")
