"""Price context on the ticket: the last price refreshing by itself and a small chart of recent prices.

The broker protocol offers last prices only (no bid/ask, no history for every mode), so the chart is a
short in-memory series of the snapshot's last prices, sampled by this fragment (per browser tab; it
starts empty on a reload and keeps the last ``KEEP`` samples).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import plotly.graph_objects as go
import streamlit as st

from crbot.runtime import Runtime
from ui.fmt import num

SERIES = "ticket_price_series"  # {symbol: [(time, price), ...]}
KEEP = 120  # samples: 10 minutes at one every 5 s
REFRESH = "5s"


def _sample(symbol: str, when: datetime, price: Decimal) -> list[tuple[datetime, Decimal]]:
    series: dict[str, list[tuple[datetime, Decimal]]] = st.session_state.setdefault(SERIES, {})
    points = series.setdefault(symbol, [])
    if not points or points[-1][0] != when:
        points.append((when, price))
        del points[:-KEEP]
    return points


@st.fragment(run_every=REFRESH)
def price_panel(rt: Runtime, symbol: str) -> None:
    """Last price, its age, and the recent series; reruns on its own while the tab is open."""
    now = rt.clock.now()
    last = rt.service.prices({symbol}).get(symbol)
    age = rt.service.snapshot().age(now).total_seconds()
    with st.container(key="t_last"):
        if last is None:
            st.caption("Last price: unavailable")
            return
        st.markdown(f"Last price **{num(last)}** USDT · {age:.0f} s ago · {rt.service.price_source()}")
    points = _sample(symbol, now, last)
    if len(points) < 2:
        st.caption("The price chart fills in as prices arrive (one point every 5 s).")
        return
    fig = go.Figure(go.Scatter(x=[t for t, _ in points], y=[float(p) for _, p in points], mode="lines", name=symbol))
    fig.update_layout(
        height=180,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis_title=None,
        yaxis={"tickformat": ",.2f"},
        showlegend=False,
    )
    st.plotly_chart(fig, key="t_price_chart", config={"displayModeBar": False})
