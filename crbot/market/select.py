"""Choose the price feed from the settings: Binance public data, or the seeded synthetic feed.

``auto`` probes Binance once (``/api/v3/ping``, ~1.5 s) and falls back to the synthetic feed, whose
label then says Binance was unreachable, so the trader always knows where prices come from.
Public market data always comes from production Binance (testnet prices are not realistic);
``base_url`` overrides that for tests. Proxies are honoured through the usual HTTPS_PROXY variables.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import requests

from crbot.config import Settings
from crbot.errors import ConfigError
from crbot.exchange.bundled import load_bundled_rules
from crbot.market.binance_public import DEFAULT_BASE_URL, BinancePublicFeed
from crbot.market.feed import PriceFeed
from crbot.market.synthetic import SyntheticFeed

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.5


def make_feed(settings: Settings, *, base_url: str | None = None, probe_timeout: float = PROBE_TIMEOUT) -> PriceFeed:
    """The feed ``settings.price_feed`` asks for: "synthetic", "binance" or "auto" (probe, then fall back)."""
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    choice = settings.price_feed
    if choice == "synthetic":
        return synthetic_feed(settings.synthetic_seed)
    if choice == "binance":
        return BinancePublicFeed(base)
    if choice != "auto":
        raise ConfigError(f"CRBOT_PRICE_FEED={choice!r} is not valid", hint="use auto, binance or synthetic")
    if binance_reachable(base, timeout=probe_timeout):
        logger.info("price feed: Binance public market data at %s", base)
        return BinancePublicFeed(base)
    seed = settings.synthetic_seed
    logger.warning("price feed: Binance public data unreachable at %s; using synthetic prices (seed %d)", base, seed)
    return synthetic_feed(seed, label=f"synthetic (seed {seed}) — Binance public data unreachable")


def synthetic_feed(seed: int, *, label: str | None = None) -> SyntheticFeed:
    """A synthetic feed whose prices sit on the bundled symbols' ticks, as real trades do."""
    ticks = {symbol: rules.tick_size for symbol, rules in load_bundled_rules().items() if rules.tick_size > Decimal(0)}
    return SyntheticFeed(seed, label=label, ticks=ticks)


def binance_reachable(base_url: str, *, timeout: float = PROBE_TIMEOUT) -> bool:
    """True if ``GET {base_url}/api/v3/ping`` answers 200 within ``timeout``; never raises."""
    try:
        response = requests.get(f"{base_url.rstrip('/')}/api/v3/ping", timeout=timeout)
    except requests.RequestException as exc:
        logger.info("Binance ping to %s failed: %s", base_url, type(exc).__name__)
        return False
    return response.status_code == 200
