"""CRBOT dashboard entry: page routing and the frame drawn around every page (mode, state, STOP).

Run with ``make run`` (``streamlit run app.py``); settings come from the environment / ``.env``.
"""

from __future__ import annotations

import streamlit as st

from pages import balance, connection, performance, positions, risk, ticket
from ui import sidebar, topbar
from ui.runtime import get_runtime

st.set_page_config(page_title="CRBOT control room", page_icon=":material/monitoring:", layout="wide")

# st.navigation first, before anything can st.stop(): it switches off the legacy pages/ routing.
page = st.navigation(
    [
        st.Page(balance.render, title="Balance", icon=":material/account_balance_wallet:", default=True),
        st.Page(positions.render, title="Positions & orders", icon=":material/list_alt:", url_path="positions"),
        st.Page(ticket.render, title="Order ticket", icon=":material/receipt_long:", url_path="ticket"),
        st.Page(performance.render, title="Performance", icon=":material/monitoring:", url_path="performance"),
        st.Page(risk.render, title="Risk & controls", icon=":material/shield:", url_path="risk"),
        st.Page(connection.render, title="Connection", icon=":material/lan:", url_path="connection"),
    ]
)
runtime = get_runtime()
sidebar.render(runtime)
topbar.render(runtime)  # the same frame at the top of the page on a phone, where the sidebar is collapsed
page.run()
