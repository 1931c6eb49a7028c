"""Performance: the guide's metrics against their targets, equity and drawdown charts, round trips, CSV.

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

CACHE_TTL_S = 15  # a new fill shows up within this; "Recompute" forces it at once
TABLE_ROWS = 2000
COLUMNS_PER_ROW = 4


@st.cache_data(ttl=CACHE_TTL_S, show_spinner="Computing performance…", max_entries=4)
def _compute(journal_url: str, _service: TradingService) -> dict:
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
    data = _compute(rt.journal.url, rt.service)
    top = st.columns([4, 1])
    top[0].caption(f"{data['fills']:,} fills · {len(data['trips']):,} round trips · refreshed every {CACHE_TTL_S} s")
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
    _trades(rt, data["trips"])


def _metrics(items: list[metrics.Metric]) -> None:
    for start in range(0, len(items), COLUMNS_PER_ROW):
        row = st.columns(COLUMNS_PER_ROW)
        for col, m in zip(row, items[start : start + COLUMNS_PER_ROW], strict=False):
            if m.ok is None:
                delta, colour = (f"target {m.target}" if m.target else None), "off"
            else:  # green when the target is met, red when missed (text never starts with "-")
                delta, colour = f"target {m.target} · {'met' if m.ok else 'missed'}", "normal" if m.ok else "inverse"
            col.metric(m.label, m.text, delta=delta, delta_color=colour, delta_arrow="off", border=True)


def _trades(rt: Runtime, trips: pd.DataFrame) -> None:
    st.subheader("Round trips")
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
                "pnl": st.column_config.NumberColumn("P&L (USDT)", format="%.2f"),
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
