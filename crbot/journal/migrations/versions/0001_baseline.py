"""Baseline: the journal as CRBOT wrote it before Alembic (hand-versioned schema_version 2).

A new journal gets these tables. A journal from before (no alembic_version table) is brought to the same
place in place, without losing a row: tables it lacks are created, a version-1 journal gets orders'
parent_client_id (what version 2 added). Then schema_version records 3, so a CRBOT from before Alembic
refuses this journal ("upgrade CRBOT") instead of using a schema it does not know.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import crbot.journal.types
from crbot.journal.migrations.ops import create_table_if_missing, has_column, has_index

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LEGACY_FENCE = 3  # schema_version's last hand-written version was 2; older CRBOTs refuse anything above

Decimal_ = crbot.journal.types.DecimalText
Time = crbot.journal.types.UtcDateTime


def upgrade() -> None:
    create_table_if_missing(
        "schema_version",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("applied_at", Time(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    created = create_table_if_missing(
        "orders",
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("quantity", Decimal_(), nullable=False),
        sa.Column("price", Decimal_(), nullable=True),
        sa.Column("stop_price", Decimal_(), nullable=True),
        sa.Column("list_client_id", sa.String(length=64), nullable=True),
        sa.Column("parent_client_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("executed_qty", Decimal_(), nullable=False),
        sa.Column("cumulative_quote", Decimal_(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("expected_price", Decimal_(), nullable=True),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("created_at", Time(), nullable=False),
        sa.Column("updated_at", Time(), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id"),
        indexes=[
            ("ix_orders_created_at", ["created_at"]),
            ("ix_orders_status", ["status"]),
            ("ix_orders_symbol_order_id", ["symbol", "order_id"]),
        ],
    )
    if not created and not has_column("orders", "parent_client_id"):  # a version-1 journal
        # a plain ADD COLUMN (no batch copy): SQLite does it in place, and fills' foreign key stays untouched
        op.add_column("orders", sa.Column("parent_client_id", sa.String(length=64), nullable=True))
    if not has_index("orders", "ix_orders_parent_client_id"):
        op.create_index("ix_orders_parent_client_id", "orders", ["parent_client_id"], unique=False)
    create_table_if_missing(
        "fills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("trade_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("price", Decimal_(), nullable=False),
        sa.Column("quantity", Decimal_(), nullable=False),
        sa.Column("quote_qty", Decimal_(), nullable=False),
        sa.Column("commission", Decimal_(), nullable=False),
        sa.Column("commission_asset", sa.String(length=16), nullable=False),
        sa.Column("commission_quote", Decimal_(), nullable=True),
        sa.Column("is_maker", sa.Boolean(), nullable=False),
        sa.Column("time", Time(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["client_order_id"], ["orders.client_order_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("symbol", "trade_id", name="uq_fills_symbol_trade_id"),
        indexes=[
            ("ix_fills_revision", ["revision"]),
            ("ix_fills_symbol_order_id", ["symbol", "order_id"]),
            ("ix_fills_time", ["time"]),
        ],
    )
    create_table_if_missing(
        "trading_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", Time(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create_table_if_missing(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", Time(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[("ix_audit_events_time", ["time"])],
    )
    create_table_if_missing(
        "risk_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", Time(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    create_table_if_missing(
        "equity_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", Time(), nullable=False),
        sa.Column("equity", Decimal_(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        indexes=[("ix_equity_snapshots_time", ["time"])],
    )
    _fence_older_crbots()


def _fence_older_crbots() -> None:
    versions = sa.table("schema_version", sa.column("version", sa.Integer()), sa.column("applied_at", Time()))
    bind = op.get_bind()
    if bind.execute(sa.select(versions.c.version).where(versions.c.version == LEGACY_FENCE)).first() is None:
        bind.execute(versions.insert().values(version=LEGACY_FENCE, applied_at=datetime.now(UTC)))


def downgrade() -> None:
    raise NotImplementedError("the journal is never downgraded: restore a backup taken before the upgrade")
