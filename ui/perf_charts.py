"""The Performance page's charts, two per row (one per row on a phone): each says why it is empty."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crbot import metrics
from ui import charts

_PLOT = {"width": "stretch", "config": {"displayModeBar": False}}


def chart_grid(view: dict) -> None:
    realised = view["basis"] == "realised"
    curve = "Realised equity" if realised else "Equity"
    left, right = st.columns(2)
    with left:
        st.subheader(curve)
        if len(view["equity"]) >= 2:
            st.plotly_chart(charts.equity_figure(view["equity"]), key="perf_equity", **_PLOT)
        else:
            st.info("No equity history in this range yet.")
    with right:
        st.subheader("Underwater (drawdown)")
        if len(view["drawdown"]) >= 2:
            st.plotly_chart(charts.underwater_figure(view["drawdown"]), key="perf_drawdown", **_PLOT)
        else:
            st.info("No drawdown to show yet: it needs two equity points.")

    left, right = st.columns(2)
    with left:
        st.subheader("Daily returns")
        returns: pd.Series = view["returns_pct"]
        if len(returns) >= 2:
            fig = charts.histogram_figure(returns, x_title="daily return (%)", marker=0.0)
            st.plotly_chart(fig, key="perf_returns_hist", **_PLOT)
            st.caption(f"{len(returns):,} UTC-day returns of the {curve.lower()} curve.")
        else:
            st.info("Daily returns need equity closes on at least three UTC days.")
    with right:
        st.subheader(f"Rolling {metrics.ROLLING_DAYS}-day Sharpe")
        if len(view["rolling"]) >= 2:
            st.plotly_chart(charts.rolling_sharpe_figure(view["rolling"]), key="perf_rolling_sharpe", **_PLOT)
        else:
            need = metrics.ROLLING_DAYS + 2 - len(view["returns_pct"])
            st.info(f"Needs {metrics.ROLLING_DAYS + 1} daily returns ({max(need, 1)} more UTC days of equity).")

    st.subheader("Monthly returns")
    monthly: pd.DataFrame = view["monthly"]
    if len(monthly):
        st.plotly_chart(charts.monthly_heatmap_figure(monthly), key="perf_monthly", **_PLOT)
        st.caption("Compounded return of each UTC month: last day close / the previous month's last close − 1.")
    else:
        st.info("Monthly returns need equity closes on at least two UTC days.")

    left, right = st.columns(2)
    with left:
        st.subheader("P&L by symbol")
        if len(view["by_symbol"]):
            st.plotly_chart(charts.symbol_bar_figure(view["by_symbol"]), key="perf_by_symbol", **_PLOT)
        else:
            st.info("No closed round trips in this selection.")
    with right:
        st.subheader("Trade duration")
        hours: pd.Series = view["hours"]
        if len(hours):
            fig = charts.histogram_figure(hours, x_title="holding time (hours)", colour="#26a69a")
            st.plotly_chart(fig, key="perf_durations", **_PLOT)
            st.caption(f"{len(hours):,} round trips, from the oldest lot's open to the close.")
        else:
            st.info("No closed round trips in this selection.")
