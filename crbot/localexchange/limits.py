"""Request weight and order-rate limits of the local exchange (rest-api.md "LIMITS").

Weight is counted per IP in fixed one-minute windows of the exchange clock and reported in
``X-MBX-USED-WEIGHT-1M`` on every response. Past the limit a request gets 429 (-1003) with
``Retry-After`` = seconds to the next window; a caller that keeps calling after ``bans_after`` such
answers is banned: 418 with ``Retry-After`` = seconds until the ban ends. New orders are counted per
10 seconds and per day (``X-MBX-ORDER-COUNT-10S`` / ``-1D``); past either limit, 429 with -1015.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from crbot.clock import Clock, to_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    weight_per_minute: int = 6000
    orders_per_10s: int = 100
    orders_per_day: int = 200_000
    bans_after: int = 3  # 429 answers within one window before the next request is banned
    ban_seconds: int = 120  # Binance bans for 2 minutes first (up to 3 days for repeat offenders)

    def exchange_info(self) -> list[dict[str, object]]:
        """The ``rateLimits`` array of exchangeInfo."""
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.weight_per_minute,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": self.orders_per_10s},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": self.orders_per_day},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
        ]


class Verdict(StrEnum):
    OK = "ok"
    LIMITED = "limited"  # 429
    BANNED = "banned"  # 418


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    verdict: Verdict
    used_weight: int
    retry_after: int = 0  # seconds
    message: str = ""


@dataclass(slots=True)
class _Window:
    start: int = -1  # window start, epoch ms
    used: int = 0
    refusals: int = 0  # 429s answered in this window
    banned_until: datetime | None = None


def _window_start(ms: int, size_ms: int) -> int:
    return ms - ms % size_ms


class RateMeter:
    """Thread-safe weight and order counters; every decision reads the injected clock."""

    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._ips: dict[str, _Window] = {}
        self._orders_10s = (-1, 0)  # (window start ms, count)
        self._orders_day = (-1, 0)

    def charge(self, ip: str, weight: int) -> Charge:
        """Count ``weight`` for ``ip`` and say whether the request may proceed."""
        now = self._clock.now()
        ms = to_ms(now)
        with self._lock:
            win = self._ips.setdefault(ip, _Window())
            if win.banned_until is not None:
                if now < win.banned_until:
                    left = _ceil_seconds(win.banned_until - now)
                    until = to_ms(win.banned_until)
                    return Charge(
                        verdict=Verdict.BANNED,
                        used_weight=win.used,
                        retry_after=left,
                        message=(
                            f"Way too much request weight used; IP banned until {until}. "
                            "Please use WebSocket Streams for live updates to avoid bans."
                        ),
                    )
                win.banned_until = None
            start = _window_start(ms, 60_000)
            if start != win.start:
                win.start, win.used, win.refusals = start, 0, 0
            win.used += weight
            if win.used <= self.limits.weight_per_minute:
                return Charge(verdict=Verdict.OK, used_weight=win.used)
            if win.refusals >= self.limits.bans_after:
                win.banned_until = now + timedelta(seconds=self.limits.ban_seconds)
                return Charge(
                    verdict=Verdict.BANNED,
                    used_weight=win.used,
                    retry_after=self.limits.ban_seconds,
                    message=(
                        f"Way too much request weight used; IP banned until {to_ms(win.banned_until)}. "
                        "Please use WebSocket Streams for live updates to avoid bans."
                    ),
                )
            win.refusals += 1
            return Charge(
                verdict=Verdict.LIMITED,
                used_weight=win.used,
                retry_after=max(1, math.ceil((start + 60_000 - ms) / 1000)),
                message=(
                    f"Too much request weight used; current limit is {self.limits.weight_per_minute} request weight "
                    "per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
                ),
            )

    def used_weight(self, ip: str) -> int:
        ms = to_ms(self._clock.now())
        with self._lock:
            win = self._ips.get(ip)
            return win.used if win and win.start == _window_start(ms, 60_000) else 0

    def order_counts(self) -> tuple[int, int]:
        """(orders in this 10-second window, orders today)."""
        ms = to_ms(self._clock.now())
        with self._lock:
            return self._current(self._orders_10s, ms, 10_000), self._current(self._orders_day, ms, 86_400_000)

    def check_orders(self, adding: int) -> Charge:
        """Would ``adding`` new orders break an order-rate limit? (Counted only on success, by ``add_orders``.)"""
        now = self._clock.now()
        ms = to_ms(now)
        ten, day = self.order_counts()
        if ten + adding > self.limits.orders_per_10s:
            wait = math.ceil((_window_start(ms, 10_000) + 10_000 - ms) / 1000)
            return self._too_many(self.limits.orders_per_10s, "10 SECOND", wait)
        if day + adding > self.limits.orders_per_day:
            tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            return self._too_many(self.limits.orders_per_day, "1 DAY", _ceil_seconds(tomorrow - now))
        return Charge(verdict=Verdict.OK, used_weight=0)

    def add_orders(self, count: int) -> tuple[int, int]:
        ms = to_ms(self._clock.now())
        with self._lock:
            ten = self._current(self._orders_10s, ms, 10_000) + count
            day = self._current(self._orders_day, ms, 86_400_000) + count
            self._orders_10s = (_window_start(ms, 10_000), ten)
            self._orders_day = (_window_start(ms, 86_400_000), day)
            return ten, day

    @staticmethod
    def _current(counter: tuple[int, int], ms: int, size_ms: int) -> int:
        start, count = counter
        return count if start == _window_start(ms, size_ms) else 0

    @staticmethod
    def _too_many(limit: int, interval: str, wait: int) -> Charge:
        return Charge(
            verdict=Verdict.LIMITED,
            used_weight=0,
            retry_after=max(1, wait),
            message=f"Too many new orders; current limit is {limit} orders per {interval}.",
        )


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
