"""One ``Runtime`` per process, shared by every browser session through ``st.cache_resource``.

The cache key is the settings that pick the database and the broker, so a changed CRBOT_HOME (tests)
or mode never reuses a runtime built for another account. Secrets are never part of the key.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from crbot.config import Settings
from crbot.errors import CrbotError
from crbot.killswitch import start_stop_workers
from crbot.runtime import Runtime, build_runtime

logger = logging.getLogger(__name__)

REFRESH_TTL_S = 2  # at most one exchange sync per this many seconds, however many tabs are open
STARTUP_RETRY_S = 20  # a failed start-up (exchange down) is retried at most this often


def _key(settings: Settings) -> str:
    return "|".join(
        (settings.mode.value, str(settings.home), settings.database_url, settings.price_feed, settings.binance_base_url)
    )


def _release(rt: Runtime) -> None:
    if rt.watch is not None:  # a runtime dropped from the cache stops its state watch's thread
        rt.watch.stop()


@st.cache_resource(show_spinner="Starting CRBOT…", max_entries=4, on_release=_release)
def _build(key: str, _settings: Settings) -> Runtime:
    logger.info("building the dashboard runtime for %s", key)
    # no network: the frame and STOP draw even with the exchange down; the watch hears STOP from other processes
    rt = build_runtime(_settings, watch_state=True, live_refusal_denies_orders=True)
    start_stop_workers()  # STOP's threads are up before anyone presses it
    return rt


@dataclass
class StartUp:
    """The runtime's start-up (key audit, STOP sweep, reconcile), done once; retried while it fails."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    problem: str | None = None
    tried_at: float = 0.0

    def ensure(self, rt: Runtime) -> str | None:
        """The problem that keeps CRBOT degraded, or None once started. Never raises: the frame must draw."""
        with self.lock:
            if self.done or (self.problem and time.monotonic() - self.tried_at < STARTUP_RETRY_S):
                return self.problem
            self.tried_at = time.monotonic()
            try:
                rt.service.start_up(actor=actor(rt))
            except CrbotError as err:
                logger.warning("start-up incomplete (retried in %d s): %s", STARTUP_RETRY_S, err)
                self.problem = str(err)
            except Exception as err:  # e.g. a locked database: shown in the frame, never fatal
                logger.exception("start-up failed")
                self.problem = f"{type(err).__name__}: {err}"
            else:
                self.done, self.problem = True, None
            return self.problem


@st.cache_resource(show_spinner=False, max_entries=4)
def _start_up(key: str) -> StartUp:
    return StartUp()


def get_runtime() -> Runtime:
    """The shared runtime; on a configuration error, explain it and stop this page."""
    try:
        settings = Settings.load()
        return _build(_key(settings), settings)
    except CrbotError as err:
        st.error(f"CRBOT cannot start: {err}")
        st.stop()
        raise  # unreachable: st.stop() raises; keeps type checkers honest


def start_up_problem(rt: Runtime) -> str | None:
    """Why CRBOT runs degraded (exchange unreachable, key refused, ...), or None: shown in the frame."""
    problem = _start_up(_key(rt.settings)).ensure(rt)
    refused = rt.live_refusal()  # live orders are denied until it is fixed; the frame and STOP stay
    if refused:
        return f"live trading refused: {refused}" + (f"; {problem}" if problem else "")
    return problem


def actor(rt: Runtime) -> str:
    """Who the audit log names for actions taken in the dashboard."""
    return f"{rt.settings.actor} (dashboard)"


@st.cache_data(ttl=REFRESH_TTL_S, show_spinner=False, max_entries=4)
def _refresh(key: str, _rt: Runtime) -> bool:
    _rt.service.refresh()
    _backups(key, _rt).tick()  # a scheduled backup when due (crbot.backup): a folder listing a minute, else a thread
    return True


@st.cache_resource(show_spinner=False, max_entries=4)
def _backups(key: str, _rt: Runtime):
    from crbot.backup import BackupScheduler

    return BackupScheduler(_rt.settings, _rt.clock, _rt.journal)


def refresh(rt: Runtime) -> str | None:
    """Sync fills and statuses from the exchange (throttled across sessions); the error text if it failed."""
    try:
        _refresh(_key(rt.settings), rt)
    except CrbotError as err:
        logger.warning("refresh failed: %s", err)
        return str(err)
    except Exception as err:  # e.g. a locked database: report it in the sidebar, never break the frame
        logger.exception("refresh failed")
        return f"{type(err).__name__}: {err}"
    return None
