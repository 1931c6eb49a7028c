"""The paper broker: the ``Broker`` interface over the in-process simulated exchange.

Paper mode never loads API keys. Prices come from the injected feed (labelled on every page); orders,
balances and fills from the ``MatchingEngine``, whose SQLite book is shared by every process that trades
the same paper account.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from crbot.broker.base import ConnectionInfo
from crbot.clock import Clock
from crbot.domain import AccountInfo, Balance, Bar, Commissions, Fill, Mode, OrderListSpec, OrderSpec, OrderView
from crbot.errors import CrbotError
from crbot.exchange.rules import SymbolRules
from crbot.market.candles import feed_candles
from crbot.market.feed import PriceFeed
from crbot.paper.engine import MAX_LIMIT, MatchingEngine

logger = logging.getLogger(__name__)

PAPER_ENDPOINT = "in-process paper exchange (no keys; no order leaves this machine)"


class PaperBroker:
    """Delegates to the matching engine; errors are already ``crbot.errors`` with Binance codes."""

    name = "paper"

    def __init__(
        self,
        engine: MatchingEngine,
        *,
        feed: PriceFeed,
        clock: Clock,
        rules: Mapping[str, SymbolRules],
        commissions: Commissions,
    ) -> None:
        self.engine = engine
        self._feed = feed
        self._clock = clock
        self._rules = dict(rules)
        self._commissions = commissions

    def require_safe_key(self) -> None:
        """Paper mode has no API key to audit."""
        return None

    def ping(self) -> float:
        """Milliseconds for a trivial round trip to the paper book."""
        started = time.perf_counter()
        self.engine.ping()
        return (time.perf_counter() - started) * 1000

    def price_source(self) -> str:
        return self._feed.label

    def connection_info(self) -> ConnectionInfo:
        """The Connection panel's facts: the paper book's round trip and its fee rates."""
        try:
            ping_ms: float | None = self.ping()
        except CrbotError as exc:  # a locked or damaged book: shown, not raised
            return ConnectionInfo(
                mode=Mode.PAPER, endpoint=PAPER_ENDPOINT, ping_ms=None, maker=None, taker=None, error=str(exc)
            )
        fees = self._commissions
        return ConnectionInfo(
            mode=Mode.PAPER, endpoint=PAPER_ENDPOINT, ping_ms=ping_ms, maker=fees.maker, taker=fees.taker
        )

    def rules(self) -> dict[str, SymbolRules]:
        return dict(self._rules)

    def last_price(self, symbol: str) -> Decimal:
        return self._feed.last(symbol, self._clock.now())

    def last_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        now, found = self._clock.now(), {}
        for symbol in symbols:
            try:
                found[symbol] = self._feed.last(symbol, now)
            except CrbotError as exc:
                logger.warning("no paper price for %s: %s", symbol, exc)
        return found

    def klines(self, symbol: str, interval: str, limit: int) -> list[Bar]:
        """Candles for the ticket's chart, from the feed (its own klines, or its path regrouped)."""
        return feed_candles(self._feed, symbol, interval, limit, self._clock.now())

    def book(self, symbol: str) -> tuple[Decimal, Decimal] | None:
        """Best bid / ask when the feed has a book (Binance public data); None for a synthetic feed."""
        book = getattr(self._feed, "book", None)
        return book(symbol) if book is not None else None

    def avg_price(self, symbol: str) -> Decimal:
        """The paper exchange checks filters against the feed's last price; so does this."""
        return self._feed.last(symbol, self._clock.now())

    def account(self) -> AccountInfo:
        return AccountInfo(balances=tuple(self.engine.balances()), commissions=self._commissions)

    def balances(self) -> list[Balance]:
        return self.engine.balances()

    def submit(self, spec: OrderSpec) -> OrderView:
        return self.engine.new_order(spec)

    def submit_list(self, spec: OrderListSpec) -> list[OrderView]:
        return self.engine.new_order_list(spec)

    def cancel(self, symbol: str, client_order_id: str) -> OrderView:
        return self.engine.cancel(symbol, client_order_id=client_order_id)

    def cancel_all(self, symbol: str) -> list[OrderView]:
        return self.engine.cancel_all(symbol)

    def get_order(self, symbol: str, client_order_id: str) -> OrderView:
        return self.engine.get_order(symbol, client_order_id=client_order_id)

    def open_orders(self, symbol: str | None = None) -> list[OrderView]:
        return self.engine.open_orders(symbol)

    def all_orders(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> list[OrderView]:
        """Every order from ``from_id`` on, placed at or after ``since``, oldest first, paged by order id."""
        orders: list[OrderView] = []
        while True:
            cursor = orders[-1].order_id + 1 if orders else max(from_id or 0, 0)
            page = self.engine.all_orders(symbol, start=since, from_id=cursor, limit=MAX_LIMIT)
            orders.extend(page)
            if len(page) < MAX_LIMIT:
                return orders

    def trades(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> Sequence[Fill]:
        """Every fill from ``from_id`` on, since ``since``, oldest first, paged by trade id so none is cut off."""
        fills: list[Fill] = []
        while True:
            cursor = fills[-1].trade_id + 1 if fills else max(from_id or 0, 0)
            page = self.engine.trades(symbol, start=since, from_id=cursor, limit=MAX_LIMIT)
            fills.extend(page)
            if len(page) < MAX_LIMIT:
                return fills
