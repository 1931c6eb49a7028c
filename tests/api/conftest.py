"""A real API server (uvicorn on 127.0.0.1, a free port, in a thread) over a real paper runtime, and tokens.

The runtime has a manual clock and feed (tests/conftest.py's prices), so orders are deterministic; the CLI
in a subprocess shares its CRBOT_HOME (journal and paper book).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn

from crbot.api.app import create_app
from crbot.api.tokens import TokenStore
from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.market.feed import ManualFeed
from crbot.runtime import Runtime, build_runtime
from tests.conftest import PRICES, make_env


@dataclass
class Server:
    url: str
    rt: Runtime
    store: TokenStore
    home: Path
    tokens: dict[str, str]  # scope -> secret
    _server: uvicorn.Server
    _thread: threading.Thread

    def call(self, method: str, path: str, token: str | None = "trade", **kwargs: Any) -> requests.Response:
        """``token``: a scope name (that scope's token), a raw secret, or None for no header."""
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def start_server(rt: Runtime, store: TokenStore, **app_options: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as `api serve` does (keep-alive latency)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(rt, store, **app_options)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.01)
    return url, server, thread


def paper_runtime(home: Path) -> Runtime:
    settings = Settings.load(make_env(home), dotenv=False)
    return build_runtime(settings, clock=ManualClock(), feed=ManualFeed(PRICES))


def serve(home: Path, **app_options: Any) -> Server:
    rt = paper_runtime(home)
    store = TokenStore(home)
    now = rt.clock.now()
    tokens = {s: store.create(f"{s}-bot", s, now=now) for s in ("read", "trade", "admin")}
    url, server, thread = start_server(rt, store, **app_options)
    return Server(url=url, rt=rt, store=store, home=home, tokens=tokens, _server=server, _thread=thread)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per test module (its state carries over between the module's tests)."""
    server = serve(tmp_path_factory.mktemp("api-home"), rate=1000.0, burst=1000)
    server.call("GET", "/api/broker/balance", "read")  # waits for the start-up
    yield server
    server.stop()


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[Server]:
    """A server of its own, for tests that change the trading state or the broker."""
    server = serve(tmp_path, rate=1000.0, burst=1000)
    yield server
    server.stop()
