"""Where a journal's schema stands against this CRBOT's, and bringing it up to date (Alembic, programmatically).

* A new, empty database gets the whole schema from the migrations (crbot/journal/migrations/versions).
* A journal at ``HEAD`` opens; one query (``alembic_version``), Alembic is not even imported.
* A journal behind (an older revision, or a hand-versioned journal from before Alembic) or ahead of this code
  (a revision it does not know: a newer CRBOT migrated it) is refused with ``SchemaMismatch``, which says what
  to run. Nothing trades on a schema the code was not written for.

Everything runs on the caller's connection inside its write transaction (BEGIN IMMEDIATE on SQLite, the
advisory lock on PostgreSQL): two processes never migrate at once, and a failed migration changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from crbot.errors import ConfigError
from crbot.journal.migrations import DIRECTORY, HEAD

logger = logging.getLogger(__name__)

UPGRADE_COMMAND = "python -m crbot db upgrade"
State = Literal["empty", "current", "behind", "ahead"]


class SchemaMismatch(ConfigError):
    """The journal's schema is older or newer than this CRBOT's: it refuses to use it (exit 11)."""

    exit_code = 11


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaStatus:
    """``revision``: the journal's Alembic revision (None before Alembic); ``legacy_version``: its hand-written
    schema_version (None when it has none); ``head``: this code's newest revision."""

    state: State
    revision: str | None
    legacy_version: int | None
    head: str = HEAD

    def describe(self) -> str:
        if self.state == "empty":
            return "empty: no journal schema yet (created on first use or by `db upgrade`)"
        at = self.revision or f"hand-versioned schema {self.legacy_version} (before migrations)"
        return {
            "current": f"at revision {at}, this CRBOT's head: up to date",
            "behind": f"at {at}, behind this CRBOT's head {self.head}: run `{UPGRADE_COMMAND}`",
            "ahead": f"at revision {at}, which this CRBOT does not know (head {self.head}): a newer CRBOT wrote it",
        }[self.state]


def status(conn: Connection) -> SchemaStatus:
    tables = set(inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    legacy = None
    if "schema_version" in tables:
        legacy = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
    if revision is None and legacy is None and "orders" not in tables:
        return SchemaStatus(state="empty", revision=None, legacy_version=None)
    if revision == HEAD:
        state: State = "current"
    elif revision is None or revision in _known_revisions():
        state = "behind"
    else:
        state = "ahead"
    return SchemaStatus(state=state, revision=revision, legacy_version=legacy)


def upgrade(conn: Connection, target: str = "head") -> tuple[SchemaStatus, SchemaStatus]:
    """Run the migrations up to ``target`` on ``conn`` (inside the caller's transaction): (before, after)."""
    before = status(conn)
    if before.state == "ahead":
        raise _mismatch(before, where="this journal")
    from alembic import command

    command.upgrade(_config(conn), target)
    after = status(conn)
    if before.state == "empty":
        logger.info("journal schema created at revision %s", after.revision)
    elif before.revision != after.revision:
        was = before.revision or f"schema_version {before.legacy_version}"
        logger.warning("journal schema upgraded from %s to %s", was, after.revision)
    return before, after


def ensure(conn: Connection, where: str) -> bool:
    """Open-time check: create the schema of an empty database (True), accept one at HEAD (False), refuse the rest."""
    found = status(conn)
    if found.state == "empty":
        upgrade(conn)
        return True
    if found.state == "current":
        return False
    raise _mismatch(found, where=where)


def _mismatch(found: SchemaStatus, *, where: str) -> SchemaMismatch:
    if found.state == "ahead":
        return SchemaMismatch(
            f"the journal at {where} is at schema revision {found.revision}, newer than this CRBOT knows"
            f" (its newest is {found.head})",
            hint="upgrade CRBOT to the version that migrated this journal, or point CRBOT_DATABASE_URL elsewhere",
        )
    at = found.revision or f"the schema before migrations (version {found.legacy_version})"
    return SchemaMismatch(
        f"the journal at {where} is at {at}, older than this CRBOT's {found.head}; it refuses to trade on it",
        hint=f"back it up, then run `{UPGRADE_COMMAND}` (every process on this journal needs the same CRBOT)",
    )


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory(str(DIRECTORY)).walk_revisions()}


def _config(conn: Connection):  # -> alembic.config.Config (imported lazily: opening a journal at HEAD never needs it)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(DIRECTORY))
    config.attributes["connection"] = conn
    return config
