"""The ticket's candles and bid/ask: regrouped from the paper feed, asked of the exchange (the real python-binance
Client against the local exchange) and of Binance public data, cached so typing and many tabs cost no weight."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from crbot.clock import ManualClock, to_ms
from crbot.domain import Bar
from crbot.errors import ConnectivityError
from crbot.market.binance_public import BinancePublicFeed
from crbot.market.candles import CANDLE_TTL, INTERVALS, MarketData, bucket_start, group_bars
from crbot.market.feed import ManualFeed
from crbot.market.select import synthetic_feed
from tests.broker.test_binance_local import Rig
from tests.market.fake_binance import FakeBinance

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _point(t: datetime, p: str) -> Bar:
    return Bar(open_time=t, close_time=t, open=D(p), high=D(p), low=D(p), close=D(p))


def test_fine_bars_are_regrouped_into_aligned_candles() -> None:
    points = [_point(T0 + timedelta(seconds=s), p) for s, p in ((5, "10"), (20, "12"), (59, "9"), (61, "11"))]
    bars = group_bars(points, 60)
    assert [b.open_time for b in bars] == [T0, T0 + timedelta(minutes=1)]
    first = bars[0]
    assert (first.open, first.high, first.low, first.close) == (D("10"), D("12"), D("9"), D("9"))
    assert bars[1].open == bars[1].close == D("11")


@pytest.mark.parametrize("interval", sorted(INTERVALS))
def test_the_paper_broker_draws_candles_from_its_synthetic_feed(interval: str, runtime) -> None:
    from crbot.broker.paper import PaperBroker

    base = runtime.broker
    now = T0 + timedelta(seconds=90)  # inside a candle, not on its edge
    clock = ManualClock(now)
    feed = synthetic_feed(7)
    broker = PaperBroker(base.engine, feed=feed, clock=clock, rules=base.rules(), commissions=base._commissions)
    bars = broker.klines("BTCUSDT", interval, 120)
    step = timedelta(seconds=INTERVALS[interval])
    assert 100 <= len(bars) <= 120
    assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in bars)
    assert all(later.open_time - earlier.open_time == step for earlier, later in itertools.pairwise(bars))
    assert bars[-1].close_time == now and bars[-1].open_time == bucket_start(now, INTERVALS[interval])
    assert bars[-1].close == feed.last("BTCUSDT", now)  # the path the paper exchange fills against
    assert bars[-2].close == feed.last("BTCUSDT", bars[-1].open_time) == bars[-1].open
    assert broker.book("BTCUSDT") is None  # a synthetic feed has no order book: nothing is invented


class CountingBroker:
    def __init__(self, bars: list[Bar]) -> None:
        self.bars, self.calls = bars, Counter()

    def klines(self, symbol: str, interval: str, limit: int) -> list[Bar]:
        self.calls["klines"] += 1
        return self.bars

    def book(self, symbol: str) -> tuple[D, D]:
        self.calls["book"] += 1
        return D("99.9"), D("100.1")


def test_market_data_is_cached_and_fetch_false_never_asks() -> None:
    clock = ManualClock(T0)
    broker = CountingBroker([_point(T0, "100")])
    market = MarketData(broker=lambda: broker, clock=clock)
    assert market.candles("BTCUSDT", "1m", fetch=False) is None  # nothing cached: no request either
    assert market.quote("BTCUSDT", fetch=False) is None
    assert broker.calls == Counter()
    for _ in range(20):  # twenty tabs or keystrokes inside the TTL: one request
        assert market.candles("BTCUSDT", "1m").bars[0].close == D("100")
        assert market.quote("BTCUSDT").spread == D("0.2")
    assert broker.calls == Counter(klines=1, book=1)
    clock.advance(CANDLE_TTL["1m"].total_seconds() + 1)
    market.candles("BTCUSDT", "1m", fetch=False)  # a redraw while typing serves the stale bars
    assert broker.calls["klines"] == 1
    market.candles("BTCUSDT", "1m")
    assert broker.calls["klines"] == 2


def test_a_failed_refresh_keeps_the_last_bars_and_says_why() -> None:
    clock = ManualClock(T0)
    broker = CountingBroker([_point(T0, "100")])
    market = MarketData(broker=lambda: broker, clock=clock)
    market.candles("BTCUSDT", "5m")

    def down(*args: object) -> list[Bar]:
        raise ConnectivityError("exchange unreachable", hint="retry")

    broker.klines = down  # type: ignore[method-assign]
    clock.advance(600)
    candles = market.candles("BTCUSDT", "5m")
    assert candles is not None and len(candles.bars) == 1 and "unreachable" in (candles.error or "")


def test_a_venue_without_candles_says_so() -> None:
    market = MarketData(broker=lambda: object(), clock=ManualClock(T0))
    candles = market.candles("BTCUSDT", "1h")
    assert candles is not None and candles.bars == () and candles.error
    assert market.quote("BTCUSDT") is None and not market.available()


def test_binance_broker_asks_klines_and_book_ticker_of_the_exchange(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    feed = ManualFeed({"BTCUSDT": D("50000")})
    for minute in range(30):
        feed.move("BTCUSDT", D("50000") + minute, T0 - timedelta(minutes=30 - minute))
    rig = Rig(tmp_path, clock, feed)
    try:
        broker = rig.broker()
        bars = broker.klines("BTCUSDT", "1m", 120)
        bid, ask = broker.book("BTCUSDT")
        assert bars and bars[-1].close == D("50029")
        assert bid == ask == D("50029")  # the local exchange quotes its last price on both sides
        assert rig.calls("GET", "/api/v3/klines") == 1 and rig.calls("GET", "/api/v3/ticker/bookTicker") == 1
    finally:
        rig.exchange.stop()


def test_binance_public_feed_klines_and_book() -> None:
    fake = FakeBinance()
    open_ms = to_ms(T0)
    row = [open_ms, "100.0", "101.5", "99.5", "101.0", "3", open_ms + 59_999, "0", 1, "0", "0", "0"]
    fake.routes["/api/v3/klines"] = lambda q: (200, [row])
    book = {"symbol": "BTCUSDT", "bidPrice": "100.9", "askPrice": "101.1"}
    fake.routes["/api/v3/ticker/bookTicker"] = lambda q: (200, book)
    with fake:
        feed = BinancePublicFeed(fake.base_url)
        bars = feed.klines("BTCUSDT", "1m", 120)
        assert (bars[0].open, bars[0].high, bars[0].low, bars[0].close) == (
            D("100.0"),
            D("101.5"),
            D("99.5"),
            D("101.0"),
        )
        assert feed.book("BTCUSDT") == (D("100.9"), D("101.1"))
        assert fake.calls("/api/v3/klines") == [{"symbol": "BTCUSDT", "interval": "1m", "limit": "120"}]


def test_tabs_refreshing_at_once_share_one_request() -> None:
    release, entered = threading.Event(), threading.Semaphore(0)

    class Clock(ManualClock):
        def now(self):  # every caller asks the time first: the test knows when all five are in
            entered.release()
            return super().now()

    class Slow(CountingBroker):
        def klines(self, symbol: str, interval: str, limit: int) -> list[Bar]:
            release.wait(timeout=30)
            return super().klines(symbol, interval, limit)

    broker = Slow([_point(T0, "100")])
    market = MarketData(broker=lambda: broker, clock=Clock(T0))
    threads = [threading.Thread(target=market.candles, args=("BTCUSDT", "1m")) for _ in range(5)]
    for t in threads:
        t.start()
    for _ in threads:
        assert entered.acquire(timeout=30)
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert broker.calls["klines"] == 1
