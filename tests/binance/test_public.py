"""The public-data client against a local fake: one rate-limit policy (the connector's), shared by its callers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crbot.binance.public import PublicClient
from crbot.binance.retry import DEFAULT_BAN_S, DEFAULT_COOLDOWN_S
from crbot.errors import ConfigError, ConnectivityError, InvalidInput, IpBanned, RateLimited
from crbot.exchange.public import load_rules
from crbot.market.binance_public import BinancePublicFeed
from tests.market.fake_binance import FakeBinance

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def binance() -> Iterator[FakeBinance]:
    with FakeBinance() as fake:
        yield fake


def test_json_answer_and_used_weight(binance: FakeBinance) -> None:
    binance.routes["/api/v3/time"] = lambda q: (200, {"serverTime": 1}, {"X-MBX-USED-WEIGHT-1M": "17"})
    client = PublicClient(binance.base_url)
    assert client.get("/api/v3/time") == {"serverTime": 1}
    assert client.limits.used_weight == 17
    assert client.venue == f"Binance public data ({binance.base_url.removeprefix('http://')})"


@pytest.mark.parametrize(
    ("status", "error", "wait"), [(429, RateLimited, DEFAULT_COOLDOWN_S), (418, IpBanned, DEFAULT_BAN_S)]
)
def test_without_retry_after_the_connectors_defaults_apply(
    binance: FakeBinance, status: int, error: type, wait: float
) -> None:
    binance.routes["/api/v3/ping"] = lambda q: (status, {"code": -1003, "msg": "Too many requests"})
    ticks = Ticks()
    client = PublicClient(binance.base_url, monotonic=ticks)
    with pytest.raises(error) as info:
        client.get("/api/v3/ping")
    assert info.value.retry_after == wait
    ticks.now += wait - 1
    with pytest.raises(error):
        client.get("/api/v3/ping")
    assert len(binance.calls("/api/v3/ping")) == 1  # the gate kept the second call home
    binance.routes["/api/v3/ping"] = lambda q: (200, {})
    ticks.now += 1
    assert client.get("/api/v3/ping") == {}


def test_a_ban_seen_by_the_feed_keeps_the_rules_loader_away(binance: FakeBinance) -> None:
    binance.routes["/api/v3/ticker/price"] = lambda q: (418, {"code": -1003, "msg": "IP banned"}, {"Retry-After": "60"})
    client = PublicClient(binance.base_url)
    with pytest.raises(IpBanned):
        BinancePublicFeed(client=client).last("BTCUSDT", T0)
    with pytest.raises(IpBanned, match="no request was sent"):
        load_rules("binance", symbols=["BTCUSDT"], client=client)
    rules, label = load_rules("auto", symbols=["BTCUSDT"], client=client)
    assert "bundled" in label and "BTCUSDT" in rules
    assert binance.calls("/api/v3/exchangeInfo") == []


def test_malformed_requests_keep_binances_code(binance: FakeBinance) -> None:
    binance.routes["/api/v3/exchangeInfo"] = lambda q: (400, {"code": -1121, "msg": "Invalid symbol."})
    client = PublicClient(binance.base_url)
    with pytest.raises(InvalidInput) as info:
        client.get("/api/v3/exchangeInfo", {"symbol": "NOPE"})
    assert info.value.code == -1121
    with pytest.raises(ConfigError, match="NOPEUSDT"):
        load_rules("binance", symbols=["NOPEUSDT"], client=client)


def test_other_failures_carry_the_callers_hint(binance: FakeBinance) -> None:
    binance.routes["/api/v3/ping"] = lambda q: (503, {"code": -1001, "msg": "Internal error"})
    with pytest.raises(ConnectivityError) as info:
        PublicClient(binance.base_url).get("/api/v3/ping", hint="do this")
    assert "HTTP 503" in info.value.message and info.value.hint == "do this"
    assert not isinstance(info.value, RateLimited)
