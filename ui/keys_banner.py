"""Two notices in the frame of every page: the red LIVE banner (real money), and a warning while the exchange
keys are stored in plain text. Both read only the settings: no key is decrypted, fetched or shown here.
"""

from __future__ import annotations

import streamlit as st

from crbot.domain import Mode
from crbot.runtime import Runtime
from crbot.secrets.source import plain_text_names

BANNER = (
    '<div role="alert" style="background:#b71c1c;color:#fff;border-radius:.4rem;padding:.45rem .8rem;'
    'text-align:center;font-weight:800;letter-spacing:.06em;line-height:1.4">'
    "LIVE — REAL MONEY on the exchange. Every order spends real funds.</div>"
)


def live_banner(rt: Runtime) -> None:
    """Full width at the top of the page, at every screen size (outside the phone-only top bar)."""
    if rt.settings.mode is Mode.LIVE:
        st.html(BANNER)


def plain_text_warning(rt: Runtime) -> None:
    names = plain_text_names(rt.settings)
    if names:
        st.warning(
            f"**Keys in plain text:** {' and '.join(names)}. Encrypt: `python -m crbot keys set`",
            icon=":material/key_off:",
        )
