"""Positions worth showing vs dust (a remainder the exchange will not let you sell), and what "close position"
would sell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from crbot.domain import OrderRequest, OrderType, Position, Side
from crbot.errors import fmt
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


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosePlan:
    """What "close position" sells: the free amount rounded down to the lot step, and what stays behind."""

    symbol: str
    sell: Decimal  # 0 when nothing sellable is free
    dust: Decimal  # the free remainder below one lot step
    locked: Decimal  # held in open orders (a stop-loss / take-profit): not sold, said so
    base_asset: str
    problem: str | None = None  # why nothing can be sold

    def request(self) -> OrderRequest:
        return OrderRequest(symbol=self.symbol, side=Side.SELL, type=OrderType.MARKET, quantity=self.sell)


def close_plan(symbol: str, rules: SymbolRules, free: Decimal, locked: Decimal, price: Decimal | None) -> ClosePlan:
    """A MARKET sell of the step-rounded free amount; refused (``problem``) below the minimum order value."""
    sell = filters.floor_qty(rules, free, market=True)
    plan = {"symbol": symbol, "locked": locked, "base_asset": rules.base_asset}
    if sell <= 0:
        why = f"nothing free to sell: {fmt(locked)} {rules.base_asset} is locked in open orders" if locked > 0 else ""
        return ClosePlan(sell=Decimal(0), dust=free, problem=why or "less than one lot step is free (dust)", **plan)
    if price is not None and sell * price < min_notional(rules):
        return ClosePlan(
            sell=Decimal(0),
            dust=free,
            problem=f"worth less than the minimum order value ({fmt(min_notional(rules))} {rules.quote_asset})",
            **plan,
        )
    return ClosePlan(sell=sell, dust=free - sell, **plan)
