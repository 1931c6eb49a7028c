"""The dashboard's metric table: each figure, its sample size, and its status against the guide's target.

Targets (integration guide, "Métriques à monitorer"): latency < 500 ms, win rate > 45 %,
profit factor > 1.5, max drawdown < 10 %, Sharpe > 1.0, slippage < 0.1 % (= 10 bps).
Below its minimum sample a figure is shown but marked "not yet meaningful" and never judged.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from crbot.metrics.execution import fill_slippage_bps, latency
from crbot.metrics.frames import equity_series
from crbot.metrics.performance import (
    cagr,
    calmar_ratio,
    daily_returns,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
)
from crbot.metrics.stats import expectancy, expectancy_ratio, net_pnl, profit_factor, sqn, win_rate
from crbot.metrics.trades import duration_summary, round_trips

NO_DATA = "not enough data"
NOT_MEANINGFUL = "not yet meaningful"
# Minimum samples before a figure is judged (below: shown, marked not yet meaningful).
MIN_TRADES = 30  # round trips
MIN_DAYS = 30  # daily returns
MIN_FILLS = 20  # fills with an expected price
MIN_ORDERS = 20  # orders with a recorded latency (p99: 100)


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """One figure. ``ok`` is None when there is no target, no value, or too small a sample to judge."""

    key: str
    label: str
    value: float | None
    target: str  # human text, e.g. "> 45 %"; "" when the figure is informational
    ok: bool | None
    fmt: str  # str.format template for the value, e.g. "{:.1%}"
    sample: int = 0  # how many data points the figure rests on
    min_sample: int = 0  # below this the figure is not yet meaningful
    unit: str = ""  # what the sample counts: "trades", "days", "fills", "orders", "points"
    definition: str = ""  # one line; docs/METRICS.md has the full text

    @property
    def meaningful(self) -> bool:
        return self.value is not None and self.sample >= self.min_sample

    @property
    def status(self) -> str:
        """ "met" / "missed" (judged), "not yet meaningful", "no data", or "" (informational)."""
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return "no data"
        if not self.meaningful:
            return NOT_MEANINGFUL
        if self.ok is None:
            return ""
        return "met" if self.ok else "missed"

    @property
    def text(self) -> str:
        """The value as shown: "—" for no data, "∞" for an infinite profit factor."""
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return "—"
        if math.isinf(self.value):
            return "∞" if self.value > 0 else "-∞"
        return self.fmt.format(self.value)


@dataclass(frozen=True, slots=True)
class _Target:
    text: str
    passes: Callable[[float], bool]


def _target(op: Callable[[float, float], bool], bound: float, text: str) -> _Target:
    return _Target(text, lambda value: bool(op(value, bound)))


TARGETS: dict[str, _Target] = {
    "latency_p95_ms": _target(operator.lt, 500.0, "< 500 ms"),
    "win_rate": _target(operator.gt, 0.45, "> 45 %"),
    "profit_factor": _target(operator.gt, 1.5, "> 1.5"),
    "max_drawdown": _target(operator.lt, 0.10, "< 10 %"),
    "sharpe": _target(operator.gt, 1.0, "> 1.0"),
    "slippage_bps": _target(operator.lt, 10.0, "< 10 bps (0.1 %)"),
}


def metric(
    key: str,
    label: str,
    value: float | None,
    fmt: str,
    *,
    sample: int = 0,
    min_sample: int = 0,
    unit: str = "",
    definition: str = "",
) -> Metric:
    """A Metric judged against its target, if it has one and the sample is large enough."""
    target = TARGETS.get(key)
    judged = target is not None and value is not None and not math.isnan(value) and sample >= min_sample
    return Metric(
        key=key,
        label=label,
        value=value,
        target=target.text if target else "",
        ok=target.passes(value) if judged and target is not None and value is not None else None,
        fmt=fmt,
        sample=sample,
        min_sample=min_sample,
        unit=unit,
        definition=definition,
    )


def summary(
    fills: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    equity: pd.DataFrame | None,
    *,
    trips: pd.DataFrame | None = None,
) -> list[Metric]:
    """Every metric the dashboard shows, in display order (frames as the journal gives them).

    ``trips``: round trips already matched (e.g. over every fill, then filtered to a date range or a
    symbol); by default ``round_trips(fills)``.
    """
    trips = round_trips(fills) if trips is None else trips
    pnls = trips["pnl"]
    curve = equity_series(equity)
    returns = daily_returns(curve)
    slippage = fill_slippage_bps(fills)
    lat = latency(orders)
    held = duration_summary(trips)["median"]
    n, days = len(trips), len(returns)
    trade = {"sample": n, "min_sample": MIN_TRADES, "unit": "trades"}
    daily = {"sample": days, "min_sample": MIN_DAYS, "unit": "days"}
    orders_n = {"sample": lat.count, "unit": "orders"}
    return [
        metric(
            "trades", "Round trips", float(n), "{:,.0f}", sample=n, unit="trades", definition="closed FIFO round trips"
        ),
        metric(
            "net_pnl",
            "Net P&L (realised)",
            net_pnl(pnls),
            "{:,.2f} USDT",
            sample=n,
            unit="trades",
            definition="Σ round-trip P&L after both sides' fees",
        ),
        metric(
            "win_rate", "Win rate", win_rate(pnls), "{:.1%}", **trade, definition="trades with P&L > 0 / all trades"
        ),
        metric(
            "profit_factor",
            "Profit factor",
            profit_factor(pnls),
            "{:.2f}",
            **trade,
            definition="gross profit / gross loss; ∞ with no losing trade",
        ),
        metric(
            "expectancy",
            "Expectancy per trade",
            expectancy(pnls),
            "{:,.2f} USDT",
            **trade,
            definition="mean P&L per round trip, after fees",
        ),
        metric(
            "expectancy_ratio",
            "Expectancy ratio",
            expectancy_ratio(pnls),
            "{:.2f}",
            **trade,
            definition="expectancy / average loss",
        ),
        metric("sqn", "SQN", sqn(pnls), "{:.2f}", **trade, definition="√n × mean P&L / sample std of P&L"),
        metric(
            "median_holding_h",
            "Median holding time",
            None if held is None else held.total_seconds() / 3600,
            "{:,.1f} h",
            sample=n,
            unit="trades",
            definition="close time − open time of the oldest lot, median over round trips",
        ),
        metric(
            "max_drawdown",
            "Max drawdown",
            max_drawdown(curve),
            "{:.2%}",
            sample=len(curve),
            min_sample=2,
            unit="points",
            definition="deepest fall from the running peak of equity, every recorded point",
        ),
        metric(
            "sharpe",
            "Sharpe ratio",
            sharpe_ratio(returns),
            "{:.2f}",
            **daily,
            definition="mean / sample std of daily returns × √365, risk-free 0",
        ),
        metric(
            "sortino",
            "Sortino ratio",
            sortino_ratio(returns),
            "{:.2f}",
            **daily,
            definition="mean daily return / √mean(min(r,0)²) × √365",
        ),
        metric(
            "cagr", "CAGR", cagr(curve), "{:.1%}", **daily, definition="(last / first UTC day close)^(365 / days) − 1"
        ),
        metric("calmar", "Calmar ratio", calmar_ratio(curve), "{:.2f}", **daily, definition="CAGR / max drawdown"),
        metric(
            "slippage_bps",
            "Slippage (mean, signed)",
            None if slippage.empty else float(slippage.mean()),
            "{:,.1f} bps",
            sample=len(slippage),
            min_sample=MIN_FILLS,
            unit="fills",
            definition="fill vs expected price, bps, positive = cost to the trader",
        ),
        metric(
            "latency_p50_ms",
            "Latency p50",
            lat.p50,
            "{:,.0f} ms",
            **orders_n,
            min_sample=MIN_ORDERS,
            definition="submit-to-acknowledge, median",
        ),
        metric(
            "latency_p95_ms",
            "Latency p95",
            lat.p95,
            "{:,.0f} ms",
            **orders_n,
            min_sample=MIN_ORDERS,
            definition="submit-to-acknowledge, 95th percentile",
        ),
        metric(
            "latency_p99_ms",
            "Latency p99",
            lat.p99,
            "{:,.0f} ms",
            **orders_n,
            min_sample=100,
            definition="submit-to-acknowledge, 99th percentile",
        ),
    ]
