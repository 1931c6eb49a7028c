"""A whole session as an operator types it, every command its own process, nothing patched: a simulator,
then `keys set`, `keys check`, an order in testnet mode, STOP, resume, `keys rotate`, and more commands.
Afterwards no plain-text key or secret is anywhere: .env, CRBOT_HOME, the config directory, the logs (-v),
or anything the CLI printed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.test_live_acceptance import CLEAN_ENV, KEY, ROOT, SECRET, Sim, start_sim, stop_sim, tick


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    s = start_sim(tmp_path_factory.mktemp("session-sim"))
    yield s
    stop_sim(s.process)


def test_a_full_session_leaves_no_plain_text_secret(sim: Sim, tmp_path: Path) -> None:
    work, home, config = tmp_path / "work", tmp_path / "home", tmp_path / "config"
    work.mkdir()
    (work / ".env").write_text(
        f"CRBOT_MODE=testnet\nCRBOT_BINANCE_BASE_URL={sim.url}\nCRBOT_HOME={home}\nCRBOT_ACTOR=session\n"
    )
    env = {**CLEAN_ENV, "XDG_CONFIG_HOME": str(config), "PYTHONPATH": str(ROOT)}
    printed: list[str] = []

    def crbot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "crbot", *args],
            cwd=work,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=90,
        )
        printed.extend((done.stdout, done.stderr))
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return done

    made = crbot("keys", "set", stdin=f"{KEY}\n{SECRET}\n")
    assert "Created a new master key" in made.stderr and (config / "crbot" / "master.key").exists()
    assert "can_trade: True" in crbot("keys", "check").stdout
    crbot("-v", "balance")
    last = Decimal(json.loads(crbot("--json", "price", "--symbol", "BTCUSDT").stdout)["price"])
    order = ["--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", tick(last * Decimal("0.97"))]
    created = json.loads(crbot("-v", "--json", "order", "create", *order).stdout)
    assert created["message"] == "sent"
    stopped = json.loads(crbot("-v", "--json", "stop", "--reason", "session test").stdout)
    assert stopped["ok"] is True
    assert json.loads(crbot("-v", "--json", "resume", "--confirm").stdout)["trading_state"] == "ACTIVE"
    crbot("keys", "rotate")
    crbot("keys", "show")
    after = json.loads(crbot("-v", "--json", "orders").stdout)  # still working after the rotation
    assert any(o["client_order_id"] == created["client_order_id"] and o["status"] == "CANCELED" for o in after)
    assert (home / "journal-testnet.db").exists() and not (home / "journal.db").exists()

    places = [work / ".env", *home.rglob("*"), *config.rglob("*")]
    files = {p: p.read_bytes() for p in places if p.is_file()}
    assert any(b"enc:" in data for data in files.values())
    for secret in (KEY, SECRET):
        assert [p for p, data in files.items() if secret.encode() in data] == []
        assert [text for text in printed if secret in text] == []
    assert any("INFO" in text for text in printed)  # -v really printed log lines, and they were checked
