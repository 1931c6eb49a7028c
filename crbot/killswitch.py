"""The kill switch: STOP latches HALTED in the journal first, then cancels everything, then verifies.

HALTED is written before anything touches the exchange, so STOP works when the exchange does not; cancels
that could not be sent are swept again by whatever runs next (``sweep_if_incomplete``: any CLI command, the
dashboard's refresh) without a second STOP. Every process re-reads the state in the transaction that
journals an order's intent, and STOP waits for intents journaled just before the latch and cancels what
they placed: nothing stays open after HALTED. Pressing STOP twice is safe.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.domain import (
    QUOTE_ASSET,
    ZERO,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    Side,
    StopReport,
    TradingState,
)
from crbot.errors import CrbotError, InvalidInput, fmt
from crbot.exchange import filters
from crbot.exchange.rules import SymbolRules
from crbot.executor import Executor
from crbot.normalize import new_client_order_id
from crbot.portfolio import own_positions, symbol_for

logger = logging.getLogger(__name__)

RESUME_WORD = "RESUME"
MAX_PARALLEL = 20
IN_FLIGHT_AGE = timedelta(seconds=60)  # an intent this young may be on the wire right now
IN_FLIGHT_WAIT_S = 3.0  # how long STOP waits for orders journaled just before the latch to be answered
STOP_COMPLETED, STOP_INCOMPLETE = "stop_completed", "stop_incomplete"
_WORKERS: ThreadPoolExecutor | None = None
_WORKERS_LOCK = threading.Lock()


class KillSwitch:
    def __init__(self, *, executor: Executor, clock: Clock, sleep: Callable[[float], None] = time.sleep) -> None:
        self.executor = executor
        self.journal = executor.journal
        self.clock = clock
        self._sleep = sleep

    @property
    def broker(self) -> Broker:
        return self.executor.broker

    def stop(self, *, reason: str, actor: str, flatten: bool = False, all_balances: bool = False) -> StopReport:
        reason = reason.strip() or "STOP pressed"
        changed = self.journal.set_trading_state(TradingState.HALTED, actor=actor, reason=reason)
        logger.critical("STOP by %s: %s (state was %s)", actor, reason, "active" if changed else "already HALTED")
        return self._sweep(reason=reason, actor=actor, flatten=flatten, all_balances=all_balances, changed=changed)

    def sweep_if_incomplete(self, *, actor: str) -> StopReport | None:
        """HALTED and the last STOP could not cancel everything: try again now (None when nothing to do)."""
        record = self.journal.trading_state()
        if (
            record.state is not TradingState.HALTED
            or self.journal.last_audit_action((STOP_COMPLETED, STOP_INCOMPLETE)) != STOP_INCOMPLETE
        ):
            return None
        logger.warning("the last STOP left work undone: sweeping the exchange again")
        return self._sweep(reason=f"retry of: {record.reason}", actor=actor, flatten=False, all_balances=False)

    def _sweep(
        self, *, reason: str, actor: str, flatten: bool, all_balances: bool, changed: bool = False
    ) -> StopReport:
        recent = self.clock.now() - IN_FLIGHT_AGE  # older INTENTs are crash leftovers for reconcile, not in flight
        # One snapshot, read after the latch (no intent can be journaled now) and before the first cancel: each
        # order in it is either acknowledged, and its symbol's cancel goes out after the order got there, or in
        # flight. Read later, an order could be acknowledged after the wave passed its symbol yet not in flight.
        work = self.journal.open_work()
        in_flight = {cid for cid, created in work.intents.items() if created >= recent}
        errors: list[str] = []
        canceled, verified = self._cancel_everything(stop_workers(), work.symbols, errors)
        if in_flight:  # sent by another process just before the latch: wait for the answer, then cancel
            canceled += self._cancel_in_flight(in_flight, errors)
        flattened: list[str] = []
        kept: list[str] = []
        if flatten:
            flattened, kept = self._flatten(errors, actor, all_balances=all_balances)
        if in_flight or flatten:  # the first verification came before these orders were cancelled or sold
            verified = _listing(self.broker)
        try:
            left = [f"{o.symbol} {o.client_order_id}" for o in verified()]
        except CrbotError as exc:  # cannot verify: say so, never claim success
            left = [
                f"{o.symbol} {o.client_order_id} (not confirmed cancelled)" for o in self.journal.orders(open_only=True)
            ]
            errors.append(f"could not verify open orders: {exc}")
            left = left or ["unverified: the exchange did not answer"]
        report = StopReport(
            state=TradingState.HALTED,
            canceled=tuple(canceled),
            flattened=tuple(flattened),
            kept=tuple(kept),
            errors=tuple(errors),
            left_open=tuple(left),
            already_halted=not changed,
        )
        self.journal.audit(
            actor=actor,
            action=STOP_COMPLETED if report.ok else STOP_INCOMPLETE,
            detail=f"canceled={len(canceled)} flattened={len(flattened)} left_open={len(left)} errors={len(errors)}",
            reason=reason,
        )
        return report

    def resume(self, *, confirmation: str, actor: str, reason: str) -> None:
        if confirmation.strip() != RESUME_WORD:
            raise InvalidInput(
                "trading was not resumed: the confirmation word does not match",
                hint=f"type {RESUME_WORD} exactly to resume trading",
            )
        self.journal.set_trading_state(TradingState.ACTIVE, actor=actor, reason=reason)
        logger.warning("trading resumed by %s: %s", actor, reason)

    def reduce_only(self, *, actor: str, reason: str) -> None:
        self.journal.set_trading_state(TradingState.REDUCING, actor=actor, reason=reason)

    def _cancel_everything(
        self, pool: ThreadPoolExecutor, symbols: Iterable[str], errors: list[str]
    ) -> tuple[list[str], Callable[[], list[OrderView]]]:
        """Cancel every open order on every symbol, then ask the exchange what is still open.

        Two request waves, the minimum for "cancel, then verify": the journal's symbols are cancelled in
        parallel with listing the exchange's open orders (which finds orders placed elsewhere; their symbols
        join the wave), then one listing verifies. The cancelled views are journaled while that verifying
        request is on the wire. The workers are started before any request is built, so starting a thread
        never waits behind another thread's request for the interpreter lock.
        """
        go = threading.Event()
        gated = lambda call, *args: pool.submit(_after, go, call, *args)  # noqa: E731
        listing = gated(self.broker.open_orders)
        futures = {s: gated(self.broker.cancel_all, s) for s in sorted(symbols)}
        go.set()
        try:
            extra = {o.symbol for o in listing.result()} - set(futures)
        except CrbotError as exc:
            errors.append(f"could not list open orders: {exc}")
            extra = set()
        futures |= {s: pool.submit(self.broker.cancel_all, s) for s in sorted(extra)}
        views = self._results(futures, errors)
        verifying = pool.submit(self.broker.open_orders)
        self.journal.apply_exchange_view(views)
        return [f"{v.symbol} {v.client_order_id}" for v in views], verifying.result

    def _results(self, futures: dict, errors: list[str]) -> list[OrderView]:
        views: list[OrderView] = []
        for symbol, future in futures.items():
            try:
                views += future.result()
            except CrbotError as exc:
                errors.append(f"{symbol}: cancel failed: {exc}")
        return views

    def _collect(self, futures: dict, errors: list[str]) -> list[str]:
        views = self._results(futures, errors)
        self.journal.apply_exchange_view(views)
        return [f"{v.symbol} {v.client_order_id}" for v in views]

    def _cancel_in_flight(self, cids: set[str], errors: list[str]) -> list[str]:
        deadline = time.monotonic() + IN_FLIGHT_WAIT_S
        orders = [o for o in map(self.journal.get_order, cids) if o is not None]
        while any(o.status is OrderStatus.INTENT for o in orders) and time.monotonic() < deadline:
            self._sleep(0.05)
            orders = [o for o in map(self.journal.get_order, cids) if o is not None]
        symbols = sorted({o.symbol for o in orders if o.status.is_open or o.is_pending})
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL) as pool:
            return self._collect({s: pool.submit(self.broker.cancel_all, s) for s in symbols}, errors)

    def _flatten(self, errors: list[str], actor: str, *, all_balances: bool) -> tuple[list[str], list[str]]:
        """Sell CRBOT's own positions (or, when asked, every balance) to USDT at market, symbols in parallel."""
        rules = self.broker.rules()
        free = {b.asset: b.free for b in self.broker.balances()}
        kept: list[str] = []
        if all_balances:
            targets = {symbol_for(a): q for a, q in free.items() if a != QUOTE_ASSET and symbol_for(a) in rules}
        else:
            targets = {}
            for symbol, net in own_positions(self.journal.own_fills(), rules).items():
                held = free.get(rules[symbol].base_asset, ZERO)
                targets[symbol] = min(net, held)
                if held < net:
                    kept.append(f"{symbol}: CRBOT bought {fmt(net)} but only {fmt(held)} is free on the account")
            others = sorted(a for a, q in free.items() if q > 0 and a != QUOTE_ASSET and symbol_for(a) not in targets)
            if others:
                kept.append(f"not CRBOT's, left alone: {', '.join(others)} (choose 'all balances' to sell them too)")
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL) as pool:
            futures = {s: pool.submit(self._sell, s, q, rules[s], actor) for s, q in sorted(targets.items()) if q > 0}
            done: list[str] = []
            for symbol, future in futures.items():
                try:
                    outcome, is_sale = future.result()
                except CrbotError as exc:
                    errors.append(f"{symbol}: flatten failed: {exc}")
                    continue
                (done if is_sale else kept).append(outcome)
        return done, kept

    def _sell(self, symbol: str, amount: Decimal, rules: SymbolRules, actor: str) -> tuple[str, bool]:
        qty = filters.floor_qty(rules, amount, market=True)
        if qty <= 0:
            return f"{symbol}: {fmt(amount)} kept, below the step {fmt(rules.step_size)} (dust)", False
        spec = OrderSpec(
            client_order_id=new_client_order_id("stop"),
            symbol=symbol,
            side=Side.SELL,
            type=OrderType.MARKET,
            quantity=qty,
        )
        last = self.broker.last_price(symbol)
        try:
            filters.validate_order(rules, spec, avg_price=last, open_orders=0)
        except CrbotError as exc:
            return f"{symbol}: {fmt(qty)} kept, too small to sell ({exc.message})", False
        sent = self.executor.send(spec, source="killswitch", actor=actor, expected_price=last, while_halted=True)
        (view,) = sent.views
        avg = f" at {fmt(view.avg_price.quantize(rules.tick_size or Decimal('1e-8')))}" if view.avg_price else ""
        return f"{symbol} sold {fmt(view.executed_qty)}{avg}", True


def stop_workers() -> ThreadPoolExecutor:
    """This process's threads for STOP's request waves: one pool per process (a dashboard serves every session
    from one), kept between presses."""
    global _WORKERS
    with _WORKERS_LOCK:
        if _WORKERS is None:
            _WORKERS = ThreadPoolExecutor(max_workers=MAX_PARALLEL + 1, thread_name_prefix="crbot-stop")
        return _WORKERS


def start_stop_workers() -> None:
    """Start every STOP worker thread now, for a process that stays up (dashboard, API, monitor): starting
    twenty-one threads at the press took longer than a round trip on a busy two-core machine."""
    pool, everyone = stop_workers(), threading.Barrier(MAX_PARALLEL + 1)
    for _ in range(MAX_PARALLEL + 1):  # each worker holds its thread until all have one: the pool starts them all
        pool.submit(_meet, everyone)


def _meet(everyone: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):
        everyone.wait(timeout=1.0)


def _after(go: threading.Event, call: Callable[..., object], *args: object) -> object:
    go.wait()
    return call(*args)


def _listing(broker: Broker) -> Callable[[], list[OrderView]]:
    return broker.open_orders
