"""Fixtures for the state-watch tests: child-process environments on a shared home, a relay to cut PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import make_env
from tests.integration.test_live_acceptance import CLEAN_ENV, ROOT
from tests.statewatch.proxy import Relay


def child_env(home: Path, journal_url: str, **extra: str) -> dict[str, str]:
    """What a bot or dashboard process on this machine gets: the shared home (paper book) and journal."""
    return {
        **CLEAN_ENV,
        **make_env(home, CRBOT_DATABASE_URL=journal_url, CRBOT_DB_HEARTBEAT_TIMEOUT_S="1", **extra),
        "PYTHONPATH": str(ROOT),
    }


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_event(stream: IO[str], wanted: set[str], timeout_s: float = 60) -> dict[str, Any]:
    """The next JSON line whose event is in ``wanted`` (other lines skipped); fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line.strip())
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") in wanted:
            return event
    raise AssertionError(f"no {sorted(wanted)} event; the process printed: {seen[-10:]}")


@pytest.fixture
def relay_url(postgres_url: str) -> Iterator[tuple[Relay, str]]:
    """A relay in front of this test's PostgreSQL database, and the journal URL through it."""
    url = make_url(postgres_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield relay, url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    finally:
        relay.close()
