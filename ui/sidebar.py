"""The frame's sidebar, drawn on every page: mode banner, price source, live trading state, STOP."""

from __future__ import annotations

import streamlit as st

from crbot.domain import Mode, TradingState
from crbot.runtime import Runtime
from ui import stop
from ui.fmt import MODE_COLOURS, STATE_COLOURS, local_time
from ui.runtime import refresh

SEEN_STATE = "seen_trading_state"
MODE_NOTES = {
    Mode.PAPER: "Simulated exchange — no real money.",
    Mode.TESTNET: "Binance spot testnet — test funds.",
    Mode.DEMO: "Binance demo trading — demo funds.",
    Mode.LIVE: "REAL MONEY on Binance.",
}


def render(rt: Runtime) -> None:
    with st.sidebar:
        _banner(rt)
        record = rt.service.trading_state()
        st.session_state[SEEN_STATE] = record.state  # what this full run shows; the fragment compares
        _live(rt)
        stop.button()
        stop.report()
        if record.state is not TradingState.ACTIVE:
            stop.resume_form(rt, record.state.value)
    stop.dialog_if_open(rt)


def _banner(rt: Runtime) -> None:
    mode = rt.service.mode
    colour = MODE_COLOURS[mode]
    st.markdown(f"## :{colour}-background[&nbsp;{mode.value.upper()}&nbsp;]")
    st.caption(MODE_NOTES[mode])
    st.caption(f"Prices: {rt.service.price_source()}")


@st.fragment(run_every="3s")
def _live(rt: Runtime) -> None:
    """Refreshes by itself: syncs fills (throttled) and shows the latched trading state."""
    problem = refresh(rt)
    record = rt.service.trading_state()
    seen = st.session_state.get(SEEN_STATE)
    if seen is not None and seen != record.state:
        # changed elsewhere (another tab, the CLI, an automatic trigger): redraw everything, e.g. the resume form
        st.session_state[SEEN_STATE] = record.state
        st.rerun(scope="app")
    text = f"Trading: **:{STATE_COLOURS[record.state]}[{record.state.value}]**"
    if record.state is not TradingState.ACTIVE:
        text += (
            f"  \nby {record.actor or 'unknown'} · {local_time(record.since)}  \n_{record.reason or 'no reason given'}_"
        )
    show = {TradingState.ACTIVE: st.success, TradingState.REDUCING: st.warning, TradingState.HALTED: st.error}
    show[record.state](text)
    if problem:
        st.warning(f"Exchange sync failed: {problem}", icon=":material/sync_problem:")
