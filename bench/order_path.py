"""Order path overhead in paper mode (normalise + risk + journal + paper exchange + sync), feed excluded.

Baseline in the same run: the paper exchange's own submit for the same orders (no risk, no journal). The two
are measured in turns, one place then one submit, so both see the same moments of the machine: measured one
phase after the other, a VM's drift between the phases moved the difference by a millisecond either way.
"""

from __future__ import annotations

import time
from decimal import Decimal

from bench.common import paper_runtime, report
from crbot.domain import OrderRequest, OrderSpec, OrderType, Side
from crbot.normalize import new_client_order_id
from crbot.risk import RiskLimits

N = 1000
BATCH = 50  # pairs: each adds two resting orders, so at most 100 rest on the symbol (the exchange's MAX_NUM_ORDERS)


def run() -> list[str]:
    rt, _ = paper_runtime()
    svc = rt.service
    limits = RiskLimits().with_changes(max_open_orders=100000, max_orders_per_minute=100000)
    svc.save_risk_limits(limits, actor="bench", reason="benchmark")
    request = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=Decimal("0.1"), price=Decimal("99"))
    for _ in range(20):  # warm up caches and SQLite pages
        svc.place(request, actor="bench")
    path_ms: list[float] = []
    broker_ms: list[float] = []
    for i in range(N):
        if i % BATCH == 0:  # cancels are not timed
            rt.broker.cancel_all("BTCUSDT")
        started = time.perf_counter()
        svc.place(request, actor="bench")
        path_ms.append((time.perf_counter() - started) * 1000)
        spec = OrderSpec(
            client_order_id=new_client_order_id(),
            symbol="BTCUSDT",
            side=Side.BUY,
            type=OrderType.LIMIT,
            quantity=Decimal("0.1"),
            price=Decimal("99"),
        )
        started = time.perf_counter()
        rt.broker.submit(spec)
        broker_ms.append((time.perf_counter() - started) * 1000)
    rt.broker.cancel_all("BTCUSDT")
    lines = [
        report("order path: service.place (LIMIT, paper)", path_ms, "p99 <= 3 ms overhead"),
        report("baseline: paper exchange submit only", broker_ms),
    ]
    overhead = [p - b for p, b in zip(sorted(path_ms), sorted(broker_ms), strict=True)]
    lines.append(report("overhead = place - submit (quantile-matched)", overhead, "p99 <= 3 ms"))
    return lines
