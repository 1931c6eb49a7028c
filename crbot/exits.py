"""Exits of a MARKET entry: journaled WITH the entry, sent after its fill, recovered after a crash.

A MARKET entry with stop-loss/take-profit journals its exits as PLANNED in the entry's intent. Once the
entry has filled, ``Executor.send_exits`` sizes and sends them. If the process dies in between, the next
start-up (or reconcile) finds them here (``resend_unanswered`` before reconcile, ``send_planned`` after):

* an exit sent but unanswered (INTENT / UNKNOWN) is looked up by client order id; if the exchange never got
  it, it is sent again under the same id (the entry is filled, so the position needs it);
* PLANNED exits of a filled entry are sent; those of an entry that never filled are dropped;
* an exit that could not be placed flags the position ``position_unprotected`` (audit event, critical log,
  a banner on every page) until it is protected or flat.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from crbot.domain import ZERO, OrderListSpec, OrderStatus, OrderView, Side
from crbot.errors import CrbotError, OrderNotFound, fmt
from crbot.exchange.rules import SymbolRules
from crbot.executor import Executor, Sendable
from crbot.journal import Journal, JournalOrder
from crbot.portfolio import own_positions

logger = logging.getLogger(__name__)

UNPROTECTED = "position_unprotected"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unprotected:
    """A filled entry whose stop-loss/take-profit is not on the exchange."""

    symbol: str
    entry_client_order_id: str
    quantity: Decimal
    reason: str

    def __str__(self) -> str:
        why = self.reason.rstrip(".")
        return f"{self.symbol} {fmt(self.quantity)} has no stop-loss/take-profit on the exchange ({why})"


class ExitKeeper:
    def __init__(self, *, executor: Executor, journal: Journal) -> None:
        self.executor = executor
        self.journal = journal

    def protect(self, entry: OrderView | JournalOrder, *, actor: str) -> list[OrderView]:
        """Send the planned exits of a (now final) entry; flag the position loudly if that fails."""
        if not entry.executed_qty:
            if entry.status.is_final:
                self.journal.drop_planned(entry.client_order_id, reason=f"the entry {entry.status} without a fill")
            return []
        try:
            return self.executor.send_exits(entry)
        except CrbotError as exc:
            self.flag(entry, actor=actor, reason=str(exc))
            exc.message = f"the entry FILLED but its exits were not placed: {exc.message}"
            exc.hint = "place a stop-loss now from the ticket, or flatten with STOP"
            raise

    def flag(self, entry: OrderView | JournalOrder, *, actor: str, reason: str) -> None:
        held = min((leg.quantity for leg in self.journal.exits_of(entry.client_order_id)), default=entry.executed_qty)
        detail = f"{entry.symbol} {fmt(held)} bought by {entry.client_order_id} has no stop-loss/take-profit"
        self.journal.audit(actor=actor, action=UNPROTECTED, detail=detail, reason=reason)
        logger.critical("POSITION UNPROTECTED: %s: %s", detail, reason)

    def send_planned(self, *, actor: str) -> int:
        """After a restart: PLANNED exits of entries that filled meanwhile are sent. Returns how many entries."""
        done = 0
        for entry in self.journal.entries_with_planned_exits():
            if entry.is_pending:
                continue  # the entry's own outcome first (reconcile resolves it)
            if entry.status.is_open and entry.executed_qty == ZERO:
                continue
            try:
                done += bool(self.protect(entry, actor=actor))
            except CrbotError as exc:
                logger.error("exits of %s still not placed: %s", entry.client_order_id, exc)
        return done

    def resend_unanswered(self) -> None:
        """Exits journaled as sent but with no answer: found -> journal it; never arrived -> send it again."""
        pending = [o for o in self.journal.pending_outcomes() if o.parent_client_id]
        groups: dict[str, list[JournalOrder]] = {}
        for order in pending:
            groups.setdefault(order.list_client_id or order.client_order_id, []).append(order)
        for legs in groups.values():
            try:
                views = [self.executor.broker.get_order(leg.symbol, leg.client_order_id) for leg in legs]
            except OrderNotFound:
                what: Sendable = (
                    OrderListSpec(
                        list_client_id=legs[0].list_client_id or "",
                        symbol=legs[0].symbol,
                        working=None,
                        pending=tuple(leg.spec for leg in legs),
                    )
                    if len(legs) > 1
                    else legs[0].spec
                )
                logger.warning(
                    "exits %s never reached the exchange: sending them now", [o.client_order_id for o in legs]
                )
                try:
                    self.executor.resend(what)
                except CrbotError as exc:
                    entry = self.journal.get_order(legs[0].parent_client_id or "")
                    if entry is not None:
                        self.flag(entry, actor="crbot:recovery", reason=str(exc))
                continue
            except CrbotError as exc:
                logger.warning("cannot look the exits up yet: %s", exc)
                continue
            self.journal.apply_exchange_view(views)

    def unprotected(self, rules: Mapping[str, SymbolRules]) -> list[Unprotected]:
        """Filled entries whose exits are not working, for symbols still held (CRBOT's own net position, from
        the journal) and with no open SELL that would close them. Flat or otherwise protected ones are not
        flagged. Journal reads only; CRBOT's fills are read only when some entry's exits failed."""
        failed = self.journal.entries_with_failed_exits()
        if not failed:  # the usual case, asked on every page: one small query
            return []
        held = own_positions(self.journal.own_fills(), rules)
        open_exit_symbols = {o.symbol for o in self.journal.orders(open_only=True) if o.side is Side.SELL}
        found = []
        for entry, exits in failed:
            qty = min((leg.quantity for leg in exits), default=ZERO)
            if entry.side is not Side.BUY or entry.symbol in open_exit_symbols or held.get(entry.symbol, ZERO) < qty:
                continue
            reason = next((leg.reason for leg in exits if leg.status is OrderStatus.REJECTED and leg.reason), "")
            found.append(
                Unprotected(
                    symbol=entry.symbol,
                    entry_client_order_id=entry.client_order_id,
                    quantity=qty,
                    reason=reason or "exits not placed",
                )
            )
        return found
