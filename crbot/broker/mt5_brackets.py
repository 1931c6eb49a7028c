"""CRBOT's brackets on MetaTrader 5: MT5 has no order lists, so an OTO / OTOCO is ONE pending or market order
carrying ``sl`` / ``tp`` (the position inherits them when it fills) and an OCO on a held position is a
TRADE_ACTION_SLTP on that position. The legs' client ids live in mt5_lists.LegBook; their state is read from
MT5: the entry open -> PENDING_NEW; the position open with the level set -> NEW; closed by a deal with reason
SL or TP -> that leg FILLED, the other EXPIRED (one-cancels-other); anything else -> CANCELED.

A leg has no MT5 ticket of its own: its order id is ``LEG_ID_BASE * (1 for sl, 2 for tp) + list id`` (the
entry's ticket, or the position's), far above any real ticket, and the closing deal's fill carries it.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Protocol

from crbot.broker import mt5_wire as w
from crbot.broker.mt5_errors import from_retcode, is_success
from crbot.broker.mt5_lists import Leg, LegBook
from crbot.clock import Clock
from crbot.domain import ZERO, Fill, OrderListSpec, OrderSpec, OrderStatus, OrderType, OrderView, Side
from crbot.errors import InsufficientBalance, InvalidInput, OrderNotFound

LEG_ID_BASE = 1 << 40
_ROLE_ID = {"sl": 1, "tp": 2}


def split_legs(pending: tuple[OrderSpec, ...]) -> list[tuple[str, OrderSpec]]:
    """("sl", leg) for the leg with a trigger, ("tp", leg) for the priced one; at most one of each."""
    legs = [("sl" if s.type.has_stop or s.type is OrderType.STOP_LOSS_LIMIT else "tp", s) for s in pending]
    if not legs or len({r for r, _ in legs}) != len(legs):
        raise InvalidInput("an MT5 bracket has one stop-loss and/or one take-profit", hint="check the order list")
    return legs


class Account(Protocol):
    """What brackets need of the MT5 broker (read through a protocol: mt5.py imports this module)."""

    mt5: Any

    def call(self, fn: str, *args: Any, **kwargs: Any) -> Any: ...
    def send(self, spec: OrderSpec, *, sl: Decimal | None = None, tp: Decimal | None = None) -> OrderView: ...
    def get_order(self, symbol: str, client_order_id: str) -> OrderView: ...
    def find(self, symbol: str, client_order_id: str) -> OrderView | None: ...
    def cancel(self, symbol: str, client_order_id: str) -> OrderView: ...
    def free(self, asset: str) -> Decimal: ...
    def symbol(self, symbol: str) -> Any: ...
    def digits(self, symbol: str) -> tuple[int, int]: ...
    def raw_orders(self, symbol: str) -> list[Any]: ...
    def deals(self, symbol: str) -> list[Any]: ...


class Brackets:
    def __init__(self, broker: Account, book: LegBook, clock: Clock) -> None:
        self.b, self.book, self._clock = broker, book, clock

    def knows(self, client_order_id: str) -> bool:
        return self.book.get(client_order_id) is not None

    # -- placing -------------------------------------------------------------------------------------------------
    def submit(self, spec: OrderListSpec) -> list[OrderView]:
        legs = split_legs(spec.pending)
        levels = {role: (s.stop_price if role == "sl" else s.price) for role, s in legs}
        now = int(self._clock.now().timestamp())
        if spec.working is None:
            return self._on_position(spec, legs, levels, now)
        entry = spec.working
        if any(s.side is entry.side or s.quantity > entry.quantity for _, s in legs):
            raise InvalidInput("a bracket's exits close its entry: opposite side, at most its quantity")
        self.book.add(spec.list_client_id, entry.client_order_id, legs, now)  # before sending, like an intent
        try:
            placed = self.b.send(entry, sl=levels.get("sl"), tp=levels.get("tp"))
        except (InvalidInput, InsufficientBalance):
            self.book.cancel(spec.list_client_id)
            raise
        self.book.set_list_id(spec.list_client_id, placed.order_id)
        return [self.b.get_order(spec.symbol, entry.client_order_id), *(self.view(spec.symbol, s.client_order_id)
                                                                         for _, s in legs)]  # fmt: skip

    def _on_position(self, spec: OrderListSpec, legs: list[tuple[str, OrderSpec]], levels: dict, now: int):
        position = self._long(spec.symbol)
        free = self.b.free(self.b.symbol(spec.symbol).currency_base)
        if position is None or any(s.quantity > free for _, s in legs):
            raise InsufficientBalance(
                f"no free {spec.symbol} position for these exits ({free} free)",
                hint="on MT5 an OCO sets the position's stop-loss / take-profit: hold the quantity first",
            )
        self.book.add(spec.list_client_id, "", legs, now)
        self.book.set_list_id(spec.list_client_id, position.ticket)
        self._set_sltp(position, levels.get("sl"), levels.get("tp"), list_client_id=spec.list_client_id)
        return [self.view(spec.symbol, s.client_order_id) for _, s in legs]

    def _set_sltp(self, position: Any, sl: Decimal | None, tp: Decimal | None, *, list_client_id: str) -> None:
        mt5 = self.b.mt5
        req = {"action": mt5.TRADE_ACTION_SLTP, "symbol": position.symbol, "position": position.ticket,
               "sl": w.wire(sl), "tp": w.wire(tp), "magic": w.MAGIC}  # fmt: skip
        check = self.b.call("order_check", req)
        result = self.b.call("order_send", req) if check.retcode in (0, mt5.TRADE_RETCODE_DONE) else check
        if not is_success(result.retcode):
            if sl or tp:
                self.book.cancel(list_client_id)
            raise from_retcode(result.retcode, result.comment)

    # -- canceling -----------------------------------------------------------------------------------------------
    def cancel(self, symbol: str, client_order_id: str) -> OrderView:
        """One leg cancels its whole list: the pending entry is removed, or the position's sl / tp cleared."""
        leg = self._leg(client_order_id)
        status = self._state(symbol, leg)[0]
        if not status.is_open:
            raise OrderNotFound(f"{client_order_id} is not open on MT5 ({status})", hint="nothing to cancel")
        if status is OrderStatus.PENDING_NEW:
            self.b.cancel(symbol, leg.anchor)
        else:
            self._clear(symbol, leg)
        return self.view(symbol, client_order_id)

    def _clear(self, symbol: str, leg: Leg) -> None:
        position = self._long(symbol)
        if position is not None:
            self._set_sltp(position, None, None, list_client_id=leg.list_client_id)
        self.book.cancel(leg.list_client_id)

    def after_entry_canceled(self, comment: str) -> list[OrderView]:
        legs = [g for g in self.book.of_symbol(None) if g.anchor and w.comment_for(g.anchor) == comment]
        for g in legs:
            self.book.cancel(g.list_client_id)
        return [self.view(g.spec.symbol, g.client_id) for g in legs]

    def cancel_positions(self, symbol: str) -> list[OrderView]:
        """STOP's sweep: every open leg on a position of ``symbol`` (its sl / tp cleared)."""
        legs = [g for g in self.open_leg_rows(symbol) if self._state(symbol, g)[0] is OrderStatus.NEW]
        for list_client_id in dict.fromkeys(g.list_client_id for g in legs):
            self._clear(symbol, next(g for g in legs if g.list_client_id == list_client_id))
        return [self.view(symbol, g.client_id) for g in legs]

    # -- reading -------------------------------------------------------------------------------------------------
    def view(self, symbol: str, client_order_id: str) -> OrderView:
        leg = self._leg(client_order_id)
        status, deal = self._state(symbol, leg)
        digits, vdigits = self.b.digits(symbol)
        executed = w.dec(deal.volume, vdigits) if deal is not None else ZERO
        quote = executed * w.dec(deal.price, digits) if deal is not None else ZERO
        created = w.utc(leg.created)
        return OrderView(
            client_order_id=leg.client_id, order_id=self.leg_id(leg), symbol=leg.spec.symbol, side=leg.spec.side,
            type=leg.spec.type, status=status, quantity=leg.spec.quantity, executed_qty=executed,
            cumulative_quote=quote, price=leg.spec.price, stop_price=leg.spec.stop_price,
            order_list_id=leg.list_id if leg.list_id is not None else -1, time=created,
            update_time=w.utc(deal.time) if deal is not None else created,
        )  # fmt: skip

    def open_leg_rows(self, symbol: str | None) -> list[Leg]:
        return [g for g in self.book.of_symbol(symbol) if not g.canceled and g.list_id is not None]

    def open_legs(self, symbol: str | None) -> list[OrderView]:
        views = [self.view(g.spec.symbol, g.client_id) for g in self.open_leg_rows(symbol)]
        return [v for v in views if v.status.is_open]

    def all_legs(self, symbol: str) -> list[OrderView]:
        return [self.view(symbol, g.client_id) for g in self.book.of_symbol(symbol) if self._resolve(g) is not None]

    def reserved(self, position: Any) -> Decimal:
        """What a position's exits hold back: the legs' quantity, or all of it for sl / tp set by hand."""
        if not (position.sl or position.tp):
            return ZERO
        volume = w.dec(position.volume)
        legs = [g for g in self.open_leg_rows(position.symbol) if self._state(position.symbol, g)[0] is OrderStatus.NEW]
        return min(volume, max((g.spec.quantity for g in legs), default=volume))

    def leg_order_id(self, deal: Any) -> int | None:
        """The leg a stop-loss / take-profit deal filled (None for any other deal)."""
        mt5 = self.b.mt5
        role = {mt5.DEAL_REASON_SL: "sl", mt5.DEAL_REASON_TP: "tp"}.get(deal.reason)
        if role is None:
            return None
        for g in reversed(self.book.of_symbol(deal.symbol)):
            if g.role == role and self._position_of(g) == deal.position_id and not g.canceled:
                return self.leg_id(g)
        return None

    def decorate(self, view: OrderView, executed: Decimal, quote: Decimal, fills: tuple[Fill, ...]) -> OrderView:
        """An entry's view with its list id (when it carries legs) and what its deals say it executed."""
        lists = {g.list_id for g in self.book.of_anchor(view.client_order_id) if g.list_id is not None}
        list_id = lists.pop() if len(lists) == 1 else view.order_list_id
        return dataclasses.replace(
            view, executed_qty=executed, cumulative_quote=quote, fills=fills, order_list_id=list_id
        )

    # -- state ----------------------------------------------------------------------------------------------------
    def leg_id(self, leg: Leg) -> int:
        return LEG_ID_BASE * _ROLE_ID[leg.role] + (leg.list_id or 0)

    def _leg(self, client_order_id: str) -> Leg:
        leg = self.book.get(client_order_id)
        if leg is None or self._resolve(leg) is None:
            raise OrderNotFound(f"MT5 has no order {client_order_id}", hint="it was never accepted")
        return self._resolve(leg)  # type: ignore[return-value]

    def _resolve(self, leg: Leg) -> Leg | None:
        """The leg with its list id; after an unknown outcome the entry is looked up by its comment."""
        if leg.list_id is not None:
            return leg
        found = self.b.find(leg.spec.symbol, leg.anchor) if leg.anchor else None
        if found is None:
            return None
        self.book.set_list_id(leg.list_client_id, found.order_id)
        return dataclasses.replace(leg, list_id=found.order_id)

    def _entry(self, leg: Leg) -> Any | None:
        if not leg.anchor:
            return None
        found = [o for o in self.b.raw_orders(leg.spec.symbol) if o.ticket == leg.list_id]
        return found[0] if found else None

    def _position_of(self, leg: Leg) -> int | None:
        if not leg.anchor:
            return leg.list_id
        entry = self._entry(leg)
        return entry.position_id if entry is not None and entry.state == self.b.mt5.ORDER_STATE_FILLED else None

    def _state(self, symbol: str, leg: Leg) -> tuple[OrderStatus, Any | None]:
        mt5 = self.b.mt5
        entry = self._entry(leg)
        if entry is not None and entry.state in (mt5.ORDER_STATE_PLACED, mt5.ORDER_STATE_STARTED):
            return (OrderStatus.CANCELED if leg.canceled else OrderStatus.PENDING_NEW), None
        if entry is not None and entry.state != mt5.ORDER_STATE_FILLED:
            return (OrderStatus.EXPIRED if entry.state == mt5.ORDER_STATE_EXPIRED else OrderStatus.CANCELED), None
        if leg.canceled:
            return OrderStatus.CANCELED, None
        pid = self._position_of(leg)
        for deal in self.b.deals(symbol):
            if deal.position_id == pid and deal.reason in (mt5.DEAL_REASON_SL, mt5.DEAL_REASON_TP):
                hit = "sl" if deal.reason == mt5.DEAL_REASON_SL else "tp"
                return (OrderStatus.FILLED, deal) if hit == leg.role else (OrderStatus.EXPIRED, None)
        position = next((p for p in self.b.call("positions_get", symbol=symbol) if p.ticket == pid), None)
        level = w.dec(getattr(position, leg.role, 0.0)) if position is not None else ZERO
        return (OrderStatus.NEW if level and level == leg.level else OrderStatus.CANCELED), None

    def _long(self, symbol: str) -> Any | None:
        mt5 = self.b.mt5
        return next((p for p in self.b.call("positions_get", symbol=symbol) if p.type == mt5.POSITION_TYPE_BUY), None)


__all__ = ["LEG_ID_BASE", "Brackets", "Side"]
