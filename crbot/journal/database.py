"""Engine, sessions and schema for the journal.

One ``Database`` (one Engine and its pool) is shared by every thread of a process; every call opens its
own Session. Several processes (dashboard, CLI, bots) may share one SQLite file, which is why:

* WAL lets readers work while one writer commits; ``busy_timeout`` makes a writer wait for the lock
  instead of failing at once; ``synchronous=FULL`` makes a commit survive a power cut, not just a crash.
* Write transactions start with ``BEGIN IMMEDIATE``: they take the write lock up front, so a
  read-then-write transaction cannot fail half way with SQLITE_BUSY when another process wrote first
  (a deferred transaction cannot wait for that; it can only fail).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from crbot.clock import Clock
from crbot.errors import ConfigError, InvalidInput
from crbot.journal.models import SCHEMA_VERSION, Base, SchemaVersionRow

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
_WRITE = "crbot_write"


class Database:
    """The Engine plus the two kinds of unit of work: ``read()`` and ``write()`` (one transaction each)."""

    def __init__(self, url: str, clock: Clock) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self.safe_url = self.engine.url.render_as_string(hide_password=True)  # for messages and logs
        self._writer = self.engine.execution_options(**{_WRITE: True})
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        try:
            self._ensure_schema(clock)
        except BaseException:
            self.engine.dispose()
            raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction, committed (durably) when the block ends, rolled back if it raises."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain read connection for bulk queries (frames), no ORM objects."""
        with self.engine.connect() as conn:
            yield conn

    def backup(self, path: str | Path) -> Path:
        """Copy a consistent snapshot of the journal to ``path`` while others keep using it."""
        if not self.is_sqlite:
            raise InvalidInput(
                f"online backup is only built in for SQLite, not {self.engine.dialect.name}",
                hint="use the database's own tool (e.g. pg_dump)",
            )
        target = Path(path).expanduser().resolve()
        if self.url_path is not None and target == self.url_path:
            raise InvalidInput(f"backup target {target} is the journal itself", hint="choose another file")
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = self.engine.raw_connection()
        dest = sqlite3.connect(target)
        try:
            source = raw.driver_connection
            if not isinstance(source, sqlite3.Connection):
                raise InvalidInput("the journal's SQLite driver has no online backup", hint="use the sqlite3 driver")
            source.backup(dest)
        finally:
            dest.close()
            raw.close()
        logger.info("journal backed up to %s", target)
        return target

    @property
    def url_path(self) -> Path | None:
        database = make_url(self.url).database
        if not self.is_sqlite or not database or database == ":memory:":
            return None
        return Path(database).expanduser().resolve()

    def dispose(self) -> None:
        self.engine.dispose()

    def _ensure_schema(self, clock: Clock) -> None:
        try:
            with self._writer.begin() as conn:
                Base.metadata.create_all(conn)
                found = conn.execute(select(SchemaVersionRow.version).order_by(SchemaVersionRow.version.desc())).first()
                if found is None:
                    conn.execute(
                        SchemaVersionRow.__table__.insert().values(version=SCHEMA_VERSION, applied_at=clock.now())
                    )
                elif found[0] > SCHEMA_VERSION:
                    raise ConfigError(
                        f"the journal at {self.safe_url} has schema version {found[0]},"
                        f" this CRBOT knows versions up to {SCHEMA_VERSION}",
                        hint="upgrade CRBOT, or point CRBOT_DATABASE_URL at another journal",
                    )
        except OperationalError as exc:
            raise ConfigError(
                f"cannot open the journal at {self.safe_url}: {exc.orig}",
                hint="check that the directory exists and is writable and that no other program locks the file",
            ) from exc


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"journal URL {url!r} is not a database URL", hint="e.g. sqlite:///data/journal.db") from exc
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    if parsed.database in (None, "", ":memory:"):
        # one shared connection, or every pooled connection would see its own empty database;
        # an in-memory journal is for single-threaded tests only
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        folder = Path(parsed.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the journal's folder {folder}: {exc.strerror}",
                hint="set CRBOT_HOME or CRBOT_DATABASE_URL to a writable place",
            ) from exc
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # take transaction control away from the sqlite3 module; _on_sqlite_begin emits BEGIN itself
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")
