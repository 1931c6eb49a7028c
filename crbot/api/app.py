"""The FastAPI application: routes, the guard, one error table, and the start-up done once in the background."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from crbot.api.errors import error_body, error_response
from crbot.api.guard import BodyLimit, Guard, RateLimiter, Refused
from crbot.api.routes import build_router
from crbot.api.tokens import TokenStore
from crbot.errors import CrbotError
from crbot.jsonable import to_jsonable
from crbot.runtime import Runtime

logger = logging.getLogger(__name__)

ACTOR = "api:server"  # who the audit log names for the server's own start-up work
STARTUP_RETRY_S = 20  # a failed start-up (exchange down) is retried at most this often, as the dashboard does
DEFAULT_RATE, DEFAULT_BURST = 20.0, 40  # per token: requests a second on average, and in a burst


@dataclass
class StartUp:
    """The runtime's start-up (key audit, STOP sweep, unanswered orders, reconcile), done once, retried while
    it fails. Reads go on while it has failed (degraded, like the dashboard); new orders do not."""

    rt: Runtime
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    error: CrbotError | None = None
    tried_at: float | None = None

    def ensure(self, strict: bool) -> None:
        with self.lock:
            due = self.tried_at is None or (self.error and time.monotonic() - self.tried_at >= STARTUP_RETRY_S)
            if not self.done and due:
                self.tried_at = time.monotonic()
                try:
                    self.rt.service.start_up(actor=ACTOR, full=True)
                except CrbotError as exc:
                    logger.warning("start-up incomplete (retried in %d s): %s", STARTUP_RETRY_S, exc)
                    self.error = exc
                except Exception as exc:  # e.g. a locked database: degraded and retried, never fatal
                    logger.exception("start-up failed")
                    self.error = CrbotError(f"start-up failed: {type(exc).__name__}: {exc}")
                else:
                    self.done, self.error = True, None
            if strict and self.error is not None:
                raise self.error

    def describe(self) -> str:
        if self.done:
            return "done"
        return f"incomplete: {self.error}" if self.error else "running"


def create_app(
    rt: Runtime,
    tokens: TokenStore,
    *,
    rate: float = DEFAULT_RATE,
    burst: int = DEFAULT_BURST,
    start_up_in_background: bool = True,
) -> FastAPI:
    start_up = StartUp(rt)
    guard = Guard(tokens=tokens, limiter=RateLimiter(rate=rate, burst=burst), clock=rt.clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start_up_in_background:  # the server answers (STOP first of all) while the start-up runs
            threading.Thread(target=start_up.ensure, args=(False,), name="crbot-api-start-up", daemon=True).start()
        yield

    app = FastAPI(
        title="CRBOT broker API",
        version="1",
        summary="The integration guide's broker endpoints over CRBOT's single order path.",
        description="Every /api route needs `Authorization: Bearer <token>` "
        "(`python -m crbot api token create --scope read|trade|admin --name NAME`). "
        "Decimals are strings. Errors: 400/422 invalid input, 401 no token, 403 scope, 404 unknown order, "
        "409 denied by the risk manager or the trading state, 413 body too large, 429 rate limit, "
        "502 rejected by the exchange, 503 connectivity (Retry-After).",
        lifespan=lifespan,
    )
    app.state.start_up = start_up
    app.add_middleware(BodyLimit)
    app.include_router(build_router(rt, guard, start_up.ensure))

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        return exc.response()

    @app.exception_handler(CrbotError)
    async def crbot_error(_: Request, exc: CrbotError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        if any(isinstance(e.get("input"), bytes) for e in exc.errors()):  # FastAPI reads only JSON bodies as JSON
            body = error_body(
                "UnsupportedMediaType",
                "send the body as JSON with the header `Content-Type: application/json`",
                exit_code=2,
            )
            return JSONResponse(body, status_code=415)
        problems = [_problem(e) for e in exc.errors()]
        message = "; ".join(f"{p['where']}: {p['message']}" if p["where"] else p["message"] for p in problems)
        body = error_body("InvalidInput", message or "invalid request", exit_code=2, errors=problems)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:  # no traceback ever reaches a client
        logger.exception("unexpected error in the API")
        body = error_body(type(exc).__name__, "internal error: see the server's log", exit_code=1)
        return JSONResponse(body, status_code=500)

    return app


def _problem(error: dict) -> dict[str, str]:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "json_invalid":  # loc is ("body", character position)
        reason = to_jsonable(error.get("ctx", {})).get("error", "parse error")
        where, message = "", f"the body is not valid JSON: {reason} at character {where or '?'}"
    return {"where": where, "message": message.removeprefix("Value error, ")}
