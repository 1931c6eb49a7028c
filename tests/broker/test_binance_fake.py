"""A scripted Binance behind the real python-binance Client (no sockets): a requests transport
adapter mounted on each client's session. Holds no tests; the connector's tests import it.

Answers come from one-shot scripted answers first (``fail``), then a tiny order book that
knows orders by client order id, so "placed, then the answer was lost" can be staged exactly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from crbot.binance.retry import RetryPolicy
from crbot.broker.binance import BinanceBroker
from crbot.broker.binance_transport import make_client
from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.exchange.bundled import load_bundled_rules

BASE = "http://fake.binance"
KEY = "k3yK3yK3y"
SECRET = "s3cr3t-do-not-leak-0123456789"
WALL = 1_767_614_400.0  # seconds; the wall clock the connector measures the offset against
SERVER_AHEAD_MS = 5000

Answer = tuple[int, Any, dict[str, str]] | BaseException | Callable[[dict[str, str]], Any]


def error(status: int, code: int | None, msg: str = "", **headers: str) -> tuple[int, Any, dict[str, str]]:
    body = {"code": code, "msg": msg} if code is not None else "<html>error</html>"
    return status, body, {k.replace("_", "-"): v for k, v in headers.items()}


class FakeBinance(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.log: list[tuple[str, str, dict[str, str]]] = []  # (method, path, params)
        self.scripted: dict[tuple[str, str], list[Answer]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.next_id = 1
        self.weight = 0
        self.permissions: dict[str, Any] = {}
        self.trades: list[dict[str, Any]] = []
        self.hold: Callable[[str, str], None] | None = None  # called before answering (to stage concurrency)

    # -- scripting --------------------------------------------------------------------------
    def fail(self, method: str, path: str, *answers: Answer) -> None:
        """The next calls of METHOD path get these answers, in order (then normal service)."""
        self.scripted.setdefault((method, path), []).extend(answers)

    def calls(self, method: str | None = None, path: str | None = None) -> list[dict[str, str]]:
        with self.lock:
            return [p for m, pa, p in self.log if (method is None or m == method) and (path is None or pa == path)]

    # -- the adapter ------------------------------------------------------------------------
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = urlsplit(request.url or "")
        params = dict(parse_qsl(url.query))
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        if body:
            params |= dict(parse_qsl(body))
        method = (request.method or "GET").upper()
        with self.lock:
            self.log.append((method, url.path, params))
            queue = self.scripted.get((method, url.path))
            answer = queue.pop(0) if queue else None
            self.weight += 1
            weight = self.weight
        if self.hold:
            self.hold(method, url.path)
        if answer is None:
            answer = self.serve(method, url.path, params)
        elif callable(answer) and not isinstance(answer, BaseException):
            answer = answer(params)
        if isinstance(answer, BaseException):
            raise answer
        status, payload, headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", "X-MBX-USED-WEIGHT-1M": str(weight)}
        )
        response.headers.update(headers)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass

    # -- a tiny exchange --------------------------------------------------------------------
    def serve(self, method: str, path: str, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        ok = (200, {}, {})
        if path == "/api/v3/ping":
            return ok
        if path == "/api/v3/time":
            return 200, {"serverTime": int(WALL * 1000) + SERVER_AHEAD_MS}, {}
        if path == "/api/v3/exchangeInfo":
            symbols = [r.to_exchange_info() for r in load_bundled_rules().values()]
            limits = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 1200}]
            return 200, {"timezone": "UTC", "rateLimits": limits, "symbols": symbols}, {}
        if path in ("/api/v3/avgPrice", "/api/v3/ticker/price"):
            return 200, {"symbol": p["symbol"], "mins": 5, "price": "50000.00000000"}, {}
        if path == "/api/v3/account":
            return (
                200,
                {
                    "commissionRates": {"maker": "0.00075", "taker": "0.001", "buyer": "0", "seller": "0"},
                    "canTrade": True,
                    "balances": [{"asset": "USDT", "free": "1000", "locked": "0"}],
                    "permissions": ["SPOT"],
                },
                {},
            )
        if path == "/sapi/v1/account/apiRestrictions":
            return 200, self.permissions, {}
        if path == "/api/v3/order" and method == "POST":
            return self.place(p)
        if path.startswith("/api/v3/orderList/"):
            return self.place_list(path.rsplit("/", 1)[1].upper(), p)
        if path == "/api/v3/order" and method == "GET":
            order = self.orders.get(p.get("origClientOrderId", ""))
            return (200, order, {}) if order else error(400, -2013, "Order does not exist.")
        if path == "/api/v3/order" and method == "DELETE":
            order = self.orders.get(p.get("origClientOrderId", ""))
            if not order or order["status"] != "NEW":
                return error(400, -2011, "Unknown order sent.")
            order["status"] = "CANCELED"
            return 200, order | {"origClientOrderId": order["clientOrderId"], "clientOrderId": "cxl"}, {}
        if path == "/api/v3/openOrders" and method == "DELETE":
            live = [o for o in self.orders.values() if o["symbol"] == p["symbol"] and o["status"] == "NEW"]
            if not live:
                return error(400, -2011, "Unknown order sent.")
            for o in live:
                o["status"] = "CANCELED"
            return 200, live, {}
        if path == "/api/v3/openOrders":
            want = p.get("symbol")
            return 200, [o for o in self.orders.values() if o["status"] == "NEW" and want in (None, o["symbol"])], {}
        if path == "/api/v3/allOrders":
            return 200, self.page(list(self.orders.values()), p, "orderId", "orderId"), {}
        if path == "/api/v3/myTrades":
            return 200, self.page(self.trades, p, "fromId", "id"), {}
        return error(404, None)

    def page(self, rows: list[dict[str, Any]], p: dict[str, str], cursor: str, key: str) -> list[dict[str, Any]]:
        limit = int(p.get("limit", 500))
        if cursor in p:
            rows = [r for r in rows if r[key] >= int(p[cursor])]
        elif "startTime" in p:
            start = int(p["startTime"])
            rows = [r for r in rows if start <= r["time"] < start + 86_400_000]
        else:  # Binance: no cursor and no time = the most recent rows, oldest first
            return sorted(rows, key=lambda r: r[key])[-limit:]
        return sorted(rows, key=lambda r: r[key])[:limit]

    def order(self, p: dict[str, str], prefix: str = "", **extra: Any) -> dict[str, Any]:
        def get(name: str) -> str | None:
            return p.get(prefix + name[0].upper() + name[1:] if prefix else name)

        cid = get("clientOrderId") if prefix else p["newClientOrderId"]
        with self.lock:
            order_id, self.next_id = self.next_id, self.next_id + 1
        order = {
            "symbol": p["symbol"],
            "orderId": order_id,
            "orderListId": -1,
            "clientOrderId": cid,
            "price": get("price") or "0.00000000",
            "origQty": get("quantity") or extra.pop("quantity"),
            "executedQty": "0",
            "cummulativeQuoteQty": "0",
            "status": "NEW",
            "timeInForce": get("timeInForce") or "GTC",
            "type": get("type"),
            "side": get("side") or extra.pop("side"),
            "stopPrice": get("stopPrice") or "0",
            "time": int(WALL * 1000),
            "updateTime": int(WALL * 1000),
        } | extra
        return order

    def place(self, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if p["newClientOrderId"] in self.orders:
            return error(400, -2010, "Duplicate order sent.")
        order = self.order(p)
        self.orders[order["clientOrderId"]] = order
        return 200, order | {"transactTime": order["time"], "fills": []}, {}

    def place_list(self, kind: str, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        shared = {
            "side": p.get("side") or p.get("pendingSide"),
            "quantity": p.get("quantity") or p.get("pendingQuantity"),
        }
        prefixes = {
            "OCO": ["above", "below"],
            "OTO": ["working", "pending"],
            "OTOCO": ["working", "pendingAbove", "pendingBelow"],
        }
        reports = []
        for prefix in prefixes[kind]:
            pending = prefix.startswith("pending")
            order = self.order(p, prefix, orderListId=7, status="PENDING_NEW" if pending else "NEW", **dict(shared))
            self.orders[order["clientOrderId"]] = order
            reports.append(order)
        return (
            200,
            {"orderListId": 7, "contingencyType": "OTO" if kind != "OCO" else "OCO", "orderReports": reports},
            {},
        )

    def land(self, p: dict[str, str]) -> None:
        """Place an order exactly as if the request had been processed (for 'answer lost' stagings)."""
        self.place(p)


def env(**extra: str) -> dict[str, str]:
    return {
        "CRBOT_MODE": "testnet",
        "CRBOT_BINANCE_BASE_URL": BASE,
        "CRBOT_RECV_WINDOW_MS": "7000",
        "BINANCE_API_KEY": KEY,
        "BINANCE_API_SECRET": SECRET,
        "CRBOT_ACTOR": "tester",
    } | extra


def make_broker(
    fake: FakeBinance, clock: ManualClock, *, mode: str = "testnet", **kwargs: Any
) -> tuple[BinanceBroker, list[float]]:
    """A broker whose clients talk to ``fake``; sleeping advances ``clock``; returns the sleeps too."""
    import random

    settings = Settings.load(env(CRBOT_MODE=mode), dotenv=False)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    broker: BinanceBroker | None = None

    def factory() -> Any:
        assert broker is not None
        client = make_client(settings, broker.endpoint)
        client.session.mount(BASE, fake)
        return client

    broker = BinanceBroker(
        settings,
        clock=clock,
        retry=kwargs.pop("retry", RetryPolicy(attempts=3, base_delay=0.2, max_delay=1.0, max_wait=10.0)),
        sleep=sleep,
        rng=random.Random(7),
        client_factory=factory,
        wall=lambda: WALL,
        **kwargs,
    )
    return broker, sleeps


D = Decimal
