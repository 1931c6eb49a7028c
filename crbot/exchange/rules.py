"""A symbol's trading rules, kept in Binance's exchangeInfo form (filters as the API sends them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolRules:
    symbol: str
    base_asset: str
    quote_asset: str
    status: str
    base_precision: int
    quote_precision: int
    filters: Mapping[str, Mapping[str, Any]]  # filterType -> the filter object from exchangeInfo
    order_types: tuple[str, ...]

    @classmethod
    def from_exchange_info(cls, raw: Mapping[str, Any]) -> SymbolRules:
        """Build from one element of exchangeInfo's ``symbols`` array."""
        return cls(
            symbol=raw["symbol"],
            base_asset=raw["baseAsset"],
            quote_asset=raw["quoteAsset"],
            status=raw.get("status", "TRADING"),
            base_precision=int(raw.get("baseAssetPrecision", 8)),
            quote_precision=int(raw.get("quoteAssetPrecision", raw.get("quotePrecision", 8))),
            filters={f["filterType"]: dict(f) for f in raw.get("filters", [])},
            order_types=tuple(raw.get("orderTypes", ())),
        )

    def to_exchange_info(self) -> dict[str, Any]:
        """Back to the exchangeInfo shape (served by the local exchange)."""
        return {
            "symbol": self.symbol,
            "status": self.status,
            "baseAsset": self.base_asset,
            "baseAssetPrecision": self.base_precision,
            "quoteAsset": self.quote_asset,
            "quotePrecision": self.quote_precision,
            "quoteAssetPrecision": self.quote_precision,
            "orderTypes": list(self.order_types),
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [dict(f) for f in self.filters.values()],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }

    def value(self, filter_type: str, key: str) -> Decimal | None:
        """A filter parameter as Decimal (None if the filter is absent)."""
        f = self.filters.get(filter_type)
        return None if f is None or key not in f else Decimal(str(f[key]))

    @property
    def tick_size(self) -> Decimal:
        return self.value("PRICE_FILTER", "tickSize") or Decimal(0)

    @property
    def step_size(self) -> Decimal:
        return self.value("LOT_SIZE", "stepSize") or Decimal(0)
