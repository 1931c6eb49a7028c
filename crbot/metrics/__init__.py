"""Performance metrics: pure functions, pandas Series in, float or None out (None: undefined, shown "—").

    trips = round_trips(journal.fills_frame())       # FIFO round trips, P&L after fees
    open_lots(fills)                                  # what is still held, its average entry (no fees)
    pnls = trips["pnl"]
    win_rate(pnls), profit_factor(pnls), expectancy(pnls), expectancy_ratio(pnls), sqn(pnls)
    equity = equity_series(journal.equity_frame())   # account value by UTC time
    max_drawdown(equity), cagr(equity), calmar_ratio(equity)
    returns = daily_returns(equity)                   # UTC day closes -> simple returns
    sharpe_ratio(returns), sortino_ratio(returns)     # × √365, risk-free 0
    slippage_bps(side, expected_price, fill_price), latency_percentiles(latencies_ms)
    rolling_sharpe(returns), monthly_returns(equity), pnl_by_symbol(trips), holding_hours(trips)  # charts
    summary(fills, orders, equity) -> list[Metric]    # each against the integration guide's target

Fractions are fractions (0.45 = 45 %); slippage is in basis points. Definitions: docs/METRICS.md.
"""

from crbot.metrics.execution import (
    LATENCY_PERCENTILES,
    LatencyStats,
    fill_slippage_bps,
    latency,
    latency_percentiles,
    slippage_bps,
)
from crbot.metrics.frames import equity_series
from crbot.metrics.performance import (
    DAYS_PER_YEAR,
    cagr,
    calmar_ratio,
    daily_closes,
    daily_returns,
    downside_deviation,
    drawdown_series,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
)
from crbot.metrics.series import ROLLING_DAYS, holding_hours, monthly_returns, pnl_by_symbol, rolling_sharpe
from crbot.metrics.stats import expectancy, expectancy_ratio, net_pnl, profit_factor, sqn, win_rate
from crbot.metrics.summary import (
    MIN_DAYS,
    MIN_FILLS,
    MIN_ORDERS,
    MIN_TRADES,
    NO_DATA,
    NOT_MEANINGFUL,
    TARGETS,
    Metric,
    metric,
    summary,
)
from crbot.metrics.trades import (
    OPEN_COLUMNS,
    TRIP_COLUMNS,
    duration_summary,
    fifo,
    holding_times,
    is_buy_side,
    open_lots,
    profit_by_period,
    round_trips,
)

__all__ = [
    "DAYS_PER_YEAR",
    "LATENCY_PERCENTILES",
    "MIN_DAYS",
    "MIN_FILLS",
    "MIN_ORDERS",
    "MIN_TRADES",
    "NOT_MEANINGFUL",
    "NO_DATA",
    "OPEN_COLUMNS",
    "ROLLING_DAYS",
    "TARGETS",
    "TRIP_COLUMNS",
    "LatencyStats",
    "Metric",
    "cagr",
    "calmar_ratio",
    "daily_closes",
    "daily_returns",
    "downside_deviation",
    "drawdown_series",
    "duration_summary",
    "equity_series",
    "expectancy",
    "expectancy_ratio",
    "fifo",
    "fill_slippage_bps",
    "holding_hours",
    "holding_times",
    "is_buy_side",
    "latency",
    "latency_percentiles",
    "max_drawdown",
    "metric",
    "monthly_returns",
    "net_pnl",
    "open_lots",
    "pnl_by_symbol",
    "profit_by_period",
    "profit_factor",
    "rolling_sharpe",
    "round_trips",
    "sharpe_ratio",
    "slippage_bps",
    "sortino_ratio",
    "sqn",
    "summary",
    "win_rate",
]
