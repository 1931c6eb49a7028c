"""The testnet / demo drill: one recorded round trip through the normal service, as the checklist wants it.

    connect (ping) -> place a tiny LIMIT BUY under the market -> query it -> cancel it -> STOP -> verify
    that nothing is open -> the trading state put back as it was

The result (ok or FAILED, with every step) is an audit event ``golive_drill`` in this mode's journal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from crbot.domain import Mode, OrderRequest, OrderType, Side, TradingState
from crbot.errors import CrbotError, InvalidInput, fmt
from crbot.exchange.filters import round_price
from crbot.golive.checklist import DRILL_ACTION
from crbot.killswitch import RESUME_WORD
from crbot.service import TradingService

logger = logging.getLogger(__name__)

UNDER_MARKET = Decimal("0.97")  # inside the default 5 % price band, far enough not to fill
DEFAULT_NOTIONAL = Decimal("10")


@dataclass(frozen=True, slots=True, kw_only=True)
class DrillReport:
    ok: bool
    mode: str
    steps: tuple[str, ...]
    error: str = ""

    @property
    def detail(self) -> str:
        head = "ok" if self.ok else "FAILED"
        return f"{head} mode={self.mode}: " + "; ".join(self.steps) + (f"; error: {self.error}" if self.error else "")


def run_drill(service: TradingService, *, actor: str, symbol: str = "BTCUSDT") -> DrillReport:
    if service.mode not in (Mode.TESTNET, Mode.DEMO):
        raise InvalidInput(
            f"the go-live drill runs on the testnet or demo account, not in {service.mode.value} mode",
            hint="run it with CRBOT_MODE=testnet (or demo) and that account's keys",
        )
    before = service.trading_state().state
    if before is not TradingState.ACTIVE:
        raise InvalidInput(
            f"trading is {before.value}: the drill places an order", hint="resume trading first, then run the drill"
        )
    steps: list[str] = []
    error = ""
    placed = None
    ok = False
    try:
        steps.append(f"connect {service.broker.ping():.0f} ms")
        rules = service.broker.rules()[symbol]
        last = service.broker.last_price(symbol)
        price = round_price(rules, last * UNDER_MARKET)
        quote = (_min_notional(rules.filters) * Decimal("1.2")).quantize(Decimal("1"), rounding=ROUND_UP)
        req = OrderRequest(symbol=symbol, side=Side.BUY, type=OrderType.LIMIT, quote_amount=quote, price=price)
        result = service.place(req, source="golive-drill", actor=actor)
        placed = result.client_order_id
        steps.append(f"place LIMIT BUY {symbol} {fmt(quote)} USDT @ {fmt(price)} ({placed})")
        seen = service.broker.get_order(symbol, placed)
        steps.append(f"query {seen.status.value}")
        cancelled = service.cancel(symbol, placed, actor=actor)
        steps.append(f"cancel {cancelled.status.value}")
        placed = None
        report = service.stop(reason="go-live drill: STOP and verify", actor=actor)
        steps.append(
            f"STOP {'verified, nothing left open' if report.ok else 'left open: ' + ', '.join(report.left_open)}"
        )
        left = service.broker.open_orders()
        steps.append("flat" if not left else f"{len(left)} order(s) still open")
        ok = report.ok and not left and seen.status.is_open and cancelled.status.value == "CANCELED"
    except (CrbotError, KeyError) as exc:
        error = str(exc) if isinstance(exc, CrbotError) else f"unknown symbol {symbol}"
        logger.error("go-live drill failed: %s", error)
        if placed is not None:  # never leave the drill's order behind
            try:
                service.stop(reason="go-live drill failed: cleaning up", actor=actor)
                steps.append("STOP after the failure")
            except CrbotError as stop_exc:
                steps.append(f"STOP after the failure failed: {stop_exc}")
    finally:
        if service.trading_state().state is not TradingState.ACTIVE and ok:
            service.resume(confirmation=RESUME_WORD, actor=actor, reason="go-live drill done: trading state put back")
            steps.append("resumed (was ACTIVE before the drill)")
    report = DrillReport(ok=ok, mode=service.mode.value, steps=tuple(steps), error=error)
    service.journal.audit(actor=actor, action=DRILL_ACTION, detail=report.detail, reason="go-live drill")
    return report


def _min_notional(filters: object) -> Decimal:
    for name in ("NOTIONAL", "MIN_NOTIONAL"):
        found = getattr(filters, "get", lambda _k: None)(name)
        if found and found.get("minNotional"):
            return max(Decimal(str(found["minNotional"])), Decimal("1"))
    return DEFAULT_NOTIONAL
