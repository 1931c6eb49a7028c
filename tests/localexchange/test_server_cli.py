"""``python -m crbot sim serve``: a real process, the real client, Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from crbot.localexchange.cli import main
from tests.ctrl_c import popen_with_ctrl_c
from tests.localexchange.test_server_kit import KEY, SECRET, make_client

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**settings: str) -> dict[str, str]:
    """The environment of a fresh shell: no CRBOT_/BINANCE_ setting another test of this process left behind,
    a stack dump on SIGABRT (``stop``'s diagnosis), then ``settings``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    return {**base, "PYTHONFAULTHANDLER": "1", "PYTHONPATH": str(ROOT), **settings}


def start(command: list[str], *, env: dict[str, str], cwd: Path, stderr: IO[str]) -> subprocess.Popen[str]:
    """``command`` with Ctrl-C working in it (the faulthandler dump of a full run once showed sim serve waiting
    in its loop, never interrupted: it had inherited an ignored SIGINT)."""
    return popen_with_ctrl_c(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)


def stop(proc: subprocess.Popen[str], stderr: Path) -> int:
    """Ctrl-C, and the exit status; a process still running 20 s later fails the test with its threads' stacks."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack to stderr
        proc.wait(timeout=10)
        pytest.fail(f"sim serve did not stop on Ctrl-C within 20 s; its stderr:\n{stderr.read_text()[-6000:]}")


def test_a_non_loopback_host_is_refused_without_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve the simulator on 0.0.0.0" in err and "--allow-remote" in err


def test_serve_prints_the_url_serves_the_real_client_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    restrictions = tmp_path / "perms.json"
    restrictions.write_text(json.dumps({"enableWithdrawals": True}))
    env = clean_env(CRBOT_HOME=str(tmp_path), CRBOT_PRICE_FEED="synthetic", CRBOT_PAPER_BALANCES="USDT=2500")
    args = ["--port", "0", "--api-key", KEY, "--api-secret", SECRET, "--restrictions", str(restrictions)]
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:  # a file: a pipe nobody reads could fill up and block the process
        proc = start([sys.executable, "-m", "crbot", "sim", "serve", *args], env=env, cwd=tmp_path, stderr=stderr)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"local exchange: (http://127\.0\.0\.1:\d+)", first)
        assert found, first + errors.read_text()
        client = make_client(found.group(1))
        assert client.ping() == {}
        balances = {b["asset"]: b["free"] for b in client.get_account()["balances"]}
        assert balances == {"USDT": "2500.00000000"}
        assert client.get_account_api_permissions()["enableWithdrawals"] is True
        assert float(client.get_symbol_ticker(symbol="BTCUSDT")["price"]) > 0
        assert (tmp_path / "sim" / "exchange.db").exists()  # its own book under $CRBOT_HOME/sim
    finally:
        code = stop(proc, errors)
    assert code == 0


def test_without_credentials_a_throwaway_pair_is_generated_and_printed(tmp_path: Path) -> None:
    env = clean_env(CRBOT_HOME=str(tmp_path), CRBOT_PRICE_FEED="synthetic")
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        command = [sys.executable, "-m", "crbot", "sim", "serve", "--port", "0", "--home", str(tmp_path / "elsewhere")]
        proc = start(command, env=env, cwd=tmp_path, stderr=stderr)
    try:
        assert proc.stdout is not None
        url = re.search(r"(http://[\d.:]+)", proc.stdout.readline())
        key = proc.stdout.readline().split(": ", 1)[1].strip()
        secret = proc.stdout.readline().split(": ", 1)[1].strip()
        assert url and len(key) == 64 and len(secret) == 64
        assert make_client(url.group(1), key=key, secret=secret).get_open_orders() == []
        assert (tmp_path / "elsewhere" / "exchange.db").exists()
    finally:
        code = stop(proc, errors)
    assert code == 0
