"""Performance: the guide's metrics against their targets, equity and drawdown charts, round trips, CSV.

Every figure comes from ``crbot.metrics`` (definitions in docs/METRICS.md): green when its target is met,
red when missed, amber while the sample is too small to judge, grey with no data or no target.

A journal of 100,000 fills must render fast: frames and metrics are computed once per journal and
cached (``st.cache_data``, shared by all sessions) for a few seconds, charts are downsampled, and the
table shows the newest trades while the CSV export carries them all (built only when clicked).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crbot import metrics
from crbot.runtime import Runtime
from crbot.service import TradingService
from ui import charts
from ui.runtime import get_runtime

CACHE_TTL_S = 600  # keyed by the journal's data version: a new fill or equity point recomputes at once
POLL_S = 5  # how often the page asks whether the journal changed (two indexed MAX queries)
TABLE_ROWS = 2000
COLUMNS_PER_ROW = 4


@st.cache_data(ttl=CACHE_TTL_S, show_spinner="Computing performance…", max_entries=4)
def _compute(journal_url: str, version: tuple[int, int], _service: TradingService) -> dict:
    fills = _service.fills_frame()
    equity = _service.equity_frame()
    drawdown = metrics.drawdown_series(metrics.equity_series(equity))
    return {
        "metrics": metrics.summary(fills, _service.orders_frame(), equity),
        "trips": metrics.round_trips(fills),
        "fills": len(fills),
        "equity": charts.downsample(equity.reset_index(drop=True), "equity") if len(equity) else equity,
        "drawdown": charts.downsample(
            pd.DataFrame({"time": drawdown.index, "drawdown_pct": drawdown.to_numpy() * 100.0}).dropna(), "drawdown_pct"
        ),
    }


def render() -> None:
    rt = get_runtime()
    st.title("Performance")
    version = rt.service.data_version()
    data = _compute(rt.journal.url, version, rt.service)
    _redraw_on_change(rt, version)
    top = st.columns([4, 1])
    top[0].caption(
        f"{data['fills']:,} fills · {len(data['trips']):,} round trips · redrawn within {POLL_S} s of a fill"
    )
    if top[1].button("Recompute", key="perf_recompute", icon=":material/refresh:"):
        _compute.clear()
        st.rerun()
    _metrics(data["metrics"])
    left, right = st.columns(2)
    with left:
        st.subheader("Equity")
        if len(data["equity"]) >= 2:
            st.plotly_chart(charts.equity_figure(data["equity"]), width="stretch", key="perf_equity")
        else:
            st.info("No equity history yet.")
    with right:
        st.subheader("Drawdown")
        if len(data["drawdown"]) >= 2:
            st.plotly_chart(charts.drawdown_figure(data["drawdown"]), width="stretch", key="perf_drawdown")
        else:
            st.info("No drawdown to show yet.")
    _profit_by_period(data["trips"])
    _trades(rt, data["trips"])


@st.fragment(run_every=f"{POLL_S}s")
def _redraw_on_change(rt: Runtime, shown: tuple[int, int]) -> None:
    """A fill or an equity point journaled by anyone (this tab, the CLI, a bot): redraw the page with it."""
    if rt.service.data_version() != shown:
        st.rerun(scope="app")


PERIODS = {"Day": "D", "Week": "W", "Month": "M", "Year": "Y"}


def _profit_by_period(trips: pd.DataFrame) -> None:
    st.subheader("Realised P&L by period")
    if trips.empty:
        st.info("No closed round trips yet.")
        return
    choice = st.radio("Period", list(PERIODS), index=2, horizontal=True, key="perf_period")
    by_period = metrics.profit_by_period(trips, PERIODS[choice or "Month"])
    frame = pd.DataFrame({"period": by_period.index.astype(str), "P&L (USDT)": by_period.to_numpy()})
    st.bar_chart(frame, x="period", y="P&L (USDT)", height=220)
    st.caption("Round-trip P&L after fees, by the UTC period in which the trip closed (weeks start on Monday).")


# Tile colour by status: judged figures green / red; below their minimum sample amber; no data or no target grey.
STATUS_COLOUR = {"met": "green", "missed": "red", metrics.NOT_MEANINGFUL: "orange"}
ENTRY_NOTE = (
    "**Entry price** here is the volume-weighted fill price of the lots each sale closed (FIFO), "
    "**fees not included**: both sides' fees are in *Entry fee* / *Exit fee* and taken out of *P&L*. "
    "*Positions & orders* shows the average cost of what is still held, where a commission paid in the "
    "base asset shrinks the quantity received: its average entry is the price ÷ (1 − fee rate), so a "
    "fill at 88,941.21 reads 89,030.24 there at a 0.1 % fee. Both are in USDT."
)


def _delta(m: metrics.Metric) -> str | None:
    parts = [f"target {m.target}"] if m.target else []
    if m.status == metrics.NOT_MEANINGFUL:
        parts.append(f"not yet meaningful ({m.sample:,} of {m.min_sample:,} {m.unit})")
    elif m.status in ("met", "missed"):
        parts.append(m.status)
    return " · ".join(parts) or None


def _metrics(items: list[metrics.Metric]) -> None:
    for start in range(0, len(items), COLUMNS_PER_ROW):
        row = st.columns(COLUMNS_PER_ROW)
        for col, m in zip(row, items[start : start + COLUMNS_PER_ROW], strict=False):
            col.metric(
                m.label,
                m.text,
                delta=_delta(m),
                delta_color=STATUS_COLOUR.get(m.status, "gray"),
                delta_arrow="off",
                border=True,
                help=f"{m.definition}. Based on {m.sample:,} {m.unit}; definitions in docs/METRICS.md."
                if m.definition
                else None,
            )
    st.caption(
        "— means undefined for the data so far (no trades, no losing trade, flat equity, one day). Figures "
        f"are judged only from {metrics.MIN_TRADES} round trips, {metrics.MIN_DAYS} daily returns, "
        f"{metrics.MIN_FILLS} fills with an expected price or {metrics.MIN_ORDERS} orders with a latency; "
        "below that they are amber, *not yet meaningful*. Sharpe, Sortino, CAGR and Calmar use the close of "
        "each UTC day (the last equity point before 24:00 UTC), annualised over 365 days."
    )


def _durations(trips: pd.DataFrame) -> None:
    held = metrics.duration_summary(trips)
    if held["median"] is None:
        return
    text = " · ".join(f"{name} {_duration(value)}" for name, value in held.items())
    st.caption(f"Holding time (open of the oldest lot to close): {text}")


def _duration(value: pd.Timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    return (
        f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
    )


def _trades(rt: Runtime, trips: pd.DataFrame) -> None:
    st.subheader("Round trips")
    st.caption(ENTRY_NOTE)
    _durations(trips)
    if trips.empty:
        st.info("No closed round trips yet: a trip closes when a SELL matches earlier BUY fills.")
    else:
        newest = trips.iloc[::-1].head(TABLE_ROWS).copy()
        newest["holding_time"] = newest["holding_time"].astype(str)
        st.dataframe(
            newest,
            hide_index=True,
            width="stretch",
            key="perf_trips",
            column_config={
                "open_time": st.column_config.DatetimeColumn("Opened", format="YYYY-MM-DD HH:mm:ss"),
                "close_time": st.column_config.DatetimeColumn("Closed", format="YYYY-MM-DD HH:mm:ss"),
                "entry_price": st.column_config.NumberColumn(
                    "Entry price",
                    format="%.2f",
                    help="volume-weighted fill price of the lots closed, fees not included",
                ),
                "exit_price": st.column_config.NumberColumn("Exit price", format="%.2f"),
                "entry_fee": st.column_config.NumberColumn("Entry fee (USDT)", format="%.4f"),
                "exit_fee": st.column_config.NumberColumn("Exit fee (USDT)", format="%.4f"),
                "pnl": st.column_config.NumberColumn("P&L (USDT)", format="%.2f", help="after both sides' fees"),
                "return_pct": st.column_config.NumberColumn("Return %", format="%.2f"),
            },
        )
        if len(trips) > TABLE_ROWS:
            st.caption(f"Newest {TABLE_ROWS:,} of {len(trips):,} shown; the CSV has them all.")
    a, b = st.columns(2)
    a.download_button(
        "Round trips (CSV)",
        data=lambda: trips.to_csv(index=False),
        file_name="crbot_round_trips.csv",
        mime="text/csv",
        key="perf_csv_trips",
        on_click="ignore",
        icon=":material/download:",
        disabled=trips.empty,
    )
    b.download_button(
        "All fills (CSV)",
        data=lambda: rt.service.fills_frame().to_csv(index=False),
        file_name="crbot_fills.csv",
        mime="text/csv",
        key="perf_csv_fills",
        on_click="ignore",
        icon=":material/download:",
    )


if __name__ == "__main__":
    st.switch_page("app.py")
