"""The audit trail is append-only: the database refuses UPDATE and DELETE of audit_events (and TRUNCATE on
PostgreSQL). SQLite journals opened before this revision may already have the triggers (IF NOT EXISTS).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

from crbot.journal.database import APPEND_ONLY_SQLITE

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_POSTGRES = (
    """
    CREATE OR REPLACE FUNCTION crbot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events"
    " FOR EACH ROW EXECUTE FUNCTION crbot_audit_append_only()",
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
    " FOR EACH STATEMENT EXECUTE FUNCTION crbot_audit_append_only()",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = APPEND_ONLY_SQLITE if dialect == "sqlite" else _POSTGRES if dialect == "postgresql" else ()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the journal is never downgraded: restore a backup taken before the upgrade")
