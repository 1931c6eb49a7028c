"""The monitor: its CPU and memory over a run, and the time from a breach to HALTED (issue 10).

(a) ``python -m crbot monitor`` (paper mode, synthetic feed, a cycle every 10 s) runs for
    ``CRBOT_BENCH_MONITOR_S`` seconds (default 30; the issue's figure is 600): CPU seconds used and resident memory
    (now and peak), from /proc. Baseline in the same run: a process that builds the same runtime and sleeps.
    At the end a daily-loss breach is written to its journal: seconds until the journal says HALTED (one cycle
    at most: <= the interval plus the cycle itself).
(b) In-process: a running monitor's next ``Monitor.cycle`` after a daily-loss breach, until HALTED (the STOP inside
    included),
    beside ``service.stop`` alone on the same kind of runtime: what judging costs on top of the kill switch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.common import paper_runtime, report, temp_home
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import TradingState
from crbot.monitor.alerts import Notifier
from crbot.monitor.cycle import Monitor
from crbot.monitor.store import MonitorStore
from crbot.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 15
TICK_S = os.sysconf("SC_CLK_TCK")
_IDLE = "from crbot.runtime import build_runtime; import time; rt = build_runtime(); time.sleep(10**6)"


def run() -> None:
    duration = float(os.environ.get("CRBOT_BENCH_MONITOR_S", "30"))
    _resources(duration)
    _in_process()


def _env(home: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    return {**clean, "CRBOT_HOME": str(home), "CRBOT_PRICE_FEED": "synthetic", "PYTHONPATH": str(ROOT)}


def _usage(pid: int) -> tuple[float, int, int]:
    """(CPU seconds user + system, RSS kB, peak RSS kB) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK_S
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return cpu, int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])


def _resources(duration: float) -> None:
    home, idle_home = temp_home(), temp_home()
    monitor = subprocess.Popen(
        [sys.executable, "-m", "crbot", "monitor", "--interval", "10"],
        env=_env(home), cwd=home, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    idle = subprocess.Popen([sys.executable, "-c", _IDLE], env=_env(idle_home), cwd=idle_home)
    try:
        time.sleep(duration)
        cpu, rss, peak = _usage(monitor.pid)
        idle_cpu, idle_rss, idle_peak = _usage(idle.pid)
        print(
            f"monitor over {duration:.0f} s (cycle every 10 s)        cpu={cpu:6.2f} s ({cpu / duration * 100:5.2f} %)"
            f"  rss={rss / 1024:6.1f} MB  peak={peak / 1024:6.1f} MB",
            flush=True,
        )
        print(
            f"baseline: same runtime, sleeping                 cpu={idle_cpu:6.2f} s"
            f" ({idle_cpu / duration * 100:5.2f} %)"
            f"  rss={idle_rss / 1024:6.1f} MB  peak={idle_peak / 1024:6.1f} MB",
            flush=True,
        )
        print(
            f"breach -> HALTED, monitor process running:  {_breach_to_halted(home):6.2f} s   target <= one cycle (10 s)"
        )
    finally:
        for proc in (monitor, idle):
            proc.terminate()
            proc.wait(30)


def _breach_to_halted(home: Path) -> float:
    rt = build_runtime(Settings.load(_env(home), dotenv=False), clock=SystemClock())
    now = datetime.now(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=1)  # the day's first equity point
    rt.journal.snapshot_equity(Decimal("10500"), at=start)  # the day began at 10,500: a 500 USDT loss (limit 200)
    written = time.perf_counter()
    while rt.journal.trading_state().state is not TradingState.HALTED:
        if time.perf_counter() - written > 60:
            return float("nan")
        time.sleep(0.05)
    return time.perf_counter() - written


def _in_process() -> None:
    cycles, stops = [], []
    for _ in range(ROUNDS):
        rt, _ = paper_runtime(balance="USDT=10000")
        clock = rt.clock
        monitor = Monitor(
            service=rt.service,
            notifier=Notifier(store=MonitorStore(rt.journal), clock=clock, urls=lambda: ()),
            holder="bench:1",
            interval=timedelta(seconds=10),
        )
        monitor.cycle()  # a running monitor: start-up done, journal synced, day start marked
        day_start = clock.now().replace(hour=0, minute=0, second=0, microsecond=1)
        rt.journal.snapshot_equity(Decimal("10500"), at=day_start)  # now the day's first point: a 500 USDT loss
        clock.advance(10)
        started = time.perf_counter()
        monitor.cycle()
        cycles.append((time.perf_counter() - started) * 1000)
        assert rt.service.trading_state().state is TradingState.HALTED
        other, _ = paper_runtime(balance="USDT=10000")
        started = time.perf_counter()
        other.service.stop(reason="bench", actor="bench")
        stops.append((time.perf_counter() - started) * 1000)
    report("breach -> HALTED: one monitor cycle (paper)", cycles, "one cycle")
    report("baseline: service.stop alone (paper)", stops)
