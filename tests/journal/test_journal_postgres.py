"""PostgreSQL as a journal: exact NUMERIC money, timestamptz times, writers that take turns like SQLite's,
and the paper book in the same database (its own ``sim_*`` tables)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.domain import TradingState
from crbot.journal import Journal
from crbot.journal.models import Base
from tests.conftest import make_env
from tests.journal.conftest import fill, spec


def _column_types(url: str, table: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t"),
                {"t": table},
            )
            return {name: kind for name, kind in rows}
    finally:
        engine.dispose()


def test_money_is_numeric_and_times_are_timestamptz(postgres_url: str, clock: ManualClock) -> None:
    journal = Journal(postgres_url, clock)
    journal.record_fills([fill(1, price="50000.12345678", qty="0.00001000")])
    journal.close()
    types = _column_types(postgres_url, "fills")
    assert types["price"] == types["quantity"] == types["commission_quote"] == "numeric"
    assert types["time"] == "timestamp with time zone"
    assert _column_types(postgres_url, "orders")["created_at"] == "timestamp with time zone"
    engine = create_engine(postgres_url)
    with engine.connect() as conn:  # exact in SQL too: no float anywhere on the way
        assert conn.execute(text("SELECT price * 3, quantity FROM fills")).one() == (
            Decimal("150000.37037034"),
            Decimal("0.00001000"),
        )
    engine.dispose()


def test_every_journal_decimal_and_time_column_has_the_native_type(postgres_url: str, clock: ManualClock) -> None:
    Journal(postgres_url, clock).close()
    for table in Base.metadata.sorted_tables:
        types = _column_types(postgres_url, table.name)
        for column in table.columns:
            kind = type(column.type).__name__
            if kind == "DecimalText":
                assert types[column.name] == "numeric", (table.name, column.name)
            elif kind == "UtcDateTime":
                assert types[column.name] == "timestamp with time zone", (table.name, column.name)


def test_a_writer_waits_for_the_one_before_it(journal: Journal) -> None:
    """What BEGIN IMMEDIATE gives on SQLite, the advisory lock gives on PostgreSQL: while one write transaction
    is open (say an intent, which read ACTIVE), STOP's latch waits for it instead of slipping in between."""
    latched = threading.Event()
    stopper = threading.Thread(
        target=lambda: (journal.set_trading_state(TradingState.HALTED, actor="stop", reason="r"), latched.set())
    )
    with journal._db.write() as session:
        session.execute(text("SELECT 1"))  # the transaction (and on SQLite its lock) has begun
        stopper.start()
        assert not latched.wait(0.5)  # blocked behind this writer
    stopper.join(timeout=30)
    assert latched.is_set() and journal.trading_state().state is TradingState.HALTED


def test_reads_do_not_wait_for_a_writer(journal: Journal) -> None:
    journal.record_intent([spec()], list_client_id=None, source="t", mode="paper", expected_price=None, actor="a")
    with journal._db.write() as session:
        session.execute(text("SELECT 1"))
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(len(journal.orders())))
        reader.start()
        reader.join(timeout=10)
        assert seen == [1]


def test_the_paper_book_shares_a_postgresql_journal(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings.load(make_env(tmp_path, CRBOT_DATABASE_URL=postgres_url), dotenv=False)
    assert settings.paper_db_url == postgres_url
    assert Settings.load(make_env(tmp_path), dotenv=False).paper_db_url.startswith("sqlite:///")
    from crbot.market.feed import ManualFeed
    from crbot.runtime import build_runtime
    from tests.conftest import PRICES

    clock = ManualClock(datetime(2026, 1, 5, 12, tzinfo=UTC))
    feed = ManualFeed(PRICES)
    first, second = (build_runtime(settings, clock=clock, feed=feed) for _ in range(2))  # two machines, say
    order = spec("shared-1", price="40000.00")  # rests below the market
    first.broker.submit(order)
    assert [o.client_order_id for o in second.broker.open_orders("BTCUSDT")] == ["shared-1"]
    usdt = {b.asset: (b.free, b.locked) for b in second.broker.balances()}["USDT"]
    assert usdt == (Decimal("10000") - Decimal("40"), Decimal("40"))
    assert _column_types(postgres_url, "sim_balances")["free"] == "numeric"
    assert _column_types(postgres_url, "sim_orders")["time"] == "timestamp with time zone"
    for rt in (first, second):
        rt.journal.close()
