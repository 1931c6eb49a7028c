"""The Performance page's tables: realised P&L by period, what is still open, and the round trips (CSV)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from crbot import metrics
from ui.fmt import duration

TABLE_ROWS = 2000
PERIODS = {"Day": "D", "Week": "W", "Month": "M", "Year": "Y"}
OUTCOMES = ("All", "Winners", "Losers")
ENTRY_NOTE = (
    "**Average entry price**, on every page and in the CLI: the volume-weighted fill price of the bought "
    "lots (FIFO), **fees not included** — fees are their own columns and are taken out of *P&L*. "
    "A fill at 88,941.21 has an entry of 88,941.21 here, on *Positions & orders* and in "
    "`python -m crbot positions`."
)
# What a trader scans first (what, when, how much) leads: on a phone only the first columns are in view.
TRIP_ORDER = ("symbol", "close_time", "pnl", "return_pct", "holding_time", "entry_price", "exit_price", "qty",
              "entry_fee", "exit_fee", "open_time")  # fmt: skip
TRIP_CONFIG = {
    "symbol": st.column_config.TextColumn("Symbol"),
    "open_time": st.column_config.DatetimeColumn("Opened (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "close_time": st.column_config.DatetimeColumn("Closed (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "qty": st.column_config.NumberColumn("Quantity", format="%.8g"),
    "entry_price": st.column_config.NumberColumn(
        "Entry price", format="%,.2f", help="volume-weighted fill price of the lots closed, fees not included"
    ),
    "exit_price": st.column_config.NumberColumn("Exit price", format="%,.2f"),
    "entry_fee": st.column_config.NumberColumn("Entry fee (USDT)", format="%,.4f"),
    "exit_fee": st.column_config.NumberColumn("Exit fee (USDT)", format="%,.4f"),
    "pnl": st.column_config.NumberColumn("P&L (USDT)", format="%,.2f", help="after both sides' fees"),
    "return_pct": st.column_config.NumberColumn("Return %", format="%,.2f"),
    "holding_time": st.column_config.TextColumn("Held"),
}


def profit_by_period(trips: pd.DataFrame) -> None:
    st.subheader("Realised P&L by period")
    if trips.empty:
        st.info("No closed round trips in this selection.")
        return
    choice = st.radio("Period", list(PERIODS), index=2, horizontal=True, key="perf_period")
    by_period = metrics.profit_by_period(trips, PERIODS[choice or "Month"])
    frame = pd.DataFrame({"period": by_period.index.astype(str), "P&L (USDT)": by_period.to_numpy()})
    st.bar_chart(frame, x="period", y="P&L (USDT)", height=220)
    st.caption("Round-trip P&L after fees, by the UTC period in which the trip closed (weeks start on Monday).")


def open_positions(lots: pd.DataFrame) -> None:
    st.subheader("Still open (this journal's fills)")
    if lots.empty:
        st.caption("Nothing bought in this journal is still held.")
        return
    st.dataframe(
        lots,
        hide_index=True,
        width="stretch",
        key="perf_open",
        column_config={
            "symbol": st.column_config.TextColumn("Symbol"),
            "qty": st.column_config.NumberColumn("Quantity", format="%.8g"),
            "avg_entry": st.column_config.NumberColumn("Average entry", format="%,.2f", help="fees not included"),
            "open_time": st.column_config.DatetimeColumn("Oldest lot (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


def select_outcome(trips: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The trade list's own filter: winners (P&L > 0), losers (P&L < 0) or all."""
    if outcome == "Winners":
        return trips[trips["pnl"] > 0]
    if outcome == "Losers":
        return trips[trips["pnl"] < 0]
    return trips


def trips_csv(trips: pd.DataFrame) -> str:
    """The round trips as CSV: every row of the list, oldest first, times in ISO UTC, holding time in seconds."""
    out = trips.copy()
    out["holding_time"] = out["holding_time"].dt.total_seconds()
    out = out.rename(columns={"holding_time": "holding_seconds"})
    return out.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")


def _held(value: pd.Timedelta) -> str:
    """ "1 m 17 s", "2 h 05 m", "3 d 4 h" (ui.fmt.duration); under a second "< 1 s"."""
    if pd.isna(value):
        return "—"
    seconds = value.total_seconds()
    return "< 1 s" if seconds < 1 else duration(seconds)


def trade_list(trips: pd.DataFrame, all_fills_csv: Callable[[], str]) -> None:
    st.subheader("Round trips")
    st.caption(ENTRY_NOTE)
    held = metrics.duration_summary(trips)
    if held["median"] is not None:
        st.caption("Holding time: " + " · ".join(f"{k} {_held(v)}" for k, v in held.items()))
    outcome = st.radio("Show", OUTCOMES, horizontal=True, key="perf_outcome") or "All"
    shown = select_outcome(trips, outcome)
    if shown.empty:
        st.info("No closed round trips in this selection: a trip closes when a SELL matches earlier BUY fills.")
    else:
        newest = shown.iloc[::-1].head(TABLE_ROWS).copy()
        newest["holding_time"] = newest["holding_time"].map(_held)
        st.dataframe(
            newest,
            hide_index=True,
            width="stretch",
            key="perf_trips",
            column_config=TRIP_CONFIG,
            column_order=TRIP_ORDER,
        )
        more = (
            f"Newest {TABLE_ROWS:,} of {len(shown):,} shown; the CSV has them all." if len(shown) > TABLE_ROWS else ""
        )
        st.caption(f"{len(shown):,} round trips, newest first. {more}")
    left, right = st.columns(2)
    left.download_button(
        f"Round trips (CSV, {len(shown):,} rows)",
        data=lambda: trips_csv(shown),
        file_name="crbot_round_trips.csv",
        mime="text/csv",
        key="perf_csv_trips",
        on_click="ignore",
        icon=":material/download:",
        disabled=shown.empty,
    )
    right.download_button(
        "All fills (CSV)",
        data=all_fills_csv,
        file_name="crbot_fills.csv",
        mime="text/csv",
        key="perf_csv_fills",
        on_click="ignore",
        icon=":material/download:",
    )
