"""Binance's rate-limit policy, one for every caller (the connector and the public-data client):
what a 429 / 418 answer means (``limit_error``), the request-weight / cool-down / ban state every thread
shares (``RateState``: no request leaves before a ban ends), and when to retry (``RetryPolicy``).

Retries are for transient failures of idempotent calls (queries, cancels) only: an order
placement is never retried here (its unknown outcome is resolved by a lookup in the broker).
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from crbot.binance.errors import Kind, kind_of
from crbot.clock import Clock, from_ms
from crbot.errors import ConnectivityError, CrbotError, IpBanned, OutcomeUnknown, RateLimited

logger = logging.getLogger(__name__)

DEFAULT_WEIGHT_LIMIT = 6000  # REQUEST_WEIGHT per minute, until exchangeInfo says otherwise
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
# Seconds to stay away when Binance gives no Retry-After (a 418 ban lasts at least 2 minutes).
DEFAULT_BAN_S = 120.0
DEFAULT_COOLDOWN_S = 10.0


def limit_error(
    *, status: int, code: int, message: str, headers: Mapping[str, str] | None, venue: str, what: str, now: datetime
) -> RateLimited | None:
    """The error for a 418 ban or a 429 / rate-limit code (-1003, -1015), None for any other answer.

    The wait is Retry-After when sent, else the ban's end named in the message, else the defaults above.
    """
    if status == 418 or (code == -1003 and "banned" in message.lower()):
        wait = retry_after(headers) or _banned_for(message, now) or DEFAULT_BAN_S
        return IpBanned(
            f"{venue} banned this IP for {wait:.0f} s for exceeding rate limits ({message})",
            retry_after=wait,
            hint="no request is sent until the ban ends; afterwards refresh less often",
        )
    if status == 429 or kind_of(code) is Kind.RATE:
        wait = retry_after(headers) or DEFAULT_COOLDOWN_S
        return RateLimited(
            f"{venue} rate limit hit on {what}: {message}",
            retry_after=wait,
            hint=f"wait {wait:.0f} s (requests are paused until then) and refresh less often",
        )
    return None


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Retry-After (seconds) from the response headers, if Binance sent one."""
    try:
        return max(0.0, float((headers or {})["Retry-After"]))
    except (KeyError, TypeError, ValueError):
        return None


def _banned_for(message: str, now: datetime) -> float | None:
    """'IP banned until 1700000000000.' -> seconds from now."""
    until = re.search(r"until (\d{12,})", message)
    return max(0.0, (from_ms(int(until.group(1))) - now).total_seconds()) if until else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    attempts: int = 3  # retries after the first try
    base_delay: float = 0.25  # seconds; doubles each retry
    max_delay: float = 4.0
    max_wait: float = 10.0  # the longest Retry-After slept through; a longer one is raised to the caller

    def delay(self, attempt: int, error: CrbotError, rng: random.Random) -> float | None:
        """Seconds to wait before retry ``attempt`` (0-based) of an idempotent call, or None: give up."""
        if attempt >= self.attempts or not is_transient(error):
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait else None
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)  # "equal jitter": spread out, never ~0


def is_transient(error: CrbotError) -> bool:
    """Retrying may help: connectivity trouble, but not a ban and not an order of unknown fate."""
    return isinstance(error, ConnectivityError) and not isinstance(error, IpBanned | OutcomeUnknown)


class RateState:
    """Used weight, the 429 cool-down and the 418 ban; one per broker, shared by its threads."""

    def __init__(self, clock: Clock, *, weight_limit: int = DEFAULT_WEIGHT_LIMIT) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._used: int | None = None
        self._used_minute: datetime | None = None
        self._limit = weight_limit
        self._banned_until: datetime | None = None
        self._cooldown_until: datetime | None = None

    @property
    def used_weight(self) -> int | None:
        with self._lock:
            return self._used

    @property
    def weight_limit(self) -> int:
        with self._lock:
            return self._limit

    @weight_limit.setter
    def weight_limit(self, value: int) -> None:
        with self._lock:
            self._limit = value

    @property
    def banned_until(self) -> datetime | None:
        """End of the current 418 ban, None when not banned."""
        with self._lock:
            until = self._banned_until
        return until if until is not None and until > self._clock.now() else None

    def gate(self, venue: str) -> None:
        """Raise instead of calling while banned (418) or cooling down after a 429."""
        now = self._clock.now()
        with self._lock:
            banned, cooldown = self._banned_until, self._cooldown_until
        if banned is not None and now < banned:
            left = (banned - now).total_seconds()
            raise IpBanned(
                f"{venue} has banned this IP until {banned:%H:%M:%S} UTC ({left:.0f} s left); no request was sent",
                retry_after=left,
                hint="wait for the ban to end; afterwards refresh less often",
            )
        if cooldown is not None and now < cooldown:
            left = (cooldown - now).total_seconds()
            raise RateLimited(
                f"{venue} rate limit: pausing requests for {left:.0f} s more; no request was sent",
                retry_after=left,
                hint="wait, then refresh less often",
            )

    def observe_headers(self, headers: Mapping[str, str] | None) -> None:
        """Record X-MBX-USED-WEIGHT-1M from the response just received (if any)."""
        if not headers:
            return
        raw = headers.get(WEIGHT_HEADER)
        if raw is None:
            return
        try:
            used = int(raw)
        except ValueError:
            return
        minute = self._clock.now().replace(second=0, microsecond=0)
        with self._lock:
            # parallel answers arrive out of order: within one minute window the weight only grows
            same_window = self._used is not None and self._used_minute == minute
            self._used = max(used, self._used) if same_window else used  # type: ignore[type-var]
            self._used_minute = minute
            limit = self._limit
        if used >= limit * 0.8:
            logger.warning("Binance request weight %d of %d used this minute", used, limit)

    def observe_error(self, error: CrbotError) -> None:
        """A 418 starts a ban, a 429 a cool-down: no thread calls until they end."""
        if not isinstance(error, RateLimited) or error.retry_after is None:
            return
        until = self._clock.now() + timedelta(seconds=error.retry_after)
        with self._lock:
            if isinstance(error, IpBanned):
                self._banned_until = max(until, self._banned_until or until)
            else:
                self._cooldown_until = max(until, self._cooldown_until or until)
        logger.error("%s (paused until %s)", error, until.isoformat())
