"""Valuation: balances in USDT, positions with average entry, equity. Pure functions over domain values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from crbot.domain import QUOTE_ASSET, ZERO, Balance, Fill, Position, Side
from crbot.exchange.rules import SymbolRules

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceRow:
    asset: str
    free: Decimal
    locked: Decimal
    price: Decimal | None  # in USDT; None when no market price is known
    value_usdt: Decimal | None

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


def symbol_for(asset: str) -> str:
    return f"{asset}{QUOTE_ASSET}"


def value_balances(balances: Iterable[Balance], prices: Mapping[str, Decimal]) -> list[BalanceRow]:
    """Each non-empty balance valued in USDT with ``prices`` (symbol -> last price)."""
    rows = []
    for b in balances:
        if not b.total:
            continue
        price = Decimal(1) if b.asset == QUOTE_ASSET else prices.get(symbol_for(b.asset))
        rows.append(
            BalanceRow(
                asset=b.asset,
                free=b.free,
                locked=b.locked,
                price=price,
                value_usdt=None if price is None else b.total * price,
            )
        )
    return sorted(rows, key=lambda r: (r.asset != QUOTE_ASSET, -(r.value_usdt or ZERO)))


def equity(rows: Sequence[BalanceRow]) -> Decimal | None:
    """Total equity in USDT; None if any held asset has no price (missing data is never zero)."""
    if any(r.value_usdt is None for r in rows):
        return None
    return sum((r.value_usdt for r in rows if r.value_usdt is not None), ZERO)


def average_entries(fills: pd.DataFrame | None) -> dict[str, Decimal]:
    """Average entry price by symbol of what the journal's fills still hold: CRBOT's one definition.

    Σ price × qty / Σ qty over the BUY lots not yet closed by a later SELL (FIFO), **fees not
    included** (``crbot.metrics.open_lots``, the same matching as the Performance page's round trips).
    Display figures only (never on the order path): the float result is kept to 12 significant digits.
    """
    from crbot.metrics import open_lots  # pandas: loaded only when positions are asked for

    lots = open_lots(fills)
    return {
        str(symbol): Decimal(f"{avg:.12g}")
        for symbol, avg in zip(lots["symbol"], lots["avg_entry"], strict=True)
        if math.isfinite(avg) and avg > 0
    }


def positions(
    rows: Sequence[BalanceRow], entries: Mapping[str, Decimal], prices: Mapping[str, Decimal]
) -> list[Position]:
    """One position per non-quote asset held; its average entry (``average_entries``) when our fills explain it."""
    result = []
    for r in rows:
        if r.asset == QUOTE_ASSET:
            continue
        symbol = symbol_for(r.asset)
        result.append(
            Position(symbol=symbol, quantity=r.total, avg_entry=entries.get(symbol), market_price=prices.get(symbol))
        )
    return result


def own_positions(fills: Iterable[Fill], rules: Mapping[str, SymbolRules]) -> dict[str, Decimal]:
    """Net base quantity per symbol from CRBOT's own fills (a fee paid in the base asset is not held)."""
    net: dict[str, Decimal] = {}
    for fill in fills:
        if fill.symbol not in rules:
            continue
        qty = fill.quantity if fill.side is Side.BUY else -fill.quantity
        if fill.commission_asset == rules[fill.symbol].base_asset:
            qty -= fill.commission
        net[fill.symbol] = net.get(fill.symbol, ZERO) + qty
    return {s: q for s, q in net.items() if q > 0}
