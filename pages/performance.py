"""Performance: the guide's metrics against their targets, the charts behind them, round trips and CSV.

Every figure comes from ``crbot.metrics`` (definitions in docs/METRICS.md). A date range and a symbol
filter at the top apply to every figure, chart and table below them. The page redraws by itself within
``POLL_S`` seconds of a new fill or equity point journaled by anyone (this tab, the CLI, a bot).

A journal of 1,000,000 fills must render fast: frames are read once per journal version and shared,
each filter's figures are computed once and cached, charts are downsampled (or binned) before they are
sent, and the table shows the newest trades while the CSV carries them all (built only when clicked).
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from crbot.runtime import Runtime
from ui import perf_charts, perf_trades
from ui.perf_data import REALISED, Filters, journal_frames, performance_view
from ui.perf_tiles import tiles
from ui.runtime import get_runtime

POLL_S = 5  # how often the page asks whether the journal changed (two indexed MAX queries)
RANGES = {"All time": None, "Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90, "Year to date": "ytd"}
CUSTOM = "Custom…"
# Kept for callers and tests that read them from the page.
TABLE_ROWS = perf_trades.TABLE_ROWS
ENTRY_NOTE = perf_trades.ENTRY_NOTE


def render() -> None:
    rt = get_runtime()
    st.title("Performance")
    version = rt.service.data_version()
    frames = journal_frames(rt.journal.url, version, rt.service)
    filters = _filters(frames.symbols, rt.clock.now().date())
    view = performance_view(rt.journal.url, version, filters, rt.service)
    _redraw_on_change(rt, version)
    top = st.columns([4, 1], vertical_alignment="center")
    selection = "" if view["fills"] == view["all_fills"] else f" (of {view['all_fills']:,})"
    top[0].caption(
        f"{view['fills']:,} fills{selection} · {len(view['trips']):,} round trips · redrawn within {POLL_S} s of a fill"
    )
    if top[1].button("Recompute", key="perf_recompute", icon=":material/refresh:"):
        journal_frames.clear()
        performance_view.clear()
        st.rerun()
    note = (
        " With a symbol filter, drawdown, Sharpe, Sortino, CAGR and Calmar are those of the **realised** curve "
        "of the chosen symbols (account equity at the start of the range + their round-trip P&L)."
        if view["basis"] == REALISED
        else ""
    )
    tiles(view["metrics"], basis_note=note)
    perf_charts.chart_grid(view)
    perf_trades.profit_by_period(view["trips"])
    perf_trades.open_positions(view["open"])
    perf_trades.trade_list(view["trips"], lambda: rt.service.fills_frame().to_csv(index=False))


def _filters(symbols: tuple[str, ...], today: date) -> Filters:
    """Date range (presets are relative to today, so a new fill stays inside them) and symbols."""
    left, right = st.columns([1, 2])
    choice = left.selectbox("Period", [*RANGES, CUSTOM], key="perf_range") or "All time"
    start: date | None = None
    end: date | None = None
    if choice == CUSTOM:
        picked = left.date_input(
            "From – to (UTC)", value=(today - timedelta(days=30), today), max_value=today, key="perf_dates"
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            start, end = picked
        elif isinstance(picked, tuple) and len(picked) == 1:
            start = picked[0]
    elif RANGES[choice] == "ytd":
        start = date(today.year, 1, 1)
    elif RANGES[choice] is not None:
        start = today - timedelta(days=int(RANGES[choice]) - 1)
    chosen = right.multiselect("Symbols", symbols, key="perf_symbols", placeholder="All symbols")
    return Filters(start=start, end=end, symbols=tuple(sorted(chosen)))


@st.fragment(run_every=f"{POLL_S}s")
def _redraw_on_change(rt: Runtime, shown: tuple[int, int]) -> None:
    """A fill or an equity point journaled by anyone (this tab, the CLI, a bot): redraw the page with it."""
    if rt.service.data_version() != shown:
        st.rerun(scope="app")


if __name__ == "__main__":
    st.switch_page("app.py")
