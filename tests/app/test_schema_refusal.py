"""The dashboard on a journal whose schema is behind the code: it says so and what to run, and trades nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crbot.clock import ManualClock
from crbot.journal import Journal
from tests.app.helpers import texts


def test_a_journal_behind_the_code_is_explained_not_used(app, crbot_home: Path) -> None:
    path = crbot_home / "journal.db"
    Journal(f"sqlite:///{path}", ManualClock()).close()
    with sqlite3.connect(path) as conn:  # as if written by the CRBOT before the newest revision
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    at = app().run()
    assert not at.exception, at.exception
    errors = " ".join(texts(at, "error"))
    assert "CRBOT cannot start" in errors and "python -m crbot db upgrade" in errors
    with sqlite3.connect(path) as conn:  # nothing was written to it
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert conn.execute("SELECT COUNT(*) FROM audit_events").fetchone() == (0,)
    conn.close()
