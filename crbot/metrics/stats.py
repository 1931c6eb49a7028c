"""Trade statistics over a Series of per-trade P&L (quote currency, after fees): one value per round trip.

Every function takes ``pnls`` (a pandas Series; NaN and inf entries are unknown and left out, never
counted as zero) and returns a float, or None when the figure is undefined for that sample. The
definitions are in docs/METRICS.md.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crbot.metrics.frames import finite_values


def win_rate(pnls: pd.Series) -> float | None:
    """Winning trades / all trades, a fraction in [0, 1]: a win is pnl > 0 (break-even is not a win).

    None with no trades.
    """
    values = finite_values(pnls)
    return None if values.size == 0 else float(np.count_nonzero(values > 0) / values.size)


def profit_factor(pnls: pd.Series) -> float | None:
    """Gross profit / gross loss = Σ pnl>0 / |Σ pnl<0|, in [0, ∞].

    No losing trade but some profit: ``math.inf`` (the ratio grows without bound; shown as "∞").
    No trades, or neither profit nor loss (every trade exactly break-even): None.
    """
    values = finite_values(pnls)
    gross_profit = float(values[values > 0].sum())
    gross_loss = float(-values[values < 0].sum())
    if gross_loss == 0:
        return math.inf if gross_profit > 0 else None
    return gross_profit / gross_loss


def expectancy(pnls: pd.Series) -> float | None:
    """Mean P&L per trade (quote currency): Σ pnl / n. None with no trades."""
    values = finite_values(pnls)
    return None if values.size == 0 else float(values.mean())


def expectancy_ratio(pnls: pd.Series) -> float | None:
    """Expectancy in units of the average loss: mean(pnl) / mean(|pnl| over losing trades).

    The expected gain per unit of the typical loss (an "R multiple"). Without break-even trades it equals
    FreqUI's (1 + average win / average loss) × win rate − 1; a break-even trade counts here as 0
    gained, there as a loss. None with no trades or no losing trade.
    """
    values = finite_values(pnls)
    losses = values[values < 0]
    if losses.size == 0:
        return None
    return float(values.mean() / -losses.mean())


def sqn(pnls: pd.Series) -> float | None:
    """System Quality Number (Van Tharp): √n × mean(pnl) / std(pnl, ddof=1), dimensionless.

    None with fewer than 2 trades or when every trade made the same P&L (std 0: undefined).
    """
    values = finite_values(pnls)
    if values.size < 2:
        return None
    std = float(values.std(ddof=1))
    if not std > 0:
        return None
    return math.sqrt(values.size) * float(values.mean()) / std


def net_pnl(pnls: pd.Series) -> float | None:
    """Σ pnl (quote currency). None with no trades."""
    values = finite_values(pnls)
    return None if values.size == 0 else float(values.sum())
