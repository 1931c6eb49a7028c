"""The kill switch: STOP latches HALTED in the journal first, then cancels everything, then verifies.

Every process that trades reads the latched state from the database before each order, so one
STOP halts all dashboard sessions, the CLI and bots. Pressing STOP twice is safe: the second press
finds HALTED already latched and sweeps the exchange again.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.domain import QUOTE_ASSET, Mode, OrderSpec, OrderType, OrderView, Side, StopReport, TradingState
from crbot.errors import CrbotError, InvalidInput, fmt
from crbot.exchange import filters
from crbot.journal import Journal
from crbot.normalize import new_client_order_id
from crbot.portfolio import symbol_for

logger = logging.getLogger(__name__)

RESUME_WORD = "RESUME"
MAX_PARALLEL_CANCELS = 20


class KillSwitch:
    def __init__(self, *, broker: Broker, journal: Journal, clock: Clock, mode: Mode) -> None:
        self.broker = broker
        self.journal = journal
        self.clock = clock
        self.mode = mode

    def stop(self, *, reason: str, actor: str, flatten: bool = False) -> StopReport:
        reason = reason.strip() or "STOP pressed"
        changed = self.journal.set_trading_state(TradingState.HALTED, actor=actor, reason=reason)
        logger.critical("STOP by %s: %s (state was %s)", actor, reason, "active" if changed else "already HALTED")
        errors: list[str] = []
        canceled = self._cancel_everything(errors)
        flattened = self._flatten(errors, actor) if flatten else []
        try:
            left = [f"{o.symbol} {o.client_order_id}" for o in self.broker.open_orders()]
        except CrbotError as exc:  # cannot verify: say so, never claim success
            left, errors = ["unverified"], [*errors, f"could not verify open orders: {exc}"]
        report = StopReport(
            state=TradingState.HALTED,
            canceled=tuple(canceled),
            flattened=tuple(flattened),
            errors=tuple(errors),
            left_open=tuple(left),
            already_halted=not changed,
        )
        self.journal.audit(
            actor=actor,
            action="stop_completed" if report.ok else "stop_incomplete",
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

    def _cancel_everything(self, errors: list[str]) -> list[str]:
        """Cancel every open order on every symbol; the views the exchange returns go to the journal.

        Symbols the journal knows are cancelled at once, in parallel with listing the exchange's open
        orders (which finds orders placed elsewhere): one round trip, plus one for any extra symbol.
        """
        known = {o.symbol for o in self.journal.orders(open_only=True)}
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL_CANCELS + 1) as pool:
            listing = pool.submit(self.broker.open_orders)
            futures = {s: pool.submit(self.broker.cancel_all, s) for s in sorted(known)}
            try:
                extra = {o.symbol for o in listing.result()} - known
            except CrbotError as exc:
                errors.append(f"could not list open orders: {exc}")
                extra = set()
            futures |= {s: pool.submit(self.broker.cancel_all, s) for s in sorted(extra)}
            views: list[OrderView] = []
            for symbol, future in futures.items():
                try:
                    views += future.result()
                except CrbotError as exc:
                    errors.append(f"{symbol}: cancel failed: {exc}")
        self.journal.apply_exchange_view(views)
        return [f"{v.symbol} {v.client_order_id}" for v in views]

    def _flatten(self, errors: list[str], actor: str) -> list[str]:
        """Sell every non-quote balance to USDT at market (what the exchange rules allow)."""
        done: list[str] = []
        rules = self.broker.rules()
        for balance in self.broker.balances():
            symbol = symbol_for(balance.asset)
            if balance.asset == QUOTE_ASSET or symbol not in rules or balance.free <= 0:
                continue
            qty = filters.floor_qty(rules[symbol], balance.free, market=True)
            if qty <= 0:
                continue
            spec = OrderSpec(
                client_order_id=new_client_order_id("stop"),
                symbol=symbol,
                side=Side.SELL,
                type=OrderType.MARKET,
                quantity=qty,
            )
            try:
                last = self.broker.last_price(symbol)
                filters.validate_order(rules[symbol], spec, avg_price=last, open_orders=0)
            except CrbotError as exc:
                errors.append(f"{symbol}: cannot flatten {qty}: {exc}")
                continue
            self.journal.record_intent(
                [spec], list_client_id=None, source="killswitch", mode=self.mode.value, expected_price=last, actor=actor
            )
            try:
                self.journal.record_ack(self.broker.submit(spec))
                done.append(f"{symbol} sold {fmt(qty)}")
            except CrbotError as exc:
                self.journal.record_reject(spec.client_order_id, reason=str(exc))
                errors.append(f"{symbol}: flatten failed: {exc}")
        return done
