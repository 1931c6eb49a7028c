"""The journal of each mode, for evidence that lives in another mode's journal (paper history, the
testnet drill, the live journal's limits and overrides).

Paper, testnet, demo and live each keep their own journal in CRBOT_HOME; ``journal_url_for`` names it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from crbot import config
from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.journal import Journal


def journal_url_for(settings: Settings, mode: Mode) -> str:
    """The journal URL ``mode`` uses under these settings: each mode's own file in CRBOT_HOME
    (``config.JOURNAL_FILES``); a journal set explicitly with CRBOT_DATABASE_URL serves every mode."""
    if mode is settings.mode:
        return settings.database_url
    files = getattr(config, "JOURNAL_FILES", None)
    if not files or settings.database_url != f"sqlite:///{settings.home / files[settings.mode]}":
        return settings.database_url
    return f"sqlite:///{settings.home / files[mode]}"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser().resolve()


class ModeJournals:
    """Journals of other modes opened on demand and kept open (the gate reads them before every live order).

    A SQLite journal that does not exist yet is not created: no file means no evidence.
    """

    def __init__(self, settings: Settings, clock: Clock, *, own: Journal | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self._open: dict[str, Journal] = {}
        if own is not None:
            self._open[settings.database_url] = own
        self._owned: list[Journal] = []

    def get(self, mode: Mode, *, create: bool = False) -> Journal | None:
        url = journal_url_for(self.settings, mode)
        if url in self._open:
            return self._open[url]
        path = sqlite_path(url)
        if path is not None and not create and not path.exists():
            return None
        journal = Journal(url, self.clock)
        self._open[url] = journal
        self._owned.append(journal)
        return journal

    def close(self) -> None:
        for journal in self._owned:
            journal.close()
        self._owned.clear()
        self._open.clear()
