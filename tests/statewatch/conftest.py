"""Fixtures for the state-watch tests: child-process environments on a shared home, a relay to cut PostgreSQL."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import make_env
from tests.integration.test_live_acceptance import CLEAN_ENV, ROOT
from tests.statewatch.proxy import Relay


def child_env(home: Path, journal_url: str, **extra: str) -> dict[str, str]:
    """What a bot or dashboard process on this machine gets: the shared home (paper book) and journal.

    A 5 s heartbeat timeout: on a busy CI machine a child can miss a 1 s one and refuse orders as "database
    unreachable" before the test does anything. The outage tests pass a short one themselves."""
    extra = {"CRBOT_DB_HEARTBEAT_TIMEOUT_S": "5", **extra}
    return {
        **CLEAN_ENV,
        **make_env(home, CRBOT_DATABASE_URL=journal_url, **extra),
        "PYTHONPATH": str(ROOT),
    }


class Child:
    """A child process whose stdout lines are read by a thread (a hung child cannot hang the test)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def event(self, wanted: set[str], timeout_s: float = 60) -> dict[str, Any]:
        """The next JSON line whose event is in ``wanted`` (other lines skipped); fails after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        seen: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line.strip())
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") in wanted:
                return event
        err = self.proc.stderr.read()[-2000:] if self.proc.poll() is not None and self.proc.stderr else ""
        raise AssertionError(f"no {sorted(wanted)} event; the process printed: {seen[-10:]} {err}")

    def wait(self, timeout_s: float = 30) -> int:
        return self.proc.wait(timeout=timeout_s)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture
def relay_url(postgres_url: str) -> Iterator[tuple[Relay, str]]:
    """A relay in front of this test's PostgreSQL database, and the journal URL through it."""
    url = make_url(postgres_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield relay, url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    finally:
        relay.close()
