"""The frame on a narrow screen: a phone shows the sidebar collapsed, so the mode, the trading state, any
unprotected position and STOP are drawn again at the top of every page; STOP stays pinned under Streamlit's
header while the page scrolls. On wider screens CSS hides this bar: the sidebar shows all of it there. Both
STOP buttons open the same confirmation dialog.
"""

from __future__ import annotations

import logging

import streamlit as st

from crbot.domain import TradingState
from crbot.runtime import Runtime
from ui import keys_banner, stop
from ui.fmt import MODE_COLOURS, STATE_COLOURS, local_time

logger = logging.getLogger(__name__)

NARROW_PX = 768  # below this Streamlit starts with the sidebar collapsed
HEADER = "3.75rem"  # Streamlit's header: the STOP row sticks right under it
STOP_ROW = '[data-testid="stLayoutWrapper"]:has(> .st-key-topbar_stop_row)'  # the wrapper is the page's child
CSS = f"""<style>
@media (min-width: {NARROW_PX}px) {{ .st-key-topbar, {STOP_ROW} {{ display: none; }} }}
{STOP_ROW} {{ position: sticky; top: {HEADER}; z-index: 99; }}
.st-key-topbar_stop button {{min-height: 3rem; font-size: 1.25rem; font-weight: 800; letter-spacing: .12em;
  background: #c62828; border-color: #c62828; color: #fff;}}
</style>"""


def render(rt: Runtime) -> None:
    keys_banner.live_banner(rt)  # every width: the top bar below is hidden on wide screens
    st.html(CSS)
    with st.container(key="topbar"):
        mode = rt.service.mode
        try:
            record = rt.service.trading_state()
            state = f"Trading: **:{STATE_COLOURS[record.state]}[{record.state.value}]**"
            naked = rt.service.unprotected_positions()
        except Exception as err:  # never let a read take STOP off the screen
            logger.warning("top bar: %s", err)
            record, state, naked = None, "Trading state **unknown** — treat trading as unsafe", []
        st.markdown(f":{MODE_COLOURS[mode]}-background[&nbsp;**{mode.value.upper()}**&nbsp;] &nbsp; {state}")
        if record is not None and record.state is not TradingState.ACTIVE:
            who = f"by {record.actor or 'unknown'} · {local_time(record.since)}: {record.reason or 'no reason given'}"
            st.caption(f"{record.state.value} {who} — resume from the menu (top left)")  # the browser's zone
        for position in naked:
            st.error(f"**UNPROTECTED:** {position}. Place a stop-loss or flatten.", icon=":material/gpp_maybe:")
        keys_banner.plain_text_warning(rt)
    with st.container(key="topbar_stop_row"):  # a sibling of the page's content, so it stays on screen as it scrolls
        st.button(
            "STOP",
            key="topbar_stop",
            type="primary",
            icon=":material/dangerous:",
            width="stretch",
            help="Halt all trading, then cancel every open order on every symbol (asks for confirmation).",
            on_click=stop.open_dialog,
        )
