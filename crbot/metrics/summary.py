"""The dashboard's metric table: each figure against the integration guide's target.

Targets (integration guide, "Métriques à monitorer"): latency < 500 ms, win rate > 45 %,
profit factor > 1.5, max drawdown < 10 %, Sharpe > 1.0, slippage < 0.1 %.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from crbot.metrics.performance import latency, max_drawdown, sharpe, slippage_pct
from crbot.metrics.trades import expectancy, net_pnl, profit_factor, round_trips, win_rate

NO_DATA = "not enough data"


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """One figure. ``ok`` is None when there is no target or not enough data to judge."""

    key: str
    label: str
    value: float | None
    target: str  # human text, e.g. "> 45 %"; "" when the figure is informational
    ok: bool | None
    fmt: str  # str.format template for the value, e.g. "{:.1%}"

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
    "slippage_pct": _target(operator.lt, 0.1, "< 0.1 %"),
}


def metric(key: str, label: str, value: float | None, fmt: str) -> Metric:
    """A Metric judged against its target, if it has one."""
    target = TARGETS.get(key)
    ok = None if target is None or value is None or math.isnan(value) else target.passes(value)
    return Metric(key=key, label=label, value=value, target=target.text if target else "", ok=ok, fmt=fmt)


def summary(fills: pd.DataFrame | None, orders: pd.DataFrame | None, equity: pd.DataFrame | None) -> list[Metric]:
    """Every metric the dashboard shows, in display order."""
    trips = round_trips(fills)
    lat = latency(orders)
    return [
        metric("trades", "Round trips", float(len(trips)), "{:,.0f}"),
        metric("net_pnl", "Net P&L (realised)", net_pnl(trips), "{:,.2f} USDT"),
        metric("win_rate", "Win rate", win_rate(trips), "{:.1%}"),
        metric("profit_factor", "Profit factor", profit_factor(trips), "{:.2f}"),
        metric("expectancy", "Expectancy per trade", expectancy(trips), "{:,.2f} USDT"),
        metric("max_drawdown", "Max drawdown", max_drawdown(equity), "{:.2%}"),
        metric("sharpe", "Sharpe ratio (daily, ×√365)", sharpe(equity), "{:.2f}"),
        metric("slippage_pct", "Slippage (mean, signed)", slippage_pct(fills), "{:.3f} %"),
        metric("latency_p50_ms", "Latency p50", lat.p50, "{:,.0f} ms"),
        metric("latency_p95_ms", "Latency p95", lat.p95, "{:,.0f} ms"),
        metric("latency_max_ms", "Latency max", lat.max, "{:,.0f} ms"),
    ]
