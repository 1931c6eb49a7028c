"""`python -m crbot monitor --once` and `python -m crbot alert test` as separate processes: only the monitor runs
(paper mode, synthetic feed, no dashboard), an alert reaches a local webhook receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import TradingState
from crbot.monitor.status import monitoring_evidence
from crbot.runtime import build_runtime
from tests.conftest import make_env

ROOT = Path(__file__).resolve().parents[2]


def _crbot(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    full = {**clean, **make_env(home), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "crbot", "--json", *args],
        env=full,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _runtime(home: Path):
    return build_runtime(Settings.load(make_env(home), dotenv=False), clock=SystemClock())


def _today() -> datetime:
    """Now, at least a minute before UTC midnight: the monitor process must see the same day as the test."""
    now = datetime.now(UTC)
    left = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0) - now
    if left < timedelta(minutes=1):
        time.sleep(left.total_seconds() + 1)
    return datetime.now(UTC)


def test_monitor_once_halts_on_the_daily_loss_limit_and_alerts_the_webhook(tmp_path, receiver):
    rt = _runtime(tmp_path)
    now = _today()
    start = now.replace(hour=0, minute=0, second=0, microsecond=1)  # the day's first equity point
    rt.journal.snapshot_equity(Decimal("10250"), at=start)  # the day began at 10,250; paper equity is 10,000
    rt.journal.close()

    proc = _crbot(tmp_path, "monitor", "--once", CRBOT_ALERT_URLS=receiver.url)

    assert proc.returncode == 3, proc.stderr  # HALTED
    out = json.loads(proc.stdout)
    assert out["halted_now"] is True and out["trading_state"] == "HALTED" and "daily_loss" in out["actions"]
    rt = _runtime(tmp_path)
    record = rt.service.trading_state()
    assert record.state is TradingState.HALTED and record.actor == "crbot:monitor"
    assert "Daily loss: loss 250.00 USDT" in record.reason and "≥ 200 USDT" in record.reason
    posts = receiver.wait_for(1, timeout=5)  # --once waited for the alert before exiting
    assert posts and posts[0]["title"] == "CRBOT HALTED automatically"
    assert "loss 250.00 USDT" in posts[0]["message"]
    assert monitoring_evidence(rt.journal, datetime.now(UTC)).heartbeat_at is not None

    again = _crbot(tmp_path, "monitor", "--once")  # nothing re-arms: still HALTED, no second kill
    assert again.returncode == 3
    kills = [e for e in rt.journal.audit_events() if e.action == "trading_state" and e.actor == "crbot:monitor"]
    assert len(kills) == 1


def test_monitor_once_healthy_exits_0(tmp_path):
    proc = _crbot(tmp_path, "monitor", "--once")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"] == "trading ACTIVE; all checks within thresholds"


def test_alert_test_reaches_the_target_and_is_the_go_live_evidence(tmp_path, receiver):
    secret_url = receiver.url + "?token=SeCrEt123"
    proc = _crbot(tmp_path, "alert", "test", CRBOT_ALERT_URLS=secret_url)
    assert proc.returncode == 0, proc.stderr
    assert "SeCrEt123" not in proc.stdout + proc.stderr  # a target URL is a secret: shown masked
    assert receiver.wait_for(1)[0]["title"] == "CRBOT test alert"
    rt = _runtime(tmp_path)
    assert monitoring_evidence(rt.journal, datetime.now(UTC)).test_alert_at is not None


def test_alert_test_without_targets_says_how_to_add_one(tmp_path):
    proc = _crbot(tmp_path, "alert", "test")
    assert proc.returncode == 2
    assert "CRBOT_ALERT_URLS" in json.loads(proc.stderr or proc.stdout)["message"]


def test_monitor_rejects_a_bad_interval(tmp_path):
    proc = _crbot(tmp_path, "monitor", "--interval", "0")
    assert proc.returncode == 2


def _wait(predicate, timeout: float = 60.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)  # polling another process's journal rows
    return False


def test_two_monitor_processes_one_acts_the_other_stands_by_until_it_stops(tmp_path, receiver):
    from crbot.monitor.store import MonitorStore

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    env = {**clean, **make_env(tmp_path), "PYTHONPATH": str(ROOT), "CRBOT_ALERT_URLS": receiver.url}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "crbot", "monitor", "--interval", "1"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        rt = _runtime(tmp_path)
        store = MonitorStore(rt.journal)
        assert _wait(lambda: (lease := store.lease()) is not None and lease.holder.startswith("monitor:"))
        holder = store.lease().holder

        standby = _crbot(tmp_path, "monitor", "--once", CRBOT_ALERT_URLS=receiver.url)
        assert standby.returncode == 6, standby.stderr
        assert holder in json.loads(standby.stdout)["summary"]

        now = _today()
        rt.journal.snapshot_equity(Decimal("10400"), at=now.replace(hour=0, minute=0, second=0, microsecond=1))
        assert _wait(lambda: rt.service.trading_state().state is TradingState.HALTED)
        assert _crbot(tmp_path, "monitor", "--once").returncode == 6  # still standing by: no second action
        assert [p["title"] for p in receiver.wait_for(1)] == ["CRBOT HALTED automatically"]
    finally:
        daemon.terminate()
        out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert "standing by" not in out  # the daemon acted throughout
    beats = {h.process_id: h for h in MonitorStore(rt.journal).heartbeats()}
    assert beats[holder].stopped_at is not None  # a clean stop is recorded
    after = _crbot(tmp_path, "monitor", "--once")  # the lease was released: this one acts at once
    assert after.returncode == 3
    kills = [e for e in rt.journal.audit_events() if e.action == "trading_state" and e.actor == "crbot:monitor"]
    assert len(kills) == 1
    assert len(receiver.posts) == 1
