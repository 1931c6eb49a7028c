"""What the login gate costs: a page load (GET /) and the websocket handshake (/_stcore/stream), p50 / p99,
through the gate with a session cookie, beside the same requests with no middleware at all (baseline) and
with the gate installed but open (no password, loopback): three real ``streamlit run`` servers running at
once, requests taken in turn (one to each, round after round) so load from elsewhere hits all three alike.

A new connection per request: on a kept-alive one Streamlit 1.67's server answers ~40 ms late whatever the
route (its pre-bound socket leaves Nagle on: delayed-ACK stalls), which would drown the gate.
Also the gate alone in-process (an ASGI call with a cookie, vs the bare app), and a sign-in over HTTP
(Argon2id, standard profile), paid once per session.
"""

from __future__ import annotations

import asyncio
import http.client
import statistics
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import connect

from bench.common import report
from crbot.access.core import Access, AccessSettings
from crbot.access.gate import Gate
from crbot.access.passwords import PROFILES, PasswordStore
from tests.access.serve import ROOT, dashboard

PAGES = 300
HANDSHAKES = 100
LOGINS = 10
CALLS = 20_000
PASSWORD = "bench dashboard password"
LABELS = ("no middleware (baseline)", "gate, no password", "gate, signed in")


def run() -> list[str]:
    lines = [*_in_process()]
    base = Path(tempfile.mkdtemp(prefix="crbot-bench-access-"))
    launcher = base / "plain" / "plain.py"  # app.py's pages in an st.App with no middleware: the baseline
    launcher.parent.mkdir()
    launcher.write_text(f"import streamlit as st\n\napp = st.App({str(ROOT / 'app.py')!r})\n")
    (base / "open").mkdir()
    (base / "gated").mkdir()
    PasswordStore(base / "gated").set(PASSWORD, PROFILES["standard"])
    with ExitStack() as stack:
        urls = [
            stack.enter_context(dashboard(launcher.parent, None, script=launcher)),
            stack.enter_context(dashboard(base / "open")),
            stack.enter_context(dashboard(base / "gated", {"CRBOT_DASHBOARD_KDF": "standard"})),
        ]
        cookie, login_line = _logins(urls[2])
        headers = [{}, {}, {"Cookie": cookie}]
        pages: list[list[float]] = [[], [], []]
        for i in range(PAGES + 20):
            for k, url in enumerate(urls):
                elapsed = _get(url, headers[k])
                if i >= 20:  # warm-up excluded
                    pages[k].append(elapsed)
        shakes: list[list[float]] = [[], [], []]
        for _ in range(HANDSHAKES):
            for k, url in enumerate(urls):
                shakes[k].append(_handshake(url, headers[k]))
    lines += [report(f"GET / — {label}", pages[k]) for k, label in enumerate(LABELS)]
    lines += [report(f"ws handshake — {label}", shakes[k]) for k, label in enumerate(LABELS)]
    lines.append(login_line)
    return lines


def _conn(url: str) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=30)


def _get(url: str, headers: dict[str, str]) -> float:
    conn = _conn(url)
    start = time.perf_counter()
    conn.request("GET", "/", headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{url}: GET / answered {response.status}")
    return elapsed


def _handshake(url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    with connect(url.replace("http://", "ws://") + "/_stcore/stream", additional_headers={"Origin": url, **headers}):
        return (time.perf_counter() - start) * 1000


def _logins(url: str) -> tuple[str, str]:
    times, cookie = [], ""
    form = urllib.parse.urlencode({"password": PASSWORD, "next": "/"})
    for _ in range(LOGINS):
        conn = _conn(url)
        start = time.perf_counter()
        conn.request(
            "POST", "/login", body=form, headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": url}
        )
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        conn.close()
        if response.status != 303:
            raise RuntimeError(f"sign-in answered {response.status}")
        cookie = response.getheader("set-cookie").split(";")[0]
    return cookie, report("POST /login, Argon2id 46 MiB t=1 (once a session)", times)


def _in_process() -> list[str]:
    """The middleware alone: an ASGI call through Gate (stat of the password file, HMAC, session table)."""
    home = Path(tempfile.mkdtemp(prefix="crbot-bench-gate-"))
    access = Access(home, settings=AccessSettings(profile="cheap"))
    access.store.set(PASSWORD, PROFILES["cheap"])
    cookie, _ = access.login(PASSWORD, "127.0.0.1")
    assert cookie is not None

    async def bare(scope: dict, receive: object, send: object) -> None:
        return None

    gate = Gate(bare, access)
    scope = {"type": "http", "path": "/", "method": "GET", "headers": [(b"cookie", f"crbot_session={cookie}".encode())]}

    async def loop(app: object) -> list[float]:
        times = []
        for _ in range(CALLS):
            start = time.perf_counter()
            await app(scope, None, None)  # type: ignore[operator]
            times.append((time.perf_counter() - start) * 1000)
        return times

    bare_ms, gate_ms = asyncio.run(loop(bare)), asyncio.run(loop(gate))
    lines = [report("ASGI call, bare app (in-process)", bare_ms), report("ASGI call through the gate", gate_ms)]
    added = (statistics.median(gate_ms) - statistics.median(bare_ms)) * 1000
    lines.append(f"the gate adds {added:.1f} µs a request (median, in-process)")
    print(lines[-1], flush=True)
    return lines
