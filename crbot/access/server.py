"""What ``app.py`` hands to ``st.App`` when a server imports it: the gate, its routes, or a refusal to start.

Runs inside the server process (``streamlit run app.py``, ``python app.py`` or ``uvicorn app:app``), after
Streamlit has read its config, so ``server.address`` is the address it is about to listen on.
"""

from __future__ import annotations

import sys
from typing import Any

from starlette.middleware import Middleware

from crbot.access.core import SET_PASSWORD, Access, AccessSettings, login_required, register
from crbot.access.gate import Gate, routes
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.errors import ConfigError
from crbot.home import prepare_home

EXIT_REFUSED = 2  # ConfigError's exit code: fix the setting, then start again


def check_start(access: Access, *, address: str | None, agent_api: bool, live: bool) -> None:
    """A ConfigError when this server must not start as configured."""
    if agent_api:
        raise ConfigError(
            "server.enableAgentApi is on: it drives the app over HTTP, beside the dashboard's own controls",
            hint="remove it from .streamlit/config.toml and the command line",
        )
    if access.required and not access.store.is_set():
        where = "in live mode" if live else f"on {address or 'every interface'} (not only this machine)"
        raise ConfigError(
            f"the dashboard needs a login {where} and no password is set",
            hint=f"set one with `{SET_PASSWORD}`, or listen on 127.0.0.1 in paper mode",
        )


def _audit_sink(settings: Settings) -> Any:
    """Audit events into the journal, opened on the first event (not at import: no start-up cost)."""
    journal: list[Any] = []

    def write(actor: str, action: str, detail: str) -> None:
        if not journal:
            from crbot.home import open_journal

            journal.append(open_journal(settings, SystemClock()))
        journal[0].audit(actor=actor, action=action, detail=detail)

    return write


def gate_options() -> dict[str, Any]:
    """``st.App`` keyword arguments: the login middleware and routes; exits with a message when refused."""
    from streamlit import config

    try:
        settings = Settings.load()
        access_settings = AccessSettings.load()
        address = config.get_option("server.address")
        live = settings.mode.value == "live"
        prepare_home(settings.home)  # 0700, writable, or a clear error
        access = Access(
            settings.home,
            settings=access_settings,
            audit=_audit_sink(settings),
            required=login_required(address, settings.mode),
        )
        check_start(access, address=address, agent_api=bool(config.get_option("server.enableAgentApi")), live=live)
    except ConfigError as exc:
        print(f"error: CRBOT dashboard not started: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_REFUSED) from None
    register(access, gate=True)
    return {"middleware": [Middleware(Gate, access=access)], "routes": routes(access)}
