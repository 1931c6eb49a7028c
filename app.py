"""CRBOT dashboard entry: the login gate around the server, then page routing and the frame (mode, state, STOP).

Run with ``make run`` (``streamlit run app.py``); settings come from the environment / ``.env``.

This file is read twice. A server (``streamlit run app.py``, ``python app.py``, ``uvicorn app:app``) imports
it and finds ``app``: the ``st.App`` whose middleware checks every HTTP request and the websocket before
Streamlit sees them (crbot/access). Streamlit then runs it as the page script of each browser session,
where ``dashboard()`` draws the pages.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx


def dashboard() -> None:
    from ui.containers import write_to_main

    write_to_main()  # a timed fragment rerun of the sidebar may have left the sidebar as the current container
    from crbot.access.page import require_session, sign_out_link
    from pages import audit, balance, connection, golive, monitoring, performance, positions, risk, ticket
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
            st.Page(monitoring.render, title="Monitoring", icon=":material/vital_signs:", url_path="monitoring"),
            st.Page(golive.render, title="Go-live", icon=":material/rocket_launch:", url_path="golive"),
            st.Page(audit.render, title="Audit trail", icon=":material/history:", url_path="audit"),
        ]
    )
    require_session()  # signed out, idle or password changed since the websocket opened: stop here
    runtime = get_runtime()
    sidebar.render(runtime)
    with st.sidebar:
        sign_out_link()
    topbar.render(runtime)  # the same frame at the top of the page on a phone, where the sidebar is collapsed
    page.run()


if get_script_run_ctx(suppress_warning=True) is None:  # imported by a server: serve the dashboard behind the login gate
    from streamlit.runtime.pages_manager import PagesManager

    from crbot.access.server import gate_options
    from ui.preload import chart_preload

    # Routing is st.navigation only. Left unset, Streamlit sees pages/ beside this file and routes the legacy
    # way until a first session has run st.navigation: that first session's deep link (/ticket) ran
    # pages/ticket.py on its own, whose guard switched to app.py, and the browser landed on Balance.
    PagesManager.uses_pages_directory = False
    options = gate_options()
    options["middleware"] = [*options["middleware"], *chart_preload()]  # after the gate: plotly.js loads with the page
    app = st.App(__file__, **options)
    if __name__ == "__main__":  # `python app.py`
        app.run()
else:  # run by Streamlit for a browser session (or by AppTest)
    dashboard()
