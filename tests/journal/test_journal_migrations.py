"""Schema migrations (Alembic) on SQLite and PostgreSQL: a new journal gets exactly the models' schema, a journal
from before migrations (hand-versioned 1 or 2) is upgraded in place by `db upgrade` without losing a row, and
a journal behind or ahead of the code is refused with what to run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from crbot.clock import ManualClock
from crbot.domain import OrderStatus, TradingState
from crbot.journal import Journal
from crbot.journal.migrations import DIRECTORY, HEAD
from crbot.journal.models import Base
from crbot.journal.schema import SchemaMismatch
from tests.journal.conftest import START, fill, spec, view

ROOT = Path(__file__).resolve().parents[2]
# the tables of the hand-versioned schema 2 (today's main before migrations)
LEGACY_TABLES = {
    "schema_version",
    "orders",
    "fills",
    "trading_state",
    "audit_events",
    "risk_limits",
    "equity_snapshots",
}


def _sql(url: str, *statements: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            results = [conn.execute(text(s)) for s in statements]
            return [r.all() if r.returns_rows else None for r in results]
    finally:
        engine.dispose()


def _schema_diff(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "user_module_prefix": "crbot.journal.types."}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _db(url: str, action: str, *more: str) -> subprocess.CompletedProcess[str]:
    """``python -m crbot db ACTION --url URL`` in a process of its own, as an operator would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    command = [sys.executable, "-m", "crbot", "db", action, "--url", url, *more]
    return subprocess.run(command, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)


def _crbot(url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    env.update(PYTHONPATH=str(ROOT), CRBOT_HOME=str(home), CRBOT_DATABASE_URL=url, CRBOT_PRICE_FEED="synthetic")
    command = [sys.executable, "-m", "crbot", *args]
    return subprocess.run(command, cwd=home, env=env, capture_output=True, text=True)


def _fill_journal(journal: Journal) -> None:
    """Rows in every table today's main had: orders (with an exit), fills, state, audit, limits, equity."""
    journal.record_intent(
        [spec("e1")], list_client_id=None, source="cli", mode="paper", expected_price=Decimal("50000.5"), actor="a"
    )
    journal.record_ack(view("e1", order_id=7, status=OrderStatus.FILLED, executed="0.00100000", quote="50.00"))
    journal.record_fills([fill(1, order_id=7), fill(2, order_id=99, price="50000.12345678")])
    journal.set_trading_state(TradingState.HALTED, actor="a", reason="before the upgrade")
    journal.save_risk_limits({"max_order_quote": "250"}, actor="a", reason="r")
    journal.snapshot_equity(Decimal("10000.00000001"), at=START)


def _everything(journal: Journal) -> tuple[Any, ...]:
    return (
        [(o.client_order_id, o.status, o.quantity, o.executed_qty, o.expected_price) for o in journal.orders()],
        [(f.trade_id, f.price, f.quantity, f.commission, f.time) for f in journal.fills()],
        journal.trading_state(),
        [(e.actor, e.action, e.detail) for e in journal.audit_events()],
        journal.risk_limits(),
        journal.equity_frame().to_dict("list"),
    )


def _make_legacy(url: str, version: int) -> None:
    """Turn a journal at HEAD into what today's main wrote: its tables only, schema_version = ``version``, no
    alembic_version (version 1 also lacks orders.parent_client_id)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in set(inspect(conn).get_table_names()) - LEGACY_TABLES - {"alembic_version"}:
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("DELETE FROM schema_version"))
        conn.execute(
            text("INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)"), _legacy_row(url, version)
        )
        if version == 1:
            conn.execute(text("DROP INDEX ix_orders_parent_client_id"))
            conn.execute(text("ALTER TABLE orders DROP COLUMN parent_client_id"))
    engine.dispose()


def _legacy_row(url: str, version: int) -> dict[str, Any]:
    return {"v": version, "t": START if url.startswith("postgresql") else 0}


def test_head_is_the_newest_revision_and_there_is_one_line_of_them() -> None:
    script = ScriptDirectory(str(DIRECTORY))
    assert script.get_heads() == [HEAD], "set HEAD in crbot/journal/migrations/__init__.py to the newest revision"
    assert [s.revision for s in script.walk_revisions()][-1] == "0001"


def test_a_new_journal_has_exactly_the_models_schema(journal_url: str, clock: ManualClock) -> None:
    journal = Journal(journal_url, clock)
    assert journal.created
    journal.close()
    assert _schema_diff(journal_url) == []
    assert _sql(journal_url, "SELECT version_num FROM alembic_version")[0] == [(HEAD,)]
    # the fence: a CRBOT from before migrations reads schema_version 3 and refuses ("upgrade CRBOT")
    assert _sql(journal_url, "SELECT MAX(version) FROM schema_version")[0] == [(3,)]
    _sql(journal_url, "DROP INDEX ix_fills_time")
    assert _schema_diff(journal_url) != []  # the comparison does see a difference


@pytest.mark.parametrize("version", [2, 1])
def test_a_journal_from_before_migrations_is_refused_then_upgraded_in_place(
    journal_url: str, clock: ManualClock, version: int
) -> None:
    journal = Journal(journal_url, clock)
    _fill_journal(journal)
    before = _everything(journal)
    journal.close()
    _make_legacy(journal_url, version)

    with pytest.raises(SchemaMismatch, match="db upgrade") as refused:
        Journal(journal_url, clock)
    assert refused.value.exit_code == 11 and "before migrations" in str(refused.value)
    assert _db(journal_url, "current").returncode == 11

    done = _db(journal_url, "upgrade", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["revision"] == HEAD and report["upgraded"] and report["state"] == "current"
    if journal_url.startswith("sqlite"):  # the journal as it was, copied first: it still opens as legacy
        copy = Path(report["backup"])
        assert copy.name.startswith(f"journal.db.before-{HEAD}-") and copy.stat().st_mode & 0o077 == 0
        with pytest.raises(SchemaMismatch):
            Journal(f"sqlite:///{copy}", clock)
    assert f"schema_version {version}" in report["from"]

    upgraded = Journal(journal_url, clock)
    assert not upgraded.created
    assert _everything(upgraded) == before  # not a row lost or changed
    upgraded.record_intent(
        [spec("e2")], list_client_id=None, source="cli", mode="paper", expected_price=None, actor="a",
        planned=[spec("e2-sl")], while_halted=True,
    )  # fmt: skip
    assert [o.parent_client_id for o in upgraded.exits_of("e2")] == ["e2"]
    upgraded.close()
    assert _schema_diff(journal_url) == []
    assert _db(journal_url, "current").returncode == 0


def test_a_journal_one_revision_behind_is_refused_and_upgraded(
    journal_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    Journal(journal_url, clock).close()
    _sql(journal_url, "DROP TABLE alert_log", "UPDATE alembic_version SET version_num = '0001'")
    with pytest.raises(SchemaMismatch, match="older than this CRBOT's") as refused:
        Journal(journal_url, clock)
    assert "at 0001" in str(refused.value)
    current = _db(journal_url, "current")
    assert current.returncode == 11 and "behind" in current.stdout and "db upgrade" in current.stdout
    refused_cli = _crbot(journal_url, tmp_path, "status")  # any command: nothing runs on that journal
    assert refused_cli.returncode == 11 and "python -m crbot db upgrade" in refused_cli.stderr
    upgraded = _db(journal_url, "upgrade")
    assert upgraded.returncode == 0 and "0001 -> " + HEAD in upgraded.stdout
    Journal(journal_url, clock).close()
    assert _schema_diff(journal_url) == []


def test_a_journal_from_a_newer_crbot_is_refused(journal_url: str, clock: ManualClock) -> None:
    Journal(journal_url, clock).close()
    _sql(journal_url, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaMismatch, match="newer than this CRBOT knows") as refused:
        Journal(journal_url, clock)
    assert "upgrade CRBOT" in refused.value.hint
    assert _db(journal_url, "current").returncode == 11
    not_down = _db(journal_url, "upgrade")
    assert not_down.returncode == 11 and "newer" in not_down.stderr


def test_processes_opening_a_new_journal_at_once_create_it_once(journal_url: str, clock: ManualClock) -> None:
    def open_one(_: int) -> bool:
        journal = Journal(journal_url, clock)
        journal.close()
        return journal.created

    with ThreadPoolExecutor(max_workers=4) as pool:
        created = list(pool.map(open_one, range(4)))
    assert created.count(True) == 1
    assert _schema_diff(journal_url) == []


def test_db_upgrade_creates_the_schema_of_an_empty_database(journal_url: str, clock: ManualClock) -> None:
    empty = _db(journal_url, "current", "--json")
    assert empty.returncode == 0 and json.loads(empty.stdout)["state"] == "empty"
    created = _db(journal_url, "upgrade")
    assert created.returncode == 0 and f"empty -> {HEAD}" in created.stdout
    assert _schema_diff(journal_url) == []
    journal = Journal(journal_url, clock)
    assert not journal.created  # the schema was already there
    journal.close()


def test_a_journal_written_by_main_before_migrations_keeps_every_row(tmp_path: Path, clock: ManualClock) -> None:
    """The journal file made by the pre-Alembic code itself (its SQL dump, tests/journal/fixtures), not a
    reconstruction: refused as it is, then `db upgrade` keeps every row of every table byte for byte."""
    path = tmp_path / "journal.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((Path(__file__).parent / "fixtures" / "journal_main_v2.sql").read_text(encoding="utf-8"))
    conn.close()
    before = _rows(path)
    assert before["schema_version"][-1][0] == 2 and len(before["orders"]) == 4 and len(before["fills"]) == 3

    with pytest.raises(SchemaMismatch, match="version 2"):
        Journal(f"sqlite:///{path}", clock)
    done = _db(f"sqlite:///{path}", "upgrade")
    assert done.returncode == 0, done.stderr

    after = _rows(path)
    assert after["schema_version"] == [*before["schema_version"], (3, after["schema_version"][-1][1])]
    assert {t: r for t, r in after.items() if t != "schema_version"} == {
        t: r for t, r in before.items() if t != "schema_version"
    }
    journal = Journal(f"sqlite:///{path}", clock)
    assert journal.trading_state().reason == "before the upgrade"
    assert [f.price for f in journal.fills()] == [Decimal("50000.00"), Decimal("50000.12345678"), Decimal("50000.00")]
    assert {o.client_order_id: o.status for o in journal.orders()}["m2"] is OrderStatus.UNKNOWN
    assert [o.client_order_id for o in journal.exits_of("e1")] == ["e1-sl", "e1-tp"]
    journal.close()
    assert _schema_diff(f"sqlite:///{path}") == []


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in sorted(LEGACY_TABLES)}
