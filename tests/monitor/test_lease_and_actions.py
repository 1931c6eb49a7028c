"""Two monitors on one account do not double-act; thresholds' actions (warn, cut) act once per breach."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crbot.domain import TradingState
from crbot.errors import InvalidInput
from crbot.monitor.cycle import ACTOR, EXIT_STANDBY
from crbot.monitor.store import MonitorStore
from crbot.monitor.thresholds import SPECS, Facts, Rule, evaluate, rules_from, validate_rule
from tests.monitor.conftest import make_monitor
from tests.monitor.helpers import audit_reasons, day_start, order


def test_the_second_monitor_stands_by_and_only_one_halts_and_alerts(service, clock, receiver):
    service.journal.snapshot_equity(Decimal("10500"), at=day_start(clock))
    first = make_monitor(service, (receiver.url,), holder="monitor:a:1")
    second = make_monitor(service, (receiver.url,), holder="monitor:b:2")
    assert first.cycle().acted
    report = second.cycle()
    assert not report.acted and report.holder == "monitor:a:1" and report.exit_code == EXIT_STANDBY
    assert "standing by" in report.summary and "monitor:a:1" in report.summary
    kills = [r for r in audit_reasons(service.journal) if "automatic kill" in r]
    assert len(kills) == 1
    assert len(receiver.wait_for(1)) == 1
    heartbeats = {h.process_id: h.detail for h in MonitorStore(service.journal).heartbeats()}
    assert heartbeats[service.heartbeat.process_id] == "standby: lease held by monitor:a:1"  # and says so


def test_an_expired_lease_is_taken_over(service, clock):
    first = make_monitor(service, holder="monitor:a:1", interval_s=10)
    second = make_monitor(service, holder="monitor:b:2", interval_s=10)
    assert first.cycle().acted
    clock.advance(29)
    assert not second.cycle().acted  # 3 intervals (30 s) not yet passed
    clock.advance(2)
    assert second.cycle().acted
    assert not first.cycle().acted  # the old holder now stands by: never two at once


def test_released_lease_is_free_at_once(service, clock):
    first = make_monitor(service, holder="monitor:a:1")
    first.cycle()
    first.release()
    assert make_monitor(service, holder="monitor:b:2").cycle().acted


def test_cut_halves_the_size_limits_once_per_breach(service, clock, receiver):
    store = MonitorStore(service.journal)
    store.save_settings(validate_rule("reject_rate_pct", "5", "cut"), actor="t", now=clock.now())
    for i in range(2):
        clock.advance(1)
        order(service.journal, f"bad-{i}", status="REJECTED")
    for i in range(8):
        clock.advance(1)
        order(service.journal, f"ok-{i}")
    monitor = make_monitor(service, (receiver.url,))
    report = monitor.cycle()
    assert report.state is TradingState.ACTIVE and "reject_rate_pct" in report.actions
    limits = service.risk_limits()
    assert (limits.max_order_notional, limits.max_position_notional) == (Decimal("500"), Decimal("1250"))
    cut = [e for e in service.journal.audit_events() if e.action == "risk_limits" and e.actor == ACTOR]
    assert len(cut) == 1 and "2 of 10 orders rejected" in cut[0].reason
    clock.advance(10)
    assert monitor.cycle().actions == ()  # the same breach: not cut again
    assert service.risk_limits().max_order_notional == Decimal("500")
    posts = receiver.wait_for(1)
    assert posts[0]["title"] == "CRBOT position size limit cut: Reject rate"


def test_warn_alerts_once_and_again_after_recovery(service, clock, receiver):
    store = MonitorStore(service.journal)
    store.save_settings(validate_rule("latency_p95_ms", "100", "warn"), actor="t", now=clock.now())
    order(service.journal, "slow", latency_ms=200.0)
    monitor = make_monitor(service, (receiver.url,))
    assert monitor.cycle().actions == ("latency_p95_ms",)
    clock.advance(10)
    assert monitor.cycle().actions == ()
    store.save_settings(validate_rule("latency_p95_ms", "1000", "warn"), actor="t", now=clock.now())
    clock.advance(10)
    assert monitor.cycle().actions == ()  # recovered
    store.save_settings(validate_rule("latency_p95_ms", "100", "warn"), actor="t", now=clock.now())
    clock.advance(10)
    assert monitor.cycle().actions == ("latency_p95_ms",)  # a new breach
    assert [p["title"] for p in receiver.wait_for(2)] == ["CRBOT warning: Latency p95"] * 2
    assert service.trading_state().state is TradingState.ACTIVE


def test_a_stop_by_the_operator_and_an_unprotected_position_are_alerted(service, clock, receiver):
    monitor = make_monitor(service, (receiver.url,))
    monitor.cycle()  # the first cycle starts at the newest audit event: no replay of history
    service.journal.audit(actor="exits", action="position_unprotected", detail="BTCUSDT 0.01", reason="SL refused")
    service.stop(reason="manual test", actor="cli:ana")
    clock.advance(10)
    monitor.cycle()
    titles = sorted(p["title"] for p in receiver.wait_for(2))
    assert titles == ["CRBOT STOP: trading HALTED", "CRBOT: position UNPROTECTED"]


def _facts(**changes) -> Facts:
    base = dict(
        now=None, state=TradingState.ACTIVE, equity=Decimal("10000"), day_start_equity=Decimal("10000"),
        peak_equity=Decimal("10000"), error_streak=0, latency_sustained_ms=None, latency_p50_ms=None,
        latency_p95_ms=None, latency_p99_ms=None, latency_count=0, slippage_bps=None, slippage_count=0, rejects=0,
        orders_sent=0, used_weight=None, weight_limit=None, feed_age_s=1.0, stale_process=None, heartbeat_age_s=None,
    )  # fmt: skip
    return Facts(**{**base, **changes})


def test_thresholds_breach_strictly_above_and_daily_loss_at_the_limit():
    rules = rules_from({}, Decimal("200"))
    by = {
        r.name: r
        for r in evaluate(_facts(day_start_equity=Decimal("10200"), used_weight=4801, weight_limit=6000), rules)
    }
    assert (
        by["daily_loss"].breached and by["daily_loss"].action == "halt"
    )  # exactly the limit: breached, as the risk check
    assert by["weight_pct"].breached and "4801 of 6000" in by["weight_pct"].detail
    by = {
        r.name: r
        for r in evaluate(_facts(slippage_bps=10.0, slippage_count=3, used_weight=4800, weight_limit=6000), rules)
    }
    assert by["slippage_bps"].status == "ok" and by["weight_pct"].status == "ok"
    assert by["latency_p95_ms"].status == "no_data"  # no data never acts


def test_every_check_has_a_rule_and_bad_settings_are_refused():
    rules = rules_from(
        {"threshold.latency_p95_ms": "750", "action.latency_p95_ms": "halt", "action.x": "y"}, Decimal("5")
    )
    assert rules["latency_p95_ms"] == Rule(threshold=Decimal("750"), action="halt")
    assert rules["daily_loss"].threshold == Decimal("5")  # the risk limit, one number
    assert set(rules) == {s.name for s in SPECS}
    with pytest.raises(InvalidInput):
        validate_rule("latency_p95_ms", "-1", "warn")
    with pytest.raises(InvalidInput):
        validate_rule("latency_p95_ms", "5", "explode")
    with pytest.raises(InvalidInput):
        validate_rule("nope", "5", "warn")


def test_the_monitors_slippage_is_the_metrics_definition():
    import random

    from crbot import metrics
    from crbot.monitor.facts import slippage_bps

    rng = random.Random(7)
    for _ in range(200):
        side = rng.choice(["BUY", "SELL", "sell"])
        expected = Decimal(str(round(rng.uniform(0.5, 90000), 2)))
        fill = expected * Decimal(str(round(rng.uniform(0.98, 1.02), 5)))
        assert slippage_bps(side, expected, fill) == pytest.approx(metrics.slippage_bps(side, expected, fill), rel=1e-9)
    assert (
        slippage_bps("BUY", Decimal("0"), Decimal("1")) is None
        and slippage_bps("HOLD", Decimal("1"), Decimal("1")) is None
    )


def test_real_paper_fills_feed_latency_and_slippage(service, clock):
    from crbot.domain import OrderRequest, OrderType, Side

    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.01"))
    service.place(req, actor="t")  # the paper exchange fills a MARKET order with its modelled slippage (5 bps)
    store = MonitorStore(service.journal)
    store.save_settings(validate_rule("slippage_bps", "1", "cut"), actor="t", now=clock.now())
    report = make_monitor(service).cycle()
    by = {r.name: r for r in report.results}
    assert by["latency_p50_ms"].status == "ok" and "over 1 orders" in by["latency_p50_ms"].detail
    assert by["slippage_bps"].breached and by["slippage_bps"].value == pytest.approx(5.0, abs=0.5)
    assert service.risk_limits().max_order_notional == Decimal("500")  # cut


def test_heartbeats_older_than_a_week_are_pruned(service, clock):
    store = MonitorStore(service.journal)
    store.beat(process_id="cli:old:1", kind="cli", host="old", pid=1, now=clock.now(), detail="")
    clock.advance(8 * 24 * 3600)
    make_monitor(service).cycle()
    assert [h.process_id for h in store.heartbeats()] == [service.heartbeat.process_id]
