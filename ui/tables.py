"""Domain lists as display tables: exact amounts as text, USDT figures as numbers that sort."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crbot.domain import AuditEvent, Position
from crbot.journal import JournalOrder
from ui.fmt import as_float, local_time, num


def orders_table(orders: Sequence[JournalOrder]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Time": [local_time(o.created_at) for o in orders],
            "Symbol": [o.symbol for o in orders],
            "Side": [o.side.value for o in orders],
            "Type": [o.type.value for o in orders],
            "Status": [o.status.value for o in orders],
            "Quantity": [num(o.quantity) for o in orders],
            "Filled": [num(o.executed_qty) for o in orders],
            "Price": [num(o.price) if o.price is not None else "" for o in orders],
            "Stop": [num(o.stop_price) if o.stop_price is not None else "" for o in orders],
            "Client order id": [o.client_order_id for o in orders],
            "Source": [o.source for o in orders],
            "Note": [o.reason for o in orders],
        }
    )


def positions_table(positions: Sequence[Position]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Symbol": [p.symbol for p in positions],
            "Quantity": [num(p.quantity) for p in positions],
            # Text, so an unknown entry reads "—" (None in a number column shows "None"). Fees not included.
            "Average entry": [num(p.avg_entry) for p in positions],
            "Market price": [as_float(p.market_price) for p in positions],
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
