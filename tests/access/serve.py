"""A real ``streamlit run app.py`` on a free loopback port, for the gate's HTTP tests and its benchmark."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def command(port: int, *extra: str, script: Path = ROOT / "app.py") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), *extra]


def environment(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Paper mode, synthetic prices, the cheap Argon2id profile; the committed .streamlit/config.toml."""
    (home / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", home / ".streamlit" / "config.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    env.update(
        CRBOT_HOME=str(home),
        CRBOT_MODE="paper",
        CRBOT_PRICE_FEED="synthetic",
        CRBOT_PAPER_BALANCES="USDT=10000",
        CRBOT_ACTOR="access-test",
        CRBOT_DASHBOARD_KDF="cheap",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra or {})
    return env


@contextmanager
def dashboard(
    home: Path, env: Mapping[str, str] | None = None, *extra: str, script: Path = ROOT / "app.py"
) -> Iterator[str]:
    """The base URL of a running dashboard (cwd=home: its config, and no developer .env)."""
    port = free_port()
    log_path = home / f"streamlit-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command(port, *extra, script=script),
            cwd=home,
            env=environment(home, env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not become healthy:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)  # polling a starting server
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
