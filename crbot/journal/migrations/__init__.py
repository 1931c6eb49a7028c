"""The journal's schema migrations (Alembic). See README.md here for how to add a revision.

``HEAD`` is the newest revision: opening a journal compares its ``alembic_version`` with it in one query,
without importing Alembic (a CLI call stays fast); tests/journal/test_journal_migrations.py checks that it
is the head of versions/.
"""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
HEAD = "0003"
