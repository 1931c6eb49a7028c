"""What the Performance page shows, computed once per journal version and filter (no widgets here).

The journal's frames are read once per data version (a new fill or equity point changes it) and shared
by every session without copies (``cache_resource``: read-only). Each filter (date range, symbols) then
gets its own view: round trips are matched over EVERY fill (an entry bought before the range still
prices a sale inside it) and kept when they close inside the range on a chosen symbol; fills, orders
and equity points are kept when they fall inside it.

Equity belongs to the whole account, not to a symbol: with a symbol filter the curve figures (drawdown,
Sharpe, Sortino, CAGR, Calmar, the charts) use the *realised* curve of those symbols instead: the
account's equity at the start of the range plus their cumulative round-trip P&L at each close.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from crbot import metrics
from crbot.metrics.frames import utc_index
from crbot.service import TradingService
from ui import charts

CACHE_TTL_S = 600  # keyed by the journal's data version: a new fill or equity point recomputes at once
ACCOUNT, REALISED = "account", "realised"


@dataclass(frozen=True, slots=True)
class Filters:
    """Closed UTC date range (None: open-ended) and symbols (empty: all)."""

    start: date | None = None
    end: date | None = None
    symbols: tuple[str, ...] = ()

    def bounds(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """[start 00:00 UTC, the day after end 00:00 UTC)."""
        lo = None if self.start is None else pd.Timestamp(datetime.combine(self.start, time(0)), tz="UTC")
        hi = (
            None
            if self.end is None
            else pd.Timestamp(datetime.combine(self.end + timedelta(days=1), time(0)), tz="UTC")
        )
        return lo, hi


@dataclass(frozen=True, slots=True)
class Frames:
    """The journal as frames, one read per data version (shared, never modified)."""

    fills: pd.DataFrame
    orders: pd.DataFrame
    equity: pd.DataFrame
    trips: pd.DataFrame  # matched over every fill
    open: pd.DataFrame  # what is still held, with its average entry
    symbols: tuple[str, ...] = field(default=())


@st.cache_resource(ttl=CACHE_TTL_S, max_entries=2, show_spinner="Reading the journal…")
def journal_frames(journal_url: str, version: tuple[int, int], _service: TradingService) -> Frames:
    fills = _service.fills_frame()
    trips, still_open = metrics.fifo(fills)
    symbols = tuple(sorted(fills["symbol"].astype(str).unique())) if len(fills) else ()
    return Frames(fills, _service.orders_frame(), _service.equity_frame(), trips, still_open, symbols)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=16, show_spinner="Computing performance…")
def performance_view(journal_url: str, version: tuple[int, int], filters: Filters, _service: TradingService) -> dict:
    return build_view(journal_frames(journal_url, version, _service), filters)


def _within(times: pd.Series, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> pd.Series:
    index = utc_index(times)
    keep = pd.Series(True, index=times.index)
    if lo is not None:
        keep &= index >= lo
    if hi is not None:
        keep &= index < hi
    return keep


def _of(frame: pd.DataFrame, column: str, filters: Filters, symbol_column: str | None = "symbol") -> pd.DataFrame:
    if frame.empty:
        return frame
    keep = _within(frame[column], *filters.bounds())
    if filters.symbols and symbol_column:
        keep &= frame[symbol_column].astype(str).isin(filters.symbols).to_numpy()
    return frame[keep.to_numpy()]


def realised_curve(equity: pd.DataFrame, trips: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Account equity at the range start (or the first point in it) + cumulative P&L of ``trips`` by close."""
    if equity.empty:
        return equity
    lo, _ = filters.bounds()
    times = utc_index(equity["time"])
    before = equity[(times <= lo) if lo is not None else (times <= times[0])]
    base_row = before.iloc[-1] if len(before) else equity.iloc[0]
    start = lo if lo is not None else utc_index(pd.Series([base_row["time"]]))[0]
    if len(trips) and trips["close_time"].min() < start:
        start = trips["close_time"].min()
    points = [pd.DataFrame({"time": [start], "equity": [float(base_row["equity"])]})]
    if len(trips):
        running = float(base_row["equity"]) + trips["pnl"].cumsum().to_numpy()
        points.append(pd.DataFrame({"time": trips["close_time"].to_numpy(), "equity": running}))
    curve = pd.concat(points, ignore_index=True)
    curve["time"] = utc_index(curve["time"])
    return curve


def build_view(frames: Frames, filters: Filters) -> dict:
    """Every figure, table and chart series of the page for one filter (plain data: cached and copied)."""
    trips = _of(frames.trips, "close_time", filters)
    fills = _of(frames.fills, "time", filters)
    orders = _of(frames.orders, "created_at", filters)
    basis = REALISED if filters.symbols else ACCOUNT
    equity = (
        realised_curve(frames.equity, trips, filters)
        if basis == REALISED
        else _of(frames.equity, "time", filters, None)
    )
    curve = metrics.equity_series(equity)
    returns = metrics.daily_returns(curve)
    drawdown = metrics.drawdown_series(curve)
    rolling = metrics.rolling_sharpe(returns).dropna()
    return {
        "metrics": metrics.summary(fills, orders, equity, trips=trips),
        "trips": trips.reset_index(drop=True),
        "fills": len(fills),
        "all_fills": len(frames.fills),
        "symbols": frames.symbols,
        "basis": basis,
        "equity": charts.downsample(pd.DataFrame({"time": curve.index, "equity": curve.to_numpy()}), "equity"),
        "drawdown": charts.downsample(
            pd.DataFrame({"time": drawdown.index, "drawdown_pct": drawdown.to_numpy() * 100.0}).dropna(), "drawdown_pct"
        ),
        "returns_pct": returns * 100.0,
        "monthly": metrics.monthly_returns(curve),
        "rolling": pd.DataFrame({"time": rolling.index, "sharpe": rolling.to_numpy()}),
        "by_symbol": metrics.pnl_by_symbol(trips),
        "hours": metrics.holding_hours(trips),
        "open": frames.open[frames.open["symbol"].isin(filters.symbols)] if filters.symbols else frames.open,
    }
