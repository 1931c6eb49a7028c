"""Binance public market data (no API key): last prices and 1-minute klines over REST.

One instance is shared by every Streamlit session, so it is thread-safe: the price cache has a lock,
and each symbol has its own fetch lock so concurrent callers share one request. Requests go through
crbot.binance.public.PublicClient: its failures are crbot errors (429/418 -> ``RateLimited``/``IpBanned``,
and no further call until ``Retry-After`` has passed); an unusable price is a ``ConnectivityError`` here.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from crbot.binance.public import DEFAULT_BASE_URL, PublicClient
from crbot.clock import from_ms, to_ms
from crbot.domain import Bar
from crbot.errors import ConnectivityError, InvalidInput

logger = logging.getLogger(__name__)

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
        client: PublicClient | None = None,
    ) -> None:
        """``client`` shares one client (and so one ban) with other callers; else one is made here."""
        self._client = client or PublicClient(base_url, timeout=timeout, session=session, monotonic=monotonic)
        self.base_url = self._client.base_url
        self.label = f"Binance public market data ({self._client.host})"
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Decimal, float]] = {}  # symbol -> (price, monotonic fetch time)
        self._fetching: dict[str, threading.Lock] = {}

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

    def klines(self, symbol: str, interval: str, limit: int) -> list[Bar]:
        """The last ``limit`` klines of ``interval`` (the ticket's chart; weight 2 up to 100, cached by the caller)."""
        page = self._get("/api/v3/klines", {"symbol": symbol, "interval": interval, "limit": limit})
        if not isinstance(page, list):
            raise self._malformed("/api/v3/klines", "expected a list of klines")
        now = datetime.now(UTC)
        return [self._bar(row, max(now, from_ms(int(row[6])))) for row in page]

    def book(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Best bid and ask (``/api/v3/ticker/bookTicker``, weight 2)."""
        body = self._get("/api/v3/ticker/bookTicker", {"symbol": symbol})
        try:
            return Decimal(body["bidPrice"]), Decimal(body["askPrice"])
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise self._malformed("/api/v3/ticker/bookTicker", f"no bid/ask for {symbol}") from exc

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
        try:
            return self._client.get(path, params, hint=OFFLINE_HINT)
        except InvalidInput as exc:  # -1121 and its kind: name the symbol asked for
            raise InvalidInput(
                f"Binance does not know the symbol {params.get('symbol', params.get('symbols', '?'))} ({exc.message})",
                code=exc.code,
                hint="check the symbol (e.g. BTCUSDT) in CRBOT_SYMBOLS",
            ) from exc

    def _malformed(self, path: str, what: str) -> ConnectivityError:
        return ConnectivityError(f"Binance sent an unusable answer on {path}: {what}", hint=OFFLINE_HINT)
