"""Binance public market data (no API key): last prices and 1-minute klines over REST.

One instance is shared by every Streamlit session, so it is thread-safe: the price cache has a lock,
and each symbol has its own fetch lock so concurrent callers share one request. Any transport
failure becomes ``ConnectivityError``; 429/418 become ``RateLimited``/``IpBanned`` and no further
call is made until ``Retry-After`` has passed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import requests

from crbot.clock import from_ms, to_ms
from crbot.domain import Bar
from crbot.errors import ConnectivityError, InvalidInput, IpBanned, RateLimited

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.binance.com"
KLINE_LIMIT = 1000  # Binance's maximum per request
MAX_BARS = 5000  # longer spans use a coarser interval, as the synthetic feed does
INTERVALS = (("1m", 60), ("3m", 180), ("5m", 300), ("15m", 900), ("30m", 1800), ("1h", 3600), ("2h", 7200),
             ("4h", 14400), ("6h", 21600), ("8h", 28800), ("12h", 43200), ("1d", 86400), ("3d", 259200))  # fmt: skip
OFFLINE_HINT = "prices resume when Binance answers again; set CRBOT_PRICE_FEED=synthetic to work offline"


def interval_for(span_seconds: float) -> tuple[str, int]:
    """The finest kline interval that covers ``span_seconds`` in at most MAX_BARS bars."""
    for name, seconds in INTERVALS:
        if span_seconds / seconds + 2 <= MAX_BARS:  # +2: partial klines at both ends
            return name, seconds
    return INTERVALS[-1]


class BinancePublicFeed:
    """``PriceFeed`` over ``/api/v3/ticker/price`` (cached ~1 s per symbol) and ``/api/v3/klines``."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 3.0,
        session: requests.Session | None = None,
        *,
        cache_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.label = f"Binance public market data ({urlsplit(self.base_url).netloc or self.base_url})"
        self._timeout = timeout
        self._session = session or requests.Session()
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Decimal, float]] = {}  # symbol -> (price, monotonic fetch time)
        self._fetching: dict[str, threading.Lock] = {}
        self._blocked_until = 0.0  # monotonic; set by 429/418

    # --- prices -----------------------------------------------------------------------------

    def last(self, symbol: str, at: datetime) -> Decimal:
        """The latest traded price (``at`` is ignored: a live feed only knows now)."""
        cached = self._cached(symbol)
        if cached is not None:
            return cached
        with self._symbol_lock(symbol):
            cached = self._cached(symbol)  # another thread may have fetched it meanwhile
            if cached is not None:
                return cached
            body = self._get("/api/v3/ticker/price", {"symbol": symbol})
            price = self._price(body, symbol)
            self._store({symbol: price})
            return price

    def prices(self, symbols: Iterable[str]) -> dict[str, Decimal]:
        """Latest prices of several symbols in one request (weight 4), refreshing the cache."""
        wanted = list(dict.fromkeys(symbols))
        if not wanted:
            return {}
        body = self._get("/api/v3/ticker/price", {"symbols": '["' + '","'.join(wanted) + '"]'})
        if not isinstance(body, list):
            raise self._malformed("/api/v3/ticker/price", "expected a list")
        found = {item.get("symbol"): self._price(item, str(item.get("symbol"))) for item in body}
        self._store(found)
        return {s: found[s] for s in wanted if s in found}

    def _cached(self, symbol: str) -> Decimal | None:
        with self._lock:
            hit = self._cache.get(symbol)
        if hit is not None and self._monotonic() - hit[1] < self._cache_seconds:
            return hit[0]
        return None

    def _store(self, prices: dict[str, Decimal]) -> None:
        now = self._monotonic()
        with self._lock:
            for symbol, price in prices.items():
                self._cache[symbol] = (price, now)

    def _symbol_lock(self, symbol: str) -> threading.Lock:
        with self._lock:
            return self._fetching.setdefault(symbol, threading.Lock())

    def _price(self, body: Any, symbol: str) -> Decimal:
        try:
            price = Decimal(body["price"])
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise self._malformed("/api/v3/ticker/price", f"no price for {symbol}") from exc
        if not price.is_finite() or price <= 0:
            raise self._malformed("/api/v3/ticker/price", f"price {price} for {symbol}")
        return price

    # --- bars -------------------------------------------------------------------------------

    def bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
        """Klines covering (start, end], oldest first, at most MAX_BARS (1m, coarser for long spans).

        The kline in progress at ``start`` is included (its high/low may predate ``start``: klines
        are the finest history Binance gives); close times are clamped to ``end``.
        """
        span = (end - start).total_seconds()
        if span <= 0:
            return []
        interval, seconds = interval_for(span)
        step_ms = seconds * 1000
        end_ms = to_ms(end)
        cursor = to_ms(start) - step_ms + 1  # the kline open at ``start`` too
        rows: list[list[Any]] = []
        for _ in range(math.ceil(MAX_BARS / KLINE_LIMIT) + 2):  # bounded paging
            params = {"symbol": symbol, "interval": interval, "startTime": cursor, "endTime": end_ms}
            page = self._get("/api/v3/klines", {**params, "limit": KLINE_LIMIT})
            if not isinstance(page, list):
                raise self._malformed("/api/v3/klines", "expected a list of klines")
            rows.extend(page)
            if len(page) < KLINE_LIMIT:
                break
            cursor = int(page[-1][0]) + 1
            if cursor > end_ms:
                break
        return [self._bar(row, end) for row in rows]

    def _bar(self, row: list[Any], end: datetime) -> Bar:
        try:
            return Bar(
                open_time=from_ms(int(row[0])),
                close_time=min(from_ms(int(row[6])), end),
                open=Decimal(row[1]),
                high=Decimal(row[2]),
                low=Decimal(row[3]),
                close=Decimal(row[4]),
            )
        except (IndexError, TypeError, ValueError, InvalidOperation) as exc:
            raise self._malformed("/api/v3/klines", f"bad kline {row!r:.80}") from exc

    # --- transport --------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        url = f"{self.base_url}{path}"
        with self._lock:
            wait = self._blocked_until - self._monotonic()
        if wait > 0:
            raise RateLimited(
                f"Binance asked us to back off; {wait:.0f} s left before the next market-data call",
                retry_after=wait,
                hint="prices resume by themselves when the wait is over",
            )
        try:
            response = self._session.get(url, params=params, timeout=self._timeout)
        except requests.RequestException as exc:
            raise ConnectivityError(
                f"Binance public market data unreachable at {url} ({type(exc).__name__})", hint=OFFLINE_HINT
            ) from exc
        if response.status_code in (418, 429):
            self._back_off(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 400 and isinstance(body, dict) and body.get("code") == -1121:
            raise InvalidInput(
                f"Binance does not know the symbol {params.get('symbol', '?')}",
                code=-1121,
                hint="check the symbol (e.g. BTCUSDT) in CRBOT_SYMBOLS",
            )
        if response.status_code != 200:
            detail = body.get("msg") if isinstance(body, dict) else ""
            raise ConnectivityError(
                f"Binance answered {path} with HTTP {response.status_code} {detail}".rstrip(), hint=OFFLINE_HINT
            )
        if body is None:
            raise self._malformed(path, "not JSON")
        return body

    def _back_off(self, response: requests.Response) -> None:
        try:
            retry_after = float(response.headers.get("Retry-After", "60"))
        except ValueError:
            retry_after = 60.0
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._monotonic() + retry_after)
        banned = response.status_code == 418
        logger.warning("Binance market data %s; no call for %.0f s", "IP ban" if banned else "rate limit", retry_after)
        error = IpBanned if banned else RateLimited
        raise error(
            f"Binance {'banned this IP' if banned else 'rate-limited market data'} (HTTP {response.status_code})",
            retry_after=retry_after,
            hint=f"no market-data call for {retry_after:.0f} s; prices resume by themselves",
        )

    def _malformed(self, path: str, what: str) -> ConnectivityError:
        return ConnectivityError(f"Binance sent an unusable answer on {path}: {what}", hint=OFFLINE_HINT)
