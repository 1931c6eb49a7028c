"""The journal's tables as SQLAlchemy 2.0 typed models. Only the repositories touch these rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crbot.journal.types import DecimalText, UtcDateTime

# The last hand-written schema version, from before Alembic. Schema changes are now revisions: a new table is
# its model here plus a small file in crbot/journal/migrations/versions (see the README there).
SCHEMA_VERSION = 2


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Decimal: DecimalText(),
        datetime: UtcDateTime(),
        int: BigInteger(),
        str: Text(),
    }


class SchemaVersionRow(Base):
    __tablename__ = "schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[datetime]


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_symbol_order_id", "symbol", "order_id"),
        Index("ix_orders_created_at", "created_at"),
        Index("ix_orders_status", "status"),
    )

    client_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal]
    price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    list_client_id: Mapped[str | None] = mapped_column(String(64))
    parent_client_id: Mapped[str | None] = mapped_column(String(64), index=True)  # an exit's entry
    status: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int | None]
    executed_qty: Mapped[Decimal]
    cumulative_quote: Mapped[Decimal]
    reason: Mapped[str]
    source: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str]
    expected_price: Mapped[Decimal | None]
    latency_ms: Mapped[float | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FillRow(Base):
    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("symbol", "trade_id", name="uq_fills_symbol_trade_id"),
        Index("ix_fills_time", "time"),
        Index("ix_fills_symbol_order_id", "symbol", "order_id"),
        Index("ix_fills_revision", "revision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(32))
    trade_id: Mapped[int]
    order_id: Mapped[int]
    # set only when the order is in the journal (placed by CRBOT or imported); NULL until then
    client_order_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("orders.client_order_id"))
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal]
    quantity: Mapped[Decimal]
    quote_qty: Mapped[Decimal]
    commission: Mapped[Decimal]
    commission_asset: Mapped[str] = mapped_column(String(16))
    commission_quote: Mapped[Decimal | None]  # NULL when the fee asset is neither base nor quote (e.g. BNB)
    is_maker: Mapped[bool]
    time: Mapped[datetime]
    # bumped by every transaction that inserts or links the row: lets a reader fetch only what changed
    revision: Mapped[int]


class TradingStateRow(Base):
    __tablename__ = "trading_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: one latched state per account
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime]
    actor: Mapped[str]
    reason: Mapped[str]


class AuditRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_time", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime]
    actor: Mapped[str]
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str]
    reason: Mapped[str]


class RiskLimitRow(Base):
    __tablename__ = "risk_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str]
    updated_at: Mapped[datetime]
    actor: Mapped[str]


class EquityRow(Base):
    __tablename__ = "equity_snapshots"
    __table_args__ = (Index("ix_equity_snapshots_time", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime]
    equity: Mapped[Decimal]


# ---- the monitor (crbot/monitor): heartbeats, the lease, check states, its settings, alert deliveries ----
class ProcessHeartbeatRow(Base):
    __tablename__ = "process_heartbeats"
    __table_args__ = (Index("ix_process_heartbeats_last_seen", "last_seen"),)

    process_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # kind:host:pid
    kind: Mapped[str] = mapped_column(String(16))  # dashboard, cli, monitor, bot, api
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    stopped_at: Mapped[datetime | None]  # set on a clean exit; None while running (or after a crash)
    detail: Mapped[str]


class MonitorLeaseRow(Base):
    __tablename__ = "monitor_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # one lease per account: "monitor"
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_cycle_at: Mapped[datetime | None]
    audit_cursor: Mapped[int | None]  # the newest audit event the monitor has looked at (alerts)


class MonitorCheckRow(Base):
    __tablename__ = "monitor_checks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # ok, breach, no_data
    value: Mapped[str]
    threshold: Mapped[str]
    action: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime | None]  # start of the current breach
    acted_at: Mapped[datetime | None]  # when this breach's action was taken
    detail: Mapped[str]
    updated_at: Mapped[datetime]


class MonitorSettingRow(Base):
    __tablename__ = "monitor_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str]  # alert URLs are secrets: never logged or audited unmasked
    updated_at: Mapped[datetime]
    actor: Mapped[str]


class AlertLogRow(Base):
    __tablename__ = "alert_log"
    __table_args__ = (Index("ix_alert_log_time", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))  # test, stop, kill, breach, ban, unprotected
    title: Mapped[str]
    target: Mapped[str]  # masked
    ok: Mapped[bool]
    attempts: Mapped[int]
    error: Mapped[str]
