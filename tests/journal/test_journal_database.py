"""The shared journal: WAL and friends, online backup, many threads and two processes (schema versions and
migrations: test_journal_migrations.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from crbot.clock import ManualClock
from crbot.domain import OrderStatus, TradingState
from crbot.errors import ConfigError, InvalidInput
from crbot.journal import Journal
from tests.journal.conftest import fill, spec, view

ROOT = Path(__file__).resolve().parents[2]
N = 100  # writes per process


def test_sqlite_pragmas(sqlite_journal: Journal) -> None:
    with sqlite_journal._db.engine.connect() as conn:
        pragma = lambda name: conn.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
        assert pragma("synchronous") == 2  # FULL


def test_reopening_keeps_everything(db_url: str, clock: ManualClock) -> None:
    first = Journal(db_url, clock)
    first.record_fills([fill(1)])
    first.close()
    again = Journal(db_url, clock)
    assert len(again.fills()) == 1
    again.close()


def test_bad_urls_are_config_errors(tmp_path: Path, clock: ManualClock) -> None:
    with pytest.raises(ConfigError):
        Journal("not a url", clock)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="folder"):
        Journal(f"sqlite:///{blocker / 'sub' / 'j.db'}", clock)


def test_in_memory_journal_works_for_single_threaded_use(clock: ManualClock) -> None:
    journal = Journal("sqlite://", clock)
    journal.audit(actor="t", action="a", detail="d")
    assert len(journal.audit_events()) == 1
    journal.close()


def test_online_backup(sqlite_journal: Journal, tmp_path: Path, clock: ManualClock) -> None:
    journal = sqlite_journal
    journal.record_fills([fill(1), fill(2)])
    journal.set_trading_state(TradingState.HALTED, actor="a", reason="r")
    target = journal.backup(tmp_path / "backups" / "copy.db")
    copy = Journal(f"sqlite:///{target}", clock)
    assert len(copy.fills()) == 2 and copy.trading_state().state is TradingState.HALTED
    copy.close()
    with pytest.raises(InvalidInput, match="journal itself"):
        journal.backup(Path(journal.url.removeprefix("sqlite:///")))


def test_many_threads_share_one_journal(journal: Journal) -> None:
    def place(i: int) -> None:
        cid = f"t{i}"
        journal.record_intent(
            [spec(cid)], list_client_id=None, source="t", mode="paper", expected_price=None, actor="a"
        )
        journal.record_ack(view(cid, order_id=i))
        journal.record_fills([fill(i, order_id=i)])
        journal.audit(actor="a", action="placed", detail=cid)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(place, range(1, 81)))
    assert len(journal.orders()) == 80 and all(o.status is OrderStatus.NEW for o in journal.orders())
    assert len(journal.fills()) == 80 and len(journal.audit_events(limit=500)) == 80
    assert set(journal.fills_frame()["client_order_id"]) == {f"t{i}" for i in range(1, 81)}


_CHILD = textwrap.dedent(
    """
    import sys
    from decimal import Decimal
    from crbot.clock import SystemClock
    from crbot.journal import Journal
    from tests.journal.conftest import fill

    journal, N = Journal(sys.argv[1], SystemClock()), int(sys.argv[2])
    print(journal.trading_state().state, flush=True)
    for i in range(N):
        journal.record_fills([fill(100_000 + i, order_id=100_000 + i)])
        journal.audit(actor="child", action="tick", detail=str(i))
        journal.snapshot_equity(Decimal(i))
    journal.close()
    """
)


def test_two_processes_share_one_file(journal: Journal, db_url: str) -> None:
    journal.set_trading_state(TradingState.HALTED, actor="parent", reason="latched for everyone")
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, db_url, str(N)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for i in range(N):  # write while the child writes
        journal.record_fills([fill(i + 1, order_id=i + 1)])
        journal.audit(actor="parent", action="tick", detail=str(i))
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.strip() == "HALTED"  # the other process saw the latched state
    assert len(journal.fills()) == 2 * N
    assert len(journal.fills_frame()) == 2 * N
    actors = [e.actor for e in journal.audit_events(limit=1000) if e.action == "tick"]
    assert actors.count("child") == N and actors.count("parent") == N
    assert len(journal.equity_frame()) == N


def test_only_relaxed_writes_skip_the_sync_at_commit(journal: Journal) -> None:
    """The intent commits durably (FULL / synchronous_commit on); the ack's relaxed commit does not wait for the
    disk, and the pooled connection is durable again for the next ordinary write."""
    db = journal._db
    if db.is_sqlite:
        durability = "PRAGMA synchronous"
        durable, relaxed = 2, 1  # FULL, NORMAL
    else:  # the test server runs with synchronous_commit=off for speed: this database asks for "on" again
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{db.engine.url.database}" SET synchronous_commit = on')
        db.engine.dispose()  # new connections take the database's setting
        durability = "SHOW synchronous_commit"
        durable, relaxed = "on", "off"
    with db.write_core() as conn:
        assert conn.exec_driver_sql(durability).scalar() == durable
    with db.write_core(relaxed=True) as conn:
        assert conn.exec_driver_sql(durability).scalar() == relaxed
    for _ in range(3):  # whichever pooled connection comes next
        with db.write_core() as conn:
            assert conn.exec_driver_sql(durability).scalar() == durable
        with db.write() as session:
            assert session.execute(text(durability)).scalar() == durable
