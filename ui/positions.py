"""Positions worth showing vs dust: a remainder the exchange will not let you sell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from crbot.domain import Position
from crbot.exchange import filters
from crbot.exchange.rules import SymbolRules


def min_notional(rules: SymbolRules) -> Decimal:
    return rules.value("NOTIONAL", "minNotional") or rules.value("MIN_NOTIONAL", "minNotional") or Decimal(0)


def is_dust(position: Position, rules: SymbolRules | None) -> bool:
    """Below one lot step, or worth less than the minimum order value at the market price."""
    if rules is None:
        return False
    sellable = filters.floor_qty(rules, position.quantity, market=True)
    if sellable <= 0:
        return True
    return position.market_price is not None and sellable * position.market_price < min_notional(rules)


def split_dust(
    positions: Sequence[Position], rules: Mapping[str, SymbolRules]
) -> tuple[list[Position], list[Position]]:
    """(positions to list, dust to mention apart)."""
    held = [p for p in positions if not is_dust(p, rules.get(p.symbol))]
    return held, [p for p in positions if is_dust(p, rules.get(p.symbol))]
