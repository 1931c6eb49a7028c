"""Retry only what may succeed next time; keep every thread away during a ban or a 429 cool-down."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from crbot.binance.retry import RateState, RetryPolicy, is_transient
from crbot.clock import ManualClock
from crbot.errors import (
    AuthError,
    ConnectivityError,
    InsufficientBalance,
    IpBanned,
    OrderNotFound,
    OutcomeUnknown,
    RateLimited,
)

POLICY = RetryPolicy(attempts=4, base_delay=0.5, max_delay=3.0, max_wait=10.0)


def test_only_connectivity_trouble_is_transient() -> None:
    assert is_transient(ConnectivityError("down"))
    assert is_transient(RateLimited("slow down", retry_after=1))
    assert not is_transient(IpBanned("banned", retry_after=60))
    assert not is_transient(OutcomeUnknown("?", client_order_id="c"))
    assert not is_transient(AuthError("bad key"))
    assert not is_transient(OrderNotFound("gone"))
    assert not is_transient(InsufficientBalance("poor"))


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    err = ConnectivityError("down")
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 3.0]):
        delays = {POLICY.delay(attempt, err, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)  # type: ignore[operator]
        assert len(delays) > 1  # jittered
    assert POLICY.delay(4, err, rng) is None  # attempts exhausted


def test_no_retry_for_permanent_failures() -> None:
    rng = random.Random(1)
    for err in (AuthError("k"), OutcomeUnknown("?", client_order_id="c"), IpBanned("b", retry_after=1)):
        assert POLICY.delay(0, err, rng) is None


def test_retry_after_is_honoured_up_to_max_wait() -> None:
    rng = random.Random(1)
    assert POLICY.delay(0, RateLimited("429", retry_after=7), rng) == 7
    assert POLICY.delay(0, RateLimited("429", retry_after=61), rng) is None


def test_ban_gate_blocks_until_the_ban_ends() -> None:
    clock = ManualClock()
    state = RateState(clock)
    state.gate("Binance testnet (h)")  # nothing yet
    state.observe_error(IpBanned("banned", retry_after=120))
    assert state.banned_until == clock.now() + timedelta(seconds=120)
    clock.advance(119)
    with pytest.raises(IpBanned) as caught:
        state.gate("Binance testnet (h)")
    assert caught.value.retry_after == pytest.approx(1) and "no request was sent" in caught.value.message
    clock.advance(1)
    state.gate("Binance testnet (h)")
    assert state.banned_until is None


def test_a_shorter_ban_never_shortens_a_longer_one() -> None:
    clock = ManualClock()
    state = RateState(clock)
    state.observe_error(IpBanned("banned", retry_after=300))
    state.observe_error(IpBanned("banned", retry_after=10))
    assert state.banned_until == clock.now() + timedelta(seconds=300)


def test_cool_down_after_429() -> None:
    clock = ManualClock()
    state = RateState(clock)
    state.observe_error(RateLimited("429", retry_after=5))
    with pytest.raises(RateLimited) as caught:
        state.gate("v")
    assert not isinstance(caught.value, IpBanned)
    clock.advance(5)
    state.gate("v")


def test_weight_header() -> None:
    state = RateState(ManualClock(), weight_limit=1200)
    assert state.used_weight is None
    state.observe_headers({"X-MBX-USED-WEIGHT-1M": "42"})
    assert state.used_weight == 42
    state.observe_headers({"Content-Type": "application/json"})
    state.observe_headers(None)
    assert state.used_weight == 42
    assert state.weight_limit == 1200


def test_weight_answers_arriving_out_of_order_do_not_lower_it_within_a_minute() -> None:
    clock = ManualClock()
    state = RateState(clock)
    clock.set(clock.now().replace(second=10))
    state.observe_headers({"X-MBX-USED-WEIGHT-1M": "9"})
    state.observe_headers({"X-MBX-USED-WEIGHT-1M": "7"})
    assert state.used_weight == 9
    clock.advance(60)  # a new minute: Binance reset the count
    state.observe_headers({"X-MBX-USED-WEIGHT-1M": "2"})
    assert state.used_weight == 2
