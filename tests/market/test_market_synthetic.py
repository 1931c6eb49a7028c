"""The synthetic feed: deterministic, realistic in scale, and bars that describe the whole path."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.errors import InvalidInput
from crbot.market.feed import PriceFeed
from crbot.market.synthetic import MAX_BARS, SyntheticFeed

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_is_a_price_feed_with_a_label() -> None:
    feed: PriceFeed = SyntheticFeed(7)
    assert feed.label == "synthetic (seed 7)"
    assert SyntheticFeed().label == "synthetic (seed 42)"
    assert SyntheticFeed(42, label="x").label == "x"


def test_deterministic_across_instances_and_seed_dependent() -> None:
    a, b, c = SyntheticFeed(42), SyntheticFeed(42), SyntheticFeed(43)
    for s in (0, 1, 3600, 86400 * 3):
        assert a.last("BTCUSDT", at(s)) == b.last("BTCUSDT", at(s))
    assert [a.last("ETHUSDT", at(s)) for s in range(10)] != [c.last("ETHUSDT", at(s)) for s in range(10)]


def test_order_of_calls_does_not_matter() -> None:
    a, b = SyntheticFeed(42), SyntheticFeed(42)
    b.last("SOLUSDT", at(5))  # warms up another symbol first
    assert a.last("BNBUSDT", at(100)) == b.last("BNBUSDT", at(100))


@pytest.mark.parametrize(
    ("symbol", "low", "high"),
    [("BTCUSDT", 60000, 120000), ("ETHUSDT", 2000, 4000), ("BNBUSDT", 400, 800), ("SOLUSDT", 100, 200),
     ("DOGEUSDT", Decimal("0.1"), Decimal("0.3"))],
)  # fmt: skip
def test_realistic_levels(symbol: str, low: Decimal, high: Decimal) -> None:
    feed = SyntheticFeed(42)
    for day in range(0, 60, 7):
        assert low < feed.last(symbol, at(day * 86400)) < high


def test_unknown_symbols_get_a_seeded_positive_base() -> None:
    a, b = SyntheticFeed(42), SyntheticFeed(42)
    price = a.last("FOOUSDT", T0)
    assert price > 0 and price == b.last("FOOUSDT", T0)
    assert a.last("BARUSDT", T0) != price


def test_quantisation() -> None:
    feed = SyntheticFeed(42)
    assert feed.last("BTCUSDT", T0).as_tuple().exponent == -2
    doge = feed.last("DOGEUSDT", T0)
    assert len(doge.as_tuple().digits) <= 8 and doge < 1
    on_grid = SyntheticFeed(42, ticks={"DOGEUSDT": Decimal("0.00001000")})
    assert on_grid.last("DOGEUSDT", T0) % Decimal("0.00001") == 0
    assert abs(on_grid.last("DOGEUSDT", T0) - doge) <= Decimal("0.000005")


def test_moves_every_second_a_few_bps() -> None:
    feed = SyntheticFeed(42)
    prices = [feed.last("BTCUSDT", at(s)) for s in range(601)]
    moves = [abs(b / a - 1) * 10000 for a, b in itertools.pairwise(prices)]
    assert sum(1 for m in moves if m > 0) > 550  # it moves nearly every second
    assert max(moves) < 20  # ... by a few bps, never a jump
    assert sorted(moves)[len(moves) // 2] > Decimal("0.3")


def test_about_one_percent_an_hour_and_a_few_percent_a_day() -> None:
    feed = SyntheticFeed(42)
    hour_ranges = []
    for h in range(24):
        bars = feed.bars("ETHUSDT", at(h * 3600), at((h + 1) * 3600))
        hour_ranges.append(max(b.high for b in bars) / min(b.low for b in bars) - 1)
    hour_ranges.sort()
    assert Decimal("0.004") < hour_ranges[12] < Decimal("0.03")
    day = feed.bars("ETHUSDT", T0, at(86400))
    day_range = max(b.high for b in day) / min(b.low for b in day) - 1
    assert Decimal("0.015") < day_range < Decimal("0.15")


def test_a_limit_three_tenths_of_a_percent_away_fills_within_minutes_to_hours() -> None:
    bars = SyntheticFeed(42).bars("BTCUSDT", T0, at(5 * 86400))  # 5000 bars of ~86 s
    waits = []
    for i in range(0, len(bars) // 5 * 4, 250):  # a limit placed every ~6 h over 4 days
        ref = bars[i].close
        later = [b for b in bars[i + 1 :] if b.low <= ref * Decimal("0.997") or b.high >= ref * Decimal("1.003")]
        waits.append((later[0].close_time - bars[i].close_time).total_seconds() if later else float("inf"))
    waits.sort()
    assert waits[0] > 60  # not instantly ...
    assert waits[len(waits) // 2] < 2 * 3600  # ... typically within a couple of hours
    assert sum(w < 12 * 3600 for w in waits) >= len(waits) - 1


def test_short_span_gives_one_point_per_second_ending_at_end() -> None:
    feed = SyntheticFeed(42)
    start, end = at(0.25), at(10.5)
    bars = feed.bars("BTCUSDT", start, end)
    assert [b.close_time for b in bars] == [at(s) for s in range(1, 11)] + [end]
    for b in bars:
        assert b.open_time == b.close_time
        assert b.open == b.high == b.low == b.close == feed.last("BTCUSDT", b.close_time)
    assert feed.bars("BTCUSDT", at(0), at(3))[0].close_time == at(1)  # start excluded, end included
    assert feed.bars("BTCUSDT", at(3), at(3)) == []
    assert feed.bars("BTCUSDT", at(4), at(3)) == []


def test_long_span_is_capped_and_fast_to_catch_up() -> None:
    feed = SyntheticFeed(42)
    end = at(7 * 86400 + 0.5)
    bars = feed.bars("BTCUSDT", T0, end)
    assert MAX_BARS - 1 <= len(bars) <= MAX_BARS
    assert bars[0].open_time == T0 and bars[-1].close_time == end
    assert bars[-1].close == feed.last("BTCUSDT", end)
    for prev, cur in itertools.pairwise(bars):
        assert prev.close_time == cur.open_time
    for b in bars:
        assert b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close)


def test_coarse_bars_bracket_the_fine_path() -> None:
    feed = SyntheticFeed(42)
    coarse = feed.bars("SOLUSDT", T0, at(MAX_BARS * 4))  # 4-second bars sampled every 0.5 s
    assert len(coarse) == MAX_BARS
    for b in coarse[:200]:
        fine = feed.bars("SOLUSDT", b.open_time, b.close_time)  # the whole seconds inside the bar
        assert b.close == fine[-1].close
        assert max(f.high for f in fine) <= b.high <= max(f.high for f in fine) * Decimal("1.0005")
        assert min(f.low for f in fine) >= b.low >= min(f.low for f in fine) * Decimal("0.9995")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidInput):
        SyntheticFeed().last("BTCUSDT", datetime(2026, 1, 1))


@settings(max_examples=25, deadline=None)
@given(
    start=st.floats(min_value=0, max_value=86400 * 30),
    span=st.one_of(st.floats(min_value=0.001, max_value=6000), st.floats(min_value=0.001, max_value=86400 * 10)),
    symbol=st.sampled_from(["BTCUSDT", "XRPUSDT", "SHIBUSDT"]),
)
def test_bars_are_ordered_within_the_span_and_close_at_last_end(start: float, span: float, symbol: str) -> None:
    feed = SyntheticFeed(3)
    begin, end = at(start), at(start + span)
    if end <= begin:
        return
    bars = feed.bars(symbol, begin, end)
    assert 1 <= len(bars) <= MAX_BARS
    assert all(begin < b.close_time <= end for b in bars)
    assert all(a.close_time < b.close_time for a, b in itertools.pairwise(bars))
    assert bars[-1].close_time == end and bars[-1].close == feed.last(symbol, end)
    assert all(b.low > 0 for b in bars)
