"""Shared fixtures: a real runtime (journal + paper exchange on SQLite files) on a temporary home,
with a manual clock and a manual price feed, so tests move time and prices instead of sleeping.

Also a guard: no test may open a connection outside 127.0.0.0/8 (and never to the internet).
"""

from __future__ import annotations

import ipaddress
import socket
from decimal import Decimal

import pytest

from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.market.feed import ManualFeed

# tests/pg.py: the PostgreSQL fixtures (postgres_server, postgres_url, journal_url) and its summary line
pytest_plugins = ("tests.pg",)

PRICES = {"BTCUSDT": Decimal("50000"), "ETHUSDT": Decimal("3000"), "BNBUSDT": Decimal("600"), "SOLUSDT": Decimal("150")}

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {host}")
    return _real_connect(self, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]


def make_env(home: object, **extra: str) -> dict[str, str]:
    env = {
        "CRBOT_HOME": str(home),
        "CRBOT_MODE": "paper",
        "CRBOT_PRICE_FEED": "synthetic",
        "CRBOT_PAPER_BALANCES": "USDT=10000",
        "CRBOT_ACTOR": "tester",
    }
    env.update(extra)
    return env


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def feed(clock: ManualClock) -> ManualFeed:
    return ManualFeed(PRICES)


@pytest.fixture
def settings(tmp_path: object) -> Settings:
    return Settings.load(make_env(tmp_path), dotenv=False)


@pytest.fixture
def runtime(settings: Settings, clock: ManualClock, feed: ManualFeed):
    from crbot.runtime import build_runtime

    return build_runtime(settings, clock=clock, feed=feed)


@pytest.fixture
def service(runtime):
    return runtime.service
