"""Valuation: balances in USDT, positions with average entry, equity. Pure functions over domain values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from crbot.domain import QUOTE_ASSET, ZERO, Balance, Fill, Position, Side
from crbot.exchange.rules import SymbolRules


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


def average_entry(fills: Iterable[Fill], base_asset: str) -> tuple[Decimal, Decimal | None]:
    """(quantity held, average entry price) by average cost over the fills, oldest first.

    Buys add quantity net of a commission paid in the base asset; sells remove quantity at the
    running average cost (a spot account holds no shorts: sells past zero reset the basis).
    """
    qty, cost = ZERO, ZERO
    for f in fills:
        if f.side is Side.BUY:
            got = f.quantity - (f.commission if f.commission_asset == base_asset else ZERO)
            qty += got
            cost += f.quote_qty
        elif qty > 0:
            sold = min(f.quantity, qty)
            cost -= cost * sold / qty
            qty -= sold
    return qty, (cost / qty if qty > 0 else None)


def positions(
    rows: Sequence[BalanceRow], fills_by_symbol: Mapping[str, Sequence[Fill]], prices: Mapping[str, Decimal]
) -> list[Position]:
    """One position per non-quote asset held; average entry from our fills when they explain it."""
    result = []
    for r in rows:
        if r.asset == QUOTE_ASSET:
            continue
        symbol = symbol_for(r.asset)
        _, avg = average_entry(fills_by_symbol.get(symbol, ()), r.asset)
        result.append(Position(symbol=symbol, quantity=r.total, avg_entry=avg, market_price=prices.get(symbol)))
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
