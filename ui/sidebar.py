"""The frame's sidebar, drawn on every page: mode banner, price source, STOP, live trading state.

STOP is drawn right after the mode banner, before anything that reads the database or the exchange,
so no failure elsewhere can take the button off the screen.
"""

from __future__ import annotations

import logging

import streamlit as st

from crbot.domain import Mode, TradingState
from crbot.journal import StateRecord
from crbot.runtime import Runtime
from ui import keys_banner, monitor_hook, stop
from ui.fmt import MODE_COLOURS, STATE_COLOURS, local_time
from ui.runtime import refresh, start_up_problem

logger = logging.getLogger(__name__)

SEEN_STATE = "seen_trading_state"
MODE_NOTES = {
    Mode.PAPER: "Simulated exchange — no real money.",
    Mode.TESTNET: "{venue} spot testnet — test funds.",
    Mode.DEMO: "{venue} demo account — demo funds.",
    Mode.LIVE: "REAL MONEY on {venue}.",
}
VENUES = {"binance": "Binance", "mt5": "MetaTrader 5"}


def render(rt: Runtime) -> None:
    with st.sidebar:
        _banner(rt)
        stop.button()
        keys_banner.plain_text_warning(rt)  # under STOP: never pushes the button down
        record = _state(rt)  # the latched state: a journal read, never the exchange
        st.session_state[SEEN_STATE] = record.state if record else None  # what this full run shows
        if record is not None and record.state is not TradingState.ACTIVE:
            stop.resume_form(rt, record.state.value)  # right under STOP: in view on a 900 px tall screen
        stop.report()
        problem = start_up_problem(rt)  # after STOP is on screen: this may wait for an unreachable exchange
        if problem:
            st.error(
                f"**Degraded:** {problem}  \nSTOP still works; CRBOT retries by itself.", icon=":material/cloud_off:"
            )
        _live(rt)
    stop.dialog_if_open(rt)


def _banner(rt: Runtime) -> None:
    mode = rt.service.mode
    st.markdown(f"## :{MODE_COLOURS[mode]}-background[&nbsp;{mode.value.upper()}&nbsp;]")
    venue = VENUES.get(rt.settings.broker, rt.settings.broker)
    st.caption(MODE_NOTES[mode].format(venue=venue))
    try:
        st.caption(f"Prices: {rt.service.price_source()}")
    except Exception as err:  # a label must never take the frame down
        logger.warning("price source unknown: %s", err)
        st.caption("Prices: source unknown")


def _state(rt: Runtime) -> StateRecord | None:
    try:
        return rt.service.trading_state()
    except Exception as err:  # shown, never raised: the sidebar (and STOP) must always draw
        logger.exception("cannot read the trading state")
        st.error(f"Trading state unknown ({type(err).__name__}: {err}). Treat trading as unsafe; STOP still works.")
        return None


@st.fragment(run_every="3s")
def _live(rt: Runtime) -> None:
    """Refreshes by itself: syncs fills (throttled) and shows the latched trading state."""
    problem = refresh(rt)
    monitor_hook.run(rt)  # thresholds, kill triggers and alerts while the dashboard is open (crbot/monitor)
    try:
        record = rt.service.trading_state()
    except Exception as err:
        logger.exception("cannot read the trading state")
        st.error(f"Trading state unknown ({type(err).__name__}). Treat trading as unsafe; STOP still works.")
        return
    seen = st.session_state.get(SEEN_STATE)
    if seen is not None and seen != record.state:
        # changed elsewhere (another tab, the CLI, an automatic trigger): redraw everything, e.g. the resume form
        st.session_state[SEEN_STATE] = record.state
        st.rerun(scope="app")
    text = f"Trading: **:{STATE_COLOURS[record.state]}[{record.state.value}]**"
    if record.state is not TradingState.ACTIVE:
        who = f"by {record.actor or 'unknown'} · {local_time(record.since)}"
        text += f"  \n{who}  \n_{record.reason or 'no reason given'}_"
    show = {TradingState.ACTIVE: st.success, TradingState.REDUCING: st.warning, TradingState.HALTED: st.error}
    show[record.state](text)
    for naked in rt.service.unprotected_positions():
        st.error(f"**UNPROTECTED:** {naked}. Place a stop-loss or flatten.", icon=":material/gpp_maybe:")
    if problem:
        st.warning(f"Exchange sync failed: {problem}", icon=":material/sync_problem:")
