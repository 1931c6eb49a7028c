"""One way to open PostgreSQL for several processes and machines sharing one database (journal, paper book).

The code above was written for SQLite, whose write transactions (``BEGIN IMMEDIATE``) run one at a time:
a read-then-write unit of work (the state check before an intent, "is this trade known?" before an insert,
the next fill revision) can rely on nobody writing in between. PostgreSQL runs writers concurrently, so a
write transaction here starts by taking a transaction-level advisory lock (``pg_advisory_xact_lock``) on a
key of its own (one for the journal, one for the paper book): writers of the same key take turns exactly
as on SQLite, readers never wait (MVCC), and the lock goes with the commit or rollback. Under READ
COMMITTED each statement after the lock sees everything committed before it.

``lock_timeout`` plays SQLite's busy timeout: a writer waits that long for the lock, then fails loudly.
Sessions run in UTC so timestamps read raw (the pandas frames) need no conversion.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection

from crbot.sqlite import RELAXED_OPTION, WRITE_OPTION

# advisory lock keys (64-bit): the ASCII of "crbtjrnl" and "crbtpapr"; per database, so several journals on
# one server do not share them
JOURNAL_LOCK = int.from_bytes(b"crbtjrnl", "big")
PAPER_LOCK = int.from_bytes(b"crbtpapr", "big")


def postgres_engine(
    url: URL, *, lock_key: int, lock_timeout_ms: int, serialize: Literal["always", "writes"], **kwargs: Any
) -> Engine:
    """An Engine on a PostgreSQL ``url`` whose write transactions take turns (see the module docstring).

    ``serialize="always"`` locks in every transaction; ``"writes"`` only on connections with the
    ``WRITE_OPTION`` execution option (``crbot.sqlite.writer``), like SQLite's ``immediate``.
    """
    connect_args = {"options": f"-c timezone=UTC -c lock_timeout={int(lock_timeout_ms)}"}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)

    def on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if serialize == "always" or options.get(WRITE_OPTION):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock_key})")
        if options.get(RELAXED_OPTION):  # crbot.sqlite.relaxed_writer: this commit does not wait for the disk
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")

    event.listen(engine, "begin", on_begin)
    return engine
