"""The one way an order is sent: ticket and CLI orders, the exits of a MARKET entry, STOP's flatten, bots.

    intent (durable; the trading state re-read in the same transaction)
      -> broker.submit / submit_list
      -> ack (with the fills the exchange reported)  |  reject  |  unknown -> looked up by client order id
      -> fills journaled, latency recorded

An order whose outcome is unknown is never called rejected: it stays UNKNOWN until the exchange says what
became of it (here at once if a lookup answers, else by reconciliation). Risk checks happen before, in the
service; the executor only refuses what the journal refuses (HALTED, a repeated client order id).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from crbot.binance.codec import check_client_id
from crbot.broker.base import Broker
from crbot.domain import OrderListSpec, OrderSpec, OrderView, Side, TradingState
from crbot.errors import CrbotError, OutcomeUnknown
from crbot.exchange import filters
from crbot.journal import Journal, JournalOrder

logger = logging.getLogger(__name__)

Sendable = OrderSpec | OrderListSpec


@dataclass(frozen=True, slots=True)
class Sent:
    """What was sent: the exchange's views and the orders as journaled with their acks (same order)."""

    views: list[OrderView]
    orders: list[JournalOrder]


def specs_of(what: Sendable | None) -> tuple[OrderSpec, ...]:
    if what is None:
        return ()
    return what.orders if isinstance(what, OrderListSpec) else (what,)


class Executor:
    def __init__(self, *, broker: Broker, journal: Journal, mode: str, fee_rate: Decimal) -> None:
        self.broker = broker
        self.journal = journal
        self.mode = mode
        self.fee_rate = fee_rate

    def send(
        self,
        what: Sendable,
        *,
        source: str,
        actor: str,
        expected_price: Decimal | None,
        planned: Sendable | None = None,
        while_halted: bool = False,
    ) -> Sent:
        """Journal the intent (with ``planned`` exits, sent later by ``send_exits``), then send ``what``."""
        planned_specs = specs_of(planned)
        ids = [s.client_order_id for s in (*specs_of(what), *planned_specs)]
        ids += [x.list_client_id for x in (what, planned) if isinstance(x, OrderListSpec)]
        for cid in ids:  # every derived id too: an exit refused for its id would leave a naked position
            check_client_id(cid)
        self.journal.record_intent(
            specs_of(what),
            list_client_id=what.list_client_id if isinstance(what, OrderListSpec) else None,
            source=source,
            mode=self.mode,
            expected_price=expected_price,
            actor=actor,
            planned=planned_specs,
            planned_list_id=planned.list_client_id if isinstance(planned, OrderListSpec) else None,
            while_halted=while_halted,
        )
        return self._submit(what, while_halted=while_halted)

    def send_exits(self, entry: OrderView | JournalOrder) -> list[OrderView]:
        """The entry filled: size its PLANNED exits to what was really bought (net of a base-asset fee), send.

        Returns [] when the entry has no planned exits (or they were sent already)."""
        if not entry.executed_qty:
            return []
        rules = self.broker.rules()[entry.symbol]
        fee_rate = self.fee_rate if entry.side is Side.BUY else Decimal(0)
        qty = filters.floor_qty(rules, entry.executed_qty * (1 - fee_rate))
        legs = self.journal.activate_planned(entry.client_order_id, qty)
        if not legs:
            return []
        specs = tuple(replace(leg.spec, quantity=qty) for leg in legs)
        what: Sendable = (
            OrderListSpec(list_client_id=legs[0].list_client_id or "", symbol=entry.symbol, working=None, pending=specs)
            if len(specs) > 1
            else specs[0]
        )
        logger.info("entry %s filled %s: sending its exits", entry.client_order_id, entry.executed_qty)
        return self._submit(what, while_halted=True).views  # protecting a position is always allowed

    def resend(self, what: Sendable) -> list[OrderView]:
        """Send orders whose intent is already journaled and that the exchange confirmed it never got."""
        return self._submit(what, while_halted=True).views

    def _submit(self, what: Sendable, *, while_halted: bool) -> Sent:
        cids = [s.client_order_id for s in specs_of(what)]
        started = time.perf_counter()
        try:
            views = self.broker.submit_list(what) if isinstance(what, OrderListSpec) else [self.broker.submit(what)]
        except OutcomeUnknown as exc:
            for cid in cids:
                self.journal.mark_unknown(cid, reason=str(exc))
            views = self._look_up(what, exc)
        except CrbotError as exc:
            for cid in cids:
                self.journal.record_reject(cid, reason=str(exc))
            raise
        latency = (time.perf_counter() - started) * 1000
        # the fills of a FULL response / the paper engine's matches, in the ack's own transaction: no
        # trade-history query and no second commit on the order path
        acked = [self.journal.record_ack(view, latency_ms=latency, fills=view.fills) for view in views]
        for view in views:
            if view.executed_qty and not view.fills:
                logger.info("%s traded but its ack has no fills: the next sync records them", view.client_order_id)
        if any(a.state is TradingState.HALTED for a in acked) and not while_halted:
            self._cancel_landed_after_stop(views)
        return Sent(views=views, orders=[a.order for a in acked])

    def _look_up(self, what: Sendable, unknown: OutcomeUnknown) -> list[OrderView]:
        """After a timeout: ask the exchange by client order id; still unknown -> raise (reconcile resolves it)."""
        views = []
        for spec in specs_of(what):
            try:
                views.append(self.broker.get_order(spec.symbol, spec.client_order_id))
            except CrbotError as exc:  # not there YET is not "rejected": it may still land
                logger.warning("%s outcome still unknown (%s): reconcile resolves it", spec.client_order_id, exc)
                raise unknown from exc
        return views

    def _cancel_landed_after_stop(self, views: Sequence[OrderView]) -> None:
        """STOP latched while this order was in flight: it must not stay open (STOP's sweep may have missed it)."""
        lists: set[int] = set()
        for view in views:
            if not view.status.is_open or view.order_list_id in lists:
                continue  # one cancel takes a whole order list down
            if view.order_list_id >= 0:
                lists.add(view.order_list_id)
            logger.warning("%s landed after STOP latched HALTED: cancelling it", view.client_order_id)
            try:
                self.journal.apply_exchange_view([self.broker.cancel(view.symbol, view.client_order_id)])
            except CrbotError as exc:
                logger.error("could not cancel %s after STOP (STOP's own sweep retries): %s", view.client_order_id, exc)
