"""HTTP API overhead (paper): ``GET balance`` and ``POST order/create`` over HTTP, p50 / p99, beside the same
service calls in-process in the same run; and the requests a second one server process sustains.

The server is the real command (``python -m crbot api serve``) in its own process, on keep-alive connections.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import requests

from bench.common import paper_runtime, report, temp_home
from crbot.api.tokens import TokenStore
from crbot.clock import SystemClock
from crbot.domain import OrderRequest, Side
from crbot.risk import RiskLimits

N = 500
ORDERS = 300
BATCH = 100  # cancel (untimed) every BATCH orders: the exchange allows 200 open orders a symbol
RPS_SECONDS = 3.0
RPS_CLIENTS = 4
ROOT = Path(__file__).resolve().parents[1]


def run() -> list[str]:
    home = temp_home()
    store = TokenStore(home)
    admin = store.create("bench", "admin", now=SystemClock().now())
    server, url = _serve(home)
    try:
        return _measure(url, admin)
    finally:
        server.terminate()
        server.wait(15)


def _serve(home: Path) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "CRBOT_HOME": str(home),
        "CRBOT_PRICE_FEED": "synthetic",
        "CRBOT_PAPER_BALANCES": "USDT=10000000",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "crbot", "api", "serve", "--port", "0", "--rate", "1e9", "--burst", "1e9"]
    proc = subprocess.Popen(command, env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if " on http://" not in line:
        proc.kill()
        raise RuntimeError(f"the API server did not start: {line!r}")
    return proc, line.split(" on ", 1)[1].split("/api/broker", 1)[0]


def _measure(url: str, token: str) -> list[str]:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    b = f"{url}/api/broker"
    roomy = {"max_open_orders": 100000, "max_orders_per_minute": 100000, "max_total_exposure": "100000000"}
    for _ in range(100):  # waits for the server's start-up, then warms its caches
        if http.get(f"{b}/balance", timeout=30).status_code == 200:
            break
        time.sleep(0.1)
    http.post(f"{b}/limits", json={"changes": roomy, "reason": "benchmark"}, timeout=30).raise_for_status()

    rt, _ = paper_runtime()  # the in-process baseline: the same service, its own paper account
    svc = rt.service
    svc.save_risk_limits(RiskLimits().with_changes(**roomy), actor="bench", reason="benchmark")
    lines = [
        report("GET balance over HTTP (keep-alive)", _times(N, lambda: http.get(f"{b}/balance", timeout=30))),
        report("baseline: service.balances() + equity()", _times(N, lambda: (svc.balances(), svc.equity()))),
    ]

    order = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": str(_limit_price(http, b))}
    http_ms: list[float] = []
    for i in range(ORDERS):
        if i % BATCH == 0:
            _cancel_open(http, b)
        started = time.perf_counter()
        answer = http.post(f"{b}/order/create", json=order, timeout=30)
        if answer.status_code != 201:
            raise RuntimeError(f"order/create answered {answer.status_code}: {answer.text}")
        http_ms.append((time.perf_counter() - started) * 1000)
    _cancel_open(http, b)
    request = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=Decimal("0.1"), price=Decimal("99"))
    place_ms: list[float] = []
    for i in range(ORDERS):
        if i % BATCH == 0:
            rt.broker.cancel_all("BTCUSDT")
        started = time.perf_counter()
        svc.place(request, actor="bench")
        place_ms.append((time.perf_counter() - started) * 1000)
    lines += [
        report("POST order/create over HTTP (LIMIT, paper)", http_ms),
        report("baseline: service.place in-process (LIMIT)", place_ms),
    ]
    lines.append(_rps(b, token))
    return lines


def _times(n: int, call: object) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        out.append((time.perf_counter() - started) * 1000)
    return out


def _limit_price(http: requests.Session, b: str) -> Decimal:
    """A BUY price 2 % under the synthetic feed's BTCUSDT price (read from a small MARKET fill): it rests on
    the book, inside the risk manager's band."""
    market = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quote_quantity": "50"}
    fill = http.post(f"{b}/order/create", json=market, timeout=30)
    fill.raise_for_status()
    entry = fill.json()["orders"][0]
    last = Decimal(entry["cumulative_quote"]) / Decimal(entry["executed_qty"])
    return (last * Decimal("0.98")).quantize(Decimal("0.01"))


def _cancel_open(http: requests.Session, b: str) -> None:
    for o in http.get(f"{b}/orders?open=true&limit=1000", timeout=30).json():
        http.post(f"{b}/order/cancel", json={"symbol": o["symbol"], "client_order_id": o["client_order_id"]})


def _rps(b: str, token: str) -> str:
    counts = [0] * RPS_CLIENTS
    deadline = time.perf_counter() + RPS_SECONDS

    def client(i: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        while time.perf_counter() < deadline:
            http.get(f"{b}/balance", timeout=30).raise_for_status()
            counts[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(RPS_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    name = f"GET balance: one server process, {RPS_CLIENTS} clients"
    line = f"{name:<48} {sum(counts) / RPS_SECONDS:8.0f} req/s"
    print(line, flush=True)
    return line
