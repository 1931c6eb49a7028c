"""Reconciliation: make the journal agree with the exchange, and show every difference first.

The exchange is the truth about orders and fills; the journal is the truth about our intent. At start-up
and on demand each open or unresolved journal order is compared with the exchange, orders placed outside
CRBOT are imported, and missing fills are recorded (idempotently, by trade id).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.domain import OrderView
from crbot.errors import CrbotError, OrderNotFound
from crbot.journal import Journal

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)
RECENT_ORDERS = 5000  # journal orders scanned for the symbols we traded within LOOKBACK


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
        """Compare (and with ``apply`` fix) the journal against the exchange."""
        since = self.clock.now() - LOOKBACK
        diffs: list[Difference] = []
        errors: list[str] = []
        unresolved = {o.client_order_id: o for o in self.journal.orders(open_only=True)}
        unresolved |= {o.client_order_id: o for o in self.journal.pending_outcomes()}
        wanted = set(symbols) | {o.symbol for o in unresolved.values()}
        # Symbols traded lately too: an order closed in the journal may still lack fills (a trades query that
        # failed after the status update), and no open or pending order points at its symbol any more.
        wanted |= {o.symbol for o in self.journal.orders(limit=RECENT_ORDERS) if o.updated_at >= since}
        try:
            wanted |= {o.symbol for o in self.broker.open_orders()}
        except CrbotError as exc:
            errors.append(f"could not list open orders: {exc}")
        for symbol in sorted(wanted):
            try:
                diffs += self._symbol(symbol, since, unresolved, apply)
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

    def _symbol(self, symbol: str, since: datetime, unresolved: dict, apply: bool) -> list[Difference]:
        exchange = {v.client_order_id: v for v in self.broker.all_orders(symbol, since=since)}
        diffs: list[Difference] = []
        updates: list[OrderView] = []
        for cid, order in unresolved.items():
            if order.symbol != symbol:
                continue
            view = exchange.get(cid) or self._lookup(symbol, cid)
            if view is None:
                diffs.append(
                    Difference(
                        symbol=symbol,
                        client_order_id=cid,
                        journal=order.status.value,
                        exchange="absent",
                        action=Action.MARK_REJECTED,
                    )
                )
                if apply:
                    self.journal.record_reject(cid, reason="not found on the exchange at reconciliation")
            elif view.status != order.status or view.executed_qty != order.executed_qty:
                diffs.append(
                    Difference(
                        symbol=symbol,
                        client_order_id=cid,
                        journal=order.status.value,
                        exchange=view.status.value,
                        action=Action.UPDATE,
                    )
                )
                updates.append(view)
        known = self.journal.known_client_order_ids([cid for cid, v in exchange.items() if v.status.is_open])
        for cid, view in exchange.items():
            if view.status.is_open and cid not in known:
                diffs.append(
                    Difference(
                        symbol=symbol,
                        client_order_id=cid,
                        journal="absent",
                        exchange=view.status.value,
                        action=Action.IMPORT,
                    )
                )
                updates.append(view)
        fills = self.broker.trades(symbol, since=self.journal.last_fill_time(symbol) or since)
        known = {f.trade_id for f in self.journal.fills(symbol=symbol, since=since)}
        missing = [f for f in fills if f.trade_id not in known]
        if missing:
            diffs.append(
                Difference(
                    symbol=symbol,
                    client_order_id="*",
                    journal=f"{len(known)} fills",
                    exchange=f"{len(missing)} new fills",
                    action=Action.RECORD_FILLS,
                )
            )
        if apply:
            self.journal.apply_exchange_view(updates)
            self.journal.record_fills(missing)
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
