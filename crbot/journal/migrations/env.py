"""Alembic's environment for the journal. Run programmatically (crbot/journal/schema.py, `python -m crbot db`):
the caller hands over an open connection in ``config.attributes["connection"]``, already inside its write
transaction (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), so two processes can never migrate at once
and a failed migration changes nothing. No alembic.ini is needed.
"""

from __future__ import annotations

from alembic import context

from crbot.journal.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic entry points are supported
    raise RuntimeError("run the journal's migrations with `python -m crbot db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE is too weak: copy-and-move
    compare_type=True,
    user_module_prefix="crbot.journal.types.",
)
with context.begin_transaction():  # inside the caller's transaction: commits with it
    context.run_migrations()
