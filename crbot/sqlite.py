"""One way to open SQLite for several processes sharing a file (journal, paper exchange).

* WAL lets readers work while one writer commits; ``busy_timeout`` makes a writer wait for the lock
  instead of failing at once.
* We emit ``BEGIN`` ourselves (the sqlite3 module's own transaction handling is switched off), so a write
  transaction can start with ``BEGIN IMMEDIATE``: it takes the write lock up front and cannot fail half way
  with SQLITE_BUSY because another process wrote first (a deferred transaction cannot wait for that).
* ``synchronous`` is each caller's durability choice: FULL survives a power cut, NORMAL (in WAL mode) any
  process crash but may lose the last commits on a power cut. A ``relaxed_writer`` commits with NORMAL on a
  FULL engine: for writes the exchange can always tell again (an order's ack and fills), never for an
  intent. The next FULL commit makes them durable too (it syncs the whole log).
* The files hold the trader's orders and balances, so they are the owner's only: a new folder is 0700 and
  the database file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the main
  file's mode). Not a process-wide umask: that would change the modes of everything else the user creates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from crbot.errors import ConfigError

logger = logging.getLogger(__name__)

# execution option marking a write transaction, for engines opened with immediate="writes"
WRITE_OPTION = "crbot_write"
URGENT_OPTION = "crbot_urgent"  # a write that must not starve behind other writers (STOP's HALTED)
URGENT_POLL_MS = 1
RELAXED_OPTION = "crbot_relaxed"  # a write that need not be synced to disk at commit (see relaxed_writer)

Synchronous = Literal["FULL", "NORMAL"]


def parse_url(url: str, *, what: str, example: str) -> URL:
    """``url`` parsed, or a ConfigError naming ``what`` it was for and an ``example`` of a good one."""
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"{what} URL {url!r} is not a database URL", hint=f"e.g. {example}") from exc


def sqlite_engine(
    url: URL,
    *,
    synchronous: Synchronous,
    busy_timeout_ms: int,
    immediate: Literal["always", "writes"],
    foreign_keys: bool = False,
) -> Engine:
    """An Engine on a SQLite ``url`` set up as the module docstring says; creates the file (0600) and its
    folder (0700).

    ``immediate="always"`` begins every transaction IMMEDIATE; ``"writes"`` only those on a connection
    with the ``WRITE_OPTION`` execution option (see ``writer``), the rest plain ``BEGIN``.
    Raises OSError when the folder or the file cannot be created.
    """
    # the sqlite3 timeout also covers the connect hook's own PRAGMAs (journal_mode=WAL may need a lock);
    # check_same_thread=False is the dialect's default for files, and needed for the shared in-memory one
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}}
    if url.database in (None, "", ":memory:"):
        # one shared connection, or every pooled connection would see its own empty database
        kwargs["poolclass"] = StaticPool
    elif not url.database.startswith("file:"):  # a plain path, not a sqlite3 URI
        path = Path(url.database).expanduser()
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        private_file(path, with_sidecars=True)
    engine = create_engine(url, **kwargs)
    pragmas = [f"PRAGMA busy_timeout = {busy_timeout_ms}", "PRAGMA journal_mode = WAL"]
    pragmas.append(f"PRAGMA synchronous = {synchronous}")
    if foreign_keys:
        pragmas.append("PRAGMA foreign_keys = ON")

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from the sqlite3 module; on_begin emits BEGIN itself
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    def on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        raw = conn.connection.driver_connection  # straight to sqlite3: these run before every transaction
        wanted = "NORMAL" if options.get(RELAXED_OPTION) else synchronous
        info = conn.connection.info  # this pooled connection's own setting (a PRAGMA is per connection)
        if info.get("synchronous", synchronous) != wanted:
            raw.execute(f"PRAGMA synchronous = {wanted}")
            info["synchronous"] = wanted
        write = immediate == "always" or options.get(WRITE_OPTION)
        if write and options.get(URGENT_OPTION):
            _begin_urgent(raw, busy_timeout_ms)
        else:
            raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


def _begin_urgent(raw: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, asking for the write lock every millisecond until ``busy_timeout_ms``.

    SQLite's own busy handler backs off to one try per 100 ms, so under a steady stream of short writes
    (bots journaling fills) a waiter can miss the free moments for seconds; STOP's HALTED must not.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    raw.execute(f"PRAGMA busy_timeout = {URGENT_POLL_MS}")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
    finally:
        raw.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")


def urgent_writer(engine: Engine) -> Engine:
    """``writer(engine)`` whose write lock is asked for every millisecond (SQLite; elsewhere the same writer)."""
    return engine.execution_options(**{WRITE_OPTION: True, URGENT_OPTION: True})


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SIDECARS = ("-wal", "-shm", "-journal")


def private_file(path: Path, *, with_sidecars: bool = False) -> None:
    """Create ``path`` empty with mode 0600 if missing (an empty file is a valid empty SQLite database), or
    take group and other access away from an existing one we own (made 0644 by an older CRBOT).

    ``with_sidecars`` does the same to existing ``-wal`` / ``-shm`` / ``-journal`` files. Raises OSError
    when the file cannot be created.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for each in [path, *(path.with_name(path.name + s) for s in SIDECARS if with_sidecars)]:
        try:
            info = each.stat()
            if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.geteuid():
                each.chmod(stat.S_IMODE(info.st_mode) & 0o700)
        except FileNotFoundError:
            continue
        except OSError as exc:  # e.g. a read-only file system: opening will say what matters
            logger.warning("could not make %s private: %s", each, exc)


def writer(engine: Engine) -> Engine:
    """``engine`` whose transactions begin IMMEDIATE (for engines opened with ``immediate="writes"``)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def relaxed_writer(engine: Engine) -> Engine:
    """``writer(engine)`` whose commits are not synced to disk one by one (SQLite ``synchronous=NORMAL``,
    PostgreSQL ``synchronous_commit=off``): safe against a crash of the process, and on a power cut only the
    last such commits can be lost. Only for facts the exchange can tell again (acks, fills)."""
    return engine.execution_options(**{WRITE_OPTION: True, RELAXED_OPTION: True})
