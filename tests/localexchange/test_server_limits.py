"""Request weight, 429 then 418, order-rate counters, and the fault switchboard (a manual clock moves time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crbot.clock import ManualClock
from crbot.localexchange.faults import FaultKind, Faults
from crbot.localexchange.limits import RateLimits, RateMeter, Verdict

T0 = datetime(2026, 1, 5, 12, 0, 10, tzinfo=UTC)  # 10 s into a minute


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def test_weight_adds_up_within_a_minute_and_resets_with_the_next(clock: ManualClock) -> None:
    meter = RateMeter(RateLimits(weight_per_minute=50), clock)
    assert meter.charge("1.2.3.4", 20).used_weight == 20
    assert meter.charge("1.2.3.4", 20).used_weight == 40
    assert meter.charge("5.6.7.8", 1).used_weight == 1  # counted per IP
    assert meter.used_weight("1.2.3.4") == 40
    clock.advance(50)  # into the next minute
    assert meter.used_weight("1.2.3.4") == 0
    assert meter.charge("1.2.3.4", 1).used_weight == 1


def test_past_the_limit_429_then_a_caller_that_keeps_going_is_banned_418(clock: ManualClock) -> None:
    meter = RateMeter(RateLimits(weight_per_minute=10, bans_after=2, ban_seconds=120), clock)
    assert meter.charge("ip", 10).verdict is Verdict.OK
    first = meter.charge("ip", 1)
    assert first.verdict is Verdict.LIMITED and first.retry_after == 50  # seconds to the next minute
    assert "current limit is 10 request weight per 1 MINUTE" in first.message
    assert meter.charge("ip", 1).verdict is Verdict.LIMITED
    ban = meter.charge("ip", 1)
    assert ban.verdict is Verdict.BANNED and ban.retry_after == 120 and "IP banned until" in ban.message
    clock.advance(100)  # a new minute, but the ban holds
    still = meter.charge("ip", 1)
    assert still.verdict is Verdict.BANNED and still.retry_after == 20
    clock.advance(20)
    assert meter.charge("ip", 1).verdict is Verdict.OK


def test_a_caller_that_backs_off_after_a_429_is_not_banned(clock: ManualClock) -> None:
    meter = RateMeter(RateLimits(weight_per_minute=10, bans_after=1), clock)
    meter.charge("ip", 10)
    assert meter.charge("ip", 1).verdict is Verdict.LIMITED
    clock.advance(50)  # honoured Retry-After
    assert meter.charge("ip", 1).verdict is Verdict.OK


def test_orders_are_counted_per_ten_seconds_and_per_day(clock: ManualClock) -> None:
    meter = RateMeter(RateLimits(orders_per_10s=3, orders_per_day=5), clock)
    assert meter.add_orders(1) == (1, 1)
    assert meter.add_orders(2) == (3, 3)
    refused = meter.check_orders(1)
    assert refused.verdict is Verdict.LIMITED and "3 orders per 10 SECOND" in refused.message
    clock.advance(10)
    assert meter.check_orders(2).verdict is Verdict.OK
    assert meter.add_orders(2) == (2, 5)
    per_day = meter.check_orders(1)
    assert per_day.verdict is Verdict.LIMITED and "5 orders per 1 DAY" in per_day.message
    assert per_day.retry_after == 12 * 3600 - 20  # until midnight UTC


def test_faults_fire_once_per_arming_on_matching_requests_only() -> None:
    faults = Faults()
    faults.fail_next(2, status=502, path="/api/v3/order", method="POST")
    faults.drop_next(after=True)
    assert faults.pending() == 3
    assert faults.take("GET", "/api/v3/order").kind is FaultKind.DROP  # type: ignore[union-attr]
    assert faults.take("GET", "/api/v3/order") is None
    first = faults.take("POST", "/api/v3/order")
    assert first is not None and first.kind is FaultKind.ERROR and first.status == 502 and not first.after
    assert faults.take("post", "/api/v3/order") is not None
    assert faults.take("POST", "/api/v3/order") is None
    faults.timeout_next()
    faults.latency_ms, faults.skew_ms = 5, -100
    faults.clear()
    assert (faults.pending(), faults.latency_ms, faults.skew_ms) == (0, 0, 0)
    with pytest.raises(ValueError):
        faults.fail_next(status=404)
