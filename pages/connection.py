"""Connection: where orders go and how healthy the link is (endpoint, ping, clock offset, weight, key audit)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import make_url

from crbot.errors import CrbotError
from ui.runtime import get_runtime


def render() -> None:
    rt = get_runtime()
    st.title("Connection")
    st.button("Check again", key="connection_check", icon=":material/refresh:")
    try:
        info = rt.service.connection_info()
    except CrbotError as err:
        st.error(f"Connection check failed: {err}")
        return
    st.dataframe(
        [{"Item": key, "Value": value} for key, value in info.items()],
        hide_index=True,
        width="stretch",
        key="connection_table",
    )
    journal = make_url(rt.settings.database_url).render_as_string(hide_password=True)
    st.caption(f"Journal: {journal} · settings come from the environment / .env (see README); keys are never shown.")


if __name__ == "__main__":
    st.switch_page("app.py")
