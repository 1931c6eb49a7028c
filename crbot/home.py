"""CRBOT_HOME and the journal opened from it: a private, writable folder, and a lost journal is noticed.

A journal that was deleted (or replaced by an empty one) would silently forget the latched trading state
(HALTED would read ACTIVE "never set"), the saved risk limits and every order. So when a brand-new journal
is created where one existed before, it is latched HALTED at once with a reason that says so: every order
is denied until the operator has checked the backups and resumes with the typed RESUME (audited, like
every state change). Evidence that a journal existed before:

* ``CRBOT_HOME/.journals``: every journal opened from this home, one per line, recorded on first open;
* the journal's fills cache beside it (``<journal>.fills.arrow``, SQLite only);
* the paper book (``CRBOT_HOME/paper_exchange.db``), for the paper journal: its orders were journaled.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import Mode, TradingState
from crbot.errors import ConfigError
from crbot.journal import Journal
from crbot.sqlite import PRIVATE_DIR, PRIVATE_FILE, parse_url

logger = logging.getLogger(__name__)

JOURNALS_FILE = ".journals"
PAPER_BOOK = "paper_exchange.db"
ACTOR = "crbot"


def prepare_home(home: Path) -> None:
    """Create ``home`` (0700) if missing; a ConfigError if it cannot be created or written to."""
    hint = "set CRBOT_HOME (in .env or the environment) to a folder you can write to"
    if home.exists() and not home.is_dir():
        raise ConfigError(f"CRBOT_HOME {home} is a file, not a folder", hint=hint)
    try:
        home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create CRBOT_HOME {home}: {exc.strerror or exc}", hint=hint) from exc
    # access() also answers "no" on a read-only file system; root passes it whatever the mode bits say
    if not os.access(home, os.W_OK | os.X_OK):
        raise ConfigError(f"CRBOT_HOME {home} is not writable", hint=f"{hint}, or fix its permissions")


def open_journal(settings: Settings, clock: Clock) -> Journal:
    """The settings' journal; HALTED at once if it is brand new where one existed before."""
    key = journal_key(settings.database_url)
    # gathered before opening: a journal another process creates meanwhile is not new for us, and its
    # record in .journals must not count as evidence against our own new one
    evidence = _evidence(settings, key)
    journal = Journal(settings.database_url, clock)
    try:
        # Database records whether it created the schema (no row in schema_version): the only
        # race-free "brand new" there is, on SQLite and PostgreSQL alike
        if journal.created and evidence:
            journal.set_trading_state(
                TradingState.HALTED,
                actor=ACTOR,
                reason=f"a new, empty journal was created where one existed before ({'; '.join(evidence)}):"
                " check backups; resume with RESUME once you are sure",
            )
        if key is not None:
            _remember(settings.home / JOURNALS_FILE, key)
    except BaseException:
        journal.close()
        raise
    return journal


def journal_key(database_url: str) -> str | None:
    """How ``.journals`` names a journal: the absolute path of a SQLite file, else the URL without its
    password; None for an in-memory journal (nothing to lose, nothing to record)."""
    url = parse_url(database_url, what="journal", example="sqlite:///data/journal.db")
    if url.get_backend_name() != "sqlite":
        return url.render_as_string(hide_password=True)
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    return f"sqlite:///{Path(url.database).expanduser().resolve()}"


def _evidence(settings: Settings, key: str | None) -> list[str]:
    if key is None:
        return []
    found: list[str] = []
    record = settings.home / JOURNALS_FILE
    if key in _recorded(record):
        found.append(f"{record} records it")
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database).expanduser().resolve()
        cache = path.with_name(path.name + ".fills.arrow")
        if cache.exists():
            found.append(f"its fills cache {cache} is there")
    book = settings.home / PAPER_BOOK
    default_journal = key == journal_key(f"sqlite:///{settings.home / 'journal.db'}")
    if (settings.mode is Mode.PAPER or default_journal) and _non_empty(book):
        found.append(f"the paper book {book} is there")
    return found


def _recorded(record: Path) -> set[str]:
    try:
        return {line.strip() for line in record.read_text(encoding="utf-8", errors="replace").splitlines()}
    except FileNotFoundError:
        return set()
    except OSError as exc:
        logger.warning("cannot read %s: %s", record, exc)
        return set()


def _remember(record: Path, key: str) -> None:
    """Add ``key`` to ``record`` once; an O_APPEND write of one line is whole even when processes race."""
    if key in _recorded(record):
        return
    try:
        fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        try:
            os.write(fd, f"{key}\n".encode())
        finally:
            os.close(fd)
    except OSError as exc:  # the journal works without it; only the next loss would go unnoticed
        logger.warning("cannot record the journal in %s: %s", record, exc)


def _non_empty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
