"""Step 1 of the order path: a trader's request -> exact exchange orders (tick, step, notional).

Pure: given the symbol's rules, the reference price and the commission rate, it either returns the
orders to send or raises InvalidInput / FilterError saying what to fix. Nothing is sent from here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from crbot.domain import ZERO, OrderListSpec, OrderRequest, OrderSpec, OrderType, Side
from crbot.errors import FilterError, InvalidInput, fmt
from crbot.exchange import filters
from crbot.exchange.rules import SymbolRules

# A stop-loss is a STOP_LOSS_LIMIT: once the stop trades, a limit this far through the stop is placed so it
# fills in a falling (rising) market instead of resting unfilled behind it.
STOP_LIMIT_BUFFER = Decimal("0.005")


def new_client_order_id(prefix: str = "crb") -> str:
    """Our own id ([A-Za-z0-9_-], <= 36 chars) so any retry can be reconciled."""
    return f"{prefix}-{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Normalised:
    entry: OrderSpec
    exits: OrderListSpec | OrderSpec | None  # placed with the entry (LIMIT) or after its fill (MARKET)
    reference_price: Decimal  # limit price, or last price for MARKET

    @property
    def as_list(self) -> OrderListSpec | None:
        """A LIMIT bracket is ONE exchange order list (OTO / OTOCO) with the entry as working order."""
        return self.exits if isinstance(self.exits, OrderListSpec) and self.exits.working else None

    @property
    def notional(self) -> Decimal:
        return self.entry.quantity * self.reference_price

    @property
    def exit_legs(self) -> tuple[OrderSpec, ...]:
        if isinstance(self.exits, OrderListSpec):
            return self.exits.pending
        return (self.exits,) if self.exits else ()

    def outcome(self, leg: OrderSpec, fee_rate: Decimal) -> Decimal:
        """P&L in the quote asset if this exit fills, after the fees of both sides. A stop-loss is priced at
        its limit, the worst price it can fill at: the loss shown is the most the stop can cost."""
        sign = 1 if self.entry.side is Side.BUY else -1
        ref = self.reference_price
        exit_price = leg.price or ref
        fees = (ref * self.entry.quantity + exit_price * leg.quantity) * fee_rate
        return sign * (exit_price - ref) * leg.quantity - fees


def _positive(name: str, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{name} must be a positive number, got {value}", hint=f"enter a {name} above 0")
    return value


def normalise(
    req: OrderRequest, rules: SymbolRules, *, last_price: Decimal, fee_rate: Decimal, client_order_id: str
) -> Normalised:
    """Round to the symbol's tick and step, check the bracket's geometry, size exits net of fees."""
    if req.type not in (OrderType.LIMIT, OrderType.MARKET):
        raise InvalidInput(f"order type {req.type} is not offered on the ticket", hint="use LIMIT or MARKET")
    qty_in = _positive("quantity", req.quantity)
    quote_in = _positive("quote amount", req.quote_amount)
    price_in = _positive("price", req.price)
    stop = _positive("stop-loss", req.stop_loss)
    take = _positive("take-profit", req.take_profit)
    if (qty_in is None) == (quote_in is None):
        raise InvalidInput("give either a quantity or a quote amount, not both", hint="fill exactly one of them")
    market = req.type is OrderType.MARKET
    if market:
        price = None
        reference = last_price
    else:
        if price_in is None:
            raise InvalidInput("a LIMIT order needs a price", hint="enter a limit price, or choose MARKET")
        price = filters.round_price(rules, price_in)
        if price <= 0:
            raise FilterError(
                "PRICE_FILTER",
                f"price {fmt(price_in)} rounds to 0 at the tick {fmt(rules.tick_size)}",
                hint=f"enter a price of at least {fmt(rules.tick_size)}",
            )
        reference = price
    raw_qty = qty_in if qty_in is not None else quote_in / reference  # type: ignore[operator]
    quantity = filters.floor_qty(rules, raw_qty, market=market)
    if quantity <= 0:
        raise FilterError(
            "LOT_SIZE",
            f"quantity {fmt(raw_qty)} rounds down to 0 at the step {fmt(rules.step_size)}",
            hint=f"trade at least {fmt(rules.step_size)} {rules.base_asset}",
        )
    entry = OrderSpec(
        client_order_id=client_order_id,
        symbol=rules.symbol,
        side=req.side,
        type=req.type,
        quantity=quantity,
        price=price,
    )
    exits = _exits(req, rules, entry, reference, stop, take, fee_rate) if (stop or take) else None
    return Normalised(entry=entry, exits=exits, reference_price=reference)


def _exits(
    req: OrderRequest,
    rules: SymbolRules,
    entry: OrderSpec,
    reference: Decimal,
    stop: Decimal | None,
    take: Decimal | None,
    fee_rate: Decimal,
) -> OrderListSpec | OrderSpec:
    long = req.side is Side.BUY
    stop_p = filters.round_price(rules, stop) if stop else None
    take_p = filters.round_price(rules, take) if take else None
    word = "below" if long else "above"
    if stop_p is not None and (stop_p >= reference if long else stop_p <= reference):
        raise InvalidInput(
            f"stop-loss {fmt(stop_p)} must be {word} the entry {fmt(reference)} for a {req.side}",
            hint=f"set the stop-loss {word} the entry price",
        )
    other = "above" if long else "below"
    if take_p is not None and (take_p <= reference if long else take_p >= reference):
        raise InvalidInput(
            f"take-profit {fmt(take_p)} must be {other} the entry {fmt(reference)} for a {req.side}",
            hint=f"set the take-profit {other} the entry price",
        )
    # A BUY pays its commission in the base asset: 0.001 BTC at 0.1 % leaves 0.000999, so the exit sells
    # what will really be held, rounded down to the step (BINANCE_NOTES).
    exit_qty = filters.floor_qty(rules, entry.quantity * (1 - fee_rate)) if long else entry.quantity
    if exit_qty <= 0:
        raise InvalidInput("the position is too small to protect after fees", hint="increase the quantity")
    cid = entry.client_order_id
    legs: list[OrderSpec] = []
    if take_p is not None:
        legs.append(
            OrderSpec(
                client_order_id=f"{cid}-tp",
                symbol=rules.symbol,
                side=req.side.opposite,
                type=OrderType.LIMIT_MAKER,
                quantity=exit_qty,
                price=take_p,
            )
        )
    if stop_p is not None:
        buffer = stop_p * STOP_LIMIT_BUFFER
        limit = filters.round_price(rules, stop_p - buffer if long else stop_p + buffer, up=not long)
        legs.append(
            OrderSpec(
                client_order_id=f"{cid}-sl",
                symbol=rules.symbol,
                side=req.side.opposite,
                type=OrderType.STOP_LOSS_LIMIT,
                quantity=exit_qty,
                price=max(limit, rules.tick_size or ZERO),
                stop_price=stop_p,
            )
        )
    if entry.type is OrderType.MARKET:
        # After a MARKET fill the exits protect the position: an OCO for both, else a single order.
        if len(legs) == 1:
            return legs[0]
        return OrderListSpec(list_client_id=f"{cid}-oco", symbol=rules.symbol, working=None, pending=tuple(legs))
    return OrderListSpec(list_client_id=f"{cid}-list", symbol=rules.symbol, working=entry, pending=tuple(legs))
