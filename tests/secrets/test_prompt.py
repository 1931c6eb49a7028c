"""``keys set`` on a real terminal (a pseudo-terminal): hidden prompts, nothing echoed; and the server fixtures
fail rather than skip in CI when a binary is missing."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.secrets import servers
from tests.secrets.conftest import KEY1, SECRET1

ROOT = Path(__file__).resolve().parents[2]


def _read_until(fd: int, marker: bytes, seen: bytearray, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"no {marker!r} in {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            seen.extend(chunk)


def _reap(pid: int, timeout: float = 30) -> int:
    """The child's wait status; killed if it has not ended in ``timeout`` s (a hung prompt fails the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def test_keys_set_on_a_terminal_prompts_without_echo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONPATH=str(ROOT))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pseudo-terminal is its controlling terminal, as in a shell
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "crbot", "keys", "set"], env)
    seen = bytearray()
    try:
        _read_until(fd, b"Binance API key: ", seen)
        os.write(fd, KEY1.encode() + b"\n")
        _read_until(fd, b"Binance API secret: ", seen)
        os.write(fd, SECRET1.encode() + b"\n")
        _read_until(fd, b"keys check", seen)
    finally:
        status = _reap(pid)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, bytes(seen)
    assert KEY1.encode() not in seen and SECRET1.encode() not in seen  # never echoed to the screen
    assert (tmp_path / ".env").read_text().count("=enc:") == 2


def test_a_missing_server_binary_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-binary"
    monkeypatch.setenv("CRBOT_REQUIRE_E2E", "1")
    with pytest.raises(pytest.fail.Exception, match="not found"):
        servers.require(missing)
    monkeypatch.delenv("CRBOT_REQUIRE_E2E")
    with pytest.raises(pytest.skip.Exception):
        servers.require(missing)
    servers.require(servers.MOTO)  # pip-installed with requirements.txt: present
    servers.require(servers.BAO)
