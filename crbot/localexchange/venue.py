"""What an endpoint handler of the local exchange gets (``Venue``) and gives back (``Reply``), the
route description. Errors become Binance replies in crbot.binance.errors.error_reply."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from crbot.binance.query import Params
from crbot.clock import Clock
from crbot.domain import Balance, Commissions, Fill, OrderListSpec, OrderListView, OrderSpec, OrderView
from crbot.exchange.rules import SymbolRules
from crbot.localexchange.limits import RateLimits
from crbot.market.feed import PriceFeed


class Engine(Protocol):
    """The part of crbot.paper.engine.MatchingEngine the server drives. Every call first matches what the price
    path did up to now (``advance``), so a handler always sees a book that is up to date."""

    def advance(self) -> None: ...
    def new_order(self, spec: OrderSpec) -> OrderView: ...
    def new_order_list(self, spec: OrderListSpec) -> list[OrderView]: ...
    def cancel(self, symbol: str, *, client_order_id: str | None = None, order_id: int | None = None) -> OrderView: ...
    def cancel_all(self, symbol: str) -> list[OrderView]: ...
    def cancel_list(
        self, symbol: str, *, list_id: int | None = None, list_client_id: str | None = None
    ) -> list[OrderView]: ...
    def get_order(
        self, symbol: str, *, client_order_id: str | None = None, order_id: int | None = None
    ) -> OrderView: ...
    def open_orders(self, symbol: str | None = None) -> list[OrderView]: ...
    def all_orders(
        self,
        symbol: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        from_id: int | None = None,
        limit: int = 500,
    ) -> list[OrderView]: ...
    def order_lists(self, *, open_only: bool = False) -> list[OrderListView]: ...
    def trades(
        self,
        symbol: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        from_id: int | None = None,
        order_id: int | None = None,
        limit: int = 500,
    ) -> list[Fill]: ...
    def balances(self) -> list[Balance]: ...


class Security(StrEnum):
    NONE = "NONE"  # public market data
    USER_DATA = "USER_DATA"  # signed, needs enableReading
    TRADE = "TRADE"  # signed, needs enableSpotAndMarginTrading


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    body: Any  # JSON-able
    status: int = 200
    new_orders: int = 0  # orders this request placed (order-count headers)


@dataclass(frozen=True, slots=True, kw_only=True)
class Venue:
    """Everything a handler may use. ``now()`` is the exchange clock (the injected clock plus skew)."""

    engine: Engine
    rules: Mapping[str, SymbolRules]
    feed: PriceFeed
    clock: Clock
    commissions: Commissions
    limits: RateLimits
    restrictions: Mapping[str, Any]
    skew_ms: Callable[[], int]

    def now(self) -> datetime:
        return self.clock.now() + timedelta(milliseconds=self.skew_ms())

    def symbol_rules(self, symbol: str) -> SymbolRules:
        return self.rules[symbol]


Handler = Callable[[Venue, Params], Reply]


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    handler: Handler
    security: Security = Security.NONE
    weight: int | Callable[[Params], int] = 1
    engine: bool = True  # uses the engine: serialised, and the engine catches up with the clock first
    new_orders: int = 0  # orders a success adds, checked against the order-rate limits beforehand

    def weight_of(self, params: Params) -> int:
        return self.weight(params) if callable(self.weight) else self.weight
