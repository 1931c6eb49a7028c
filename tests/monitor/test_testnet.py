"""The monitor on the Binance connector (testnet mode, the real python-binance Client) against the local exchange on
127.0.0.1: the request weight the exchange reports is judged against the limit it announces."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import Commissions
from crbot.exchange.bundled import load_bundled_rules
from crbot.localexchange.server import LocalExchange
from crbot.market.feed import ManualFeed
from crbot.monitor.store import MonitorStore
from crbot.monitor.thresholds import validate_rule
from crbot.paper.factory import paper_market
from crbot.runtime import build_runtime
from tests.monitor.conftest import make_monitor

KEY = "monitor-key-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
SECRET = "monitor-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL"
FEES = Commissions(maker=Decimal("0.001"), taker=Decimal("0.001"))


@pytest.fixture
def testnet(tmp_path: Path) -> Iterator:
    rules = load_bundled_rules()
    feed = ManualFeed({s: Decimal(100) if r.tick_size >= Decimal("0.01") else Decimal(1) for s, r in rules.items()})
    with (
        paper_market(
            f"sqlite:///{tmp_path / 'exchange.db'}",
            feed=feed,
            clock=SystemClock(),
            rules=rules,
            commissions=FEES,
            starting_balances={"USDT": Decimal("10000")},
        ) as market,
        LocalExchange.over(market, api_key=KEY, api_secret=SECRET) as exchange,
    ):
        env = {
            "CRBOT_HOME": str(tmp_path / "crbot"),
            "CRBOT_MODE": "testnet",
            "CRBOT_BINANCE_BASE_URL": exchange.base_url,
            "BINANCE_API_KEY": KEY,
            "BINANCE_API_SECRET": SECRET,
            "CRBOT_ACTOR": "tester",
        }
        rt = build_runtime(Settings.load(env, dotenv=False), clock=SystemClock())
        try:
            yield rt
        finally:
            rt.journal.close()


def test_the_weight_check_reads_the_connectors_used_weight(testnet):
    service = testnet.service
    report = make_monitor(service).cycle()
    weight = {r.name: r for r in report.results}["weight_pct"]
    assert weight.status == "ok", weight.detail
    used = service.broker.used_weight
    assert used and f"of {service.broker.weight_limit} weight this minute" in weight.detail
    MonitorStore(service.journal).save_settings(
        validate_rule("weight_pct", "0.001", "warn"), actor="t", now=service.clock.now()
    )
    again = {r.name: r for r in make_monitor(service).cycle().results}["weight_pct"]
    assert again.breached and again.action == "warn"
