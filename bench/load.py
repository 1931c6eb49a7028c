"""Load: 20 dashboard sessions and 4 bot processes on one journal, ~50 fills per second in total, then STOP.

    python -m bench load                                  # make bench: 20 s on SQLite
    python -m bench.load --seconds 600 --rounds 5         # the issue's 10 minutes (5 STOPs, n = 20 bots)
    python -m bench.load --backend postgresql [--postgres-url postgresql+psycopg://...]  # a throw-away server if none

The bots are the example bot (``examples/dca_bot.py --flip``: MARKET buy, then sell what it bought), each its own
process on its own symbol, paced to ``--fills-per-second / --bots`` orders per second; every order goes through
the one order path. The 20 sessions are threads of this process sharing one runtime, as the dashboard's do:
each page load reads the trading state, the account snapshot, open orders, recent orders, the newest order's
fills (the ticket's result), the data version and the audit log, then waits 3 s (the sidebar's refresh;
``--page-pause``). Each round ends with STOP pressed through the service (as the dashboard's button does); the
figure is the time from the press to each bot refusing an order, beside the time the latch itself took to commit.

Afterwards: every journaled fill against the exchange's own trade list (paper book), by trade id (none lost,
none twice), no order left without an outcome, no "database is locked" and no deadlock in any process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bench.common import report
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import TradingState
from crbot.runtime import Runtime, build_runtime

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")
PAGE_PAUSE_S = 3.0  # the sidebar's refresh period: what an open dashboard tab does
TROUBLE = ("database is locked", "deadlock", "Traceback")


@dataclass
class BotProcess:
    proc: subprocess.Popen[str]
    stderr: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(event)

    def first(self, kind: str) -> dict[str, Any] | None:
        with self.lock:
            return next((e for e in self.events if e.get("event") == kind), None)

    def wait_for(self, kind: str, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.first(kind)
            if found is not None:
                return found
            if self.proc.poll() is not None and self.first(kind) is None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"bot never printed {kind!r}; stderr: {self.stderr.read_text()[-800:]}")


@dataclass
class Sessions:
    """``count`` dashboard sessions reading what the pages read, each a thread."""

    rt: Runtime
    count: int
    pause_s: float = PAGE_PAUSE_S
    timings_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for i in range(self.count):
            thread = threading.Thread(target=self._session, args=(i,), name=f"session-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def take(self) -> list[float]:
        with self._lock:
            taken, self.timings_ms = self.timings_ms, []
        return taken

    def stop(self) -> list[str]:
        """Stop them; the names of sessions that did not finish their page load within 30 s (a deadlock)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return [t.name for t in self._threads if t.is_alive()]

    def _session(self, i: int) -> None:
        svc = self.rt.service
        loads = 0
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                svc.trading_state()
                svc.snapshot()
                svc.open_orders()
                recent = svc.orders(limit=200)
                if recent:  # the ticket's result: the newest order's fills (average price and fee)
                    svc.order_fills(recent[0])
                svc.data_version()
                svc.audit_events(50)
                if loads % 10 == i % 10:  # the Performance page now and then: the whole fills frame
                    svc.fills_frame()
            except Exception as exc:  # counted, never fatal: the figure is how many
                with self._lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
            else:
                with self._lock:
                    self.timings_ms.append((time.perf_counter() - started) * 1000)
            loads += 1
            self._stop.wait(self.pause_s)


def operator_runtime(home: Path, journal_url: str) -> Runtime:
    settings = Settings.load(
        {
            "CRBOT_HOME": str(home),
            "CRBOT_DATABASE_URL": journal_url,
            "CRBOT_PRICE_FEED": "synthetic",
            "CRBOT_PAPER_BALANCES": "USDT=100000000",
            "CRBOT_ACTOR": "bench",
        },
        dotenv=False,
    )
    rt = build_runtime(settings, clock=SystemClock(), watch_state=True)
    rt.service.start_up(actor="bench (dashboard)", full=False)
    big = Decimal(10**9)
    limits = rt.service.risk_limits().with_changes(
        allowed_symbols=SYMBOLS,
        max_orders_per_minute=1_000_000,
        max_open_orders=1000,
        daily_loss_limit=big,
        max_position_notional=big,
        max_total_exposure=big,
    )
    rt.service.save_risk_limits(limits, actor="bench", reason="load benchmark: bots trade fast")
    return rt


def spawn_bot(home: Path, journal_url: str, n: int, interval: float, logs: Path) -> BotProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    env |= {
        "CRBOT_HOME": str(home),
        "CRBOT_DATABASE_URL": journal_url,
        "CRBOT_PRICE_FEED": "synthetic",
        "CRBOT_ACTOR": "bench",
        "PYTHONPATH": str(ROOT),
    }
    stderr = logs / f"bot{n}-{time.monotonic_ns()}.log"
    args = ["--json", "--flip", "--interval", f"{interval:.4f}", "--max-orders", "1000000000", "--quote", "20"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "examples.dca_bot", *args, "--symbol", SYMBOLS[n % len(SYMBOLS)], "--name", f"load{n}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr.open("w"),
        text=True,
    )
    bot = BotProcess(proc=proc, stderr=stderr)
    assert proc.stdout is not None
    threading.Thread(target=bot.read, args=(proc.stdout,), daemon=True).start()
    return bot


def stop_round(rt: Runtime, bots: list[BotProcess]) -> tuple[list[float], list[float], float]:
    """Press STOP; (ms to each bot's refusal, ms to each bot hearing HALTED, ms until HALTED was committed)."""
    assert rt.watch is not None
    latch = rt.journal.set_trading_state
    committed: list[float] = []

    def timed_latch(*args: Any, **kwargs: Any) -> bool:  # when the latch's transaction committed (NOTIFY sent)
        try:
            return latch(*args, **kwargs)
        finally:
            committed.append(time.time())

    rt.journal.set_trading_state = timed_latch  # type: ignore[method-assign]
    pressed = time.time()
    try:
        report_ = rt.service.stop(reason="load benchmark: STOP pressed", actor="bench (dashboard)")
    finally:
        del rt.journal.set_trading_state
    if not report_.ok:
        print(f"   STOP report not ok: {report_.errors} {report_.left_open}", flush=True)
    refused, heard = [], []
    for bot in bots:
        event = bot.wait_for("stopped", 60)
        if event.get("code") != "TRADING_HALTED":
            raise RuntimeError(f"a bot stopped for another reason: {event}")
        refused.append((event["refused"] - pressed) * 1000)
        if event.get("heard") is not None:
            heard.append((event["heard"] - pressed) * 1000)
        bot.proc.wait(timeout=30)
    rt.watch.wait_for(lambda w: w.state is not None and w.state.state is TradingState.HALTED, 5)
    return refused, heard, (committed[0] - pressed) * 1000


def integrity(rt: Runtime) -> dict[str, int]:
    """The journal's fills against the exchange's trades, by (symbol, trade id); orders left without an outcome."""
    journal_ids: list[tuple[str, int]] = []
    exchange_ids: set[tuple[str, int]] = set()
    for symbol in SYMBOLS:
        journal_ids += [(f.symbol, f.trade_id) for f in rt.journal.fills(symbol=symbol)]
        exchange_ids |= {(f.symbol, f.trade_id) for f in rt.broker.trades(symbol)}
    orders = rt.journal.orders(limit=10_000_000)
    return {
        "exchange_trades": len(exchange_ids),
        "journal_fills": len(journal_ids),
        "lost": len(exchange_ids - set(journal_ids)),
        "duplicated": len(journal_ids) - len(set(journal_ids)),
        "unexpected": len(set(journal_ids) - exchange_ids),
        "orders": len(orders),
        "without_outcome": sum(1 for o in orders if o.is_pending),
    }


def run_load(
    journal_url: str,
    *,
    seconds: float,
    rounds: int = 1,
    bots: int = 4,
    sessions: int = 20,
    fills_per_second: float = 50,
    page_pause_s: float = PAGE_PAUSE_S,
    label: str = "",
) -> list[str]:
    home = Path(tempfile.mkdtemp(prefix="crbot-load-"))
    logs = home / "logs"
    logs.mkdir()
    rt = operator_runtime(home, journal_url)
    label = label or rt.journal.url.split(":")[0].split("+")[0]
    lines: list[str] = []
    crowd = Sessions(rt, sessions, page_pause_s)
    crowd.start()
    time.sleep(min(5.0, seconds / 4))  # the baseline: the sessions alone
    idle = crowd.take()
    refused_all: list[float] = []
    heard_all: list[float] = []
    latched_all: list[float] = []
    trouble: list[str] = []
    loaded: list[float] = []
    fills_before = sum(len(rt.journal.fills(symbol=s)) for s in SYMBOLS)
    traded_s = 0.0
    for r in range(rounds):
        if r:
            rt.service.resume(confirmation="RESUME", actor="bench (dashboard)", reason="next round")
        procs = [spawn_bot(home, journal_url, n, bots / fills_per_second, logs) for n in range(bots)]
        for bot in procs:
            bot.wait_for("order", 120)
        started = time.monotonic()
        time.sleep(seconds / rounds)
        traded_s += time.monotonic() - started
        loaded += crowd.take()
        refused, heard, latched = stop_round(rt, procs)
        refused_all += refused
        heard_all += heard
        latched_all.append(latched)
        for bot in procs:
            messages = [str(e.get("message", "")) for e in bot.events if e.get("event") in ("error", "gave_up")]
            trouble += [m for m in [*messages, bot.stderr.read_text()] if any(t in m for t in TROUBLE)]
    hung = crowd.stop()
    fills = sum(len(rt.journal.fills(symbol=s)) for s in SYMBOLS) - fills_before
    check = integrity(rt)
    locked = sum("locked" in e for e in crowd.errors) + sum("locked" in t for t in trouble)
    deadlocks = sum("deadlock" in e for e in crowd.errors) + sum("deadlock" in t for t in trouble) + len(hung)
    lines.append(report(f"{label}: page load, {sessions} sessions, no bots (baseline)", idle))
    lines.append(report(f"{label}: page load, {sessions} sessions + {bots} bots", loaded))
    lines.append(report(f"{label}: STOP press -> each bot refuses an order", refused_all, "< 1000 ms"))
    if heard_all:
        lines.append(report(f"{label}: STOP press -> each bot's watch hears HALTED", heard_all))
    lines.append(report(f"{label}: STOP press -> HALTED committed (the latch)", latched_all))
    summary = (
        f"{label}: {traded_s:.0f} s of trading, {fills} fills ({fills / traded_s:.1f}/s,"
        f" target {fills_per_second:g}/s);"
        f" exchange trades {check['exchange_trades']} = journal fills {check['journal_fills']}:"
        f" lost {check['lost']}, duplicated {check['duplicated']}, unknown {check['unexpected']};"
        f" orders without outcome {check['without_outcome']} of {check['orders']};"
        f" 'database is locked' {locked}; deadlocks/hung {deadlocks}; session errors {len(crowd.errors)};"
        f" bot errors {len(trouble)}"
    )
    print(summary, flush=True)
    lines.append(summary)
    for problem in (crowd.errors + trouble)[:5]:
        print(f"   e.g. {' '.join(problem.split())[:300]}", flush=True)
    rt.watch.stop() if rt.watch else None
    rt.journal.close()
    return lines


def _postgres(url: str | None) -> tuple[str, Callable[[], None]]:
    """A journal URL on PostgreSQL: a fresh database on ``url``'s server, or on a throw-away local server."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy.engine import make_url

    from tests.pg import PostgresServer, server_from_env, start_server

    server = PostgresServer(make_url(url)) if url else (server_from_env() or start_server())
    database = server.create_database("crbot_load")

    def done() -> None:
        server.drop_database(database)
        server.stop()

    return database, done


def run() -> list[str]:
    """``make bench``: a short run on SQLite (CRBOT_BENCH_LOAD_SECONDS, default 20)."""
    seconds = float(os.environ.get("CRBOT_BENCH_LOAD_SECONDS", "20"))
    home = Path(tempfile.mkdtemp(prefix="crbot-load-db-"))
    return run_load(f"sqlite:///{home / 'journal.db'}", seconds=seconds)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="trading time in total (default 20)")
    parser.add_argument("--rounds", type=int, default=1, help="STOP presses, each after seconds/rounds (default 1)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", help="a server to create the database on (default: a throw-away one)")
    parser.add_argument("--bots", type=int, default=4)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--fills-per-second", type=float, default=50)
    parser.add_argument("--page-pause", type=float, default=PAGE_PAUSE_S, help="seconds between a session's loads")
    args = parser.parse_args(argv)
    done: Callable[[], None] = lambda: None  # noqa: E731
    if args.backend == "postgresql":
        url, done = _postgres(args.postgres_url)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='crbot-load-db-')) / 'journal.db'}"
    try:
        run_load(
            url,
            seconds=args.seconds,
            rounds=args.rounds,
            bots=args.bots,
            sessions=args.sessions,
            fills_per_second=args.fills_per_second,
            page_pause_s=args.page_pause,
        )
    finally:
        done()
    return 0


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    sys.exit(main(sys.argv[1:]))
