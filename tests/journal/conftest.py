"""Fixtures for the journal tests: a fresh journal per test, on a SQLite file and on a fresh PostgreSQL
database (``journal_url`` from tests/pg.py), and a clock that only moves when told. ``sqlite_url`` and
``sqlite_journal`` are for the tests of what only SQLite has (PRAGMAs, the file, online backup)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.clock import ManualClock
from crbot.domain import Fill, OrderSpec, OrderStatus, OrderType, OrderView, Side
from crbot.journal import Journal

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db_url(journal_url: str) -> str:
    return journal_url


@pytest.fixture
def journal(db_url: str, clock: ManualClock) -> Iterator[Journal]:
    journal = Journal(db_url, clock)
    yield journal
    journal.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'journal.db'}"


@pytest.fixture
def sqlite_journal(sqlite_url: str, clock: ManualClock) -> Iterator[Journal]:
    journal = Journal(sqlite_url, clock)
    yield journal
    journal.close()


def spec(
    cid: str = "c1", *, symbol: str = "BTCUSDT", qty: str = "0.00100000", price: str | None = "50000.00"
) -> OrderSpec:
    return OrderSpec(
        client_order_id=cid,
        symbol=symbol,
        side=Side.BUY,
        type=OrderType.LIMIT if price else OrderType.MARKET,
        quantity=Decimal(qty),
        price=Decimal(price) if price else None,
    )


def view(
    cid: str = "c1",
    *,
    order_id: int = 1001,
    status: OrderStatus = OrderStatus.NEW,
    symbol: str = "BTCUSDT",
    qty: str = "0.00100000",
    executed: str = "0",
    quote: str = "0",
    price: str | None = "50000.00",
    at: datetime = START,
) -> OrderView:
    return OrderView(
        client_order_id=cid,
        order_id=order_id,
        symbol=symbol,
        side=Side.BUY,
        type=OrderType.LIMIT if price else OrderType.MARKET,
        status=status,
        quantity=Decimal(qty),
        executed_qty=Decimal(executed),
        cumulative_quote=Decimal(quote),
        price=Decimal(price) if price else None,
        time=at,
        update_time=at,
    )


def fill(
    trade_id: int = 1,
    *,
    order_id: int = 1001,
    symbol: str = "BTCUSDT",
    price: str = "50000.00",
    qty: str = "0.00100000",
    commission: str = "0.00000100",
    asset: str = "BTC",
    at: datetime = START,
    side: Side = Side.BUY,
    maker: bool = False,
) -> Fill:
    return Fill(
        symbol=symbol,
        trade_id=trade_id,
        order_id=order_id,
        side=side,
        price=Decimal(price),
        quantity=Decimal(qty),
        quote_qty=Decimal(price) * Decimal(qty),
        commission=Decimal(commission),
        commission_asset=asset,
        is_maker=maker,
        time=at,
    )
