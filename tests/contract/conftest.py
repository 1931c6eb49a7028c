"""The brokers the contract suite runs against, each on its own fresh exchange:

- ``paper``: PaperBroker over the MatchingEngine on a temporary SQLite file (tests.paper.test_engine_kit.Rig);
- ``binance``: BinanceBroker in testnet mode with the real python-binance Client, pointed at a LocalExchange on
  127.0.0.1 (port 0) serving the same kind of engine (tests.broker.test_binance_local.Rig).

Both read one ManualClock and one ManualFeed, so a test moves the market instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.broker.base import Broker
from crbot.broker.paper import PaperBroker
from crbot.clock import ManualClock
from crbot.domain import Commissions
from crbot.market.feed import ManualFeed
from tests.broker.test_binance_local import FEES as BINANCE_FEES
from tests.broker.test_binance_local import Rig as BinanceRig
from tests.paper.test_engine_kit import FEES as PAPER_FEES
from tests.paper.test_engine_kit import Rig as PaperRig

BTC = "BTCUSDT"


@dataclass
class Venue:
    """A broker and the market behind it."""

    name: str
    broker: Broker
    clock: ManualClock
    feed: ManualFeed
    fees: Commissions

    def move(self, price: str, symbol: str = BTC) -> None:
        """The market trades at ``price`` one second later (the exchange matches on its next call)."""
        self.feed.move(symbol, Decimal(price), self.clock.advance(1))


@pytest.fixture(params=["paper", "binance"])
def venue(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock, feed: ManualFeed) -> Iterator[Venue]:
    if request.param == "paper":
        paper = PaperRig(tmp_path / "paper.db", clock=clock, feed=feed)
        broker = PaperBroker(paper.engine, feed=feed, clock=clock, rules=paper.rules, commissions=PAPER_FEES)
        yield Venue(name="paper", broker=broker, clock=clock, feed=feed, fees=PAPER_FEES)
        paper.engine.close()
        return
    rig = BinanceRig(tmp_path, clock, feed)
    try:
        yield Venue(name="binance", broker=rig.broker(), clock=clock, feed=feed, fees=BINANCE_FEES)
    finally:
        rig.exchange.stop()
        rig.engine.close()
