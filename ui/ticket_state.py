"""The order ticket's state: the request its widgets hold, and the result of a send, as plain values.

Callbacks read the widgets' committed values from ``st.session_state`` at callback time (the last field
typed is committed together with the button click), never a request computed in an earlier run.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import InvalidInput
from crbot.exchange import filters
from crbot.exchange.rules import SymbolRules
from crbot.journal import JournalOrder
from crbot.service import PlaceResult, TradingService
from ui.fmt import num, parse_decimal
from ui.fmt import price as fmt_price
from ui.fmt import qty as fmt_qty

SIZE_QTY, SIZE_QUOTE = "Quantity", "USDT amount"
TEXT_KEYS = ("t_amount", "t_price", "t_sl", "t_tp")  # cleared after a send
PICK, ENTER_SIZE = "Pick a side and an order type.", "Enter a size to see the preview."
PROMPTS = (PICK, ENTER_SIZE)  # what the ticket still needs (not errors)
INPUT_KEYS = ("t_symbol", "t_side", "t_type", "t_size_in", *TEXT_KEYS)  # locked while a review is pending


def request_from(state: Mapping[str, Any], default_symbol: str) -> tuple[OrderRequest | None, str | None]:
    """The request the ticket's widgets describe, or why there is none yet. Amounts are text -> exact Decimal."""
    symbol = state.get("t_symbol") or default_symbol
    side, kind = state.get("t_side"), state.get("t_type")
    if not side or not kind:
        return None, PICK
    amount_text = state.get("t_amount") or ""
    if not amount_text.strip():
        return None, ENTER_SIZE
    market = kind == OrderType.MARKET.value
    by_qty = state.get("t_size_in", SIZE_QTY) == SIZE_QTY
    try:
        amount = parse_decimal(amount_text, "Size", required=True)
        price = None if market else parse_decimal(state.get("t_price"), "Limit price", required=True)
        req = OrderRequest(
            symbol=symbol,
            side=Side(side),
            type=OrderType(kind),
            quantity=amount if by_qty else None,
            quote_amount=None if by_qty else amount,
            price=price,
            stop_loss=parse_decimal(state.get("t_sl"), "Stop-loss"),
            take_profit=parse_decimal(state.get("t_tp"), "Take-profit"),
        )
    except InvalidInput as err:
        return None, str(err)
    return req, None


def max_amount(
    *,
    buy: bool,
    by_qty: bool,
    price: Decimal,
    free_base: Decimal,
    free_quote: Decimal,
    rules: SymbolRules,
    fee_rate: Decimal,
    market: bool,
    fraction: Decimal = Decimal(1),
) -> Decimal:
    """What ``fraction`` of the free balance allows, in the ticket's size unit, rounded down: a BUY spends that
    share of the free quote net of the fee, a SELL sells that share of the free base rounded down to the lot
    step. ``price``: the limit or the last. ``fraction`` 1 is Max."""
    cent = Decimal("0.01")
    if buy:
        quote = (free_quote * fraction * (1 - fee_rate)).quantize(cent, rounding=ROUND_DOWN)
        return quote if not by_qty else filters.floor_qty(rules, quote / price, market=market)
    qty = filters.floor_qty(rules, free_base * fraction, market=market)
    return qty if by_qty else (qty * price).quantize(cent, rounding=ROUND_DOWN)


def equity_amount(
    *,
    buy: bool,
    by_qty: bool,
    price: Decimal,
    equity: Decimal,
    free_base: Decimal,
    free_quote: Decimal,
    rules: SymbolRules,
    fee_rate: Decimal,
    market: bool,
    fraction: Decimal,
) -> tuple[Decimal, bool]:
    """An order worth ``fraction`` of the account's total equity (in quote, at ``price``), in the ticket's size
    unit, rounded down to the lot step (or the cent); capped by what is free: a BUY by the free quote net of the
    fee, a SELL by the free base. Returns (amount, capped)."""
    cent = Decimal("0.01")
    if buy:
        wanted = equity * fraction
        spendable = free_quote * (1 - fee_rate)
        quote = min(wanted, spendable).quantize(cent, rounding=ROUND_DOWN)
        amount = quote if not by_qty else filters.floor_qty(rules, quote / price, market=market)
        return amount, wanted > spendable
    wanted_qty = equity * fraction / price
    qty = filters.floor_qty(rules, min(wanted_qty, free_base), market=market)
    return (qty if by_qty else (qty * price).quantize(cent, rounding=ROUND_DOWN)), wanted_qty > free_base


def describe(req: OrderRequest) -> str:
    """One line a trader reads before confirming."""
    size = f"{num(req.quantity)} (base)" if req.quantity is not None else f"{num(req.quote_amount)} USDT worth"
    price = "at market" if req.type is OrderType.MARKET else f"limit {num(req.price)}"
    exits = [
        f"stop-loss {num(req.stop_loss)}" if req.stop_loss else "",
        f"take-profit {num(req.take_profit)}" if req.take_profit else "",
    ]
    return f"**{req.side.value} {size} {req.symbol} {price}** {' · '.join(e for e in exits if e)}"


def fee_text(service: TradingService, order: JournalOrder) -> str:
    """The fees paid on ``order``'s fills, per asset ("—" before any fill)."""
    if order.executed_qty <= 0:
        return "—"
    totals: dict[str, Decimal] = {}
    for fill in service.order_fills(order):
        totals[fill.commission_asset] = totals.get(fill.commission_asset, Decimal(0)) + fill.commission
    return ", ".join(f"{num(v)} {asset}" for asset, v in totals.items()) or "—"


def result_rows(service: TradingService, result: PlaceResult) -> list[dict[str, str]]:
    """Every leg with its status, average fill price and fee (from the journal's fills of that order)."""
    rows = []
    for o in result.orders:
        avg = o.cumulative_quote / o.executed_qty if o.executed_qty > 0 else None
        found = service.broker.rules().get(o.symbol)  # cached: the symbol's tick and lot step
        tick, step = (found.tick_size, found.step_size) if found else (None, None)
        rows.append(
            {
                "Client order id": o.client_order_id,
                "Type": o.type.value,
                "Side": o.side.value,
                "Status": o.status.value,
                "Quantity": fmt_qty(o.quantity, step),
                "Filled": fmt_qty(o.executed_qty, step),
                "Limit / stop": fmt_price(o.price if o.price is not None else o.stop_price, tick),
                "Avg fill price": fmt_price(avg, tick),
                "Fee": fee_text(service, o),
                "Note": o.reason,
            }
        )
    return rows
