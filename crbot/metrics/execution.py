"""Execution quality: fill slippage in basis points and submit-to-acknowledge latency percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from crbot.metrics.frames import finite_values, require_columns

LATENCY_PERCENTILES = (50.0, 95.0, 99.0)


def slippage_bps(side: str, expected_price: float | Decimal, fill_price: float | Decimal) -> float | None:
    """Slippage of one fill in basis points, positive when it cost the trader.

    BUY: (fill − expected) / expected × 10,000; SELL: (expected − fill) / expected × 10,000. 1 bp is
    0.01 %: the guide's "slippage < 0.1 %" is < 10 bps. None when the expected price is unknown or not
    positive, or a price is not a finite number. ``side`` is "BUY" or "SELL" (any case; a StrEnum works).
    """
    direction = _direction(str(side))
    expected, fill = float(expected_price), float(fill_price)
    if direction is None or not (math.isfinite(expected) and math.isfinite(fill)) or not expected > 0:
        return None
    return direction * (fill - expected) / expected * 10_000.0


def _direction(side: str) -> float | None:
    return {"BUY": 1.0, "SELL": -1.0}.get(side.upper())


def fill_slippage_bps(fills: pd.DataFrame | None) -> pd.Series:
    """``slippage_bps`` of every fill of the journal's fills frame (side, price, expected_price), vectorised.

    Fills without a usable expected price are left out (their index is kept for the others).
    """
    if fills is None or len(fills) == 0:
        return pd.Series(dtype="float64", name="slippage_bps")
    require_columns(fills, ("side", "price", "expected_price"), "fills")
    expected = fills["expected_price"].to_numpy(dtype="float64")
    price = fills["price"].to_numpy(dtype="float64")
    codes, uniques = pd.factorize(fills["side"])  # a few distinct sides: map those, not a million strings
    signs = np.array([_direction(str(u)) or np.nan for u in uniques] + [np.nan], dtype="float64")
    direction = signs[codes]
    usable = np.isfinite(expected) & (expected > 0) & np.isfinite(price) & np.isfinite(direction)
    with np.errstate(divide="ignore", invalid="ignore"):
        bps = direction * (price - expected) / expected * 10_000.0
    return pd.Series(bps[usable], index=fills.index[usable], name="slippage_bps")


def latency_percentiles(
    latencies_ms: pd.Series, percentiles: Sequence[float] = LATENCY_PERCENTILES
) -> dict[float, float | None]:
    """Percentiles of latencies in milliseconds, linear interpolation between order statistics.

    (numpy's default "linear" method: the p-th percentile of n sorted values is at rank p/100 × (n − 1).)
    NaN latencies (unknown) are left out; every percentile is None without a known latency.
    """
    values = finite_values(latencies_ms)
    if values.size == 0:
        return dict.fromkeys(percentiles)
    return {p: float(v) for p, v in zip(percentiles, np.percentile(values, list(percentiles)), strict=True)}


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyStats:
    """Order submit-to-acknowledge latency in ms over the orders that recorded one (None: no data)."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


def latency(orders: pd.DataFrame | None) -> LatencyStats:
    """p50 / p95 / p99 / max of the orders frame's ``latency_ms`` (see ``latency_percentiles``)."""
    if orders is None or len(orders) == 0:
        return LatencyStats(count=0, p50=None, p95=None, p99=None, max=None)
    require_columns(orders, ("latency_ms",), "orders")
    values = finite_values(orders["latency_ms"])
    pct = latency_percentiles(pd.Series(values))
    return LatencyStats(
        count=int(values.size),
        p50=pct[50.0],
        p95=pct[95.0],
        p99=pct[99.0],
        max=float(values.max()) if values.size else None,
    )
