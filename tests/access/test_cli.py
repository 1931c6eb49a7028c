"""``python -m crbot dashboard set-password`` / ``status``: one line from stdin, only a hash on disk, audited."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crbot.access.passwords import PasswordStore
from crbot.cli import main
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.journal import Journal

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough dashboard password"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CRBOT_DATABASE_URL", "BINANCE_API_KEY", "BINANCE_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CRBOT_MODE", "paper")
    monkeypatch.setenv("CRBOT_DASHBOARD_KDF", "cheap")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def _run(monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["dashboard", *argv])


def test_set_password_from_stdin(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    assert _run(monkeypatch, "", "status") == 0
    assert "not set" in capsys.readouterr().out
    assert _run(monkeypatch, PASSWORD + "\n", "set-password") == 0
    out = capsys.readouterr().out
    assert "dashboard password set" in out and PASSWORD not in out
    path = home / "dashboard_password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PASSWORD.encode() not in path.read_bytes()
    assert PasswordStore(home).verify(PASSWORD)
    journal = Journal(Settings.load().database_url, SystemClock())
    assert [e.action for e in journal.audit_events()][:1] == ["dashboard_password_set"]
    assert all(PASSWORD not in f"{e.detail}{e.reason}" for e in journal.audit_events())
    assert main(["dashboard", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"password_set": True}


@pytest.mark.parametrize("stdin", ["", "short\n", " spaced password \n"])
def test_bad_input_exits_2_and_changes_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, stdin: str
) -> None:
    assert _run(monkeypatch, stdin, "set-password") == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (home / "dashboard_password").exists()


def test_unknown_command_exits_2(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, "", "show-password") == 2


def test_as_a_process_the_password_is_never_an_argument(home: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crbot", "dashboard", "set-password"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no developer .env
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "CRBOT_HOME": str(home),
            "CRBOT_DASHBOARD_KDF": "cheap",
            "CRBOT_MODE": "paper",
        },
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert PasswordStore(home).verify(PASSWORD)


def test_on_a_terminal_the_prompt_is_hidden_and_asked_twice(home: Path, tmp_path: Path) -> None:
    """A real pseudo-terminal: getpass turns echo off, so the typed password never shows in the output."""
    import os
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on the terminal
        os.chdir(tmp_path)
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CRBOT_HOME": str(home)}
        env.update(CRBOT_DASHBOARD_KDF="cheap", CRBOT_MODE="paper")
        os.execve(sys.executable, [sys.executable, "-m", "crbot", "dashboard", "set-password"], env)
    output = b""

    def read_until(marker: bytes) -> None:
        nonlocal output
        deadline = time.monotonic() + 60
        while marker not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if ready:
                try:
                    output += os.read(fd, 1024)
                except OSError:
                    return

    read_until(b"New dashboard password: ")
    os.write(fd, PASSWORD.encode() + b"\n")
    read_until(b"Again: ")
    os.write(fd, PASSWORD.encode() + b"\n")
    read_until(b"every signed-in session has ended")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output
    assert b"dashboard password set" in output
    assert PASSWORD.encode() not in output  # never echoed
    assert PasswordStore(home).verify(PASSWORD)
