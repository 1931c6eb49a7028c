"""Binance public feed against a local fake: prices, caching, klines paging, and every failure typed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crbot.clock import to_ms
from crbot.errors import ConnectivityError, InvalidInput, IpBanned, RateLimited
from crbot.market.binance_public import KLINE_LIMIT, MAX_BARS, BinancePublicFeed, interval_for
from crbot.market.feed import PriceFeed
from tests.market.fake_binance import FakeBinance, closed_port_url

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
STEPS = {"1m": 60_000, "3m": 180_000, "1h": 3_600_000}


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fake_klines(query: dict[str, str]) -> tuple[int, object]:
    """Klines like Binance: open times on the interval grid, startTime <= open <= endTime, limit rows."""
    step = STEPS[query["interval"]]
    start, end, limit = int(query["startTime"]), int(query["endTime"]), int(query["limit"])
    first = -(-start // step) * step
    rows = []
    for open_ms in range(first, end + 1, step):
        if len(rows) == limit:
            break
        base = Decimal(90000) + Decimal(open_ms // step % 100)
        rows.append([open_ms, str(base), str(base + 5), str(base - 5), str(base + 1), "1.0", open_ms + step - 1,
                     "90000.0", 10, "0.5", "45000.0", "0"])  # fmt: skip
    return 200, rows


@pytest.fixture
def binance() -> Iterator[FakeBinance]:
    with FakeBinance() as fake:
        fake.routes["/api/v3/ticker/price"] = lambda q: (200, {"symbol": q["symbol"], "price": "91234.56000000"})
        fake.routes["/api/v3/klines"] = fake_klines
        yield fake


def test_is_a_price_feed_labelled_with_the_host(binance: FakeBinance) -> None:
    feed: PriceFeed = BinancePublicFeed(binance.base_url)
    assert feed.label == f"Binance public market data ({binance.base_url.removeprefix('http://')})"
    assert BinancePublicFeed().label == "Binance public market data (api.binance.com)"


def test_last_price_is_decimal_and_cached_about_a_second(binance: FakeBinance) -> None:
    ticks = Ticks()
    feed = BinancePublicFeed(binance.base_url, monotonic=ticks)
    assert feed.last("BTCUSDT", T0) == Decimal("91234.56")
    ticks.now += 0.5
    feed.last("BTCUSDT", T0)
    assert len(binance.calls("/api/v3/ticker/price")) == 1
    feed.last("ETHUSDT", T0)  # per symbol
    assert len(binance.calls("/api/v3/ticker/price")) == 2
    ticks.now += 0.6
    feed.last("BTCUSDT", T0)
    assert binance.calls("/api/v3/ticker/price")[-1] == {"symbol": "BTCUSDT"}
    assert len(binance.calls("/api/v3/ticker/price")) == 3


def test_concurrent_sessions_share_one_request(binance: FakeBinance) -> None:
    gate = threading.Event()

    def slow(q: dict[str, str]) -> tuple[int, object]:
        gate.wait(5)
        return 200, {"symbol": q["symbol"], "price": "1.5"}

    binance.routes["/api/v3/ticker/price"] = slow
    feed = BinancePublicFeed(binance.base_url, monotonic=Ticks())  # a late thread still finds the answer fresh
    results: list[Decimal] = []
    threads = [threading.Thread(target=lambda: results.append(feed.last("XRPUSDT", T0))) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert results == [Decimal("1.5")] * 8
    assert len(binance.calls("/api/v3/ticker/price")) == 1


def test_prices_fetches_many_symbols_in_one_call(binance: FakeBinance) -> None:
    binance.routes["/api/v3/ticker/price"] = lambda q: (
        200, [{"symbol": "BTCUSDT", "price": "90000.00"}, {"symbol": "ETHUSDT", "price": "3000.10"}]
    )  # fmt: skip
    feed = BinancePublicFeed(binance.base_url, monotonic=Ticks())
    assert feed.prices(["BTCUSDT", "ETHUSDT"]) == {"BTCUSDT": Decimal("90000.00"), "ETHUSDT": Decimal("3000.10")}
    assert binance.calls("/api/v3/ticker/price") == [{"symbols": '["BTCUSDT","ETHUSDT"]'}]
    assert feed.last("ETHUSDT", T0) == Decimal("3000.10")  # served from the cache
    assert len(binance.calls("/api/v3/ticker/price")) == 1


def test_unreachable_is_a_connectivity_error() -> None:
    feed = BinancePublicFeed(closed_port_url(), timeout=1.0)
    with pytest.raises(ConnectivityError) as info:
        feed.last("BTCUSDT", T0)
    assert "unreachable" in info.value.message and "synthetic" in info.value.hint
    with pytest.raises(ConnectivityError):
        feed.bars("BTCUSDT", T0, T0 + timedelta(minutes=5))


@pytest.mark.parametrize(
    "reply",
    [(500, {"code": -1000, "msg": "An unknown error occured"}), (200, "<html>"), (200, {"symbol": "BTCUSDT"}),
     (200, {"price": "NaN"}), (200, {"price": "-1"})],
)  # fmt: skip
def test_bad_answers_are_connectivity_errors(binance: FakeBinance, reply: tuple[int, object]) -> None:
    binance.routes["/api/v3/ticker/price"] = lambda q: reply
    with pytest.raises(ConnectivityError):
        BinancePublicFeed(binance.base_url).last("BTCUSDT", T0)


def test_unknown_symbol_is_invalid_input(binance: FakeBinance) -> None:
    binance.routes["/api/v3/ticker/price"] = lambda q: (400, {"code": -1121, "msg": "Invalid symbol."})
    with pytest.raises(InvalidInput) as info:
        BinancePublicFeed(binance.base_url).last("NOPEUSDT", T0)
    assert info.value.code == -1121 and "NOPEUSDT" in info.value.message


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (418, IpBanned)])
def test_rate_limits_are_honoured_without_calling_again(binance: FakeBinance, status: int, error: type) -> None:
    binance.routes["/api/v3/ticker/price"] = lambda q: (status, {"code": -1003, "msg": "Too many requests"},
                                                        {"Retry-After": "30"})  # fmt: skip
    ticks = Ticks()
    feed = BinancePublicFeed(binance.base_url, monotonic=ticks)
    with pytest.raises(error) as info:
        feed.last("BTCUSDT", T0)
    assert info.value.retry_after == 30
    ticks.now += 10
    with pytest.raises(RateLimited) as info:
        feed.last("BTCUSDT", T0)
    assert info.value.retry_after == pytest.approx(20)
    assert len(binance.calls("/api/v3/ticker/price")) == 1  # the second call never left the process
    binance.routes["/api/v3/ticker/price"] = lambda q: (200, {"symbol": "BTCUSDT", "price": "1"})
    ticks.now += 21
    assert feed.last("BTCUSDT", T0) == 1


def test_bars_are_one_minute_klines_covering_the_span(binance: FakeBinance) -> None:
    feed = BinancePublicFeed(binance.base_url)
    start, end = T0 + timedelta(seconds=30), T0 + timedelta(minutes=5, seconds=10)
    bars = feed.bars("BTCUSDT", start, end)
    assert [b.open_time for b in bars] == [T0 + timedelta(minutes=m) for m in range(6)]  # 12:00 (holds start) .. 12:05
    assert bars[-1].close_time == end  # the kline in progress is clamped
    assert bars[0].close_time == T0 + timedelta(seconds=59.999)
    assert all(b.low < b.open < b.close < b.high for b in bars)
    assert isinstance(bars[0].high, Decimal)
    (query,) = binance.calls("/api/v3/klines")
    assert query["interval"] == "1m" and query["limit"] == "1000" and query["symbol"] == "BTCUSDT"
    assert int(query["startTime"]) == to_ms(start) - 60_000 + 1 and int(query["endTime"]) == to_ms(end)
    assert feed.bars("BTCUSDT", end, end) == []


def test_bars_page_through_more_than_a_thousand_klines(binance: FakeBinance) -> None:
    feed = BinancePublicFeed(binance.base_url)
    end = T0 + timedelta(minutes=2500)
    bars = feed.bars("BTCUSDT", T0, end)
    assert len(bars) == 2501  # the kline holding T0 (opened at T0) through the one opened at ``end``
    assert [b.open_time for b in bars] == [T0 + timedelta(minutes=m) for m in range(2501)]
    assert len(binance.calls("/api/v3/klines")) == 3


def test_long_spans_use_coarser_klines_and_stay_capped(binance: FakeBinance) -> None:
    assert interval_for(3600) == ("1m", 60)
    assert interval_for(7 * 86400) == ("3m", 180)
    assert interval_for(100 * 86400) == ("30m", 1800)
    assert interval_for(200 * 86400) == ("1h", 3600)
    bars = BinancePublicFeed(binance.base_url).bars("BTCUSDT", T0, T0 + timedelta(days=7))
    assert len(bars) <= MAX_BARS
    assert {q["interval"] for q in binance.calls("/api/v3/klines")} == {"3m"}
    assert len(binance.calls("/api/v3/klines")) == -(-len(bars) // KLINE_LIMIT)


def test_malformed_klines_are_connectivity_errors(binance: FakeBinance) -> None:
    binance.routes["/api/v3/klines"] = lambda q: (200, [[1, "x"]])
    with pytest.raises(ConnectivityError):
        BinancePublicFeed(binance.base_url).bars("BTCUSDT", T0, T0 + timedelta(minutes=1))
