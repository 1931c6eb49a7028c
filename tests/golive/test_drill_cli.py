"""``python -m crbot golive drill`` as a user runs it: a testnet-mode process against the local exchange
(``crbot sim serve``), then the checklist in paper mode on the same home sees the recorded round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_live_acceptance import CLEAN_ENV, KEY, ROOT, SECRET, Sim, start_sim, stop_sim


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    s = start_sim(tmp_path_factory.mktemp("drill-sim"))
    yield s
    stop_sim(s.process)


def _crbot(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**CLEAN_ENV, "CRBOT_HOME": str(home), "CRBOT_ACTOR": "drill", "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "crbot", *args], cwd=home, env=full, capture_output=True, text=True, timeout=120
    )


def test_the_drill_on_testnet_is_recorded_and_the_checklist_sees_it(sim: Sim, tmp_path: Path) -> None:
    testnet = {
        "CRBOT_MODE": "testnet",
        "CRBOT_BINANCE_BASE_URL": sim.url,
        "BINANCE_API_KEY": KEY,
        "BINANCE_API_SECRET": SECRET,
    }
    done = _crbot(tmp_path, "golive", "drill", **testnet)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "go-live drill on testnet: OK" in done.stdout
    for step in ("connect", "place LIMIT BUY BTCUSDT", "query NEW", "cancel CANCELED", "STOP verified", "flat"):
        assert step in done.stdout, done.stdout
    orders = _crbot(tmp_path, "--json", "orders", "--open", **testnet)
    assert orders.returncode == 0 and json.loads(orders.stdout) == []  # nothing left open
    checklist = _crbot(tmp_path, "--json", "golive", CRBOT_PRICE_FEED="synthetic")
    assert checklist.returncode == 3  # the other items are still open
    items = {i["key"]: i for i in json.loads(checklist.stdout)["items"]}
    assert items["drill"]["ok"] and "mode=testnet" in items["drill"]["evidence"]
    assert items["kill_switch"]["ok"] and "testnet journal" in items["kill_switch"]["evidence"]
