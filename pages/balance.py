"""Balance: what the account holds, valued in USDT, and the equity curve."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crbot.domain import QUOTE_ASSET
from crbot.errors import CrbotError
from crbot.portfolio import equity
from crbot.runtime import Runtime
from ui import charts
from ui.fmt import browser_zone, qty, quote, usdt, zone_name
from ui.runtime import get_runtime
from ui.tables import CENT, balances_table


def render() -> None:
    rt = get_runtime()
    st.title("Balance")
    _holdings(rt)
    st.subheader("Equity curve")
    _equity_curve(rt)


@st.fragment(run_every="5s")
def _holdings(rt: Runtime) -> None:
    try:
        snapshot = rt.service.snapshot()
    except CrbotError as err:
        st.error(f"Balances unavailable: {err}")
        return
    rows = list(snapshot.balances)
    total = equity(rows)
    held = next((r for r in rows if r.asset == QUOTE_ASSET), None)
    c1, c2, c3 = st.columns(3)
    c1.metric("Total equity (USDT)", quote(total), border=True, help="Every asset valued at its last price in USDT")
    c2.metric("Free USDT", qty(held.free if held else None, CENT), border=True)
    c3.metric("Locked in orders (USDT)", qty(held.locked if held else None, CENT), border=True)
    if total is None:
        missing = ", ".join(r.asset for r in rows if r.value_usdt is None)
        st.warning(f"Equity unknown: no USDT price for {missing}. Values shown are partial; check the price feed.")
    try:
        rules = rt.service.broker.rules()
    except CrbotError:
        rules = None  # quantities then show as they are
    table = balances_table(rows, rules, QUOTE_ASSET)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Free": st.column_config.TextColumn(alignment="right"),
            "Locked": st.column_config.TextColumn(alignment="right"),
            "Total": st.column_config.TextColumn(alignment="right"),
            "Price (USDT)": st.column_config.TextColumn(alignment="right"),
            "Value (USDT)": st.column_config.NumberColumn(format="%,.2f"),
        },
    )
    age = snapshot.age(rt.clock.now()).total_seconds()
    st.caption(
        f"Total: {usdt(total)} · coins shown to their lot step, rounded down; USDT to the cent · "
        f"account read {age:.0f} s ago (every 30 s, and after every order, cancel or STOP)."
    )


@st.fragment(run_every="30s")
def _equity_curve(rt: Runtime) -> None:
    frame = rt.service.equity_frame()
    if len(frame) < 2:
        st.info("The equity curve starts after a few snapshots (one every 30 s while the dashboard is open).")
        return
    # wall-clock times of the browser's zone (plotly.js ignores offsets), the zone named on the axis
    local = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(browser_zone()).dt.tz_localize(None)
    fig = charts.equity_figure(frame.assign(time=local))
    fig.update_layout(xaxis_title=f"Time ({zone_name()})", yaxis_tickformat=",.2f")
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


if __name__ == "__main__":
    st.switch_page("app.py")
