"""Append-only on both journal backends (SQLite triggers, PostgreSQL trigger function): the migration
installs it, and an UPDATE, DELETE (or TRUNCATE) of an audit row is refused by the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crbot.clock import ManualClock
from crbot.journal import Journal


def test_audit_rows_are_append_only_on_both_backends(journal_url: str) -> None:
    journal = Journal(journal_url, ManualClock())
    try:
        journal.audit(actor="cli:alice", action="risk_limits", detail="a: 1 -> 2", reason="tighter")
        statements = ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"]
        if journal._db.engine.dialect.name == "postgresql":
            statements.append("TRUNCATE audit_events")
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"), journal._db.write_core() as conn:
                conn.execute(text(statement))
        events = journal.audit_events()
        assert [(e.actor, e.detail) for e in events] == [("cli:alice", "a: 1 -> 2")]
        journal.audit(actor="cli:bob", action="order_cancel", detail="x")  # appending still works
        assert len(journal.audit_events()) == 2
    finally:
        journal.close()
