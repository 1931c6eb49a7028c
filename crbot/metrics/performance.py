"""Curve and execution metrics: drawdown, Sharpe, slippage, latency. Pure functions over frames."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crbot.metrics.frames import equity_series, require_columns

# Crypto trades every day of the year, so daily returns annualise over 365 days, not 252.
DAYS_PER_YEAR = 365


def drawdown_series(equity: pd.DataFrame | None) -> pd.Series:
    """Drawdown at each equity point as a fraction <= 0 (equity / running peak - 1), for a chart.

    Points before the running peak is positive are NaN: a drawdown from nothing is undefined.
    """
    curve = equity_series(equity)
    peak = curve.cummax()
    drawdown = (curve / peak.where(peak > 0)) - 1.0
    return drawdown.rename("drawdown")


def max_drawdown(equity: pd.DataFrame | None) -> float | None:
    """The deepest fall from a running peak as a positive fraction (0.12 = 12 %); None without data."""
    drawdown = drawdown_series(equity).dropna()
    if drawdown.empty:
        return None
    return max(0.0, -float(drawdown.min()))


def daily_returns(equity: pd.DataFrame | None) -> pd.Series:
    """Returns between UTC day closes (last equity of each day; a day without a point keeps the last close)."""
    curve = equity_series(equity)
    if curve.empty:
        return pd.Series(dtype="float64", name="return")
    closes = curve.resample("1D").last().ffill()
    returns = closes.pct_change().replace([np.inf, -np.inf], np.nan).dropna()
    return returns.rename("return")


def sharpe(equity: pd.DataFrame | None, *, periods_per_year: int = DAYS_PER_YEAR) -> float | None:
    """Annualised Sharpe ratio of daily returns, risk-free rate 0: mean / std (ddof=1) × √365.

    None with fewer than 2 daily returns, or when returns never vary (the ratio is undefined).
    """
    returns = daily_returns(equity).to_numpy()
    if len(returns) < 2:
        return None
    std = float(np.std(returns, ddof=1))
    if not std > 0 or not math.isfinite(std):
        return None
    return float(np.mean(returns)) / std * math.sqrt(periods_per_year)


def slippage_series(fills: pd.DataFrame | None) -> pd.Series:
    """Per fill slippage in percent, positive when it cost the trader (BUY above / SELL below expected).

    Fills without a usable expected price are left out.
    """
    if fills is None or len(fills) == 0:
        return pd.Series(dtype="float64", name="slippage_pct")
    require_columns(fills, ("side", "price", "expected_price"), "fills")
    expected = fills["expected_price"].to_numpy(dtype="float64")
    price = fills["price"].to_numpy(dtype="float64")
    sign = np.where(fills["side"].astype(str).str.upper().to_numpy() == "BUY", 1.0, -1.0)
    usable = np.isfinite(expected) & (expected > 0) & np.isfinite(price)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (price - expected) / expected * sign * 100.0
    return pd.Series(pct[usable], index=fills.index[usable], name="slippage_pct")


def slippage_pct(fills: pd.DataFrame | None) -> float | None:
    """Mean signed slippage in percent over fills with an expected price; None if there are none."""
    series = slippage_series(fills)
    return None if series.empty else float(series.mean())


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyStats:
    """Order round-trip latency in milliseconds over orders that recorded one (None: no data)."""

    count: int
    p50: float | None
    p95: float | None
    max: float | None


def latency(orders: pd.DataFrame | None) -> LatencyStats:
    """p50 / p95 / max of the orders' ``latency_ms`` (linear percentiles); NaN latencies are left out."""
    if orders is None or len(orders) == 0:
        return LatencyStats(count=0, p50=None, p95=None, max=None)
    require_columns(orders, ("latency_ms",), "orders")
    values = orders["latency_ms"].to_numpy(dtype="float64")
    values = values[np.isfinite(values)]
    if values.size == 0:
        return LatencyStats(count=0, p50=None, p95=None, max=None)
    p50, p95 = np.percentile(values, [50, 95])
    return LatencyStats(count=int(values.size), p50=float(p50), p95=float(p95), max=float(values.max()))
