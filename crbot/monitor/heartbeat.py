"""A process's heartbeat in the journal: who trades on this account, from where, and when it was last alive.

One ``Beater`` per process (the service holds one; the CLI, the dashboard and the monitor set its ``kind``). A
beat writes at most once per ``every`` (one small write), so calling it from every refresh or order is cheap.
A clean exit marks the row stopped: a running process whose heartbeat ages is hung or crashed.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import weakref
from datetime import datetime, timedelta

from crbot.clock import Clock
from crbot.journal import Journal
from crbot.monitor.store import MonitorStore

logger = logging.getLogger(__name__)

KINDS = ("dashboard", "cli", "monitor", "bot", "api", "service")  # service: a TradingService no entry point named
BEAT_EVERY = timedelta(seconds=15)


class Beater:
    def __init__(self, *, journal: Journal, clock: Clock, kind: str = "bot", every: timedelta = BEAT_EVERY) -> None:
        self.store = MonitorStore(journal)
        self.clock = clock
        self._kind = kind
        self.every = every
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._last: datetime | None = None
        self._registered = False

    @property
    def kind(self) -> str:
        return self._kind

    @kind.setter
    def kind(self, kind: str) -> None:
        """Name what this process is (the entry point knows); a row written under the old name is closed."""
        if kind == self._kind:
            return
        old, wrote = self.process_id, self._last is not None
        self._kind = kind
        if wrote:
            self._safe_stop(old)
            with self._lock:
                self._last = None  # the next beat writes the new row at once

    @property
    def process_id(self) -> str:
        return f"{self.kind}:{self.host}:{self.pid}"

    def beat(self, detail: str = "", *, force: bool = False) -> bool:
        """Write the heartbeat unless one was written less than ``every`` ago; never raises (a heartbeat must not
        break what it reports on). True when a row was written."""
        now = self.clock.now()
        with self._lock:
            if not force and self._last is not None and now - self._last < self.every:
                return False
            self._last = now
            register = not self._registered
            self._registered = True
        try:
            self.store.beat(
                process_id=self.process_id, kind=self.kind, host=self.host, pid=self.pid, now=now, detail=detail[:500]
            )
        except Exception as exc:  # e.g. a locked journal: the next beat retries
            logger.warning("heartbeat not written: %s", exc)
            with self._lock:
                self._last = None
            return False
        if register:  # a weak reference: a heartbeat must not keep a journal (and its connections) alive
            atexit.register(_stop_if_alive, weakref.ref(self))
        return True

    def stop(self) -> None:
        """Mark this process stopped (a clean exit), never raises."""
        if self._last is not None:
            self._safe_stop(self.process_id)

    def _safe_stop(self, process_id: str) -> None:
        try:
            self.store.stopped(process_id, self.clock.now())
        except Exception as exc:
            logger.info("heartbeat stop not written: %s", exc)


def _stop_if_alive(ref: weakref.ref[Beater]) -> None:
    beater = ref()
    if beater is not None:
        beater.stop()
