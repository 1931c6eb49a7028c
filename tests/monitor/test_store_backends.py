"""The monitor's tables on both journal backends (SQLite and PostgreSQL): the lease, heartbeats, settings, alerts."""

from __future__ import annotations

from datetime import timedelta

from crbot.clock import ManualClock
from crbot.journal import Journal
from crbot.monitor.heartbeat import Beater
from crbot.monitor.status import monitoring_evidence
from crbot.monitor.store import AlertRecord, MonitorStore


def test_lease_heartbeats_settings_and_evidence(journal_url):
    clock = ManualClock()
    journal = Journal(journal_url, clock)
    try:
        store = MonitorStore(journal)
        ttl = timedelta(seconds=30)
        assert store.acquire("monitor:a:1", now=clock.now(), ttl=ttl)[0]
        got, lease = store.acquire("monitor:b:2", now=clock.now(), ttl=ttl)
        assert not got and lease.holder == "monitor:a:1"
        assert store.acquire("monitor:a:1", now=clock.advance(20), ttl=ttl)[0]  # renewed
        assert not store.acquire("monitor:b:2", now=clock.advance(20), ttl=ttl)[0]
        assert store.acquire("dashboard:c:3", now=clock.advance(31), ttl=ttl)[0]  # expired: taken over
        assert store.acquire("monitor:b:2", now=clock.now(), ttl=ttl, preempt=("dashboard:",))[0]
        store.mark_cycle("monitor:b:2", now=clock.now(), audit_cursor=7)
        assert store.lease().audit_cursor == 7

        beater = Beater(journal=journal, clock=clock, kind="monitor")
        assert beater.beat("acting") and not beater.beat("again")  # at most one write per 15 s
        clock.advance(16)
        assert beater.beat("acting")
        beater.stop()
        (beat,) = store.heartbeats()
        assert beat.kind == "monitor" and beat.stopped_at == clock.now()

        store.save_settings({"threshold.latency_p95_ms": "750"}, actor="t", now=clock.now())
        assert store.settings() == {"threshold.latency_p95_ms": "750"}
        store.record_alert(
            AlertRecord(time=clock.now(), kind="test", title="t", target="json://…", ok=True, attempts=1, error="")
        )
        evidence = monitoring_evidence(journal, clock.now())
        assert evidence.heartbeat_at == clock.now() and evidence.test_alert_at == clock.now()
        assert monitoring_evidence(journal, clock.now() - timedelta(seconds=1)).test_alert_at is None  # not yet
    finally:
        journal.close()


def test_a_cycle_halts_on_postgresql_too(postgres_url, tmp_path, receiver):
    from decimal import Decimal

    from crbot.config import Settings
    from crbot.domain import TradingState
    from crbot.market.feed import ManualFeed
    from crbot.runtime import build_runtime
    from tests.conftest import PRICES, make_env
    from tests.monitor.conftest import make_monitor
    from tests.monitor.helpers import day_start

    clock = ManualClock()
    settings = Settings.load(make_env(tmp_path, CRBOT_DATABASE_URL=postgres_url), dotenv=False)
    rt = build_runtime(settings, clock=clock, feed=ManualFeed(PRICES))
    try:
        rt.journal.snapshot_equity(Decimal("10300"), at=day_start(clock))
        report = make_monitor(rt.service, (receiver.url,)).cycle()
        assert report.halted_now and rt.service.trading_state().state is TradingState.HALTED
        assert "loss 300.00 USDT" in rt.service.trading_state().reason
        assert receiver.wait_for(1)[0]["title"] == "CRBOT HALTED automatically"
    finally:
        rt.journal.close()
