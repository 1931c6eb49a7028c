"""Domain lists as display tables: exact amounts as text, USDT figures as numbers that sort."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import pandas as pd

from crbot.domain import AuditEvent, Position
from crbot.exchange.rules import SymbolRules
from crbot.journal import JournalOrder
from crbot.portfolio import BalanceRow
from ui.fmt import as_float, local_time, num, price, qty

Rules = Mapping[str, SymbolRules]
CENT = Decimal("0.01")  # quote amounts: 2 decimals


def _tick(rules: Rules | None, symbol: str) -> Decimal | None:
    found = (rules or {}).get(symbol)
    return found.tick_size if found else None


def _step(rules: Rules | None, symbol: str) -> Decimal | None:
    found = (rules or {}).get(symbol)
    return found.step_size if found else None


def balances_table(rows: Sequence[BalanceRow], rules: Rules | None, quote_asset: str) -> pd.DataFrame:
    """Holdings: the quote asset in cents, a coin by its USDT pair's lot step (rounded down: never more than
    held), its price by the pair's tick; values stay numbers (they sort) shown with 2 decimals."""

    def amount(asset: str, value: Decimal) -> str:
        return qty(value, CENT if asset == quote_asset else _step(rules, f"{asset}{quote_asset}"))

    return pd.DataFrame(
        {
            "Asset": [r.asset for r in rows],
            "Free": [amount(r.asset, r.free) for r in rows],
            "Locked": [amount(r.asset, r.locked) for r in rows],
            "Total": [amount(r.asset, r.total) for r in rows],
            f"Price ({quote_asset})": [
                price(r.price, CENT if r.asset == quote_asset else _tick(rules, f"{r.asset}{quote_asset}"))
                for r in rows
            ],
            f"Value ({quote_asset})": [as_float(r.value_usdt) for r in rows],
        }
    )


def orders_table(
    orders: Sequence[JournalOrder], rules: Rules | None = None, fees: Mapping[str, str] | None = None
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Time": [local_time(o.created_at) for o in orders],
            "Symbol": [o.symbol for o in orders],
            "Side": [o.side.value for o in orders],
            "Type": [o.type.value for o in orders],
            "Status": [o.status.value for o in orders],
            "Quantity": [qty(o.quantity, _step(rules, o.symbol)) for o in orders],
            "Filled": [qty(o.executed_qty, _step(rules, o.symbol)) for o in orders],
            "Price": [price(o.price, _tick(rules, o.symbol)) if o.price is not None else "" for o in orders],
            "Stop": [price(o.stop_price, _tick(rules, o.symbol)) if o.stop_price is not None else "" for o in orders],
            "Avg fill": [
                price(o.cumulative_quote / o.executed_qty, _tick(rules, o.symbol)) if o.executed_qty > 0 else ""
                for o in orders
            ],
            "Fee": [(fees or {}).get(o.client_order_id, "") for o in orders],
            "Client order id": [o.client_order_id for o in orders],
            "Source": [o.source for o in orders],
            "Note": [o.reason for o in orders],
        }
    )


def positions_table(positions: Sequence[Position], rules: Rules | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Symbol": [p.symbol for p in positions],
            "Quantity": [qty(p.quantity, _step(rules, p.symbol)) for p in positions],
            # Text, so an unknown entry reads "—" (None in a number column shows "None"). Fees not included.
            "Average entry": [price(p.avg_entry, _tick(rules, p.symbol)) for p in positions],
            "Market price": [price(p.market_price, _tick(rules, p.symbol)) for p in positions],
            "Market value (USDT)": [as_float(p.market_value) for p in positions],
            "Unrealised P&L (USDT)": [num(p.unrealized_pnl, 2) for p in positions],
        }
    )


def audit_table(events: Sequence[AuditEvent]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Time": [local_time(e.time) for e in events],
            "Who": [e.actor for e in events],
            "Action": [e.action for e in events],
            "Detail": [e.detail for e in events],
            "Reason": [e.reason for e in events],
        }
    )


def order_label(order: JournalOrder) -> str:
    """One line that names an order unambiguously in a picker and a confirmation."""
    price = f" @ {num(order.price)}" if order.price is not None else ""
    stop = f" stop {num(order.stop_price)}" if order.stop_price is not None else ""
    what = f"{order.symbol} {order.side.value} {order.type.value} {num(order.quantity)}"
    return f"{what}{price}{stop} · {order.client_order_id}"
