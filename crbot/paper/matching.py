"""What the market does to resting orders, and how money moves when they fill (Binance spot semantics).

Bars are processed oldest first. Within one bar, stop orders are triggered before limits are filled, so an
OCO whose two legs the same bar touched resolves against the trader (the stop wins): the path inside a
bar is unknown, and a paper account that flatters the trader is worse than one that does not.

* A stop leg triggers when its stop price trades (STOP_LOSS_LIMIT SELL: low <= stop; BUY: high >= stop;
  TAKE_PROFIT_LIMIT the opposite). The market was at the stop then: if that price satisfies the limit the
  order fills there at once as TAKER, otherwise it rests as a limit from the next bar on.
* A resting limit fills whole, at its own price, as MAKER, when a bar crosses it (BUY low <= price,
  SELL high >= price).
* Commission as Binance charges it: a BUY pays in the base asset, a SELL in the quote asset.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from crbot.domain import ZERO, Bar, Commissions, ListKind, ListStatusType, OrderStatus, OrderType, Side
from crbot.exchange import filters
from crbot.exchange.rules import SymbolRules
from crbot.paper.book import Book
from crbot.paper.rows import ListRow, OrderRow

logger = logging.getLogger(__name__)

BPS = Decimal(10_000)


class Matcher:
    """Fills, triggers, one-cancels-other, activation of pending legs, and the ledger moves they imply."""

    def __init__(self, *, rules: Mapping[str, SymbolRules], commissions: Commissions, slippage_bps: Decimal) -> None:
        self.rules = rules
        self.commissions = commissions
        self.slippage = slippage_bps / BPS

    # ---- prices and locks ---------------------------------------------------------------------------
    def market_price(self, symbol: str, side: Side, last: Decimal) -> Decimal:
        """``last`` moved by the slippage against the trader, on the tick (rounded against the trader too)."""
        rules = self.rules[symbol]
        buy = side is Side.BUY
        raw = last * (1 + self.slippage) if buy else last * (1 - self.slippage)
        return filters.round_price(rules, raw, up=buy)

    def lock_asset(self, order: OrderRow) -> str:
        rules = self.rules[order.symbol]
        return rules.quote_asset if order.side is Side.BUY else rules.base_asset

    def lock_amount(self, order: OrderRow) -> Decimal:
        """What a resting order holds: a BUY its price x quantity in quote, a SELL its quantity in base."""
        if order.type is OrderType.MARKET:
            return ZERO
        if order.side is Side.BUY:
            assert order.price is not None
            return order.price * order.remaining
        return order.remaining

    def pair_lock(self, legs: Sequence[OrderRow]) -> Decimal:
        """An OCO pair locks once: enough for whichever leg ends up executing."""
        return max(self.lock_amount(leg) for leg in legs)

    def can_lock(self, book: Book, order: OrderRow, amount: Decimal) -> bool:
        return book.free(self.lock_asset(order)) >= amount

    def lock(self, book: Book, order: OrderRow, amount: Decimal) -> None:
        book.adjust(self.lock_asset(order), free=-amount, locked=amount)
        order.locked += amount
        book.mark(order)

    def release(self, book: Book, order: OrderRow) -> None:
        if order.locked:
            book.adjust(self.lock_asset(order), free=order.locked, locked=-order.locked)
            order.locked = ZERO
            book.mark(order)

    # ---- events -------------------------------------------------------------------------------------
    def fill(self, book: Book, order: OrderRow, price: Decimal, *, maker: bool, at: datetime) -> None:
        """Execute the whole remaining quantity at ``price`` and settle the money."""
        self._expire_other_leg(book, order, at)
        rules = self.rules[order.symbol]
        qty = order.remaining
        quote_qty = price * qty
        self.release(book, order)
        rate = self.commissions.maker if maker else self.commissions.taker
        if order.side is Side.BUY:
            commission = _round_fee(qty * rate, rules.base_precision)
            asset = rules.base_asset
            book.adjust(rules.quote_asset, free=-quote_qty)
            book.adjust(rules.base_asset, free=qty - commission)
        else:
            commission = _round_fee(quote_qty * rate, rules.quote_precision)
            asset = rules.quote_asset
            book.adjust(rules.base_asset, free=-qty)
            book.adjust(rules.quote_asset, free=quote_qty - commission)
        order.executed_qty += qty
        order.cumulative_quote += quote_qty
        order.status = OrderStatus.FILLED
        book.save(order, at=at)
        book.insert_trade(
            symbol=order.symbol,
            order_id=order.order_id,
            side=order.side,
            price=price,
            quantity=qty,
            quote_qty=quote_qty,
            commission=commission,
            commission_asset=asset,
            is_maker=maker,
            time=at,
        )
        role = "maker" if maker else "taker"
        logger.info(
            "paper fill %s %s %s %s @ %s (%s) fee %s %s",
            order.symbol, order.client_order_id, order.side, qty, price, role, commission, asset,
        )  # fmt: skip
        if order.order_list_id != -1:
            if order.role == "working":
                self.activate(book, book.get_list(order.order_list_id), at=at, reference=price)
            self.refresh_list(book, order.order_list_id, at)

    def end(self, book: Book, order: OrderRow, status: OrderStatus, *, at: datetime | None = None) -> None:
        """Take one order off the book (CANCELED / EXPIRED / REJECTED), unlocking exactly what it held."""
        self.release(book, order)
        order.status = status
        book.save(order, at=at)
        logger.info("paper order %s %s %s", order.symbol, order.client_order_id, status)

    def cancel(self, book: Book, order: OrderRow) -> list[OrderRow]:
        """Cancel an order; a leg of a list cancels the whole list (Binance)."""
        if order.order_list_id == -1:
            self.end(book, order, OrderStatus.CANCELED)
            return [order]
        return self.cancel_list(book, book.get_list(order.order_list_id))

    def cancel_list(self, book: Book, row: ListRow) -> list[OrderRow]:
        legs = book.list_orders(row.order_list_id)
        for leg in legs:
            if leg.status.is_open:
                self.end(book, leg, OrderStatus.CANCELED)
        book.save_list(row, ListStatusType.ALL_DONE)
        return legs

    def activate(self, book: Book, row: ListRow, *, at: datetime, reference: Decimal) -> None:
        """The working order filled: its pending legs go on the book (they match from the next bar on)."""
        legs = [leg for leg in book.list_orders(row.order_list_id) if leg.status is OrderStatus.PENDING_NEW]
        if not legs:
            return
        if row.kind is ListKind.OTOCO:
            amount = self.pair_lock(legs)
            holder = legs[0]
        else:
            holder = legs[0]
            amount = self.lock_amount(holder)
        if holder.type is OrderType.MARKET:  # an OTO's pending MARKET executes as soon as it is placed
            price = self.market_price(holder.symbol, holder.side, reference)
            need = price * holder.remaining if holder.side is Side.BUY else holder.remaining
            if self.can_lock(book, holder, need):
                holder.status = OrderStatus.NEW
                self.fill(book, holder, price, maker=False, at=at)
                return
        elif self.can_lock(book, holder, amount):
            self.lock(book, holder, amount)
            for leg in legs:
                leg.status = OrderStatus.NEW
                leg.active_from = at
                book.save(leg, at=at)
            logger.info("paper list %s: pending orders placed", row.list_client_id)
            return
        # Binance places the pending orders only when the working order has filled; if the account cannot
        # cover them then (e.g. a BUY's fee came out of the base asset), they are refused.
        logger.warning(
            "paper list %s: pending orders refused, %s %s free is not enough",
            row.list_client_id, book.free(self.lock_asset(holder)), self.lock_asset(holder),
        )  # fmt: skip
        for leg in legs:
            self.end(book, leg, OrderStatus.REJECTED, at=at)

    def refresh_list(self, book: Book, order_list_id: int, at: datetime) -> None:
        """ALL_DONE once nothing is open, or once the OCO pair has resolved (a leg filled or triggered)."""
        row = book.get_list(order_list_id)
        if row.status is ListStatusType.ALL_DONE:
            return
        legs = book.list_orders(order_list_id)
        resolved = row.kind is not ListKind.OTO and any(
            leg.role == "pending" and (leg.status.is_final or leg.triggered) for leg in legs
        )
        if resolved or not any(leg.status.is_open for leg in legs):
            book.save_list(row, ListStatusType.ALL_DONE, at=at)

    def _expire_other_leg(self, book: Book, order: OrderRow, at: datetime) -> None:
        """One leg of an OCO pair executing (or triggering) expires the other, which hands over its lock."""
        if order.order_list_id == -1 or order.role != "pending":
            return
        row = book.get_list(order.order_list_id)
        if row.kind is ListKind.OTO:
            return
        for leg in book.list_orders(order.order_list_id):
            if leg is not order and leg.role == "pending" and leg.status.is_open:
                order.locked += leg.locked  # same side, same asset: the shared lock stays held, by this leg
                leg.locked = ZERO
                book.mark(order)
                self.end(book, leg, OrderStatus.EXPIRED, at=at)

    # ---- the price path ---------------------------------------------------------------------------------
    def run(self, book: Book, symbol: str, bars: Sequence[Bar], *, after: datetime) -> int:
        """Match ``symbol``'s open orders against ``bars`` closing in (after, now]; returns bars used."""
        orders = book.open_orders(symbol)
        used = 0
        for bar in bars:
            if bar.close_time <= after or bar.close_time > book.now:
                continue
            used += 1
            live = [o for o in orders if o.is_active and o.active_from < bar.close_time]
            for order in live:
                if order.is_active and order.is_stop:
                    self._maybe_trigger(book, order, bar)
            for order in live:
                if (
                    order.is_active
                    and not order.is_stop
                    and order.active_from < bar.close_time
                    and _crossed(order, bar)
                ):
                    assert order.price is not None
                    self.fill(book, order, order.price, maker=True, at=bar.close_time)
            orders = [o for o in orders if o.status.is_open]
        return used

    def _maybe_trigger(self, book: Book, order: OrderRow, bar: Bar) -> None:
        stop, limit = order.stop_price, order.price
        assert stop is not None and limit is not None
        falls = (order.type is OrderType.STOP_LOSS_LIMIT) == (order.side is Side.SELL)
        if not (bar.low <= stop if falls else bar.high >= stop):
            return
        at = bar.close_time
        order.triggered = True
        order.active_from = at  # as a plain limit it rests from the next bar on
        book.save(order, at=at)
        logger.info("paper stop triggered %s %s at %s", order.symbol, order.client_order_id, stop)
        self._expire_other_leg(book, order, at)
        traded = min(max(stop, bar.low), bar.high)  # where the market was when the stop traded
        if traded <= limit if order.side is Side.BUY else traded >= limit:
            self.fill(book, order, traded, maker=False, at=at)
        elif order.order_list_id != -1:
            self.refresh_list(book, order.order_list_id, at)


def _crossed(order: OrderRow, bar: Bar) -> bool:
    assert order.price is not None
    return bar.low <= order.price if order.side is Side.BUY else bar.high >= order.price


def _round_fee(value: Decimal, precision: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
