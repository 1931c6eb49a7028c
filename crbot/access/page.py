"""The pages' side of access: the session check on every run, sign-out, and the password asked again.

The gate already refused a websocket without a live session and closes an open one at its first message
after the session ended; a run of the app script checks the same cookie (sent with the websocket
handshake) again, a second lock on the same door.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import streamlit as st
from streamlit.runtime import Runtime

from crbot.access.core import SET_PASSWORD, AuditSink, access_for, gate_access
from crbot.access.sessions import COOKIE_NAME


class Auditor(Protocol):
    """What the pages pass to audit a password asked again: the runtime's journal."""

    def audit(self, *, actor: str, action: str, detail: str, reason: str = "") -> None: ...


def require_session() -> None:
    """Stop the script unless this browser session is signed in (or no sign-in is asked)."""
    access = gate_access()
    if access is None:
        if not _served():
            return  # AppTest: no server, nothing can connect
        st.error(
            "This dashboard was started without CRBOT's login gate. Start it with `streamlit run app.py` "
            "(or `make run`)."
        )
        st.stop()
    if not access.enabled:
        return
    fingerprint = access.store.fingerprint()
    cookie = st.context.cookies.get(COOKIE_NAME)
    if fingerprint and access.sessions.check(cookie, fingerprint, open_tab=True):  # STOP stays at hand
        return
    minutes = round(access.settings.idle_s / 60)
    st.warning(
        f"Your session has ended: signed out, no dashboard open for {minutes} minutes, or the password changed.",
        icon=":material/lock:",
    )
    st.markdown('<a href="/login" target="_self">Sign in again</a>', unsafe_allow_html=True)
    st.stop()


def _served() -> bool:
    """A real Streamlit server runs this script (AppTest installs a mock Runtime: a different type)."""
    return Runtime.exists() and type(Runtime.instance()) is Runtime


def sign_out_link() -> None:
    """A Sign out link when sign-in is on (the /logout route ends the session server-side)."""
    access = gate_access()
    if access is not None and access.enabled:
        st.markdown('<a href="/logout" target="_self">Sign out</a>', unsafe_allow_html=True)


def password_set(home: Path) -> bool:
    return access_for(home).store.is_set()


def password_field(home: Path, key: str) -> bool:
    """A password field when a dashboard password is set; True if it was drawn."""
    if not password_set(home):
        return False
    st.text_input(
        "Dashboard password",
        type="password",
        key=key,
        autocomplete="current-password",
        placeholder="Dashboard password",
        label_visibility="collapsed",  # compact, like the Resume form's other fields
    )
    return True


def confirm_password(home: Path, key: str, *, purpose: str, journal: Auditor | None = None) -> str | None:
    """Check the password typed in ``password_field(home, key)`` and forget it: None when it is right (or
    no password is set), else what to tell the operator. Counts toward the failed-login lockout."""
    typed = st.session_state.pop(key, "") or ""
    access = access_for(home, audit=_journal_sink(journal))
    if not access.store.is_set():
        return None
    client = st.context.ip_address or "local"
    verdict = access.check_password(typed, client, purpose=purpose)
    if verdict is None:
        access.audit(client, f"dashboard_{purpose}_confirmed", "password confirmed")
        return None
    if verdict.allowed:
        return "Wrong dashboard password: nothing was done."
    if verdict.locked:
        return f"Too many wrong passwords: locked for {round(verdict.wait_s)} s. Nothing was done."
    return f"Wrong dashboard password: wait {max(1, round(verdict.wait_s))} s before the next try. Nothing was done."


def _journal_sink(journal: Auditor | None) -> AuditSink | None:
    if journal is None:
        return None

    def write(actor: str, action: str, detail: str) -> None:
        journal.audit(actor=actor, action=action, detail=detail)

    return write


__all__ = ["SET_PASSWORD", "confirm_password", "password_field", "require_session", "sign_out_link"]
