"""The only entry point for orders: dashboard pages, the CLI and bots all call ``TradingService``.

    1. normalise against exchange filters (tick, step, notional)   -> InvalidInput / FilterError
    2. risk manager: trading state, limits, price band, rate       -> Denied(code, detail), audited
    3. journal: record intent with our client order id (durable) BEFORE sending
    4. broker.submit (paper | Binance)                             -> ack | typed error
    5. journal: ack / reject / fills; unknown outcome -> looked up by client order id
Cancels and queries never pass the risk manager and are never blocked by the trading state.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.connection import describe_connection
from crbot.domain import (
    QUOTE_ASSET,
    AuditEvent,
    Mode,
    OrderRequest,
    OrderSpec,
    OrderView,
    Position,
    Side,
    StopReport,
)
from crbot.errors import CrbotError, InvalidInput, OrderNotFound
from crbot.exchange import filters
from crbot.executor import Executor
from crbot.exits import ExitKeeper, Unprotected
from crbot.journal import Journal, JournalOrder, StateRecord
from crbot.killswitch import KillSwitch, own_positions
from crbot.normalize import Normalised, new_client_order_id, normalise
from crbot.portfolio import BalanceRow, positions, symbol_for, value_balances
from crbot.portfolio import equity as total_equity
from crbot.pretrade import order_intent, risk_context
from crbot.reconcile import Reconciler, ReconcileReport
from crbot.risk import Denial, RiskContext, RiskLimits, check

logger = logging.getLogger(__name__)

EQUITY_SNAPSHOT_EVERY = timedelta(seconds=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class Preview:
    """What the ticket shows before sending: the exact orders, their cost and the risk verdict."""

    ok: bool
    error: str | None = None
    denial: Denial | None = None
    specs: tuple[OrderSpec, ...] = ()
    quantity: Decimal | None = None
    price: Decimal | None = None
    notional: Decimal | None = None
    fee_estimate: Decimal | None = None
    loss_at_stop: Decimal | None = None
    loss_at_stop_pct: Decimal | None = None
    gain_at_take_profit: Decimal | None = None
    last_price: Decimal | None = None
    equity: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceResult:
    client_order_id: str
    orders: tuple[JournalOrder, ...]
    message: str


class TradingService:
    def __init__(self, *, broker: Broker, journal: Journal, clock: Clock, mode: Mode, fee_rate: Decimal) -> None:
        self.journal = journal
        self.clock = clock
        self.mode = mode
        self.fee_rate = fee_rate
        self.executor = Executor(broker=broker, journal=journal, mode=mode.value, fee_rate=fee_rate)
        self.exits = ExitKeeper(executor=self.executor, journal=journal)
        self.killswitch = KillSwitch(executor=self.executor, clock=clock)
        self.reconciler = Reconciler(broker=broker, journal=journal, clock=clock)
        self.last_reconcile: ReconcileReport | None = None  # shown on the Connection page
        self._last_snapshot: datetime | None = None
        self._snapshot_lock = threading.Lock()  # one service serves every dashboard session

    @property
    def broker(self) -> Broker:
        return self.executor.broker

    @broker.setter
    def broker(self, broker: Broker) -> None:  # one broker for every part (tests wrap it to record sends)
        self.executor.broker = self.reconciler.broker = broker

    # ---- read side -------------------------------------------------------------------------------
    new_client_order_id = staticmethod(new_client_order_id)

    def price_source(self) -> str:
        return self.broker.price_source()

    def trading_state(self) -> StateRecord:
        return self.journal.trading_state()

    def risk_limits(self) -> RiskLimits:
        return RiskLimits.from_strings(self.journal.risk_limits())

    def save_risk_limits(self, limits: RiskLimits, *, actor: str, reason: str) -> None:
        if not reason.strip():
            raise InvalidInput("a reason is required to change risk limits", hint="say why, for the audit log")
        self.journal.save_risk_limits(limits.to_strings(), actor=actor, reason=reason)

    def audit_events(self, limit: int = 200) -> list[AuditEvent]:
        return self.journal.audit_events(limit)

    def prices(self, symbols: set[str]) -> dict[str, Decimal]:
        """Last prices of these symbols (a missing price is left out, never zero)."""
        result = {}
        for symbol in symbols:
            try:
                result[symbol] = self.broker.last_price(symbol)
            except CrbotError as exc:
                logger.warning("no price for %s: %s", symbol, exc)
        return result

    def balances(self) -> list[BalanceRow]:
        raw = self.broker.balances()
        held = {symbol_for(b.asset) for b in raw if b.total and b.asset != QUOTE_ASSET}
        return value_balances(raw, self.prices(held & set(self.broker.rules())))

    def equity(self) -> Decimal | None:
        return total_equity(self.balances())

    def positions(self) -> list[Position]:
        rows = self.balances()
        prices = {symbol_for(r.asset): r.price for r in rows if r.price is not None}
        symbols = [symbol_for(r.asset) for r in rows if r.asset != QUOTE_ASSET]
        return positions(rows, {s: self.journal.fills(symbol=s) for s in symbols}, prices)

    def connection_info(self) -> dict[str, str]:
        """The Connection panel: mode, endpoint, ping, clock offset, weight, key audit, commissions."""
        return describe_connection(self.broker, self.mode)

    def open_orders(self) -> list[JournalOrder]:
        return self.journal.orders(open_only=True)

    def orders(self, limit: int = 200) -> list[JournalOrder]:
        return self.journal.orders(limit=limit)

    def metrics(self):
        from crbot import metrics

        j = self.journal
        return metrics.summary(j.fills_frame(), j.orders_frame(), j.equity_frame())

    # ---- the order path ---------------------------------------------------------------------------
    def preview(self, req: OrderRequest) -> Preview:
        """Everything the ticket shows before sending; never raises for bad input."""
        try:
            open_orders = self.broker.open_orders()
            norm, last = self._normalise(req, "preview", open_orders)
        except CrbotError as exc:
            return Preview(ok=False, error=str(exc))
        ctx, limits = self._risk_context(norm.entry.symbol, last, open_orders)
        denial = check(order_intent(norm, ctx), limits, ctx)
        loss = gain = loss_pct = None
        for leg in norm.exit_legs:
            if leg.stop_price is not None:
                loss = -norm.outcome(leg, self.fee_rate)
                loss_pct = loss / ctx.equity * 100 if ctx.equity else None
            else:
                gain = norm.outcome(leg, self.fee_rate)
        return Preview(
            ok=denial is None,
            denial=denial,
            error=str(denial.to_error()) if denial else None,
            specs=(norm.entry, *norm.exit_legs),
            quantity=norm.entry.quantity,
            price=norm.reference_price,
            notional=norm.notional,
            fee_estimate=norm.notional * self.fee_rate,
            loss_at_stop=loss,
            loss_at_stop_pct=loss_pct,
            gain_at_take_profit=gain,
            last_price=last,
            equity=ctx.equity,
        )

    def place(
        self, req: OrderRequest, *, client_order_id: str | None = None, source: str = "ticket", actor: str
    ) -> PlaceResult:
        """Send an order through the single path. Idempotent per ``client_order_id``."""
        cid = client_order_id or new_client_order_id()
        if self.journal.has_client_order_id(cid):  # a double click or a rerun: report, never resend
            return self._result(cid, "already sent; showing its current state")
        open_orders = self.broker.open_orders()
        norm, last = self._normalise(req, cid, open_orders)
        ctx, limits = self._risk_context(norm.entry.symbol, last, open_orders)
        denial = check(order_intent(norm, ctx), limits, ctx)
        if denial is not None:
            self.journal.audit(actor=actor, action="order_denied", detail=denial.detail, reason=denial.code)
            logger.warning("order denied: %s %s", denial.code, denial.detail)
            raise denial.to_error()
        bracket = norm.as_list  # a LIMIT bracket is ONE order list; a MARKET entry's exits wait for its fill
        planned = norm.exits if norm.exits is not None and bracket is None else None
        views = self.executor.send(
            bracket or norm.entry, source=source, actor=actor, expected_price=last, planned=planned
        )
        if planned is not None:
            entry = views[0]
            if not entry.status.is_final:  # a MARKET ack is final; a RESULT-less answer is looked up
                entry = self.broker.get_order(entry.symbol, entry.client_order_id)
            self.exits.protect(entry, actor=actor)
        return self._result(cid, "sent", legs=bool(norm.exits))

    def cancel(self, symbol: str, client_order_id: str, *, actor: str) -> OrderView:
        """Cancel one order (a leg cancels its whole list). Never blocked by the trading state."""
        view = self.broker.cancel(symbol, client_order_id)
        self.journal.audit(actor=actor, action="order_cancel", detail=f"{symbol} {client_order_id}")
        self._sync_after("the cancel", symbols={symbol})
        return view

    # ---- kill switch -------------------------------------------------------------------------------
    def stop(self, *, reason: str, actor: str, flatten: bool = False, all_balances: bool = False) -> StopReport:
        """HALTED first (no exchange needed), then cancel everything; ``flatten`` sells CRBOT's own positions,
        ``all_balances`` every coin on the account (the operator's explicit choice)."""
        return self.killswitch.stop(reason=reason, actor=actor, flatten=flatten, all_balances=all_balances)

    def resume(self, *, confirmation: str, actor: str, reason: str = "resumed by operator") -> None:
        self.killswitch.resume(confirmation=confirmation, actor=actor, reason=reason)

    def set_reducing(self, *, actor: str, reason: str) -> None:
        self.killswitch.reduce_only(actor=actor, reason=reason)

    # ---- synchronisation --------------------------------------------------------------------------
    def sync(self, symbols: set[str] | None = None) -> None:
        """Bring our open orders and their fills up to date from the exchange (idempotent, cheap).

        One open-orders call; each journal order no longer open there is looked up once; fills are fetched
        only for symbols where something traded. Orders placed outside CRBOT that are open are imported;
        a full comparison is ``reconcile()``.
        """
        on_exchange = {o.client_order_id: o for o in self.broker.open_orders()}
        views = list(on_exchange.values())
        touched = set(symbols or ()) | {v.symbol for v in views if v.executed_qty}
        for order in self.journal.orders(open_only=True):
            if order.client_order_id in on_exchange or order.is_pending:
                continue  # still open, or outcome unknown (resolved by reconcile_pending)
            try:
                views.append(self.broker.get_order(order.symbol, order.client_order_id))
            except OrderNotFound:
                logger.warning("%s is open in the journal but unknown to the exchange", order.client_order_id)
                continue
            touched.add(order.symbol)
        self.journal.apply_exchange_view(views)
        self._catch_up_fills(touched)

    def _catch_up_fills(self, symbols: set[str]) -> None:
        """Fills of these symbols, and of any order answered without its fills (a lookup after a timeout), from
        the journal's trade-id cursor: however old, paged, never a time window."""
        cursors = self.journal.fill_cursors()
        for symbol in sorted(symbols | self.journal.symbols_lacking_fills()):
            self.journal.record_fills(self.broker.trades(symbol, from_id=cursors.get(symbol, 0)))

    def _sync_after(self, what: str, symbols: set[str] | None = None) -> None:
        """Sync after an action that already happened: a failure must not make it look as if it had not."""
        try:
            self.sync(symbols)
        except CrbotError as exc:
            logger.warning("journal not refreshed after %s (the next refresh catches up): %s", what, exc)

    def start_up(self, *, actor: str) -> ReconcileReport:
        """What a process does before it trades or reports (STOP, cancel and resume never wait for it):
        the live key audit, a STOP sweep that was left incomplete, then reconciliation with exit recovery."""
        self.broker.require_safe_key()
        self.killswitch.sweep_if_incomplete(actor=actor)
        return self.reconcile(actor=actor)

    def refresh(self) -> None:
        """Called by the dashboard's fragments and the CLI: sync, then an equity point now and then."""
        self.killswitch.sweep_if_incomplete(actor="crbot:refresh")
        self.sync()
        now = self.clock.now()
        with self._snapshot_lock:
            if self._last_snapshot is not None and now - self._last_snapshot < EQUITY_SNAPSHOT_EVERY:
                return
            self._last_snapshot = now
        value = self.equity()
        if value is not None:
            self.journal.snapshot_equity(value, at=now)

    # ---- internals --------------------------------------------------------------------------------
    def _normalise(self, req: OrderRequest, cid: str, open_orders: list[OrderView]) -> tuple[Normalised, Decimal]:
        rules = self.broker.rules().get(req.symbol.upper())
        if rules is None:
            raise InvalidInput(f"unknown symbol {req.symbol!r}", hint="pick one of the exchange's symbols")
        last = self.broker.last_price(rules.symbol)
        norm = normalise(req, rules, last_price=last, fee_rate=self.fee_rate, client_order_id=cid)
        avg = self.broker.avg_price(rules.symbol)
        open_count = sum(1 for o in open_orders if o.symbol == rules.symbol)
        specs = norm.as_list.orders if norm.as_list else (norm.entry,)
        for spec in specs:
            filters.validate_order(rules, spec, avg_price=avg, open_orders=open_count, adds=len(specs))
        if norm.exits is not None and norm.as_list is None:
            for leg in norm.exit_legs:
                filters.validate_order(rules, leg, avg_price=avg, open_orders=open_count + 1, adds=len(specs))
        return norm, last

    def reconcile_pending(self) -> int:
        """Resolve orders whose outcome is unknown by asking the exchange for their client order id."""
        return self.reconciler.resolve_pending()

    def reconcile(self, *, apply: bool = True, actor: str = "crbot:reconcile") -> ReconcileReport:
        """Compare the journal with the exchange (and fix it with ``apply``); every difference is listed.

        With ``apply``, exits a crash left behind are finished too: unanswered ones looked up (and sent if the
        exchange never got them) before the comparison, PLANNED ones of filled entries sent after it."""
        if apply:
            self.exits.resend_unanswered()
        self.last_reconcile = self.reconciler.run(apply=apply)
        if apply:
            self.exits.send_planned(actor=actor)
        return self.last_reconcile

    def unprotected_positions(self) -> list[Unprotected]:
        """Filled entries still held whose stop-loss/take-profit is not on the exchange (a banner on every page)."""
        held = own_positions(self.journal.own_fills(), self.broker.rules())  # journal only: cheap on every page
        selling = {o.symbol for o in self.journal.orders(open_only=True) if o.side is Side.SELL}
        return self.exits.unprotected(held=held, open_exit_symbols=selling)

    def _result(self, cid: str, message: str, *, legs: bool = True) -> PlaceResult:
        ids = (cid, f"{cid}-tp", f"{cid}-sl") if legs else (cid,)  # exits are named after the entry
        orders = [o for o in map(self.journal.get_order, ids) if o is not None]
        return PlaceResult(client_order_id=cid, orders=tuple(orders), message=message)

    def _risk_context(
        self, symbol: str, last: Decimal | None, open_orders: list[OrderView]
    ) -> tuple[RiskContext, RiskLimits]:
        return risk_context(
            base_asset=self.broker.rules()[symbol].base_asset,
            last=last,
            rows=self.balances(),
            open_orders=open_orders,
            journal=self.journal,
            now=self.clock.now(),
        )
