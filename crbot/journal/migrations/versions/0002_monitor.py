"""The monitor's tables: process heartbeats, the monitor lease, check states, its settings, alert deliveries.

Journals opened by CRBOT between the monitor's arrival and Alembic already have them (create_all then):
created only where missing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa

import crbot.journal.types
from crbot.journal.migrations.ops import create_table_if_missing

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Time = crbot.journal.types.UtcDateTime


def upgrade() -> None:
    create_table_if_missing(
        "process_heartbeats",
        sa.Column("process_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.BigInteger(), nullable=False),
        sa.Column("started_at", Time(), nullable=False),
        sa.Column("last_seen", Time(), nullable=False),
        sa.Column("stopped_at", Time(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("process_id"),
        indexes=[("ix_process_heartbeats_last_seen", ["last_seen"])],
    )
    create_table_if_missing(
        "monitor_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", Time(), nullable=False),
        sa.Column("expires_at", Time(), nullable=False),
        sa.Column("last_cycle_at", Time(), nullable=True),
        sa.Column("audit_cursor", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    create_table_if_missing(
        "monitor_checks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("since", Time(), nullable=True),
        sa.Column("acted_at", Time(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("updated_at", Time(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    create_table_if_missing(
        "monitor_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", Time(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    create_table_if_missing(
        "alert_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", Time(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[("ix_alert_log_time", ["time"])],
    )


def downgrade() -> None:
    raise NotImplementedError("the journal is never downgraded: restore a backup taken before the upgrade")
