"""The only entry point: dashboard pages, the CLI and bots all call ``TradingService``.

    1. normalise against exchange filters (tick, step, notional)   -> InvalidInput / FilterError
    2. risk manager: trading state, limits, price band, rate       -> Denied(code, detail), audited
    3. executor: intent journaled (durable) BEFORE sending -> broker -> ack with fills | reject | unknown
Cancels and queries never pass the risk manager and are never blocked by the trading state.

The service composes one part per concern: ``executor`` (sending), ``exits`` (a MARKET entry's exits),
``killswitch`` (STOP / resume), ``account`` (the read model: a snapshot pages and previews read) and ``syncer``
(journal and snapshot kept current, start-up, reconcile).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from crbot.account import Account, AccountSnapshot
from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.connection import describe_connection
from crbot.domain import (
    AuditEvent,
    Fill,
    Mode,
    OrderRequest,
    OrderSpec,
    OrderView,
    Position,
    StopReport,
    TradingState,
)
from crbot.errors import CrbotError, Denied, InvalidInput
from crbot.exchange import filters
from crbot.executor import Executor
from crbot.exits import ExitKeeper, Unprotected
from crbot.journal import Journal, JournalOrder, StateRecord
from crbot.killswitch import KillSwitch
from crbot.market.candles import Candles, MarketData, Quote
from crbot.monitor.heartbeat import Beater
from crbot.normalize import Normalised, new_client_order_id, normalise
from crbot.portfolio import BalanceRow
from crbot.pretrade import RATE_WINDOW, order_intent, risk_context
from crbot.reconcile import ReconcileReport
from crbot.risk import Denial, DenialCode, RiskLimits, check
from crbot.sync import Sync

if TYPE_CHECKING:
    from crbot.statewatch import StateWatch

logger = logging.getLogger(__name__)


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
    def __init__(
        self,
        *,
        broker: Broker,
        journal: Journal,
        clock: Clock,
        mode: Mode,
        fee_rate: Decimal,
        watched: tuple[str, ...] = (),
    ) -> None:
        self.journal = journal
        self.clock = clock
        self.mode = mode
        self.fee_rate = fee_rate
        self.executor = Executor(broker=broker, journal=journal, mode=mode.value, fee_rate=fee_rate)
        self.exits = ExitKeeper(executor=self.executor, journal=journal)
        self.killswitch = KillSwitch(executor=self.executor, clock=clock)
        self.account = Account(broker=lambda: self.executor.broker, journal=journal, clock=clock, watched=watched)
        self.market = MarketData(broker=lambda: self.executor.broker, clock=clock)  # the ticket's chart, cached
        self.syncer = Sync(
            killswitch=self.killswitch, exits=self.exits, account=self.account, journal=journal, clock=clock
        )
        # this process's row in process_heartbeats (at most one write per 15 s); entry points set its kind
        self.heartbeat = Beater(journal=journal, clock=clock, kind="service")
        # set by crbot.statewatch.attach in long-running processes: STOP heard within a second, and no new
        # orders while the journal is unreachable (fail closed); None: the state is read per order only
        self.statewatch: StateWatch | None = None

        # crbot.golive's LiveGate, set by build_runtime in live mode: raises GoLiveLocked until the checklist
        # passes; a live service without one refuses every order (fail closed)
        self.golive_gate: Callable[[], None] | None = None

    @property
    def broker(self) -> Broker:
        return self.executor.broker

    @broker.setter
    def broker(self, broker: Broker) -> None:  # one broker for every part (tests wrap it to record sends)
        self.executor.broker = self.syncer.reconciler.broker = broker

    # ---- read side: journal and account snapshot, no exchange request unless the snapshot is stale ---------
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

    def snapshot(self) -> AccountSnapshot:
        return self.account.snapshot()

    def prices(self, symbols: set[str]) -> dict[str, Decimal]:
        """Last prices of these symbols from the snapshot (a missing price is left out, never zero)."""
        known = self.snapshot().prices
        missing = symbols - set(known)
        return {s: known[s] for s in symbols & set(known)} | (self.account.prices(missing) if missing else {})

    def balances(self) -> list[BalanceRow]:
        return list(self.snapshot().balances)

    def equity(self) -> Decimal | None:
        return self.snapshot().equity

    def positions(self) -> list[Position]:
        return self.account.positions()

    def candles(self, symbol: str, interval: str, *, fetch: bool = True) -> Candles | None:
        """The ticket's candles (cached per symbol and interval; ``fetch=False``: no exchange request)."""
        return self.market.candles(symbol, interval, fetch=fetch)

    def quote(self, symbol: str, *, fetch: bool = True) -> Quote | None:
        """Best bid / ask (cached a few seconds; ``fetch=False``: no exchange request)."""
        return self.market.quote(symbol, fetch=fetch)

    def connection_info(self) -> dict[str, str]:
        """The Connection panel: mode, endpoint, ping, clock offset, weight, key audit, commissions."""
        return describe_connection(self.broker, self.mode)

    def open_orders(self) -> list[JournalOrder]:
        return self.journal.orders(open_only=True)

    def orders(self, limit: int = 200) -> list[JournalOrder]:
        return self.journal.orders(limit=limit)

    def metrics(self):
        from crbot import metrics

        return metrics.summary(self.fills_frame(), self.orders_frame(), self.equity_frame())

    def order_fills(self, order: JournalOrder) -> list[Fill]:
        """The journaled fills of one order (its average price and fee on the ticket's result)."""
        return [] if order.order_id is None else self.journal.order_fills(order.symbol, order.order_id)

    def data_version(self) -> tuple[int, int]:
        """Changes whenever a fill or an equity point is journaled (pages poll it to redraw at once)."""
        return self.journal.data_version()

    # frames for metrics and charts (pandas; loaded only when asked)
    def fills_frame(self):
        return self.journal.fills_frame()

    def orders_frame(self):
        return self.journal.orders_frame()

    def equity_frame(self):
        return self.journal.equity_frame()

    def unprotected_positions(self) -> list[Unprotected]:
        """Filled entries still held whose stop-loss/take-profit is not on the exchange (a banner on every page)."""
        return self.exits.unprotected(self.broker.rules())

    # ---- the order path ---------------------------------------------------------------------------
    def preview(self, req: OrderRequest) -> Preview:
        """Everything the ticket shows before sending, from the snapshot and the journal: typing costs no
        exchange request and writes nothing. Never raises for bad input."""
        try:
            snap = self.snapshot()
            rules = self._rules(req.symbol)
            last = snap.prices.get(rules.symbol) or self.prices({rules.symbol})[rules.symbol]
            open_orders = self.open_orders()
            norm = self._normalise(req, "preview", last=last, avg=last, open_orders=open_orders)
        except (CrbotError, KeyError) as exc:
            return Preview(ok=False, error=str(exc) if isinstance(exc, CrbotError) else "no price for this symbol yet")
        ctx, limits = self._risk_context(norm, last, open_orders, list(snap.balances), record=False, avg=last)
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
        """Send an order through the single path. Idempotent per ``client_order_id``.

        Fresh for its own symbol right before sending (open orders, last and average price); balances come
        from the account snapshot (the exchange refuses what the balance cannot cover)."""
        cid = client_order_id or new_client_order_id()
        self._refuse_if_watch_says_so(actor)  # before any journal read: an unreachable journal may hang it
        if self.mode is Mode.LIVE:
            self._golive(actor)  # before anything is journaled or sent: live waits for the go-live checklist
        rules = self._rules(req.symbol)
        now = self.clock.now()
        facts = self.journal.pretrade_facts(
            now, orders_since=now - RATE_WINDOW, open_other_than=rules.symbol, client_order_id=cid
        )
        if facts.known:  # a double click or a rerun: report, never resend
            return self._result(cid, "already sent; showing its current state")
        here = self.broker.open_orders(rules.symbol)
        last = self.broker.last_price(rules.symbol)
        avg = self.broker.avg_price(rules.symbol)
        limits = RiskLimits.from_strings(facts.limits)
        norm = self._normalise(req, cid, last=last, avg=avg, open_orders=here, limits=limits)
        open_orders = [*here, *facts.open_elsewhere]
        rows = list(self.account.snapshot(for_order=True).balances)
        ctx, limits = self._risk_context(norm, last, open_orders, rows, record=True, facts=facts, avg=avg)
        denial = check(order_intent(norm, ctx), limits, ctx)
        if denial is not None:
            self.journal.audit(actor=actor, action="order_denied", detail=denial.detail, reason=denial.code)
            logger.warning("order denied: %s %s", denial.code, denial.detail)
            raise denial.to_error()
        bracket = norm.as_list  # a LIMIT bracket is ONE order list; a MARKET entry's exits wait for its fill
        planned = norm.exits if norm.exits is not None and bracket is None else None
        try:
            sent = self.executor.send(
                bracket or norm.entry, source=source, actor=actor, expected_price=last, planned=planned
            )
            if planned is not None:
                entry = sent.views[0]
                if not entry.status.is_final:  # a MARKET ack is final; a RESULT-less answer is looked up
                    entry = self.broker.get_order(entry.symbol, entry.client_order_id)
                self.exits.protect(entry, actor=actor)
        finally:
            self.account.invalidate()  # balances moved (or may have): the next read takes a new snapshot
            self.heartbeat.beat("order")  # after the send: never on the order's critical path
        if not norm.exits:  # a single order: as its ack journaled it (exits change after the send: read them)
            return PlaceResult(client_order_id=cid, orders=tuple(sent.orders), message="sent")
        return self._result(cid, "sent")

    def cancel(self, symbol: str, client_order_id: str, *, actor: str) -> OrderView:
        """Cancel one order (a leg cancels its whole list). Never blocked by the trading state."""
        known = self.journal.get_order(client_order_id)
        view = self.broker.cancel(symbol, client_order_id)
        before = known.status.value if known is not None else "not in the journal"
        self.journal.audit(
            actor=actor, action="order_cancel", detail=f"{symbol} {client_order_id}: {before} -> {view.status.value}"
        )
        self.syncer.after("the cancel", symbols={symbol})
        return view

    def cancel_all(self, symbol: str, *, actor: str) -> list[OrderView]:
        """Cancel every open order on one symbol (the dashboard's "cancel all"). Never blocked by the trading state."""
        views = self.broker.cancel_all(symbol)
        self.journal.audit(actor=actor, action="order_cancel_all", detail=f"{symbol}: {len(views)} order(s)")
        self.syncer.after("the cancel", symbols={symbol})
        return views

    # ---- kill switch -------------------------------------------------------------------------------
    def stop(self, *, reason: str, actor: str, flatten: bool = False, all_balances: bool = False) -> StopReport:
        """HALTED first (no exchange needed), then cancel everything; ``flatten`` sells CRBOT's own positions,
        ``all_balances`` every coin on the account (the operator's explicit choice)."""
        try:
            return self.killswitch.stop(reason=reason, actor=actor, flatten=flatten, all_balances=all_balances)
        except OperationalError as exc:  # the journal is unreachable: STOP must still clear the exchange
            return self._stop_without_journal(reason=reason, actor=actor, error=exc)
        finally:
            self.account.invalidate()

    def _stop_without_journal(self, *, reason: str, actor: str, error: Exception) -> StopReport:
        """HALTED cannot be written: cancel on the exchange anyway; this process's state watch latches HALTED as
        soon as the journal answers again (every process refuses new orders meanwhile: fail closed)."""
        reason = reason.strip() or "STOP pressed"
        logger.critical("STOP by %s with the journal unreachable (%s): cancelling on the exchange", actor, error)
        pending = self.statewatch is not None and self.statewatch.halt_when_back(actor=actor, reason=reason)
        errors = [
            "HALTED could not be written to the journal (unreachable): "
            + ("it is latched when the journal answers again" if pending else "press STOP again once it is back")
        ]
        canceled: list[str] = []
        try:
            for symbol in sorted({o.symbol for o in self.broker.open_orders()}):
                canceled += [f"{v.symbol} {v.client_order_id}" for v in self.broker.cancel_all(symbol)]
            left = [f"{o.symbol} {o.client_order_id}" for o in self.broker.open_orders()]
        except (CrbotError, OperationalError) as exc:  # the paper book may live in the unreachable database too
            errors.append(f"could not cancel or verify on the exchange: {' '.join(str(exc).split())[:300]}")
            left = ["unverified: the exchange did not answer"]
        return StopReport(
            state=TradingState.HALTED, canceled=tuple(canceled), errors=tuple(errors), left_open=tuple(left)
        )

    def resume(self, *, confirmation: str, actor: str, reason: str = "resumed by operator") -> None:
        self.killswitch.resume(confirmation=confirmation, actor=actor, reason=reason)

    def set_reducing(self, *, actor: str, reason: str) -> None:
        self.killswitch.reduce_only(actor=actor, reason=reason)

    # ---- synchronisation (crbot.sync) ------------------------------------------------------------------
    @property
    def last_reconcile(self) -> ReconcileReport | None:
        return self.syncer.last_reconcile

    def sync(self, symbols: set[str] | None = None, *, discover: bool = True) -> None:
        self.syncer.sync(symbols, discover=discover)

    def refresh(self) -> None:
        self.heartbeat.beat("refresh")
        self.syncer.refresh()

    def start_up(self, *, actor: str, full: bool = True) -> ReconcileReport | None:
        return self.syncer.start_up(actor=actor, full=full)

    def reconcile(self, *, apply: bool = True, actor: str = "crbot:reconcile") -> ReconcileReport:
        return self.syncer.reconcile(apply=apply, actor=actor)

    def _golive(self, actor: str) -> None:
        try:
            if self.golive_gate is None:
                raise Denied("GOLIVE_LOCKED", "live mode without the go-live gate", hint="use build_runtime")
            self.golive_gate()
        except Denied as exc:
            self.journal.audit(actor=actor, action="order_denied", detail=exc.detail, reason=exc.code)
            raise

    # ---- internals --------------------------------------------------------------------------------
    def _rules(self, symbol: str):
        rules = self.broker.rules().get(symbol.strip().upper())
        if rules is None:
            raise InvalidInput(f"unknown symbol {symbol!r}", hint="pick one of the exchange's symbols")
        return rules

    def _normalise(
        self,
        req: OrderRequest,
        cid: str,
        *,
        last: Decimal,
        avg: Decimal,
        open_orders: list,
        limits: RiskLimits | None = None,
    ) -> Normalised:
        rules = self._rules(req.symbol)
        norm = normalise(req, rules, last_price=last, fee_rate=self.fee_rate, client_order_id=cid)
        open_count = sum(1 for o in open_orders if o.symbol == rules.symbol)
        specs = norm.as_list.orders if norm.as_list else (norm.entry,)
        band_pct = (limits or self.risk_limits()).price_band_pct
        band = {"last_price": last, "band_pct": band_pct}  # hints both accept
        for spec in specs:
            filters.validate_order(rules, spec, avg_price=avg, open_orders=open_count, adds=len(specs), **band)
        if norm.exits is not None and norm.as_list is None:
            for leg in norm.exit_legs:
                filters.validate_order(rules, leg, avg_price=avg, open_orders=open_count + 1, adds=len(specs), **band)
        return norm

    def _risk_context(
        self, norm: Normalised, last: Decimal, open_orders: list, rows: list, *, record: bool, facts=None, avg=None
    ):
        ctx, limits = risk_context(
            facts=facts,
            base_asset=self._rules(norm.entry.symbol).base_asset,
            last=last,
            rows=rows,
            open_orders=open_orders,
            journal=self.journal,
            now=self.clock.now(),
            record_day_start=record,
        )
        problem = self.statewatch.problem() if self.statewatch is not None else ""
        if avg is not None:  # a PRICE_OUT_OF_BAND hint proposes prices the exchange accepts too
            rules = self._rules(norm.entry.symbol)
            accepted = filters.accepted_prices(
                rules, norm.entry.side, avg=avg, last=last, band_pct=limits.price_band_pct
            )
            ctx = replace(ctx, accepted_prices=accepted)
        return (replace(ctx, journal_problem=problem) if problem else ctx), limits

    def _refuse_if_watch_says_so(self, actor: str) -> None:
        denial = self.statewatch.denial() if self.statewatch is not None else None
        if denial is None:
            return
        logger.warning("order denied: %s %s", denial.code, denial.detail)
        if denial.code is not DenialCode.DATABASE_UNREACHABLE:  # the audit is written where it can be
            self.journal.audit(actor=actor, action="order_denied", detail=denial.detail, reason=denial.code)
        raise denial.to_error()

    def _result(self, cid: str, message: str, *, legs: bool = True) -> PlaceResult:
        ids = (cid, f"{cid}-tp", f"{cid}-sl") if legs else (cid,)  # exits are named after the entry
        orders = self.journal.get_orders(ids)
        return PlaceResult(client_order_id=cid, orders=tuple(orders), message=message)
