"""The price feed interface, and a manual feed that tests move by hand."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from crbot.domain import Bar


class PriceFeed(Protocol):
    label: str  # shown on every page: where prices come from

    def last(self, symbol: str, at: datetime) -> Decimal:
        """The price at ``at`` (the latest known price for a live feed)."""
        ...

    def bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
        """The price path in (start, end], oldest first, as bars with high/low, so a resting
        order can be matched against everything the market touched while nobody watched."""
        ...


class ManualFeed:
    """A feed whose path is set by the caller: ``move(symbol, price, at)`` appends a point."""

    label = "manual (test)"

    def __init__(self, prices: dict[str, Decimal] | None = None) -> None:
        self._points: dict[str, list[tuple[datetime, Decimal]]] = {}
        self._initial = dict(prices or {})
        self._lock = threading.Lock()

    def move(self, symbol: str, price: Decimal | str, at: datetime) -> None:
        with self._lock:
            self._points.setdefault(symbol, []).append((at, Decimal(price)))

    def last(self, symbol: str, at: datetime) -> Decimal:
        with self._lock:
            known = [p for t, p in self._points.get(symbol, []) if t <= at]
            if known:
                return known[-1]
            if symbol in self._initial:
                return self._initial[symbol]
        from crbot.errors import ConnectivityError

        raise ConnectivityError(f"no price for {symbol}", hint="the feed has no data for it")

    def bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
        with self._lock:
            points = [(t, p) for t, p in self._points.get(symbol, []) if start < t <= end]
        return [Bar(open_time=t, close_time=t, open=p, high=p, low=p, close=p) for t, p in points]
