"""The trading state reaches every process within a second, and a process that loses the journal stops trading.

The latched state in the journal stays the only source of truth (``Journal.set_trading_state``); this watch is
a fast messenger beside it, one per long-running process (dashboard, API server, monitor, bots):

    watch = StateWatch(settings.database_url, read_state=journal.trading_state)
    watch.start()                        # a daemon thread with its own database connection
    watch.denial()                       # None, TRADING_HALTED (as last seen) or DATABASE_UNREACHABLE

* PostgreSQL: the thread holds its own psycopg connection and runs ``LISTEN crbot_state``; every state change
  is NOTIFYed in the transaction that latches it, so the listener hears it at commit. It re-reads the state on
  every (re)connect and every notification, and reads the state row on its own connection every
  ``interval_s`` (the heartbeat, and a backstop for a notification missed while reconnecting).
* SQLite (processes on one machine): the thread polls ``PRAGMA data_version`` on its own connection every
  ``interval_s`` (it changes when another connection commits) and re-reads the state when it moves. The
  file's identity (device, inode) is checked too: a journal moved, deleted or replaced is unreachable, even
  though connections opened before keep writing to the old file.
* Fail closed: each successful round trip is a heartbeat. When the last one is older than ``timeout_s`` the
  process is "database unreachable" and the risk layer denies new orders (DATABASE_UNREACHABLE). Cancels and
  STOP never ask the watch. Timings use the monotonic clock, not the injected one: a test's manual clock
  must not make a dead database look alive.

The order path does not trust the watch for "may I trade": the service re-reads the state right before every
order (``pretrade_facts``) and again inside the intent's write transaction. The watch only refuses sooner.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import URL, make_url

from crbot.domain import TradingState
from crbot.journal import Journal, StateRecord
from crbot.journal.control import STATE_CHANNEL
from crbot.journal.models import TradingStateRow
from crbot.risk import Denial
from crbot.risk.checks import halted_denial, unreachable_denial

if TYPE_CHECKING:
    from crbot.config import Settings

logger = logging.getLogger(__name__)

CHANNEL = STATE_CHANNEL  # the NOTIFY channel (crbot.journal.control sends on it)
TIMEOUT_S = 3.0  # no heartbeat for this long: refuse new orders
INTERVAL_S = 0.2  # heartbeat / poll period: a change is seen within this (NOTIFY: at once)
_STATE_QUERY = f"SELECT state FROM {TradingStateRow.__tablename__} WHERE id = 1"

Listener = Callable[[StateRecord], None]


class _Channel(Protocol):
    def poll(self, wait_s: float) -> bool:
        """One heartbeat: wait up to ``wait_s`` for a change; True if the state may have changed.
        Raises when the database cannot be reached."""
        ...


class StateWatch:
    def __init__(
        self,
        database_url: str,
        *,
        read_state: Callable[[], StateRecord],
        timeout_s: float = TIMEOUT_S,
        interval_s: float = INTERVAL_S,
        write_halt: Callable[[str, str], object] | None = None,
    ) -> None:
        self.url = make_url(database_url)
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self._read_state = read_state
        self._write_halt = write_halt  # (actor, reason): latches HALTED (a STOP pressed while unreachable)
        self._pending_halt: tuple[str, str] | None = None
        self._cond = threading.Condition()
        self._state: StateRecord | None = None
        self._last_ok: float | None = None
        self._problem = "the journal was not reached yet"
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Listener] = []
        self.connects = 0  # (re)connections made; tests read it

    # ---- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> StateWatch:
        """Read the state once now (so the process knows it at once), then watch in a daemon thread."""
        if self._thread is not None:
            return self
        with contextlib.suppress(Exception):  # unreachable now: the thread keeps trying, orders are refused
            self._refresh()
        self._thread = threading.Thread(target=self._run, name="crbot-statewatch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s + 2)

    # ---- what the process asks ---------------------------------------------------------------------------
    @property
    def state(self) -> StateRecord | None:
        """The state as last read from the journal (None before the first read)."""
        with self._cond:
            return self._state

    def unreachable_for(self) -> float | None:
        """Seconds since the last heartbeat when over the timeout (unreachable), else None."""
        with self._cond:
            last = self._last_ok
        silent = float("inf") if last is None else time.monotonic() - last
        return silent if silent > self.timeout_s else None

    @property
    def reachable(self) -> bool:
        return self.unreachable_for() is None

    def problem(self) -> str:
        """Why the journal counts as unreachable ('' while it is reachable)."""
        silent = self.unreachable_for()
        if silent is None:
            return ""
        since = "never reached" if silent == float("inf") else f"no answer for {silent:.1f} s"
        with self._cond:
            return f"{since} (timeout {self.timeout_s:g} s): {self._problem}"

    def denial(self) -> Denial | None:
        """Refuse a new order now? DATABASE_UNREACHABLE, or TRADING_HALTED as last read (or pressed while the
        journal was unreachable); None otherwise (the order path still re-reads the state itself)."""
        problem = self.problem()
        if problem:
            return unreachable_denial(problem)
        with self._cond:
            pending = self._pending_halt
        if pending is not None:
            return halted_denial(f"STOP by {pending[0]} while the journal was unreachable: {pending[1]}")
        state = self.state
        if state is not None and state.state is TradingState.HALTED:
            return halted_denial(state.describe())
        return None

    def halt_when_back(self, *, actor: str, reason: str) -> bool:
        """STOP was pressed while the journal could not be written: refuse orders from now on and latch HALTED
        the moment the journal answers again. False when this watch cannot write (no ``write_halt``)."""
        if self._write_halt is None:
            return False
        with self._cond:
            self._pending_halt = (actor, f"{reason} (pressed while the journal was unreachable, latched when back)")
        if self._thread is not None and self.reachable:  # reachable again already: latch now
            with contextlib.suppress(Exception):  # not yet after all: the watch thread latches on reconnect
                self._latch_pending()
        return True

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(record)`` (from the watch thread) whenever the state read differs from the last."""
        with self._cond:
            self._listeners.append(listener)

    def wait_for(self, predicate: Callable[[StateWatch], bool], timeout_s: float) -> bool:
        """Block until ``predicate(self)`` holds (checked on every heartbeat), or the timeout; its last value."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, self.interval_s))
            return True

    # ---- the thread --------------------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.interval_s
        while not self._stopping.is_set():
            try:
                with self._open() as channel:
                    self.connects += 1
                    self._latch_pending()  # a STOP pressed while away comes first
                    self._refresh()  # on every (re)connect: a change made while we were away is seen now
                    backoff = self.interval_s
                    while not self._stopping.is_set():
                        changed = channel.poll(self.interval_s)
                        self._beat()
                        if changed:
                            self._refresh()
            except Exception as exc:  # any failure: report it, back off, reconnect
                self._failed(exc)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 1.0)  # retry at least every second: back within ~1 s of recovery

    def _latch_pending(self) -> None:
        with self._cond:
            pending = self._pending_halt
        if pending is None or self._write_halt is None:
            return
        self._write_halt(*pending)  # raises while still unreachable: kept pending, retried on the next connect
        with self._cond:
            if self._pending_halt == pending:
                self._pending_halt = None
        logger.critical("HALTED latched now that the journal answers: %s", pending[1])

    def _open(self) -> contextlib.AbstractContextManager[_Channel]:
        if self.url.get_backend_name() == "sqlite":
            return _sqlite_channel(self.url)
        return _postgres_channel(self.url, self.timeout_s)

    def _refresh(self) -> None:
        record = self._read_state()
        with self._cond:
            previous, self._state = self._state, record
            self._contact()
            listeners = list(self._listeners)
        if previous is None or (previous.state, previous.since) != (record.state, record.since):
            logger.info("trading state seen: %s %s", record.state, record.describe())
            for listener in listeners:
                try:
                    listener(record)
                except Exception:  # a listener's bug must not stop the watch
                    logger.exception("trading state listener failed")

    def _beat(self) -> None:
        with self._cond:
            self._contact()

    def _contact(self) -> None:
        """A round trip succeeded (the caller holds the lock)."""
        now = time.monotonic()
        if self._last_ok is not None and now - self._last_ok > self.timeout_s:
            logger.warning("journal reachable again after %.1f s", now - self._last_ok)
        self._last_ok = now
        self._cond.notify_all()

    def _failed(self, exc: BaseException) -> None:
        text = " ".join(str(exc).split()) or type(exc).__name__
        with self._cond:
            changed = self._problem != text
            self._problem = text
            self._cond.notify_all()
        if changed:
            logger.warning("journal unreachable from the state watch: %s", text)


@contextlib.contextmanager
def _sqlite_channel(url: URL) -> Iterator[_Channel]:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError("an in-memory journal has no other process to hear from")
    path = Path(database).expanduser().resolve()
    identity = _identity(path)
    # mode=rw: never create an empty file where the journal was (that is exactly what we must notice)
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=1.0, check_same_thread=False)
    try:
        yield _SqliteChannel(conn, path, identity)
    finally:
        conn.close()


class _SqliteChannel:
    def __init__(self, conn: sqlite3.Connection, path: Path, identity: tuple[int, int]) -> None:
        self._conn, self._path, self._identity = conn, path, identity
        self._version = self._data_version()

    def poll(self, wait_s: float) -> bool:
        time.sleep(wait_s)
        if _identity(self._path) != self._identity:
            raise FileNotFoundError(f"the journal file {self._path} was moved, deleted or replaced")
        version = self._data_version()
        changed, self._version = version != self._version, version
        return changed

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])


def _identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)  # FileNotFoundError when the journal is gone
    return info.st_dev, info.st_ino


@contextlib.contextmanager
def _postgres_channel(url: URL, timeout_s: float) -> Iterator[_Channel]:
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    wait = max(1, round(timeout_s))
    conn = psycopg.connect(
        conninfo,
        autocommit=True,
        connect_timeout=wait,
        # a dead peer (cable cut, server gone without a FIN) fails a read within the timeout instead of hanging
        tcp_user_timeout=int(timeout_s * 1000),
        keepalives=1,
        keepalives_idle=wait,
        keepalives_interval=1,
        keepalives_count=2,
        application_name="crbot-statewatch",
    )
    try:
        conn.execute(f"LISTEN {CHANNEL}")
        yield _PostgresChannel(conn)
    finally:
        with contextlib.suppress(Exception):
            conn.close()


class _PostgresChannel:
    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._seen = self._state()

    def poll(self, wait_s: float) -> bool:
        heard = any(True for _ in self._conn.notifies(timeout=wait_s, stop_after=1))
        state = self._state()  # the heartbeat, and a backstop for a missed notification
        changed, self._seen = heard or state != self._seen, state
        return changed

    def _state(self) -> str | None:
        row = self._conn.execute(_STATE_QUERY).fetchone()
        return None if row is None else str(row[0])


class Watched(Protocol):
    """What ``attach`` needs of the service (crbot.service imports this module: no circle back)."""

    journal: Journal
    statewatch: StateWatch | None


def attach(service: Watched, settings: Settings) -> StateWatch:
    """Start a watch on ``settings``' journal and plug it into ``service`` (its orders then ask it first)."""
    journal = service.journal
    watch = StateWatch(
        settings.database_url,
        read_state=journal.trading_state,
        timeout_s=settings.db_heartbeat_timeout_s,
        write_halt=lambda actor, reason: journal.set_trading_state(TradingState.HALTED, actor=actor, reason=reason),
    )
    service.statewatch = watch.start()
    return watch
