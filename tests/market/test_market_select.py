"""Feed selection: synthetic / binance / auto (probe a local fake or a closed port; never the internet)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crbot.config import Settings
from crbot.errors import ConfigError
from crbot.market.binance_public import BinancePublicFeed
from crbot.market.select import binance_reachable, make_feed
from crbot.market.synthetic import SyntheticFeed
from tests.market.fake_binance import FakeBinance, closed_port_url

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def settings_for(tmp_path: object, feed: str, seed: str = "42") -> Settings:
    env = {"CRBOT_HOME": str(tmp_path), "CRBOT_PRICE_FEED": feed, "CRBOT_SYNTHETIC_SEED": seed, "CRBOT_ACTOR": "t"}
    return Settings.load(env, dotenv=False)


@pytest.fixture
def binance() -> Iterator[FakeBinance]:
    with FakeBinance() as fake:
        yield fake


def test_synthetic_uses_the_seed_and_the_exchange_ticks(tmp_path: object) -> None:
    feed = make_feed(settings_for(tmp_path, "synthetic", seed="7"), base_url=closed_port_url())
    assert isinstance(feed, SyntheticFeed)
    assert feed.label == "synthetic (seed 7)"
    assert feed.last("DOGEUSDT", T0) % Decimal("0.00001") == 0  # DOGEUSDT's tick
    assert feed.last("BTCUSDT", T0) == SyntheticFeed(7).last("BTCUSDT", T0)  # 0.01 tick: same as the default


def test_binance_does_not_probe(tmp_path: object) -> None:
    url = closed_port_url()
    feed = make_feed(settings_for(tmp_path, "binance"), base_url=url)
    assert isinstance(feed, BinancePublicFeed) and feed.base_url == url


def test_auto_uses_binance_when_ping_answers(tmp_path: object, binance: FakeBinance) -> None:
    feed = make_feed(settings_for(tmp_path, "auto"), base_url=binance.base_url)
    assert isinstance(feed, BinancePublicFeed)
    assert len(binance.calls("/api/v3/ping")) == 1


def test_auto_falls_back_to_synthetic_when_unreachable(tmp_path: object) -> None:
    feed = make_feed(settings_for(tmp_path, "auto", seed="42"), base_url=closed_port_url())
    assert isinstance(feed, SyntheticFeed)
    assert feed.label == "synthetic (seed 42) — Binance public data unreachable"


def test_auto_falls_back_when_ping_fails(tmp_path: object, binance: FakeBinance) -> None:
    binance.routes["/api/v3/ping"] = lambda q: (503, {})
    assert isinstance(make_feed(settings_for(tmp_path, "auto"), base_url=binance.base_url), SyntheticFeed)


def test_probe_never_raises() -> None:
    assert binance_reachable(closed_port_url(), timeout=0.5) is False
    assert binance_reachable("http://[bad", timeout=0.5) is False


def test_unknown_feed_is_a_config_error(tmp_path: object) -> None:
    bad = replace(settings_for(tmp_path, "synthetic"), price_feed="bloomberg")
    with pytest.raises(ConfigError):
        make_feed(bad)
