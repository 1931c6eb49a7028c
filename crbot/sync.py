"""Keeping the journal and the account snapshot current, within a request-weight budget STOP can rely on.

* ``sync``: open orders of the symbols the journal has open orders on (6 weight each) — or, with ``discover``,
  of every symbol (80), which finds orders placed outside CRBOT; each order no longer open is looked up once;
  fills from the journal's trade-id cursor for symbols that traded.
* ``refresh`` (the dashboard's fragments, the monitor): a STOP sweep left incomplete, ``sync`` (discovery every
  DISCOVER_EVERY), the account snapshot when stale and an equity point every EQUITY_EVERY. An idle account
  costs about 56 weight a minute: the snapshot (24 twice a minute) and a discovery every 10 minutes.
* ``start_up``: what a process does before it trades — the live key audit, a STOP sweep left incomplete,
  unanswered orders resolved and exits a crash left unsent; ``full`` (the dashboard, ``reconcile``) also
  compares the whole journal with the exchange. STOP, cancel and resume never wait for it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from crbot.account import Account
from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.errors import CrbotError, OrderNotFound
from crbot.exits import ExitKeeper
from crbot.journal import Journal
from crbot.killswitch import KillSwitch
from crbot.reconcile import Reconciler, ReconcileReport

logger = logging.getLogger(__name__)

DISCOVER_EVERY = timedelta(minutes=10)  # all-symbol open orders cost 80 weight: not on every refresh
EQUITY_EVERY = timedelta(seconds=30)


class Sync:
    def __init__(
        self, *, killswitch: KillSwitch, exits: ExitKeeper, account: Account, journal: Journal, clock: Clock
    ) -> None:
        self.killswitch = killswitch
        self.exits = exits
        self.account = account
        self.journal = journal
        self.clock = clock
        self.reconciler = Reconciler(broker=killswitch.broker, journal=journal, clock=clock)
        self.last_reconcile: ReconcileReport | None = None  # shown on the Connection page
        self._lock = threading.Lock()  # one service serves every dashboard session
        self._discovered: datetime | None = None
        self._equity_at: datetime | None = None

    @property
    def broker(self) -> Broker:
        return self.killswitch.broker

    def sync(self, symbols: set[str] | None = None, *, discover: bool = False) -> None:
        """Bring our open orders and their fills up to date from the exchange (idempotent)."""
        journal_open = self.journal.orders(open_only=True)
        wanted = set(symbols or ()) | {o.symbol for o in journal_open}
        if discover:
            views = self.broker.open_orders()
            self._discovered = self.clock.now()
        else:
            views = [v for symbol in sorted(wanted) for v in self.broker.open_orders(symbol)]
        on_exchange = {v.client_order_id for v in views}
        touched = set(symbols or ()) | {v.symbol for v in views if v.executed_qty}
        for order in journal_open:
            if order.client_order_id in on_exchange or order.is_pending:
                continue  # still open, or outcome unknown (resolved at start-up / reconcile)
            try:
                views.append(self.broker.get_order(order.symbol, order.client_order_id))
            except OrderNotFound:
                logger.warning("%s is open in the journal but unknown to the exchange", order.client_order_id)
                continue
            touched.add(order.symbol)
        self.journal.apply_exchange_view(views)
        self.catch_up_fills(touched)

    def catch_up_fills(self, symbols: set[str]) -> None:
        """Fills of these symbols, and of any order answered without its fills (a lookup after a timeout), from
        the journal's trade-id cursor: however old, paged, never a time window."""
        cursors = self.journal.fill_cursors()
        for symbol in sorted(symbols | self.journal.symbols_lacking_fills()):
            self.journal.record_fills(self.broker.trades(symbol, from_id=cursors.get(symbol, 0)))

    def after(self, what: str, symbols: set[str] | None = None) -> None:
        """Sync after an action that already happened: a failure must not make it look as if it had not."""
        self.account.invalidate()
        try:
            self.sync(symbols)
        except CrbotError as exc:
            logger.warning("journal not refreshed after %s (the next refresh catches up): %s", what, exc)

    def refresh(self) -> None:
        """The dashboard's heartbeat: cheap when nothing happens (see the module docstring for the budget)."""
        self.killswitch.sweep_if_incomplete(actor="crbot:refresh")
        now = self.clock.now()
        with self._lock:
            discover = self._discovered is None or now - self._discovered >= DISCOVER_EVERY
            if discover:
                self._discovered = now  # one session discovers; the others do not pile on
            snapshot_equity = self._equity_at is None or now - self._equity_at >= EQUITY_EVERY
            if snapshot_equity:
                self._equity_at = now
        self.sync(discover=discover)
        if snapshot_equity:
            value = self.account.snapshot().equity
            if value is not None:
                self.journal.snapshot_equity(value, at=now)

    def start_up(self, *, actor: str, full: bool) -> ReconcileReport | None:
        self.broker.require_safe_key()
        self.killswitch.sweep_if_incomplete(actor=actor)
        if full:
            return self.reconcile(actor=actor)
        self.exits.resend_unanswered()
        self.reconciler.resolve_pending()
        self.exits.send_planned(actor=actor)
        return None

    def reconcile(self, *, apply: bool = True, actor: str = "crbot:reconcile") -> ReconcileReport:
        """Compare the journal with the exchange (and fix it with ``apply``); every difference is listed.

        With ``apply``, exits a crash left behind are finished too: unanswered ones looked up (and sent if the
        exchange never got them) before the comparison, PLANNED ones of filled entries sent after it."""
        if apply:
            self.exits.resend_unanswered()
        report = self.reconciler.run(apply=apply)
        self.last_reconcile = report
        if apply:
            self.exits.send_planned(actor=actor)
            self.account.invalidate()
            with self._lock:
                self._discovered = self.clock.now()  # a reconcile lists every open order
        return report
