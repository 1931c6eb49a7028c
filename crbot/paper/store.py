"""The paper exchange's own book: schema, connection set-up and column types.

Several processes (dashboard, CLI, bots) share one paper account, so every unit of work is one
``BEGIN IMMEDIATE`` transaction: it takes the write lock up front and waits (busy_timeout) for another
process instead of failing half way. WAL lets readers proceed meanwhile. ``synchronous=NORMAL`` keeps a
commit off the fsync path (the order path must stay fast); in WAL mode that survives any process crash
and can lose only the last commits on a power cut, an acceptable trade for a paper account.

On PostgreSQL (when the journal is there, so several machines share one paper account) the book's tables
(all named ``sim_*``) live in the journal's database, and every transaction takes the paper book's advisory
lock first (``crbot.postgres``): the same one-at-a-time units of work. Money is NUMERIC there, times
timestamptz.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    Boolean,
    Column,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator, TypeEngine

from crbot.errors import ConfigError
from crbot.postgres import PAPER_LOCK, postgres_engine
from crbot.sqlite import parse_url, sqlite_engine

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


class DecimalText(TypeDecorator[Decimal]):
    """Exact money: Decimal stored as plain-notation TEXT (SQLite would hand back a float); NUMERIC on PostgreSQL."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Numeric(asdecimal=True) if _native(dialect) else String())

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | Decimal | None:
        if value is None:
            return None
        return value if _native(dialect) else format(value, "f")

    def process_result_value(self, value: str | Decimal | None, dialect: Dialect) -> Decimal | None:
        return to_decimal(value)


class UtcText(TypeDecorator[datetime]):
    """Aware UTC time as fixed-width ISO TEXT, so string order is time order (indexes, ranges); timestamptz on
    PostgreSQL."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(TIMESTAMP(timezone=True) if _native(dialect) else String())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the paper exchange stores aware UTC times only")
        utc = value.astimezone(UTC)
        return utc if _native(dialect) else utc.isoformat(timespec="microseconds")

    def process_result_value(self, value: str | datetime | None, dialect: Dialect) -> datetime | None:
        return to_utc(value)


def to_decimal(value: str | Decimal | None) -> Decimal | None:
    """A DecimalText value as stored (TEXT on SQLite, NUMERIC on PostgreSQL), for rows read untyped."""
    return None if value is None else Decimal(value)


def to_utc(value: str | datetime | None) -> datetime | None:
    """A UtcText value as stored (ISO TEXT on SQLite, timestamptz on PostgreSQL), for rows read untyped."""
    if value is None:
        return None
    return value.astimezone(UTC) if isinstance(value, datetime) else datetime.fromisoformat(value)


def _native(dialect: Dialect) -> bool:
    return dialect.name == "postgresql"


metadata = MetaData()

meta = Table(
    "sim_meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)

balances = Table(
    "sim_balances",
    metadata,
    Column("asset", String, primary_key=True),
    Column("free", DecimalText, nullable=False),
    Column("locked", DecimalText, nullable=False),
)

orders = Table(
    "sim_orders",
    metadata,
    Column("order_id", Integer, primary_key=True),
    Column("client_order_id", String, nullable=False),
    Column("symbol", String, nullable=False),
    Column("side", String, nullable=False),
    Column("type", String, nullable=False),
    Column("status", String, nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("price", DecimalText),
    Column("stop_price", DecimalText),
    Column("executed_qty", DecimalText, nullable=False),
    Column("cumulative_quote", DecimalText, nullable=False),
    Column("order_list_id", Integer, nullable=False),
    Column("role", String, nullable=False),  # "" alone, "working" or "pending" in a list
    Column("locked", DecimalText, nullable=False),  # what this order holds locked (asset from its side)
    Column("triggered", Boolean, nullable=False),  # a stop order whose stop traded: now a plain limit
    Column("time", UtcText, nullable=False),
    Column("update_time", UtcText, nullable=False),
    Column("active_from", UtcText, nullable=False),  # only bars closing after this can match it
    Index("ix_sim_orders_open", "status", "symbol"),
    Index("ix_sim_orders_cid", "symbol", "client_order_id"),
    Index("ix_sim_orders_time", "symbol", "time"),
    Index("ix_sim_orders_list", "order_list_id"),
    sqlite_autoincrement=True,  # ids are never reused, even after the newest row is gone
)

order_lists = Table(
    "sim_order_lists",
    metadata,
    Column("order_list_id", Integer, primary_key=True),
    Column("list_client_id", String, nullable=False),
    Column("symbol", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("status", String, nullable=False),
    Column("time", UtcText, nullable=False),
    Column("update_time", UtcText, nullable=False),
    Index("ix_sim_lists_open", "status", "symbol"),
    Index("ix_sim_lists_cid", "symbol", "list_client_id"),
    sqlite_autoincrement=True,
)

trades = Table(
    "sim_trades",
    metadata,
    Column("trade_id", Integer, primary_key=True),
    Column("symbol", String, nullable=False),
    Column("order_id", Integer, nullable=False),
    Column("side", String, nullable=False),
    Column("price", DecimalText, nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("quote_qty", DecimalText, nullable=False),
    Column("commission", DecimalText, nullable=False),
    Column("commission_asset", String, nullable=False),
    Column("is_maker", Boolean, nullable=False),
    Column("time", UtcText, nullable=False),
    Index("ix_sim_trades_time", "symbol", "time"),
    Index("ix_sim_trades_order", "order_id"),
    sqlite_autoincrement=True,
)

cursors = Table(
    "sim_cursors",
    metadata,
    Column("symbol", String, primary_key=True),
    Column("matched_to", UtcText, nullable=False),  # bars up to here have been matched
)


def open_database(db_url: str) -> Engine:
    """An Engine on the paper exchange's book (a SQLite file, or PostgreSQL), every transaction serialized."""
    url = parse_url(db_url, what="paper exchange", example="sqlite:///data/paper.db")
    if url.get_backend_name() == "postgresql":
        return postgres_engine(url, lock_key=PAPER_LOCK, lock_timeout_ms=BUSY_TIMEOUT_MS, serialize="always")
    if url.get_backend_name() != "sqlite":
        raise ConfigError(
            f"the paper exchange keeps its book in SQLite or PostgreSQL, not {url.get_backend_name()}",
            hint="use a sqlite:/// or postgresql+psycopg:// URL for the paper exchange",
        )
    # NORMAL, not FULL: the order path stays off fsync; losing the last commits on a power cut is
    # acceptable for a paper account. Every unit of work reads then writes, so all begin IMMEDIATE.
    try:
        return sqlite_engine(url, synchronous="NORMAL", busy_timeout_ms=BUSY_TIMEOUT_MS, immediate="always")
    except OSError as exc:
        raise ConfigError(
            f"cannot create the paper exchange's book {url.database} or its folder: {exc.strerror or exc}",
            hint="set CRBOT_HOME to a writable place",
        ) from exc


def create_schema(conn: Connection) -> None:
    """Create missing tables inside the caller's (immediate) transaction: safe when processes race."""
    metadata.create_all(conn, checkfirst=True)
