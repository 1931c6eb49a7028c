"""Monitor fixtures: a local webhook receiver (apprise ``json://`` posts to it) and monitors over the real runtime."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crbot.monitor.alerts import Notifier
from crbot.monitor.cycle import Monitor
from crbot.monitor.store import MonitorStore


@dataclass
class Receiver:
    """Records every JSON body posted; answers 500 to the first ``fail_first`` posts; holds each request until
    ``release`` is set (set by default)."""

    port: int = 0
    posts: list[dict] = field(default_factory=list)
    attempts: int = 0
    fail_first: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.posts) >= count, timeout)
            return list(self.posts)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    rec.release.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            rec.arrived.set()
            rec.release.wait(30)
            with rec.cond:
                rec.attempts += 1
                failing = rec.attempts <= rec.fail_first
                if not failing:
                    rec.posts.append(json.loads(body))
                rec.cond.notify_all()
            self.send_response(500 if failing else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.release.set()
    server.shutdown()
    server.server_close()


def make_monitor(
    service, urls: tuple[str, ...] = (), *, holder: str = "monitor:test:1", interval_s: float = 10, sleep=None
):
    store = MonitorStore(service.journal)
    notifier = Notifier(store=store, clock=service.clock, urls=lambda: urls, sleep=sleep or (lambda s: None))
    return Monitor(service=service, notifier=notifier, holder=holder, interval=timedelta(seconds=interval_s))


@pytest.fixture(autouse=True)
def _no_alert_targets_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's or CI's CRBOT_ALERT_URLS must never receive test alerts (tests set their own)."""
    monkeypatch.delenv("CRBOT_ALERT_URLS", raising=False)
