"""The Binance connector against the local exchange (python-binance over HTTP on 127.0.0.1), issue #3.

(a) overhead: the same LIMIT order + cancel through BinanceBroker and through the raw python-binance Client
    (built the same way, strings in, JSON out), interleaved in one run; target p50 ratio < 1.2.
(b) STOP, 20 symbols x 5 open orders, every response 50 ms late, through TradingService in testnet mode:
    wall time in round trips (time / 50 ms); target < 3 (cancels go out in parallel).
(c) reconcile after 1,000 open orders (and some fills) were placed on the exchange outside the journal;
    target < 2 s.

The exchange's request-weight and order-count limits are raised: these runs measure the connector, not the
rate limiter. Prices never move (a ManualFeed), so matching costs the same on every call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any, TypeVar

from bench.common import pct, report, temp_home
from crbot.broker.binance import BinanceBroker
from crbot.broker.binance_transport import endpoint_for, make_client
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import Commissions, OrderRequest, OrderSpec, OrderType, Side
from crbot.exchange.bundled import load_bundled_rules
from crbot.killswitch import start_stop_workers
from crbot.localexchange.server import LocalExchange, RateLimits, Request, Response
from crbot.market.feed import ManualFeed
from crbot.normalize import new_client_order_id
from crbot.paper.engine import MatchingEngine
from crbot.paper.factory import paper_market
from crbot.reconcile import Action
from crbot.risk import RiskLimits
from crbot.runtime import Runtime, build_runtime

N, WARMUP = 200, 20
LATENCY_MS = 50
SYMBOLS, PER_SYMBOL = 20, 5
RECONCILE_OPEN, RECONCILE_FILLED, RECONCILE_SYMBOLS = 1000, 50, 10
KEY = "bench-key-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
FEES = Commissions(maker=Decimal("0.001"), taker=Decimal("0.001"))
T = TypeVar("T")
UNLIMITED = RateLimits(weight_per_minute=10**9, orders_per_10s=10**9, orders_per_day=10**9)


@dataclass
class Local:
    exchange: LocalExchange
    engine: MatchingEngine
    url: str
    home: Path
    asked: Counter[str] = field(default_factory=Counter)

    def settings(self) -> Settings:
        return testnet_settings(self.url, self.home)

    def runtime(self) -> Runtime:
        return build_runtime(self.settings(), clock=SystemClock())

    def count_requests(self) -> None:
        """From now on, count what the exchange is asked ("GET /api/v3/order": 3, ...)."""
        self.asked.clear()
        handle = self.exchange.handle

        def counted(req: Request) -> Response:
            self.asked[f"{req.method} {req.path.removeprefix('/api/v3/')}"] += 1
            return handle(req)

        self.exchange.handle = counted  # type: ignore[method-assign]

    def requests_summary(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in self.asked.most_common())


def testnet_settings(url: str, home: Path) -> Settings:
    env = {
        "CRBOT_HOME": str(home / "crbot"),
        "CRBOT_MODE": "testnet",
        "CRBOT_BINANCE_BASE_URL": url,
        "BINANCE_API_KEY": KEY,
        "BINANCE_API_SECRET": SECRET,
        "CRBOT_FEE_RATE": str(FEES.taker),
        "CRBOT_ACTOR": "bench",
    }
    return Settings.load(env, dotenv=False)


@contextmanager
def local_exchange() -> Iterator[Local]:
    """A fresh paper engine behind a LocalExchange on a free loopback port, on the system clock
    (python-binance stamps its requests with time.time())."""
    home = temp_home()
    rules = load_bundled_rules()
    with (
        paper_market(
            f"sqlite:///{home / 'exchange.db'}",
            feed=ManualFeed({s: _price(r.tick_size) for s, r in rules.items()}),
            clock=SystemClock(),
            rules=rules,
            commissions=FEES,
            starting_balances={"USDT": Decimal("100000000")},
        ) as market,
        LocalExchange.over(market, api_key=KEY, api_secret=SECRET, limits=UNLIMITED) as exchange,
    ):
        yield Local(exchange=exchange, engine=market.engine, url=exchange.base_url, home=home)


class Stopwatch:
    """Milliseconds spent inside some methods of one object (wrapped on that instance only)."""

    def __init__(self, obj: object, *names: str) -> None:
        self.ms = 0.0
        for name in names:
            setattr(obj, name, self._timed(getattr(obj, name)))

    def _timed(self, fn: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any, **kwargs: Any) -> T:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.ms += (time.perf_counter() - started) * 1000

        return timed


def _price(tick: Decimal) -> Decimal:
    return Decimal(100) if tick >= Decimal("0.01") else Decimal(1)


def _qty(price: Decimal, step: Decimal, notional: Decimal = Decimal(20)) -> Decimal:
    """About ``notional`` USDT worth, rounded up to the LOT_SIZE step."""
    step = step or Decimal(1)
    return (notional / price / step).to_integral_value(ROUND_CEILING) * step


def run() -> list[str]:
    return [*overhead(), *stop_with_latency(), *reconcile_outside_orders()]


# -- (a) ------------------------------------------------------------------------------------------------
def overhead() -> list[str]:
    with local_exchange() as local:
        settings = local.settings()
        broker = BinanceBroker(settings, clock=SystemClock())
        client = make_client(settings, endpoint_for(settings, timeout_s=10.0))
        symbol = "BTCUSDT"
        rules = broker.rules()[symbol]
        price = broker.last_price(symbol) * Decimal("0.98")
        qty = _qty(price, rules.step_size)

        def via_broker() -> None:
            spec = OrderSpec(
                client_order_id=new_client_order_id(),
                symbol=symbol,
                side=Side.BUY,
                type=OrderType.LIMIT,
                quantity=qty,
                price=price,
            )
            broker.submit(spec)
            broker.cancel(symbol, spec.client_order_id)

        def via_client() -> None:
            cid = new_client_order_id()
            client.order_limit(
                symbol=symbol,
                side="BUY",
                quantity=format(qty, "f"),
                price=format(price, "f"),
                newClientOrderId=cid,
                newOrderRespType="FULL",
            )
            client.cancel_order(symbol=symbol, origClientOrderId=cid)

        for _ in range(WARMUP):
            via_broker()
            via_client()
        broker_ms: list[float] = []
        client_ms: list[float] = []
        for _ in range(N):  # interleaved, so drift in the machine's load hits both alike
            for fn, out in ((via_broker, broker_ms), (via_client, client_ms)):
                started = time.perf_counter()
                fn()
                out.append((time.perf_counter() - started) * 1000)
    lines = [
        report("connector: BinanceBroker LIMIT submit + cancel", broker_ms),
        report("baseline: raw python-binance Client, same calls", client_ms),
    ]
    p50, p99 = pct(broker_ms, 50) / pct(client_ms, 50), pct(broker_ms, 99) / pct(client_ms, 99)
    lines.append(_line(f"connector / raw client: p50 x{p50:.2f}  p99 x{p99:.2f}", "p50 < x1.2"))
    return lines


# -- (b) ------------------------------------------------------------------------------------------------
def stop_with_latency() -> list[str]:
    """The exchange runs in its own process, as Binance would: in one process its request handling and the
    client's would share one interpreter lock and serialise, which is not what a round trip costs."""
    exchange = _ExchangeProcess()
    try:
        url, home = exchange.started["url"], exchange.started["home"]
        rt = build_runtime(testnet_settings(url, Path(home)), clock=SystemClock())
        start_stop_workers()  # as the dashboard and the API server do when they start
        svc = rt.service
        symbols = sorted(rt.broker.rules())[:SYMBOLS]
        _raise_limits(rt, symbols)
        for symbol in symbols:
            rules = rt.broker.rules()[symbol]
            price = rt.broker.last_price(symbol)
            for i in range(PER_SYMBOL):
                limit = price * Decimal("0.97") - i * rules.tick_size
                svc.place(
                    OrderRequest(symbol=symbol, side=Side.BUY, quantity=_qty(limit, rules.step_size), price=limit),
                    actor="bench",
                )
        assert len(rt.broker.open_orders()) == SYMBOLS * PER_SYMBOL
        exchange.ask(f"latency {LATENCY_MS}")  # from now on every answer is 50 ms late, and requests are counted
        started = time.perf_counter()
        stopped = svc.stop(reason="bench", actor="bench")
        wall_ms = (time.perf_counter() - started) * 1000
        asked = exchange.ask("summary")
        rt.journal.close()
    finally:
        exchange.stop()
    assert stopped.ok and len(stopped.canceled) == SYMBOLS * PER_SYMBOL, stopped
    return [
        _line(
            f"STOP: {SYMBOLS} symbols x {PER_SYMBOL} orders, {LATENCY_MS} ms latency (testnet)"
            f"  {wall_ms:8.1f} ms = {wall_ms / LATENCY_MS:.1f} round trips",
            "< 3 round trips",
        ),
        _line(f"  requests during STOP: {asked}", ""),
    ]


class _ExchangeProcess:
    """``python -m bench.exchange_process``: a fresh interpreter, commands and answers as JSON lines."""

    def __init__(self) -> None:
        root = Path(__file__).resolve().parents[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.exchange_process"],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.started: dict[str, str] = self._answer()

    def ask(self, command: str) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def _answer(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the exchange process ended (exit code {self.proc.wait(timeout=10)})")
        return json.loads(line)

    def stop(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write("stop\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)


def _raise_limits(rt: Runtime, symbols: list[str]) -> None:
    limits = RiskLimits().with_changes(
        allowed_symbols=tuple(symbols),
        max_open_orders=10_000,
        max_orders_per_minute=100_000,
        max_order_notional=Decimal(10**9),
        max_total_exposure=Decimal(10**9),
        max_position_notional=Decimal(10**9),
    )
    rt.service.save_risk_limits(limits, actor="bench", reason="benchmark")


# -- (c) ------------------------------------------------------------------------------------------------
def reconcile_outside_orders() -> list[str]:
    with local_exchange() as local:
        rt = local.runtime()
        rules = rt.broker.rules()
        symbols = sorted(rules)[:RECONCILE_SYMBOLS]
        for n in range(RECONCILE_OPEN):  # straight into the exchange's engine: the journal never saw them
            symbol = symbols[n % len(symbols)]
            price = _price(rules[symbol].tick_size) * Decimal("0.9") - (n // len(symbols)) * rules[symbol].tick_size
            local.engine.new_order(_outside(symbol, OrderType.LIMIT, _qty(price, rules[symbol].step_size), price))
        for n in range(RECONCILE_FILLED):
            symbol = symbols[n % len(symbols)]
            qty = _qty(_price(rules[symbol].tick_size), rules[symbol].step_size)
            local.engine.new_order(_outside(symbol, OrderType.MARKET, qty, None))
        exchange = Stopwatch(rt.broker, "open_orders", "all_orders", "trades", "get_order")
        local.count_requests()
        started = time.perf_counter()
        result = rt.service.reconcile()
        wall_ms = (time.perf_counter() - started) * 1000
        imported = sum(1 for d in result.differences if d.action is Action.IMPORT)
        journal_fills = len(rt.journal.fills())
        rt.journal.close()
    assert not result.errors, result.errors
    # the open outside orders, and the filled ones with their fills (every journaled fill has its order)
    assert imported == RECONCILE_OPEN + RECONCILE_FILLED and journal_fills >= RECONCILE_FILLED, (
        imported,
        journal_fills,
    )
    return [
        _line(
            f"reconcile: {RECONCILE_OPEN} outside orders + {RECONCILE_FILLED} filled on {RECONCILE_SYMBOLS} symbols"
            f"  {wall_ms:8.1f} ms ({imported} imported, {journal_fills} fills recorded)",
            "< 2000 ms",
        ),
        _line(
            f"  of which broker calls (HTTP + JSON) {exchange.ms:.1f} ms, journal and comparison"
            f" {wall_ms - exchange.ms:.1f} ms; requests: {local.requests_summary()}",
            "",
        ),
    ]


def _outside(symbol: str, type_: OrderType, qty: Decimal, price: Decimal | None) -> OrderSpec:
    return OrderSpec(
        client_order_id=new_client_order_id("web"),
        symbol=symbol,
        side=Side.BUY,
        type=type_,
        quantity=qty,
        price=price,
    )


def _line(text: str, target: str) -> str:
    line = f"{text}   target {target}" if target else text
    print(line, flush=True)
    return line
