"""Choose the price feed from the settings: Binance public data, or the seeded synthetic feed.

``auto`` probes Binance once (``/api/v3/ping``, ~1.5 s) and falls back to the synthetic feed, whose
label then says Binance was unreachable, so the trader always knows where prices come from.
Public market data always comes from production Binance (testnet prices are not realistic);
``base_url`` overrides that for tests. Proxies are honoured through the usual HTTPS_PROXY variables.
The probe and the feed use one crbot.binance.public.PublicClient (pass ``client`` to share it further).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from crbot.binance.public import PublicClient
from crbot.config import Settings
from crbot.errors import ConfigError, CrbotError
from crbot.exchange.bundled import load_bundled_rules
from crbot.market.binance_public import BinancePublicFeed
from crbot.market.feed import PriceFeed
from crbot.market.synthetic import SyntheticFeed

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.5


def make_feed(
    settings: Settings,
    *,
    base_url: str | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
    client: PublicClient | None = None,
) -> PriceFeed:
    """The feed ``settings.price_feed`` asks for: "synthetic", "binance" or "auto" (probe, then fall back).
    ``client`` (else one for ``base_url``) is the feed's, so the rules loader can share it."""
    choice = settings.price_feed
    if choice == "synthetic":
        return synthetic_feed(settings.synthetic_seed)
    if choice not in ("auto", "binance"):
        raise ConfigError(f"CRBOT_PRICE_FEED={choice!r} is not valid", hint="use auto, binance or synthetic")
    client = client or PublicClient(base_url or "")
    if choice == "binance":
        return BinancePublicFeed(client=client)
    if binance_reachable(client, timeout=probe_timeout):
        logger.info("price feed: Binance public market data at %s", client.base_url)
        return BinancePublicFeed(client=client)
    seed = settings.synthetic_seed
    logger.warning(
        "price feed: Binance public data unreachable at %s; using synthetic prices (seed %d)", client.base_url, seed
    )
    return synthetic_feed(seed, label=f"synthetic (seed {seed}) — Binance public data unreachable")


def synthetic_feed(seed: int, *, label: str | None = None) -> SyntheticFeed:
    """A synthetic feed whose prices sit on the bundled symbols' ticks, as real trades do."""
    ticks = {symbol: rules.tick_size for symbol, rules in load_bundled_rules().items() if rules.tick_size > Decimal(0)}
    return SyntheticFeed(seed, label=label, ticks=ticks)


def binance_reachable(target: str | PublicClient, *, timeout: float = PROBE_TIMEOUT) -> bool:
    """True if ``GET /api/v3/ping`` answers 200 within ``timeout``; never raises (a 429/418 is remembered
    by the client, so the feed built on it will not call before the ban ends either)."""
    client = target if isinstance(target, PublicClient) else PublicClient(target)
    try:
        client.get("/api/v3/ping", timeout=timeout)
    except CrbotError as exc:
        logger.info("Binance ping to %s failed: %s", client.base_url, exc)
        return False
    return True
