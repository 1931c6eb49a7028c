"""A journal of 100,000 fills: load into a DataFrame, compute metrics, render the Performance page (AppTest)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench.common import report, temp_home
from crbot.clock import ManualClock
from crbot.domain import Fill, Side
from crbot.journal import Journal

N_FILLS = 100_000


def make_journal(path: str, n: int = N_FILLS) -> Journal:
    """Alternating buys and sells on four symbols, prices on a gentle random walk (deterministic)."""
    clock = ManualClock()
    journal = Journal(f"sqlite:///{path}", clock)
    start = clock.now() - timedelta(days=200)
    symbols = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")
    fills, price = [], Decimal(100)
    for i in range(n):
        price += Decimal((i * 7919) % 21 - 10) / 100
        price = max(price, Decimal(10))
        side = Side.BUY if i % 2 == 0 else Side.SELL
        qty = Decimal("0.5")
        fills.append(
            Fill(
                symbol=symbols[(i // 2) % 4],
                trade_id=i + 1,
                order_id=i + 1,
                side=side,
                price=price,
                quantity=qty,
                quote_qty=price * qty,
                commission=price * qty / 1000,
                commission_asset="USDT",
                is_maker=i % 3 == 0,
                time=start + timedelta(minutes=i * 2),
            )
        )
    for chunk in range(0, n, 10_000):
        journal.record_fills(fills[chunk : chunk + 10_000])
    equity = Decimal(10000)
    for day in range(200):
        equity += Decimal((day * 37) % 200 - 95)
        journal.snapshot_equity(equity, at=start + timedelta(days=day))
    return journal


def run() -> list[str]:
    from crbot import metrics

    home = temp_home()
    path = home / "journal.db"
    make_journal(str(path)).close()
    first_ms, new_process_ms, warm_ms, metric_ms = [], [], [], []
    for _ in range(3):
        Path(f"{path}.fills.arrow").unlink(missing_ok=True)  # a journal never loaded before: parse every row
        first_ms.append(_timed(Journal(f"sqlite:///{path}", ManualClock()).fills_frame))
        journal = Journal(f"sqlite:///{path}", ManualClock())  # a new process: starts from the snapshot
        new_process_ms.append(_timed(journal.fills_frame))
        warm_ms.append(_timed(journal.fills_frame))  # the dashboard's later reruns
        frame = journal.fills_frame()
        metric_ms.append(_timed(lambda: metrics.summary(frame, journal.orders_frame(), journal.equity_frame())))  # noqa: B023
    assert len(frame) == N_FILLS
    return [
        report("load 100,000 fills: first load ever (no snapshot)", first_ms),
        report("load 100,000 fills: a new process (snapshot)", new_process_ms, "< 300 ms"),
        report("load 100,000 fills: later loads (incremental)", warm_ms),
        report("metrics summary on 100,000 fills", metric_ms),
        _performance_page(home),
    ]


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _performance_page(home) -> str:
    from streamlit.testing.v1 import AppTest

    os.environ.update({"CRBOT_HOME": str(home), "CRBOT_PRICE_FEED": "synthetic"})
    timings = []
    for _ in range(3):
        at = AppTest.from_function(_render_performance, default_timeout=60)
        started = time.perf_counter()
        at.run()
        timings.append((time.perf_counter() - started) * 1000)
        if at.exception:
            raise SystemExit(f"Performance page failed: {at.exception[0].message}")
    return report("Performance page run (AppTest, 100k fills)", timings, "< 2000 ms")


def _render_performance() -> None:
    from pages import performance

    performance.render()
