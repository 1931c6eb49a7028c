"""The example bot (examples/dca_bot.py) as a user runs it: orders through the one order path under the bot's
actor, and a clear stop when trading is HALTED."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crbot.clock import SystemClock
from crbot.domain import OrderStatus, TradingState
from crbot.journal import Journal
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
