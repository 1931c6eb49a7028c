"""crbot.bot and the example bot (examples/dca_bot.py) as a user runs it: orders through the one order path under
the bot's actor, a sleep that wakes on STOP, and a clear stop when trading is HALTED."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.bot import connect
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import OrderRequest, OrderStatus, OrderType, Side, TradingState
from crbot.errors import Denied
from crbot.journal import Journal
from tests.conftest import make_env
from tests.integration.test_live_acceptance import ROOT
from tests.statewatch.conftest import child_env


def run_bot(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "examples.dca_bot", *args],
        env=child_env(home, url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_example_bot_places_its_orders_through_crbot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    ran = run_bot(
        tmp_path, url, "--symbol", "ETHUSDT", "--interval", "0", "--max-orders", "3", "--flip", "--name", "smoke"
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "3 orders placed" in ran.stdout
    journal = Journal(url, SystemClock())
    try:
        orders = sorted(journal.orders(), key=lambda o: o.created_at)
        assert [(o.symbol, o.side.value, o.status, o.source) for o in orders] == [
            ("ETHUSDT", "BUY", OrderStatus.FILLED, "bot"),
            ("ETHUSDT", "SELL", OrderStatus.FILLED, "bot"),
            ("ETHUSDT", "BUY", OrderStatus.FILLED, "bot"),
        ]
        assert all(o.actor.startswith("bot:smoke@") for o in orders)
        assert orders[1].quantity <= orders[0].executed_qty  # it sells what the buy brought in, never more
    finally:
        journal.close()


def test_example_bot_stops_with_a_message_when_halted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    journal = Journal(url, SystemClock())
    journal.set_trading_state(TradingState.HALTED, actor="tester", reason="STOP pressed")
    journal.close()
    ran = run_bot(tmp_path, url, "--interval", "0", "--max-orders", "3")
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert "stopping by itself, trading is HALTED" in ran.stdout
    assert "STOP pressed" in ran.stdout


def test_example_bot_refuses_bad_arguments(tmp_path: Path) -> None:
    ran = run_bot(tmp_path, f"sqlite:///{tmp_path / 'journal.db'}", "--max-orders", "0")
    assert ran.returncode == 2
    assert "--max-orders" in ran.stderr


def test_bot_sleep_wakes_on_stop_pressed_elsewhere(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    settings = Settings.load(make_env(tmp_path, CRBOT_DATABASE_URL=url), dotenv=False)
    with connect("sleepy", settings=settings, clock=SystemClock()) as bot:
        assert bot.actor.startswith("bot:sleepy@") and not bot.stopped and bot.state is TradingState.ACTIVE
        other = Journal(url, SystemClock())  # another process's journal: the dashboard's STOP
        try:
            started = time.monotonic()
            threading.Timer(
                0.5, other.set_trading_state, (TradingState.HALTED,), {"actor": "x", "reason": "STOP"}
            ).start()
            assert bot.sleep(60) is True  # woken by STOP, not by the 60 s
            assert time.monotonic() - started < 30
            assert bot.stopped and bot.state is TradingState.HALTED
            with pytest.raises(Denied) as denied:
                bot.place(
                    OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quote_amount=Decimal(20))
                )
            assert denied.value.code == "TRADING_HALTED"
            assert any(e.actor == bot.actor and e.action == "order_denied" for e in other.audit_events(20))
            other.set_trading_state(TradingState.ACTIVE, actor="x", reason="resume")
            assert bot.watch.wait_for(lambda w: not bot.stopped, 30)
            assert bot.sleep(0.05) is False
        finally:
            other.close()
