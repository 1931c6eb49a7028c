"""Engine, sessions and schema for the journal.

One ``Database`` (one Engine and its pool) is shared by every thread of a process; every call opens its
own Session. Several processes (dashboard, CLI, bots) may share one SQLite file, set up by
``crbot.sqlite``: WAL, a busy timeout, ``synchronous=FULL`` (a commit survives a power cut, not just a
crash), and write transactions that start with ``BEGIN IMMEDIATE`` so a read-then-write transaction cannot
fail half way with SQLITE_BUSY when another process wrote first. On PostgreSQL (``crbot.postgres``) write
transactions take an advisory lock instead, to the same effect.

The schema belongs to the Alembic migrations (``crbot.journal.schema``): an empty database gets it on first
open; a journal at another revision than this code's is refused (``SchemaMismatch``, exit 11) with the command
to run; ``migrate()`` is what ``python -m crbot db upgrade`` runs.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import DDL, Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DatabaseError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from crbot.clock import Clock
from crbot.errors import ConfigError, InvalidInput
from crbot.journal import schema
from crbot.journal.models import AuditRow
from crbot.journal.schema import SchemaStatus
from crbot.postgres import JOURNAL_LOCK, postgres_engine
from crbot.sqlite import parse_url, private_file, relaxed_writer, sqlite_engine, urgent_writer, writer

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000

# The audit trail is append-only, enforced by the database itself: a bug or a hand-typed UPDATE cannot
# rewrite who did what. On tables created from now on (after_create) and on existing journals (each open).
APPEND_ONLY_SQLITE = tuple(
    f"CREATE TRIGGER IF NOT EXISTS audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events"
    f" BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {verb} refused'); END"
    for verb in ("UPDATE", "DELETE")
)
for _statement in APPEND_ONLY_SQLITE:
    event.listen(AuditRow.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))

# pip's name for a driver module SQLAlchemy could not import, where the two differ
_DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "MySQLdb": "mysqlclient"}


class Database:
    """The Engine plus the two kinds of unit of work: ``read()`` and ``write()`` (one transaction each)."""

    def __init__(self, url: str, clock: Clock, *, check_schema: bool = True) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self.safe_url = self.engine.url.render_as_string(hide_password=True)  # for messages and logs
        self._writer = writer(self.engine)
        self._urgent_writer = urgent_writer(self.engine)
        self._relaxed_writer = relaxed_writer(self.engine)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.created = False  # True when this Database created the schema: a brand-new, empty journal
        try:
            if check_schema:
                self._ensure_schema(clock)
        except BaseException:
            self.engine.dispose()
            raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write(self, *, urgent: bool = False) -> Iterator[Session]:
        """One transaction, committed (durably) when the block ends, rolled back if it raises. ``urgent``
        (STOP's HALTED): on SQLite the write lock is asked for every millisecond, never starved by the
        backing-off busy handler while other processes keep writing."""
        bind = self._urgent_writer if urgent else self._writer
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write_core(self, *, relaxed: bool = False) -> Iterator[Connection]:
        """A write transaction on a plain connection (no ORM session): the order path's intent and ack, where
        the session's unit of work would cost more than the durable commit itself. ``relaxed``: the commit
        is not synced to disk on its own (``crbot.sqlite.relaxed_writer``): only for what the exchange can
        tell again, never an intent."""
        with (self._relaxed_writer if relaxed else self._writer).begin() as conn:
            yield conn

    @contextmanager
    def read_core(self) -> Iterator[Connection]:
        """A read transaction on a plain connection (one consistent snapshot, no ORM objects): the order path's
        reads, where building a session costs more than the queries."""
        with self.engine.begin() as conn:
            yield conn

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
        private_file(target)  # a copy of the journal is as private as the journal
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

    def schema_status(self) -> SchemaStatus:
        """Where this journal's schema stands against this code's (``python -m crbot db current``)."""
        with self._opening(), self.engine.connect() as conn:
            return schema.status(conn)

    def migrate(self) -> tuple[SchemaStatus, SchemaStatus]:
        """Bring the schema to this code's head in one write transaction: (before, after)."""
        with self._opening(), self._writer.begin() as conn:
            return schema.upgrade(conn)

    def _ensure_schema(self, clock: Clock) -> None:
        with self._opening(), self._writer.begin() as conn:
            self.created = schema.ensure(conn, self.safe_url)
            if self.is_sqlite:  # journals created before the triggers existed get them too
                for statement in APPEND_ONLY_SQLITE:
                    conn.exec_driver_sql(statement)

    @contextmanager
    def _opening(self) -> Iterator[None]:
        """Driver errors while opening or migrating, as ConfigErrors that say what to check."""
        try:
            yield
        except OperationalError as exc:
            where = "the directory exists and is writable" if self.is_sqlite else "the database server is reachable"
            raise ConfigError(
                f"cannot open the journal at {self.safe_url}: {_one_line(exc.orig)}",
                hint=f"check that {where} and that no other program locks the journal",
            ) from exc
        except DatabaseError as exc:  # SQLite: "file is not a database", "database disk image is malformed"
            if not self.is_sqlite:  # e.g. PostgreSQL's permission denied: the server's words say what is wrong
                raise ConfigError(
                    f"the journal at {self.safe_url} refused: {_one_line(exc.orig)}",
                    hint="check the database role's privileges (it must be able to create tables)",
                ) from exc
            raise ConfigError(
                f"the journal at {self.safe_url} is unreadable ({_one_line(exc.orig)}): it is damaged or not a journal",
                hint="restore it from a backup; or move it aside to start a new, empty journal"
                " (CRBOT then starts HALTED until you resume)",
            ) from exc


def _one_line(error: BaseException | None) -> str:
    return " ".join(str(error).split())  # drivers' messages may span lines; the CLI prints one


def _create_engine(url: str) -> Engine:
    parsed = parse_url(url, what="journal", example="sqlite:///data/journal.db")
    if parsed.get_backend_name() != "sqlite":
        try:
            if parsed.get_backend_name() == "postgresql":
                # writers take turns on an advisory lock, as SQLite's BEGIN IMMEDIATE makes them (crbot.postgres)
                return postgres_engine(
                    parsed, lock_key=JOURNAL_LOCK, lock_timeout_ms=BUSY_TIMEOUT_MS, serialize="writes"
                )
            return create_engine(url, pool_pre_ping=True)
        except NoSuchModuleError as exc:
            raise ConfigError(
                f"the journal URL {parsed.render_as_string(hide_password=True)} names an unknown kind of database",
                hint="use sqlite:///path/journal.db or postgresql+psycopg://user:password@host/db",
            ) from exc
        except ImportError as exc:  # the dialect's driver module is not installed
            package = _DRIVER_PACKAGES.get(exc.name or "", exc.name or parsed.get_driver_name())
            raise ConfigError(
                f"the journal's database driver {exc.name or parsed.get_driver_name()!r} is not installed",
                hint=f"install it in CRBOT's environment (pip install '{package}'), or change CRBOT_DATABASE_URL",
            ) from exc
    try:
        # FULL: a committed journal entry is the trader's record of money moved; it must survive a power cut.
        # Reads begin plain BEGIN so they never queue behind the write lock; writes go through ``writer``.
        # An in-memory journal (one shared connection) is for single-threaded tests only.
        return sqlite_engine(
            parsed, synchronous="FULL", busy_timeout_ms=BUSY_TIMEOUT_MS, immediate="writes", foreign_keys=True
        )
    except OSError as exc:
        path = Path(parsed.database or "").expanduser()
        raise ConfigError(
            f"cannot create the journal {path} or its folder: {exc.strerror}",
            hint="set CRBOT_HOME or CRBOT_DATABASE_URL to a writable place",
        ) from exc
