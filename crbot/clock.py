"""Injected time: production uses the wall clock, tests move a ManualClock instead of sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MonotonicClock:
    """Wall time read once, then advanced by a monotonic counter: a wait measured on it (a 418 ban, a 429
    cool-down) neither ends early nor lasts longer when the system clock is adjusted."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, *, start: datetime | None = None) -> None:
        self._monotonic = monotonic
        self._origin = (start or datetime.now(UTC)) - timedelta(seconds=monotonic())

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=self._monotonic())


class ManualClock:
    """A clock that only moves when told to (thread-safe)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


def to_ms(when: datetime) -> int:
    """Binance epoch milliseconds."""
    return int(when.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
