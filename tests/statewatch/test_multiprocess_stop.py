"""Issue 13: two bot processes (examples/dca_bot.py) and a dashboard process on one journal, on SQLite and on
PostgreSQL, all refuse new orders within a second of STOP pressed through the service (as the dashboard's STOP
button does); a bot whose journal connection is cut stops trading by itself.

Timings are printed (``-s``), never asserted: the waits are generous so a busy machine cannot fail them.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.runtime import Runtime, build_runtime
from tests.conftest import make_env
from tests.statewatch.conftest import Child, child_env

BOT = ["examples.dca_bot", "--json", "--flip", "--interval", "0.2", "--max-orders", "100000", "--quote", "20"]


def operator(home: Path, journal_url: str) -> Runtime:
    """The operator's side (the dashboard's runtime): limits lifted so two bots may trade fast."""
    settings = Settings.load(make_env(home, CRBOT_DATABASE_URL=journal_url), dotenv=False)
    rt = build_runtime(settings, clock=SystemClock())
    limits = rt.service.risk_limits().with_changes(max_orders_per_minute=100_000, daily_loss_limit=Decimal(10**6))
    rt.service.save_risk_limits(limits, actor="tester", reason="two bots trading fast")
    return rt


def stop_all(procs: list[Child]) -> None:
    for proc in procs:
        proc.kill()


def test_two_bots_and_a_dashboard_refuse_orders_after_stop(tmp_path: Path, journal_url: str) -> None:
    rt = operator(tmp_path, journal_url)
    env = child_env(tmp_path, journal_url)
    bots = [Child([*BOT, "--name", f"bot{i}"], env) for i in (1, 2)]
    dashboard = Child(["tests.statewatch.child", "dashboard"], env)
    procs = [*bots, dashboard]
    try:
        for proc in procs:
            proc.event({"ready"})
        for bot in bots:  # each bot is really trading before the press
            assert bot.event({"order"})["status"] == "FILLED"
        pressed = time.time()
        report = rt.service.stop(reason="STOP pressed in the dashboard", actor="tester (dashboard)")
        assert report.ok, report
        events = []
        for proc in procs:
            event = proc.event({"stopped"})
            assert event["code"] == "TRADING_HALTED", event
            events.append(event)
        assert [p.wait() for p in procs] == [3, 3, 0]
        # heard: the process's watch saw HALTED (None when its own order's re-read of the state saw it first)
        heard = [None if e["heard"] is None else round((e["heard"] - pressed) * 1000) for e in events]
        refused = [round((e["refused"] - pressed) * 1000) for e in events]
        print(f"\n{journal_url.split(':')[0]}: heard HALTED after {heard} ms,"
              f" refused an order after {refused} ms (target < 1000 ms)")  # fmt: skip
    finally:
        stop_all(procs)
        rt.journal.close()


def test_bot_stops_by_itself_when_postgres_is_cut(tmp_path: Path, relay_url) -> None:
    relay, through = relay_url
    rt = operator(tmp_path, through)
    bot = Child([*BOT, "--name", "cut"], child_env(tmp_path, through, CRBOT_DB_HEARTBEAT_TIMEOUT_S="1"))
    try:
        bot.event({"order"})
        cut = time.time()
        relay.cut()  # every connection of the bot to its journal closed, new ones refused
        event = bot.event({"stopped"})
        assert event["code"] == "DATABASE_UNREACHABLE", event
        assert "cannot reach the journal" in event["message"]
        assert bot.wait() == 3
        print(f"\nPostgreSQL cut: the bot refused after {(event['refused'] - cut) * 1000:.0f} ms (timeout 1 s)")
    finally:
        stop_all([bot])
        rt.journal.close()


def test_bot_stops_by_itself_when_the_sqlite_journal_goes_away(tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    url = f"sqlite:///{folder / 'journal.db'}"
    rt = operator(tmp_path, url)
    rt.journal.close()
    bot = Child([*BOT, "--name", "gone"], child_env(tmp_path, url, CRBOT_DB_HEARTBEAT_TIMEOUT_S="1"))
    try:
        bot.event({"order"})
        gone = time.time()
        os.rename(folder, tmp_path / "elsewhere")  # unmounted, moved: the bot can no longer reach its journal
        event = bot.event({"stopped"})
        assert event["code"] == "DATABASE_UNREACHABLE", event
        assert bot.wait() == 3
        print(f"\nSQLite journal gone: the bot refused after {(event['refused'] - gone) * 1000:.0f} ms (timeout 1 s)")
    finally:
        stop_all([bot])
