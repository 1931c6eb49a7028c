"""A testnet-mode runtime (crbot.runtime.build_runtime, the real BinanceBroker over python-binance) wired to
a LocalExchange on 127.0.0.1 that serves the paper MatchingEngine; one ManualClock and ManualFeed drive both.

The only seam: ``BinanceBroker.from_settings`` is patched to build the same broker with a short client
timeout and quick retries, so a stalled request costs a fraction of a second instead of ten.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.binance.retry import RetryPolicy
from crbot.broker.binance import BinanceBroker
from crbot.clock import Clock, ManualClock
from crbot.config import Settings
from crbot.domain import Commissions
from crbot.localexchange.faults import Fault
from crbot.localexchange.server import LocalExchange, Request, Response
from crbot.market.feed import ManualFeed
from crbot.paper.engine import MatchingEngine
from crbot.runtime import Runtime, build_runtime
from tests.paper.test_engine_kit import paper_market

D = Decimal
KEY = "Fa7tS0kLm3NpQr5TuVw8XyZ1aB2cD4eF6gH9iJ0kL2mN4oP6qR8sT0uV2wX4yZ6a"
SECRET = "faults-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
FEES = Commissions(maker=D("0.001"), taker=D("0.001"))
PRICES = {"BTCUSDT": D("50000"), "ETHUSDT": D("3000"), "BNBUSDT": D("600"), "SOLUSDT": D("150")}
CLIENT_TIMEOUT_S = 0.3
STALL_S = 0.8  # a TIMEOUT fault holds the request this long: past the client's timeout, then closes


class RequestLog:
    """What the exchange really received, and how many armed faults it really fired."""

    def __init__(self, exchange: LocalExchange) -> None:
        self.calls: list[tuple[str, str]] = []
        self.faults_fired = 0
        handle, take = exchange.handle, exchange.faults.take

        def logged(req: Request) -> Response:
            self.calls.append((req.method, req.path))
            return handle(req)

        def counted(method: str, path: str) -> Fault | None:
            fault = take(method, path)
            self.faults_fired += fault is not None
            return fault

        exchange.handle = logged  # type: ignore[method-assign]
        exchange.faults.take = counted  # type: ignore[method-assign]

    def count(self, method: str, path: str) -> int:
        return self.calls.count((method, path))


@dataclass
class Rig:
    clock: ManualClock
    feed: ManualFeed
    engine: MatchingEngine
    exchange: LocalExchange
    runtime: Runtime
    requests: RequestLog

    @property
    def service(self):
        return self.runtime.service


def quick_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """build_runtime's BinanceBroker, with a client timeout short enough for a test suite."""

    def from_settings(cls: type[BinanceBroker], settings: Settings, *, clock: Clock | None = None) -> BinanceBroker:
        return cls(
            settings,
            clock=clock,
            timeout_s=CLIENT_TIMEOUT_S,
            retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_wait=1.0),
            sleep=time.sleep,
        )

    monkeypatch.setattr(BinanceBroker, "from_settings", classmethod(from_settings))


def start_rig(root: Path, monkeypatch: pytest.MonkeyPatch, *, mode: str = "testnet", **env: str) -> Iterator[Rig]:
    quick_broker(monkeypatch)
    clock, feed = ManualClock(), ManualFeed(PRICES)
    market = paper_market(root / "exchange.db", clock=clock, feed=feed, fees=FEES)
    engine, exchange = market.engine, LocalExchange.over(market, api_key=KEY, api_secret=SECRET)
    exchange.faults.stall_seconds = STALL_S
    requests = RequestLog(exchange)
    url = exchange.start()
    settings = Settings.load(
        {
            "CRBOT_HOME": str(root / "home"),
            "CRBOT_MODE": mode,
            "CRBOT_BINANCE_BASE_URL": url,
            "BINANCE_API_KEY": KEY,
            "BINANCE_API_SECRET": SECRET,
            "CRBOT_FEE_RATE": "0.001",
            "CRBOT_ACTOR": "faults",
            **env,
        },
        dotenv=False,
    )
    runtime = build_runtime(settings, clock=clock, feed=feed)
    try:
        yield Rig(clock=clock, feed=feed, engine=engine, exchange=exchange, runtime=runtime, requests=requests)
    finally:
        exchange.stop()
        runtime.journal.close()
        engine.close()
