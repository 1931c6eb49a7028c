"""Shared rig for the local exchange tests: the real MatchingEngine on a temporary SQLite file behind a
LocalExchange on a free loopback port, and the REAL python-binance Client pointed at it.

The exchange runs on the system clock because python-binance stamps requests with ``time.time()``; the
feed is a ManualFeed whose points tests place at "now", so nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from binance.client import Client

from crbot.clock import SystemClock
from crbot.localexchange.server import LocalExchange
from crbot.market.feed import ManualFeed
from crbot.paper.engine import MatchingEngine
from tests.paper.test_engine_kit import paper_market

D = Decimal
BTC = "BTCUSDT"
KEY = "Cq3NnVL8m1HeW2pUz0ybTrkQdA5sXfJgE7vYhZoRtMiKwPa4cF6uIlOS9jxbDnGe"
SECRET = "Z9yXwVuTsRqPoNmLkJiHgFeDcBa8765432107a6B5c4D3e2F1g0HiJkLmNoPqRsT"
PRICES = {BTC: D("50000"), "ETHUSDT": D("3000")}


@dataclass
class Sim:
    exchange: LocalExchange
    engine: MatchingEngine
    feed: ManualFeed
    url: str

    def move(self, price: str, symbol: str = BTC) -> None:
        """The market trades at ``price`` now (the engine matches it on its next call)."""
        self.feed.move(symbol, price, datetime.now(UTC))


def start_sim(path: Path, **exchange_kw: Any) -> Sim:
    feed = ManualFeed(PRICES)
    market = paper_market(path, clock=SystemClock(), feed=feed)
    exchange = LocalExchange.over(market, **{"api_key": KEY, "api_secret": SECRET} | exchange_kw)
    exchange.faults.stall_seconds = 5  # longer than any client timeout below; stop() releases it anyway
    return Sim(exchange=exchange, engine=market.engine, feed=feed, url=exchange.start())


def make_client(url: str, key: str = KEY, secret: str | None = SECRET, *, timeout: float = 5, **kw: Any) -> Client:
    client = Client(key, secret, ping=False, requests_params={"timeout": timeout}, **kw)
    client.API_URL = f"{url}/api"
    client.MARGIN_API_URL = f"{url}/sapi"
    client.REQUEST_RECVWINDOW = 5000  # python-binance would force 10000 (BINANCE_NOTES trap 1)
    return client


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    s = start_sim(tmp_path / "exchange.db")
    yield s
    s.exchange.stop()
    s.engine.close()


@pytest.fixture
def client(sim: Sim) -> Client:
    return make_client(sim.url)


def weight(client: Client) -> int:
    assert client.response is not None
    return int(client.response.headers["X-MBX-USED-WEIGHT-1M"])


def order_count(client: Client) -> tuple[str | None, str | None]:
    assert client.response is not None
    headers = client.response.headers
    return headers.get("X-MBX-ORDER-COUNT-10S"), headers.get("X-MBX-ORDER-COUNT-1D")
