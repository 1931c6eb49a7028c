"""The monitor's cycle while the dashboard is open: the sidebar's 3 s fragment calls ``run``; at most one cycle
per interval runs, across sessions and processes (the monitor lease), and none while ``python -m crbot monitor``
holds the lease. The refresh already synced the journal, so the cycle only judges, acts and alerts."""

from __future__ import annotations

import logging
from datetime import timedelta

import streamlit as st

from crbot.monitor.alerts import Notifier
from crbot.monitor.cycle import Monitor
from crbot.monitor.store import MonitorStore
from crbot.runtime import Runtime

logger = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=10)


@st.cache_resource(show_spinner=False, max_entries=4)
def _monitor(key: str, _rt: Runtime) -> Monitor:
    _rt.service.heartbeat.kind = "dashboard"
    notifier = Notifier(store=MonitorStore(_rt.journal), clock=_rt.clock)
    holder = _rt.service.heartbeat.process_id
    return Monitor(
        service=_rt.service, notifier=notifier, holder=holder, interval=INTERVAL, sync=False, where="dashboard"
    )


def monitor_for(rt: Runtime) -> Monitor:
    return _monitor(f"{rt.settings.home}|{rt.journal.url}", rt)


def run(rt: Runtime) -> None:
    """One cycle when due; cheap otherwise (an in-memory time check). Never raises: the sidebar must draw."""
    try:
        monitor_for(rt).maybe_cycle()
    except Exception:
        logger.exception("the dashboard's monitor cycle failed")
