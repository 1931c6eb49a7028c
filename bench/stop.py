"""STOP with 20 symbols x 5 open orders on the paper exchange: halt, cancel all, verify."""

from __future__ import annotations

import time
from decimal import Decimal

from bench.common import paper_runtime, report
from crbot.domain import OrderRequest, Side
from crbot.exchange.bundled import load_bundled_rules
from crbot.risk import RiskLimits

SYMBOLS, PER_SYMBOL, ROUNDS = 20, 5, 5


def run() -> list[str]:
    symbols = sorted(load_bundled_rules())[:SYMBOLS]
    if len(symbols) < SYMBOLS:
        raise SystemExit(f"bundled rules have only {len(symbols)} symbols")
    timings = []
    for _ in range(ROUNDS):
        rt, _ = paper_runtime()
        svc = rt.service
        limits = RiskLimits().with_changes(
            allowed_symbols=tuple(symbols),
            max_open_orders=1000,
            max_orders_per_minute=100000,
            max_total_exposure=Decimal(10**9),
            max_position_notional=Decimal(10**9),
        )
        svc.save_risk_limits(limits, actor="bench", reason="benchmark")
        for symbol in symbols:
            price = rt.broker.last_price(symbol)
            rules = rt.broker.rules()[symbol]
            qty = max(rules.step_size, (Decimal(20) / price)).quantize(rules.step_size or Decimal(1))
            for i in range(PER_SYMBOL):
                svc.place(
                    OrderRequest(
                        symbol=symbol,
                        side=Side.BUY,
                        quantity=qty * 2,
                        price=price * Decimal("0.97") - i * rules.tick_size,
                    ),
                    actor="bench",
                )
        assert len(rt.broker.open_orders()) == SYMBOLS * PER_SYMBOL
        started = time.perf_counter()
        result = svc.stop(reason="bench", actor="bench")
        timings.append((time.perf_counter() - started) * 1000)
        assert result.ok and len(result.canceled) == SYMBOLS * PER_SYMBOL, result
    return [report(f"STOP: {SYMBOLS} symbols x {PER_SYMBOL} orders (paper)", timings, "< 1000 ms")]
