"""Each automatic kill trigger engages the latched STOP with its numbers as the reason, and nothing re-arms."""

from __future__ import annotations

from decimal import Decimal

from crbot.domain import TradingState
from crbot.monitor.cycle import ACTOR, EXIT_HALTED
from tests.monitor.conftest import make_monitor
from tests.monitor.helpers import audit_reasons, day_start, order


def _limits(service, **changes):
    service.save_risk_limits(service.risk_limits().with_changes(**changes), actor="t", reason="test")


def _assert_halted_by_monitor(service, *needles: str) -> str:
    record = service.trading_state()
    assert record.state is TradingState.HALTED
    assert record.actor == ACTOR
    for needle in needles:
        assert needle in record.reason, record.reason
    assert any(all(n in r for n in needles) for r in audit_reasons(service.journal))  # the audit log has the numbers
    return record.reason


def _stays_halted(service, monitor, clock) -> None:
    for _ in range(3):
        clock.advance(30)
        report = monitor.cycle()
        assert report.state is TradingState.HALTED
    assert service.trading_state().state is TradingState.HALTED


def test_daily_loss_halts_with_the_numbers_and_does_not_re_arm(service, clock, receiver):
    service.journal.snapshot_equity(Decimal("10350"), at=day_start(clock))  # paper equity is 10000 now
    monitor = make_monitor(service, (receiver.url,))
    report = monitor.cycle()
    assert report.halted_now and report.exit_code == EXIT_HALTED
    _assert_halted_by_monitor(service, "Daily loss", "loss 350.00 USDT", "day start 10350.00", "≥ 200 USDT")
    posts = receiver.wait_for(1)
    assert posts[0]["title"] == "CRBOT HALTED automatically" and "loss 350.00 USDT" in posts[0]["message"]
    _limits(service, daily_loss_limit="1000")  # no longer breached: still nothing resumes
    _stays_halted(service, monitor, clock)
    assert len([r for r in audit_reasons(service.journal) if "automatic kill" in r]) == 1


def test_drawdown_from_peak_halts(service, clock):
    _limits(service, daily_loss_limit="100000")
    service.journal.snapshot_equity(Decimal("12500"), at=clock.now())
    monitor = make_monitor(service)
    monitor.cycle()
    _assert_halted_by_monitor(service, "Drawdown from peak", "20.00 % below the peak 12500", "> 10 %")
    _stays_halted(service, monitor, clock)


def test_error_streak_halts(service, clock):
    order(service.journal, "ok-1")
    for i in range(5):
        clock.advance(1)
        order(service.journal, f"bad-{i}", status="REJECTED")
    monitor = make_monitor(service)
    monitor.cycle()
    _assert_halted_by_monitor(service, "Consecutive errors", "5 error(s) in a row", "> 4 errors")
    _stays_halted(service, monitor, clock)


def test_four_errors_then_a_success_do_not_halt(service, clock):
    for i in range(4):
        clock.advance(1)
        order(service.journal, f"bad-{i}", status="REJECTED")
    clock.advance(1)
    order(service.journal, "ok-1")
    report = make_monitor(service).cycle()
    assert report.state is TradingState.ACTIVE and not report.halted_now


def test_sustained_latency_halts(service, clock):
    for i in range(6):
        clock.advance(1)
        order(service.journal, f"slow-{i}", latency_ms=2500.0 + i)
    monitor = make_monitor(service)
    monitor.cycle()
    _assert_halted_by_monitor(service, "Sustained latency", "median 2502 ms", "> 2000 ms")
    _stays_halted(service, monitor, clock)


def test_stale_price_feed_halts(runtime, clock, feed):
    service = runtime.service
    monitor = make_monitor(service)
    assert monitor.cycle().state is TradingState.ACTIVE  # prices read: fresh
    feed._initial.clear()  # the feed goes silent: every price read fails from now on
    clock.advance(61)
    monitor.cycle()
    _assert_halted_by_monitor(service, "Price feed age", "prices last read 61 s ago", "> 60 s")
    _stays_halted(service, monitor, clock)


def test_a_resume_is_an_operator_act_and_restarts_the_drawdown_peak(service, clock):
    _limits(service, daily_loss_limit="100000")
    service.journal.snapshot_equity(Decimal("12500"), at=clock.now())
    monitor = make_monitor(service)
    monitor.cycle()
    assert service.trading_state().state is TradingState.HALTED
    clock.advance(5)
    service.resume(confirmation="RESUME", actor="operator", reason="checked")
    clock.advance(5)
    report = monitor.cycle()  # the peak now counts from the resume: 10000, no drawdown
    assert report.state is TradingState.ACTIVE and not report.halted_now


def test_an_unrealised_loss_halts_within_one_cycle(runtime, clock, feed):
    from crbot.domain import OrderRequest, OrderType, Side

    service = runtime.service
    _limits(service, max_order_notional="6000", max_position_notional="6000", max_total_exposure="6000")
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.1"))
    service.place(req, actor="t")  # the day's first order marks the day start: 10,000 USDT
    monitor = make_monitor(service)
    assert monitor.cycle().state is TradingState.ACTIVE
    clock.advance(1)
    feed.move("BTCUSDT", "47000", clock.now())  # -6 %: 0.1 BTC held loses ~300 USDT, not sold (unrealised)
    clock.advance(10)
    report = monitor.cycle()  # the next cycle values the account afresh
    assert report.halted_now
    reason = _assert_halted_by_monitor(service, "Daily loss", "day start 10000.00", "≥ 200 USDT")
    assert "loss 3" in reason  # ~300 USDT plus the fee and modelled slippage of the buy
