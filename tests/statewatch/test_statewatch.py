"""crbot.statewatch in one process: a state change made through another connection is heard, on SQLite (PRAGMA
data_version) and PostgreSQL (LISTEN/NOTIFY); the watch re-reads on reconnect; an unreachable journal denies new
orders (DATABASE_UNREACHABLE) while cancels and STOP still work."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from crbot.clock import SystemClock
from crbot.domain import TradingState
from crbot.journal import Journal
from crbot.risk import DenialCode
from crbot.statewatch import CHANNEL, StateWatch
from tests.statewatch.proxy import Relay

WAIT_S = 20  # generous: the CI machine may be busy; the figure is printed, never asserted


def halted(watch: StateWatch) -> bool:
    return watch.state is not None and watch.state.state is TradingState.HALTED


def active(watch: StateWatch) -> bool:
    return watch.state is not None and watch.state.state is TradingState.ACTIVE


@pytest.fixture
def journals(journal_url: str):
    """Two Journals on one database: "ours" (watched) and "theirs" (another process's connection pool)."""
    ours, theirs = Journal(journal_url, SystemClock()), Journal(journal_url, SystemClock())
    yield ours, theirs
    ours.close()
    theirs.close()


def test_a_stop_elsewhere_is_heard_and_so_is_resume(journal_url: str, journals) -> None:
    ours, theirs = journals
    watch = StateWatch(journal_url, read_state=ours.trading_state, timeout_s=2).start()
    try:
        assert active(watch) and watch.reachable and watch.denial() is None
        started = time.monotonic()
        theirs.set_trading_state(TradingState.HALTED, actor="other", reason="STOP pressed elsewhere")
        assert watch.wait_for(halted, WAIT_S), "HALTED never heard"
        print(f"HALTED heard after {(time.monotonic() - started) * 1000:.0f} ms")
        denial = watch.denial()
        assert denial is not None and denial.code is DenialCode.TRADING_HALTED
        assert "STOP pressed elsewhere" in denial.detail
        theirs.set_trading_state(TradingState.ACTIVE, actor="other", reason="resumed")
        assert watch.wait_for(active, WAIT_S), "ACTIVE never heard"
        assert watch.denial() is None
    finally:
        watch.stop()


def test_listeners_are_called_once_per_change(journal_url: str, journals) -> None:
    ours, theirs = journals
    seen: list[TradingState] = []
    watch = StateWatch(journal_url, read_state=ours.trading_state, timeout_s=2)
    watch.subscribe(lambda record: seen.append(record.state))
    watch.start()
    try:
        theirs.set_trading_state(TradingState.REDUCING, actor="other", reason="reduce only")
        assert watch.wait_for(lambda w: w.state is not None and w.state.state is TradingState.REDUCING, WAIT_S)
        theirs.audit(actor="other", action="note", detail="an unrelated write")  # data_version moves, state not
        theirs.set_trading_state(TradingState.HALTED, actor="other", reason="STOP")
        assert watch.wait_for(halted, WAIT_S)
        assert seen == [TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED]
    finally:
        watch.stop()


def test_postgres_notifies_in_the_transaction_that_latches(postgres_url: str) -> None:
    journal = Journal(postgres_url, SystemClock())
    conninfo = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            journal.set_trading_state(TradingState.HALTED, actor="tester", reason="STOP")
            notes = list(listener.notifies(timeout=WAIT_S, stop_after=1))
            assert [(n.channel, n.payload) for n in notes] == [(CHANNEL, "HALTED")]
            journal.set_trading_state(TradingState.HALTED, actor="tester", reason="again")  # no change: no NOTIFY
            assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
    finally:
        journal.close()


def test_postgres_listener_reconnects_and_rereads(postgres_url: str) -> None:
    ours, theirs = Journal(postgres_url, SystemClock()), Journal(postgres_url, SystemClock())
    watch = StateWatch(postgres_url, read_state=ours.trading_state, timeout_s=2).start()
    conninfo = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        assert watch.wait_for(lambda w: w.connects == 1, WAIT_S)
        with psycopg.connect(conninfo, autocommit=True) as admin:
            # the listener's backend killed, and the state changed before it is back: no NOTIFY reaches it
            with admin.transaction():
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'crbot-statewatch' AND datname = current_database()"
                )
            theirs.set_trading_state(TradingState.HALTED, actor="other", reason="STOP during the reconnect")
        assert watch.wait_for(lambda w: w.connects >= 2 and halted(w), WAIT_S), (watch.connects, watch.state)
        assert watch.reachable
    finally:
        watch.stop()
        ours.close()
        theirs.close()


def test_postgres_frozen_connection_fails_closed_then_recovers(postgres_url: str) -> None:
    url = make_url(postgres_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    journal = Journal(through, SystemClock())
    watch = StateWatch(through, read_state=journal.trading_state, timeout_s=1, interval_s=0.1).start()
    try:
        assert watch.reachable
        relay.freeze()  # a pulled cable: no error, just silence
        started = time.monotonic()
        assert watch.wait_for(lambda w: not w.reachable, WAIT_S)
        print(f"unreachable after {(time.monotonic() - started) * 1000:.0f} ms (timeout 1 s)")
        denial = watch.denial()
        assert denial is not None and denial.code is DenialCode.DATABASE_UNREACHABLE
        relay.thaw()
        assert watch.wait_for(lambda w: w.reachable, WAIT_S)
    finally:
        relay.close()
        watch.stop()
        journal.close()


def test_sqlite_journal_moved_away_is_unreachable_and_reread_when_back(tmp_path: Path) -> None:
    home, aside = tmp_path / "home", tmp_path / "aside"
    home.mkdir()
    url = f"sqlite:///{home / 'journal.db'}"
    ours = Journal(url, SystemClock())
    watch = StateWatch(url, read_state=ours.trading_state, timeout_s=1, interval_s=0.1).start()
    try:
        assert watch.wait_for(lambda w: w.connects == 1, WAIT_S) and active(watch)
        os.rename(home, aside)  # the journal's folder is gone (unmounted, moved): with its -wal and -shm files
        assert watch.wait_for(lambda w: not w.reachable, WAIT_S)
        assert "No such file" in watch.problem()
        elsewhere = Journal(f"sqlite:///{aside / 'journal.db'}", SystemClock())  # changed while we cannot see it
        elsewhere.set_trading_state(TradingState.HALTED, actor="other", reason="STOP while away")
        elsewhere.close()
        os.rename(aside, home)
        assert watch.wait_for(lambda w: w.reachable and halted(w), WAIT_S)
        assert watch.connects >= 2
    finally:
        watch.stop()
        ours.close()
