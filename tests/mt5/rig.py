"""The MT5 adapter over the stand-in, on a ManualClock and ManualFeed (the contract suite's market)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.broker.mt5 import MT5Broker, load_package
from crbot.broker.mt5_lists import LegBook
from crbot.clock import ManualClock
from crbot.domain import Commissions, Mode
from crbot.market.feed import ManualFeed
from tests.mt5 import constants as c
from tests.mt5.standin import StandIn, SymbolSpec

FEES = Commissions(maker=Decimal("0.001"), taker=Decimal("0.001"))  # the stand-in charges 0.1 % per deal
SYMBOLS = [SymbolSpec(name="BTCUSDT", base="BTC", profit="USDT"), SymbolSpec(name="ETHUSDT", base="ETH", profit="USDT")]


def install(monkeypatch: pytest.MonkeyPatch, clock: ManualClock, feed: ManualFeed, **kwargs: object) -> StandIn:
    """The stand-in as ``MetaTrader5`` in sys.modules, so the adapter's lazy import finds it."""
    standin = StandIn(lambda s: feed.last(s, clock.now()), clock.now, symbols=SYMBOLS, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "MetaTrader5", standin)
    return standin


def make_broker(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: ManualClock,
    feed: ManualFeed,
    *,
    mode: Mode = Mode.DEMO,
    trade_mode: int = c.ACCOUNT_TRADE_MODE_DEMO,
) -> tuple[MT5Broker, StandIn]:
    standin = install(monkeypatch, clock, feed, trade_mode=trade_mode)
    broker = MT5Broker(
        load_package(),
        login=5001234,
        password="demo-pass",
        server="StandIn-Demo",
        mode=mode,
        clock=clock,
        symbols=("BTCUSDT", "ETHUSDT"),
        commissions=FEES,
        legs=LegBook(tmp_path / "mt5_lists.db"),
    )
    return broker, standin
