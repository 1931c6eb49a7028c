"""Reconciliation: make the journal agree with the exchange, and show every difference first.

The exchange is the truth about orders and fills; the journal is the truth about our intent. At start-up
and on demand each open or unresolved journal order is compared with the exchange, orders placed outside
CRBOT are imported (open ones, and closed ones that filled), and every fill the journal lacks is recorded
(idempotently, by trade id), however old: the trade history is read from the journal's cursor per symbol
(``Journal.fill_cursors``), never from a time window, so nothing falls off a horizon unseen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.domain import Fill, OrderView
from crbot.errors import CrbotError, OrderNotFound
from crbot.journal import Journal, JournalOrder

logger = logging.getLogger(__name__)


class Action(StrEnum):
    UPDATE = "update journal from exchange"
    IMPORT = "import order placed outside CRBOT"
    MARK_REJECTED = "mark as never accepted"
    RECORD_FILLS = "record missing fills"


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    symbol: str
    client_order_id: str
    journal: str  # journal status, or "absent"
    exchange: str  # exchange status, "absent", or a fill count
    action: Action


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileReport:
    differences: tuple[Difference, ...]
    applied: bool
    errors: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.differences and not self.errors


class Reconciler:
    def __init__(self, *, broker: Broker, journal: Journal, clock: Clock) -> None:
        self.broker = broker
        self.journal = journal
        self.clock = clock

    def run(self, symbols: Iterable[str] = (), *, apply: bool = True) -> ReconcileReport:
        """Compare (and with ``apply`` fix) the journal against the exchange.

        Every symbol the journal has ever had orders or fills on is checked, however long ago: history has no
        horizon. Per symbol that costs one trade-history call from the journal's cursor (more pages only for
        fills it lacks), plus one order lookup per journal order that closed on the exchange.
        """
        diffs: list[Difference] = []
        errors: list[str] = []
        unresolved = {o.client_order_id: o for o in self.journal.orders(open_only=True)}
        unresolved |= {o.client_order_id: o for o in self.journal.pending_outcomes()}
        try:
            open_views: list[OrderView] | None = self.broker.open_orders()
        except CrbotError as exc:
            errors.append(f"could not list open orders: {exc}")
            open_views = None
        cursors = self.journal.fill_cursors()
        wanted = set(symbols) | {o.symbol for o in unresolved.values()} | {v.symbol for v in open_views or ()}
        wanted |= self._listed(set(cursors) - wanted)
        for symbol in sorted(wanted):
            here = [o for o in unresolved.values() if o.symbol == symbol]
            try:
                diffs += self._symbol(symbol, here, open_views, cursors.get(symbol, 0), apply)
            except CrbotError as exc:
                errors.append(f"{symbol}: {exc}")
        for diff in diffs:
            logger.warning(
                "reconcile %s %s: journal=%s exchange=%s -> %s",
                diff.symbol,
                diff.client_order_id,
                diff.journal,
                diff.exchange,
                diff.action.value,
            )
        return ReconcileReport(differences=tuple(diffs), applied=apply, errors=tuple(errors))

    def _listed(self, symbols: set[str]) -> set[str]:
        """The journal's other symbols the exchange still lists (a delisted one has no history to ask for)."""
        try:
            listed = self.broker.rules()
        except CrbotError as exc:  # every one is asked, and each that fails is reported
            logger.warning("exchange rules unavailable, checking every journal symbol: %s", exc)
            return symbols
        for symbol in sorted(symbols - set(listed)):
            logger.info("reconcile skips %s: the exchange no longer lists it", symbol)
        return symbols & set(listed)

    def _symbol(
        self,
        symbol: str,
        unresolved: list[JournalOrder],
        open_views: list[OrderView] | None,
        cursor: int,
        apply: bool,
    ) -> list[Difference]:
        open_here = {v.client_order_id: v for v in open_views or () if v.symbol == symbol}
        diffs: list[Difference] = []
        updates: list[OrderView] = []
        back_to: datetime | None = None  # the oldest order that executed more than the journal knows
        for order in unresolved:
            cid = order.client_order_id
            view = open_here.get(cid) or self._lookup(symbol, cid)
            if view is None:
                diffs.append(_diff(symbol, cid, order.status.value, "absent", Action.MARK_REJECTED))
                if apply:
                    self.journal.record_reject(cid, reason="not found on the exchange at reconciliation")
            elif view.status != order.status or view.executed_qty != order.executed_qty:
                diffs.append(_diff(symbol, cid, order.status.value, view.status.value, Action.UPDATE))
                updates.append(view)
                if view.executed_qty > order.executed_qty:
                    back_to = min(view.time, back_to or view.time)
        known = self.journal.known_client_order_ids(list(open_here))
        for cid, view in open_here.items():
            if cid not in known:
                diffs.append(_diff(symbol, cid, "absent", view.status.value, Action.IMPORT))
                updates.append(view)
                if view.executed_qty:
                    back_to = min(view.time, back_to or view.time)
        if back_to is not None:  # its fills may predate fills journaled since it was placed
            cursor = min(cursor, self.journal.trade_id_before(symbol, back_to))
        fills = self.broker.trades(symbol, from_id=cursor)
        known_trades = self.journal.known_trade_ids(symbol, [f.trade_id for f in fills])
        missing = [f for f in fills if f.trade_id not in known_trades]
        if missing:
            diffs.append(
                _diff(
                    symbol,
                    "*",
                    f"{len(known_trades)} of {len(fills)} fills from trade {cursor}",
                    f"{len(missing)} new fills",
                    Action.RECORD_FILLS,
                )
            )
            diffs += self._outside_orders(symbol, missing, updates)
        if apply:
            self.journal.apply_exchange_view(updates)
            self.journal.record_fills(missing)
        return diffs

    def _outside_orders(self, symbol: str, fills: list[Fill], updates: list[OrderView]) -> list[Difference]:
        """Orders placed outside CRBOT that filled (closed, so not among the open ones): imported with their
        fills, so every journaled fill belongs to a journaled order. Appends their views to ``updates``."""
        order_ids = {f.order_id for f in fills} - {v.order_id for v in updates}
        order_ids -= self.journal.journaled_order_ids(symbol, sorted(order_ids))
        if not order_ids:
            return []
        views = [v for v in self.broker.all_orders(symbol, from_id=min(order_ids)) if v.order_id in order_ids]
        known = self.journal.known_client_order_ids([v.client_order_id for v in views])
        diffs = []
        for view in views:
            if view.client_order_id not in known:
                diffs.append(_diff(symbol, view.client_order_id, "absent", view.status.value, Action.IMPORT))
                updates.append(view)
        return diffs

    def resolve_pending(self) -> int:
        """Orders whose outcome is unknown (INTENT / UNKNOWN): ask the exchange by client order id."""
        resolved = 0
        for order in self.journal.pending_outcomes():
            try:
                view = self._lookup(order.symbol, order.client_order_id)
            except CrbotError as exc:
                logger.warning("cannot resolve %s yet: %s", order.client_order_id, exc)
                continue
            if view is None:
                self.journal.record_reject(order.client_order_id, reason="never reached the exchange")
            else:
                self.journal.record_ack(view)
            resolved += 1
        return resolved

    def _lookup(self, symbol: str, cid: str) -> OrderView | None:
        try:
            return self.broker.get_order(symbol, cid)
        except OrderNotFound:
            return None


def _diff(symbol: str, cid: str, journal: str, exchange: str, action: Action) -> Difference:
    return Difference(symbol=symbol, client_order_id=cid, journal=journal, exchange=exchange, action=action)
