"""A tiny fake of Binance's public REST endpoints on 127.0.0.1, for feed and rules tests.

Each route is a function of the parsed query returning (status, json body[, headers]); every request
is recorded so tests can assert what was asked and how often.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, Any] | tuple[int, Any, dict[str, str]]
Route = Callable[[dict[str, str]], Reply]


class FakeBinance:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {"/api/v3/ping": lambda q: (200, {})}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with fake._lock:
                    fake.requests.append((parts.path, query))
                    route = fake.routes.get(parts.path)
                reply: Reply = route(query) if route else (404, {"code": -1, "msg": "not found"})
                status, body = reply[0], reply[1]
                headers = reply[2] if len(reply) > 2 else {}  # type: ignore[misc]
                raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [q for p, q in self.requests if p == path]

    def __enter__(self) -> FakeBinance:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_port_url() -> str:
    """A loopback URL nobody listens on (bound then released), for 'unreachable' tests."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
