"""What every request passes before a route runs: body size, bearer token, scope, per-token rate limit."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPBearer
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crbot.api.errors import error_body
from crbot.api.tokens import Scope as TokenScope
from crbot.api.tokens import Token, TokenStore
from crbot.clock import Clock

_BEARER = HTTPBearer(auto_error=False, description="a token from `python -m crbot api token create`")
_SCHEME = Security(_BEARER)  # declares the bearer scheme in OpenAPI ("Authorize" in /docs); checked below
MAX_BODY = 64 * 1024  # an order is a few hundred bytes; anything near this is a mistake or an attack


class Refused(Exception):
    """The API itself says no (401, 403, 429): answered by the app's handler, before any CRBOT code runs."""

    def __init__(self, status: int, error: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}

    def response(self) -> JSONResponse:
        # exit code 2 like the CLI's invalid input: the caller must change something before retrying
        body = error_body(self.error, self.message, exit_code=2)
        return JSONResponse(body, status_code=self.status, headers=self.headers)


@dataclass
class RateLimiter:
    """A token bucket per API token: ``rate`` requests a second on average, bursts of ``burst``."""

    rate: float
    burst: int
    now: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (tokens, at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, name: str) -> float:
        """0 when the request may go, else the seconds to wait for the next one."""
        with self._lock:
            now = self.now()
            tokens, at = self._buckets.get(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[name] = (tokens - 1, now)
                return 0.0
            self._buckets[name] = (tokens, now)
            return (1 - tokens) / self.rate


@dataclass(frozen=True, slots=True, kw_only=True)
class Guard:
    tokens: TokenStore
    limiter: RateLimiter
    clock: Clock

    def require(self, scope: TokenScope) -> Callable[[Request], Token]:
        """A FastAPI dependency: the caller's token, if it is valid, allows ``scope`` and is within its rate."""

        def dependency(request: Request, _: Any = _SCHEME) -> Token:
            token = self.authenticate(request.headers.get("authorization", ""))
            if not token.scope.allows(scope):
                raise Refused(
                    403,
                    "ScopeTooSmall",
                    f"token {token.name!r} has scope {token.scope}; this call needs {scope}",
                    # a token cannot be widened: a new one must be created by the operator
                )
            wait = self.limiter.take(token.name)
            if wait:
                raise Refused(
                    429,
                    "RateLimited",
                    f"token {token.name!r} is over {self.limiter.rate:g} requests a second: retry after the delay",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
            return token

        return dependency

    def authenticate(self, header: str) -> Token:
        scheme, _, secret = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="crbot"'}
        if scheme.lower() != "bearer" or not secret.strip():
            raise Refused(
                401,
                "Unauthorized",
                "no bearer token: send `Authorization: Bearer <token>` "
                "(create one with `python -m crbot api token create --scope read --name NAME`)",
                headers=challenge,
            )
        token = self.tokens.verify(secret.strip(), now=self.clock.now())
        if token is None:
            raise Refused(401, "Unauthorized", "unknown or revoked token", headers=challenge)
        return token


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes is answered 413 before the app reads it (chunked too)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_big = not declared.isdigit() or int(declared) > self.limit
        messages: list[Message] = []
        size = 0
        while not too_big:  # buffer the (small) body so a chunked upload is counted too
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            too_big = size > self.limit
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if too_big:
            body = error_body(
                "BodyTooLarge", f"the request body is over {self.limit} bytes", exit_code=2, limit=self.limit
            )
            await JSONResponse(body, status_code=413, headers={"Connection": "close"})(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def client_of(request: Request) -> Any:
    return request.client.host if request.client else "?"
