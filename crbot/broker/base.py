"""The interface every broker implements (paper, Binance testnet/demo/live).

Brokers speak exchange semantics only: no risk checks, no journal. They translate their own
failures into ``crbot.errors`` at this boundary and never let library exceptions leak upward.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from crbot.broker.binance_audit import KeyAudit
from crbot.domain import AccountInfo, Balance, Fill, Mode, OrderListSpec, OrderSpec, OrderView
from crbot.exchange.rules import SymbolRules


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionInfo:
    """What the dashboard's Connection panel shows about a broker's link; ``error`` says what could not be
    fetched. What a venue does not have (the paper exchange: no weight, no ban, no key) is None."""

    mode: Mode
    endpoint: str  # a host, or where the in-process paper exchange is
    ping_ms: float | None
    maker: Decimal | None
    taker: Decimal | None
    clock_offset_ms: int | None = None
    used_weight: int | None = None
    weight_limit: int | None = None
    banned_until: datetime | None = None
    key_audit: KeyAudit | None = None  # live only
    error: str | None = None


class Broker(Protocol):
    name: str  # "paper", "binance-testnet", ...

    def require_safe_key(self) -> object | None:
        """Live only: raise KeyAuditFailed unless the API key's permissions pass the audit (None elsewhere)."""
        ...

    def ping(self) -> float:
        """Round trip in milliseconds; raises ConnectivityError."""
        ...

    def price_source(self) -> str:
        """Human label of where prices come from (shown on every page)."""
        ...

    def connection_info(self) -> ConnectionInfo:
        """The Connection panel's facts; gathered without raising (problems are in ``error``)."""
        ...

    def rules(self) -> dict[str, SymbolRules]:
        """Trading rules per symbol (exchangeInfo), cached by the broker."""
        ...

    def last_price(self, symbol: str) -> Decimal: ...

    def last_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        """Last prices of several symbols in one request; a symbol without a price is left out."""
        ...

    def avg_price(self, symbol: str) -> Decimal:
        """The average price the PERCENT_PRICE_BY_SIDE / NOTIONAL filters use."""
        ...

    def account(self) -> AccountInfo: ...

    def balances(self) -> list[Balance]: ...

    def submit(self, spec: OrderSpec) -> OrderView:
        """Place one order; the returned view is the exchange's acknowledgement."""
        ...

    def submit_list(self, spec: OrderListSpec) -> list[OrderView]:
        """Place one order list (OCO, OTO, OTOCO) atomically."""
        ...

    def cancel(self, symbol: str, client_order_id: str) -> OrderView:
        """Cancel one order (an order list leg cancels its whole list)."""
        ...

    def cancel_all(self, symbol: str) -> list[OrderView]:
        """Cancel every open order and order list on ``symbol``."""
        ...

    def get_order(self, symbol: str, client_order_id: str) -> OrderView:
        """Raises OrderNotFound if the exchange never accepted it."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[OrderView]: ...

    def all_orders(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> list[OrderView]:
        """Every order with order id >= ``from_id`` and placed at or after ``since`` (each optional), however
        old: the history has no horizon."""
        ...

    def trades(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> Sequence[Fill]:
        """Every fill with trade id >= ``from_id`` and time >= ``since`` (each optional), oldest first, however
        old; ``from_id`` (the journal's cursor) is the cheap way on Binance."""
        ...
