"""The commands a new user types: `api token create|list|revoke`, `api serve` in its own process, curl-like
calls, and a STOP through the API seen by the CLI and by the dashboard's service on the same CRBOT_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from crbot.config import Settings
from crbot.runtime import build_runtime
from tests.conftest import make_env

B = "/api/broker"
ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict[str, str]:
    # run in the home (no .env of the repository is read), importing crbot from the repository
    return {**os.environ, **make_env(home), "PYTHONPATH": str(ROOT)}


def crbot(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crbot", *args], env=_env(home), cwd=home, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`python -m crbot api serve --port 0` in its own process; its URL from the line it prints."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crbot", "api", "serve", "--port", "0"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert " on http://127.0.0.1:" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
        url = line.split(" on ", 1)[1].split("/api/broker", 1)[0]
        deadline = time.monotonic() + 30
        while True:  # listening as soon as the line is printed; uvicorn may still be loading the app
            try:
                requests.get(f"{url}/openapi.json", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None, "the API server did not start"
                time.sleep(0.05)
        yield url, tmp_path
    finally:
        proc.terminate()
        proc.wait(15)


def test_token_create_prints_it_alone_on_the_last_line_and_list_never_shows_it(tmp_path: Path) -> None:
    created = crbot(tmp_path, "api", "token", "create", "--scope", "read", "--name", "phone")
    assert created.returncode == 0, created.stderr
    token = created.stdout.splitlines()[-1]
    assert token.startswith("crbot_") and token == token.strip() and " " not in token
    listed = crbot(tmp_path, "api", "token", "list")
    assert "phone" in listed.stdout and "read" in listed.stdout and "never" in listed.stdout
    assert token not in listed.stdout and token not in (tmp_path / "api_tokens.json").read_text()
    as_json = json.loads(crbot(tmp_path, "--json", "api", "token", "list").stdout)
    assert as_json[0]["name"] == "phone" and as_json[0]["last_used"] is None and "token" not in as_json[0]
    again = crbot(tmp_path, "api", "token", "create", "--scope", "admin", "--name", "phone")
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = crbot(tmp_path, "api", "token", "create", "--scope", "root", "--name", "x")
    assert bad.returncode == 2 and bad.stderr.startswith("error:")
    revoked = crbot(tmp_path, "api", "token", "revoke", "--name", "phone")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert crbot(tmp_path, "api", "token", "revoke", "--name", "phone").returncode == 2
    audit = build_runtime(Settings.load(make_env(tmp_path), dotenv=False)).journal.audit_events(10)
    assert {"api_token_create", "api_token_revoke"} <= {e.action for e in audit}


def test_served_api_balance_order_and_stop_seen_by_the_cli_and_the_dashboard(served: tuple[str, Path]) -> None:
    url, home = served
    assert requests.get(f"{url}{B}/balance", timeout=10).status_code == 401  # no token, no answer
    trade = crbot(home, "api", "token", "create", "--scope", "trade", "--name", "bot").stdout.splitlines()[-1]
    read = crbot(home, "api", "token", "create", "--scope", "read", "--name", "watch").stdout.splitlines()[-1]
    auth = {"Authorization": f"Bearer {trade}"}
    balance = requests.get(f"{url}{B}/balance", headers=auth, timeout=10)  # a token created while serving
    assert balance.status_code == 200 and balance.json()["balances"][0]["asset"] == "USDT"
    status = requests.get(f"{url}{B}/status", headers=auth, timeout=10)
    assert status.status_code == 200 and status.json()["trading_state"] == "ACTIVE"
    dashboard = build_runtime(Settings.load(make_env(home), dotenv=False)).service  # what the pages read
    # 1 % under the synthetic feed's price: rests (the feed moves on the real clock), inside the risk band
    price = (dashboard.broker.last_price("BTCUSDT") * Decimal("0.99")).quantize(Decimal("0.01"))
    order = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": str(price), "client_order_id": "c1"}
    refused = requests.post(f"{url}{B}/order/create", json=order, headers={"Authorization": f"Bearer {read}"})
    assert refused.status_code == 403  # a read-only token cannot place an order
    placed = requests.post(f"{url}{B}/order/create", json=order, headers=auth, timeout=30)
    assert placed.status_code == 201, placed.text
    assert [o.client_order_id for o in dashboard.open_orders()] == ["c1"]  # the dashboard sees it

    stop = requests.post(f"{url}{B}/stop", json={"reason": "from the API"}, headers=auth, timeout=30)
    assert stop.status_code == 200 and stop.json()["state"] == "HALTED"
    cli = json.loads(crbot(home, "--json", "status").stdout)
    assert cli["trading_state"] == "HALTED" and cli["by"] == "api:bot" and cli["reason"] == "from the API"
    assert dashboard.trading_state().state == "HALTED" and dashboard.open_orders() == []
    denied = crbot(
        home, "order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", str(price)
    )
    assert denied.returncode == 3 and "HALTED" in denied.stderr
