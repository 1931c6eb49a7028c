"""The local exchange: the paper MatchingEngine served over HTTP as the subset of the Binance spot REST
API that CRBOT uses, so the real python-binance Client (and so the live code path) runs without the
internet.

    with LocalExchange(engine, api_key=KEY, api_secret=SECRET, clock=SystemClock()) as ex:
        client = binance.client.Client(KEY, SECRET, ping=False)
        client.API_URL, client.MARGIN_API_URL = f"{ex.base_url}/api", f"{ex.base_url}/sapi"
        ex.faults.fail_next(status=503)        # see faults.py for every fault

Every request goes through one pipeline (``LocalExchange.handle``): fault lookup and latency, request
weight (429 / 418), faults that fire before processing, API key / permissions / signature / timestamp,
the order-rate limits, the handler (engine calls serialised under one lock, the engine advanced to
the clock first), faults that fire after processing. Standard library HTTP only (ThreadingHTTPServer),
hardened like a server: a listen backlog of 128, a per-connection read timeout (``read_timeout``), and a
Binance-style JSON 400 for a request HTTP itself cannot parse.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crbot.binance.errors import error_reply
from crbot.binance.query import Params, missing
from crbot.clock import Clock, to_ms
from crbot.domain import Commissions
from crbot.errors import ConfigError
from crbot.exchange.rules import SymbolRules
from crbot.localexchange.auth import (
    Credentials,
    check_timestamp,
    invalid_key,
    load_ed25519_public_key,
    merged_restrictions,
    signature_payload,
)
from crbot.localexchange.faults import Fault, FaultKind, Faults
from crbot.localexchange.limits import RateLimits, RateMeter, Verdict
from crbot.localexchange.routes import ROUTES
from crbot.localexchange.venue import Engine, Reply, Route, Security, Venue
from crbot.market.feed import PriceFeed
from crbot.paper.factory import PaperMarket

logger = logging.getLogger(__name__)

__all__ = ["LocalExchange", "RateLimits"]

MAX_BODY = 1 << 20  # bytes; a form body of any real request is far smaller
_CONTENT_LENGTH = re.compile(r"[0-9]{1,10}")


class Action(StrEnum):
    REPLY = "reply"
    DROP = "drop"  # close the connection without an answer
    STALL = "stall"  # hold the request past the client's timeout, then close


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    method: str
    path: str
    raw_query: str = ""
    raw_body: str = ""
    api_key: str | None = None
    ip: str = "127.0.0.1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    action: Action = Action.REPLY


class LocalExchange:
    """A Binance-compatible HTTP face for a MatchingEngine.

    ``rules`` / ``feed`` / ``commissions`` default to the engine's attributes of those names (pass them
    when the engine keeps them private). ``limits`` replaces every rate limit; without it only the
    request-weight limit differs from Binance's defaults, set by ``weight_limit``. ``restrictions`` are
    the key's apiRestrictions fields over SAFE_RESTRICTIONS; they also gate reading and trading.
    ``read_timeout`` (seconds) closes a connection whose client sends nothing (or too little) for that long.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        api_key: str,
        api_secret: str | None = None,
        ed25519_public_key: Ed25519PublicKey | bytes | str | None = None,
        restrictions: Mapping[str, Any] | None = None,
        weight_limit: int = 6000,
        clock: Clock,
        limits: RateLimits | None = None,
        rules: Mapping[str, SymbolRules] | None = None,
        feed: PriceFeed | None = None,
        commissions: Commissions | None = None,
        read_timeout: float = 10.0,
    ) -> None:
        if not read_timeout > 0:  # 0 would make the sockets non-blocking
            raise ConfigError(f"read_timeout must be positive, not {read_timeout}", hint="e.g. read_timeout=10")
        self.read_timeout = read_timeout
        self.faults = Faults()
        self.limits = limits or RateLimits(weight_per_minute=weight_limit)
        self.meter = RateMeter(self.limits, clock)
        self.restrictions = merged_restrictions(restrictions)
        self._credentials = Credentials(api_key, api_secret or None, load_ed25519_public_key(ed25519_public_key))
        self.venue = Venue(
            engine=engine,
            rules=rules if rules is not None else _from_engine(engine, "rules"),
            feed=feed if feed is not None else _from_engine(engine, "feed"),
            clock=clock,
            commissions=commissions if commissions is not None else _from_engine(engine, "commissions"),
            limits=self.limits,
            restrictions=self.restrictions,
            skew_ms=lambda: self.faults.skew_ms,
        )
        self._engine_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------------------------------- lifecycle

    @classmethod
    def over(cls, market: PaperMarket, *, api_key: str, **options: Any) -> LocalExchange:
        """A LocalExchange serving a paper market's engine on its feed, clock, rules and fees (not started
        yet; ``with`` starts it on 127.0.0.1 and a free port). ``options`` go to the constructor as they are."""
        return cls(
            market.engine,
            api_key=api_key,
            clock=market.clock,
            rules=market.rules,
            feed=market.feed,
            commissions=market.commissions,
            **options,
        )

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; ``port=0`` picks a free port. Returns the base URL."""
        if self._httpd is not None:
            return self.base_url
        self.faults.reset_release()
        self._httpd = _HTTPServer((host, port), self, read_timeout=self.read_timeout)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="crbot-local-exchange", daemon=True
        )
        self._thread.start()
        logger.info("local exchange listening on %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        """Stop serving: stalled requests are released and open connections closed."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.faults.release()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        logger.info("local exchange stopped")

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise ConfigError("the local exchange is not running", hint="call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LocalExchange:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------- pipeline

    def handle(self, req: Request) -> Response:
        """Serve one request (no sockets involved: tests may call it directly)."""
        route = ROUTES.get((req.method, req.path))
        params = Params(req.raw_query, req.raw_body)
        self.faults.delay()
        charge = self.meter.charge(req.ip, route.weight_of(params) if route else 1)
        headers = {"X-MBX-USED-WEIGHT-1M": str(charge.used_weight)}
        if charge.verdict is not Verdict.OK:
            headers["Retry-After"] = str(charge.retry_after)
            status = 418 if charge.verdict is Verdict.BANNED else 429
            return Response(status=status, body={"code": -1003, "msg": charge.message}, headers=headers)
        fault = self.faults.take(req.method, req.path)  # a refused request leaves armed faults armed
        if fault is not None and not fault.after:
            return _fault_response(fault, headers)
        if route is None:
            body = {"code": -1020, "msg": "This operation is not supported."}
            return Response(status=404, body=body, headers=headers)
        status, body, new_orders = self._execute(route, req, params, headers)
        if new_orders:
            ten, day = self.meter.add_orders(new_orders)
            headers["X-MBX-ORDER-COUNT-10S"] = str(ten)
            headers["X-MBX-ORDER-COUNT-1D"] = str(day)
        if fault is not None:
            logger.info("fault after %s %s: %s (status was %s)", req.method, req.path, fault.kind, status)
            return _fault_response(fault, headers)
        return Response(status=status, body=body, headers=headers)

    def _execute(self, route: Route, req: Request, params: Params, headers: dict[str, str]) -> tuple[int, Any, int]:
        try:
            params.check()
            if route.security is not Security.NONE:
                self._authenticate(route, req, params)
            if route.new_orders:
                verdict = self.meter.check_orders(route.new_orders)
                if verdict.verdict is not Verdict.OK:
                    headers["Retry-After"] = str(verdict.retry_after)
                    return 429, {"code": -1015, "msg": verdict.message}, 0
            reply = self._run(route, params)
        except Exception as exc:
            status, body = error_reply(exc)
            return status, body, 0
        return reply.status, reply.body, reply.new_orders

    def _run(self, route: Route, params: Params) -> Reply:
        if not route.engine:
            return route.handler(self.venue, params)
        with self._engine_lock:  # one handler at a time; every engine call first matches up to now by itself
            return route.handler(self.venue, params)

    def _authenticate(self, route: Route, req: Request, params: Params) -> None:
        self._credentials.check_key(req.api_key)
        right = "enableSpotAndMarginTrading" if route.security is Security.TRADE else "enableReading"
        if not self.restrictions.get(right):
            raise invalid_key()
        payload, signature = signature_payload(req.raw_query, req.raw_body)
        if not signature:
            raise missing("signature")
        self._credentials.check_signature(payload, signature)
        params.long("timestamp")  # -1100 / -1108 for what is not a number that fits, before any arithmetic
        check_timestamp(params.raw("timestamp"), params.raw("recvWindow"), to_ms(self.venue.now()))


def _from_engine(engine: Engine, name: str) -> Any:
    value = getattr(engine, name, None)
    if value is None:
        raise ConfigError(f"the engine exposes no '{name}'", hint=f"pass {name}=... to LocalExchange")
    return value


def _fault_response(fault: Fault, headers: dict[str, str]) -> Response:
    if fault.kind is FaultKind.TIMEOUT:
        return Response(action=Action.STALL)
    if fault.kind is FaultKind.DROP:
        return Response(action=Action.DROP)
    if fault.status == 504:
        msg = "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
        return Response(status=504, body={"code": -1007, "msg": msg}, headers=headers)
    msg = "Internal error; unable to process your request. Please try again."
    return Response(status=fault.status, body={"code": -1001, "msg": msg}, headers=headers)


# ------------------------------------------------------------------------------------------------ HTTP


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the stdlib's 5 leaves a burst of clients unanswered

    def __init__(self, address: tuple[str, int], exchange: LocalExchange, *, read_timeout: float) -> None:
        self.exchange = exchange
        self.read_timeout = read_timeout
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, *, alive: bool) -> None:
        with self._open_lock:
            if alive:
                self._open.add(conn)
            else:
                self._open.discard(conn)

    def close_connections(self) -> None:
        with self._open_lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            _shutdown(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that hung up or went silent is routine for a server, not a traceback on stderr
        if isinstance(sys.exc_info()[1], OSError):
            logger.debug("connection from %s ended abruptly", client_address, exc_info=True)
        else:
            logger.exception("local exchange failed on a connection from %s", client_address)


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a requests.Session expects
    disable_nagle_algorithm = True  # headers and body go out at once, not after the client's delayed ACK
    server: _HTTPServer

    def setup(self) -> None:
        self.timeout = self.server.read_timeout  # applied to the socket by StreamRequestHandler.setup
        super().setup()
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, alive=False)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not _CONTENT_LENGTH.fullmatch(length):
            self.send_error(400, f"Bad Content-Length {length[:20]!r}")
            return
        if int(length) > MAX_BODY:
            self.send_error(413, f"Request body over {MAX_BODY} bytes")
            return
        try:
            body = self.rfile.read(int(length)).decode("utf-8", "replace")
        except TimeoutError:  # fewer bytes than announced: give up on this connection
            self.close_connection = True
            return
        request = Request(
            method=method,
            path=url.path,
            raw_query=url.query,
            raw_body=body,
            api_key=self.headers.get("X-MBX-APIKEY"),
            ip=str(self.client_address[0]),
        )
        exchange = self.server.exchange
        response = exchange.handle(request)
        if response.action is Action.STALL:
            exchange.faults.stall()
        if response.action is not Action.REPLY:
            self.close_connection = True
            _shutdown(self.connection)
            return
        data = json.dumps(response.body, separators=(",", ":")).encode()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib answers unparsable requests with an HTML page; Binance clients expect JSON."""
        what = message or self.responses.get(code, ("Bad request",))[0]
        if code == 501:  # a method the API does not have
            body = {"code": -1020, "msg": f"This operation is not supported. ({what})"}
        else:
            body = {"code": -1100, "msg": f"Illegal characters found in the request: {what}."}
        data = json.dumps(body, separators=(",", ":")).encode()
        self.log_error("code %d, message %s", code, what)
        self.close_connection = True  # the stream may be out of step with the request boundaries
        if self.request_version == "HTTP/0.9":  # an unparsable request line: answer with a status line anyway
            self.request_version = self.protocol_version
        self.send_response(code)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.client_address[0], format % args)
