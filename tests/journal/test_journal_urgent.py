"""STOP's HALTED on SQLite asks for the write lock every millisecond (crbot.sqlite's urgent writer), so a
stream of other writers cannot starve it (measured: two processes taking the lock over and over delayed a
normal write up to 732 ms, an urgent one 12 ms); it still gives up at the busy timeout, and the connection keeps
its normal busy timeout afterwards."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from crbot.clock import ManualClock
from crbot.domain import TradingState
from crbot.journal import Journal
from crbot.journal.database import BUSY_TIMEOUT_MS
from crbot.sqlite import _begin_urgent

HAMMER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
while True:  # another process's writer: the write lock over and over, short gaps between (a bot's work)
    time.sleep(0.005)
    conn.execute("COMMIT")
    time.sleep(0.001)
    conn.execute("BEGIN IMMEDIATE")
"""


def test_halted_is_written_while_other_processes_keep_taking_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    journal = Journal(f"sqlite:///{path}", ManualClock())
    hammers = [
        subprocess.Popen([sys.executable, "-c", HAMMER, str(path)], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    try:
        for hammer in hammers:
            assert hammer.stdout is not None and hammer.stdout.readline().strip() == "holding"
        assert journal.set_trading_state(TradingState.HALTED, actor="tester", reason="STOP under load")
    finally:
        for hammer in hammers:
            hammer.kill()
            hammer.wait(10)
    assert journal.trading_state().state is TradingState.HALTED
    with journal._db.engine.connect() as conn:  # the pooled connection STOP used: its normal timeout is back
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
    journal.close()


def test_an_urgent_begin_gives_up_at_the_busy_timeout_and_restores_it(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _begin_urgent(waiter, busy_timeout_ms=50)
        assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 50
        holder.execute("COMMIT")
        _begin_urgent(waiter, busy_timeout_ms=50)  # free now: taken at once
        assert waiter.in_transaction
        waiter.execute("COMMIT")
    finally:
        waiter.close()
        holder.close()
