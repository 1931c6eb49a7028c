"""Performance metrics: pure functions over the journal's fills, orders and equity frames.

    trips = round_trips(journal.fills_frame())      # FIFO round trips, P&L after fees
    win_rate(trips), profit_factor(trips), expectancy(trips)
    max_drawdown(equity), drawdown_series(equity), sharpe(equity)
    slippage_pct(fills), latency(orders)
    summary(fills, orders, equity) -> list[Metric]   # each against the integration guide's target

Fractions are fractions (0.45 = 45 %) except where the name says ``pct``.
"""

from crbot.metrics.performance import (
    DAYS_PER_YEAR,
    LatencyStats,
    daily_returns,
    drawdown_series,
    latency,
    max_drawdown,
    sharpe,
    slippage_pct,
    slippage_series,
)
from crbot.metrics.summary import NO_DATA, TARGETS, Metric, metric, summary
from crbot.metrics.trades import (
    TRIP_COLUMNS,
    expectancy,
    net_pnl,
    profit_factor,
    round_trips,
    trade_count,
    win_rate,
)

__all__ = [
    "DAYS_PER_YEAR",
    "NO_DATA",
    "TARGETS",
    "TRIP_COLUMNS",
    "LatencyStats",
    "Metric",
    "daily_returns",
    "drawdown_series",
    "expectancy",
    "latency",
    "max_drawdown",
    "metric",
    "net_pnl",
    "profit_factor",
    "round_trips",
    "sharpe",
    "slippage_pct",
    "slippage_series",
    "summary",
    "trade_count",
    "win_rate",
]
