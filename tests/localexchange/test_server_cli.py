"""``python -m crbot sim serve``: a real process, the real client, Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crbot.localexchange.cli import main
from tests.localexchange.test_server_kit import KEY, SECRET, make_client

ROOT = Path(__file__).resolve().parents[2]


def test_a_non_loopback_host_is_refused_without_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve the simulator on 0.0.0.0" in err and "--allow-remote" in err


def test_serve_prints_the_url_serves_the_real_client_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    restrictions = tmp_path / "perms.json"
    restrictions.write_text(json.dumps({"enableWithdrawals": True}))
    env = {
        **os.environ,
        "CRBOT_HOME": str(tmp_path),
        "CRBOT_PRICE_FEED": "synthetic",
        "CRBOT_PAPER_BALANCES": "USDT=2500",
    }
    args = ["--port", "0", "--api-key", KEY, "--api-secret", SECRET, "--restrictions", str(restrictions)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "crbot", "sim", "serve", *args],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"local exchange: (http://127\.0\.0\.1:\d+)", first)
        assert found, first + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        client = make_client(found.group(1))
        assert client.ping() == {}
        balances = {b["asset"]: b["free"] for b in client.get_account()["balances"]}
        assert balances == {"USDT": "2500.00000000"}
        assert client.get_account_api_permissions()["enableWithdrawals"] is True
        assert float(client.get_symbol_ticker(symbol="BTCUSDT")["price"]) > 0
        assert (tmp_path / "sim" / "exchange.db").exists()  # its own book under $CRBOT_HOME/sim
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=20)
    assert code == 0


def test_without_credentials_a_throwaway_pair_is_generated_and_printed(tmp_path: Path) -> None:
    env = {**os.environ, "CRBOT_HOME": str(tmp_path), "CRBOT_PRICE_FEED": "synthetic", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crbot", "sim", "serve", "--port", "0", "--home", str(tmp_path / "elsewhere")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = re.search(r"(http://[\d.:]+)", proc.stdout.readline())
        key = proc.stdout.readline().split(": ", 1)[1].strip()
        secret = proc.stdout.readline().split(": ", 1)[1].strip()
        assert url and len(key) == 64 and len(secret) == 64
        assert make_client(url.group(1), key=key, secret=secret).get_open_orders() == []
        assert (tmp_path / "elsewhere" / "exchange.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=20)
    assert code == 0
