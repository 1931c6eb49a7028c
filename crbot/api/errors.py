"""CRBOT's errors as HTTP answers: one table, the same everywhere, beside the CLI's exit codes.

| error (crbot/errors.py)                 | HTTP | CLI exit | the client should                          |
|-----------------------------------------|------|----------|--------------------------------------------|
| InvalidInput, FilterError               | 400  | 2        | fix the request (validation: 422)          |
| Denied (risk manager, trading state)    | 409  | 3        | read ``code`` / ``detail``; not as-is      |
| OrderNotFound                           | 404  | 4        | check the client order id and symbol       |
| ExchangeRejected, AuthError, ...        | 502  | 4        | read the Binance ``code``; not as-is       |
| ConnectivityError, RateLimited, IpBanned| 503  | 5        | retry after ``Retry-After`` seconds        |
| OutcomeUnknown                          | 503  | 5        | retry with the same client order id        |
| ConfigError, other CrbotError           | 500  | 2 / 1    | fix the server's settings                  |

StopIncomplete (a ConnectivityError) is 503 too, with STOP's report: HALTED is latched, something may be open.
The API's own refusals: 401 no or unknown token, 403 scope too small, 413 body too large, 415 body not sent as
JSON, 422 body not valid JSON or not the right fields, 429 this token's rate limit (with Retry-After).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi.responses import JSONResponse

from crbot.errors import (
    ConfigError,
    ConnectivityError,
    CrbotError,
    Denied,
    ExchangeRejected,
    InvalidInput,
    OrderNotFound,
    RateLimited,
)
from crbot.jsonable import to_jsonable
from crbot.risk.limits import for_cli

# Most specific first: the first class the error is an instance of decides.
STATUS: tuple[tuple[type[CrbotError], int], ...] = (
    (InvalidInput, 400),
    (Denied, 409),
    (OrderNotFound, 404),
    (ExchangeRejected, 502),
    (ConnectivityError, 503),
    (ConfigError, 500),
    (CrbotError, 500),
)
RETRY_AFTER_S = 5  # a connectivity failure without the exchange's own Retry-After


def status_of(exc: CrbotError) -> int:
    return next(status for kind, status in STATUS if isinstance(exc, kind))


def error_body(error: str, message: str, *, exit_code: int, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, "message": message, "exit_code": exit_code} | {
        k: v for k, v in extra.items() if v is not None
    }


def error_response(exc: CrbotError) -> JSONResponse:
    """The answer for a CRBOT error: what happened, what to do, the code and numbers behind it."""
    status = status_of(exc)
    extra: dict[str, Any] = {"hint": exc.hint or None}
    if isinstance(exc, Denied):
        limit = exc.limit  # the risk limit behind a denial: say how the operator changes it
        extra |= {"code": exc.code, "detail": exc.detail, "hint": for_cli(exc.hint, limit, "api") or None}
        extra["limit"] = limit or None
    elif isinstance(exc, InvalidInput | ExchangeRejected):
        extra["code"] = exc.code  # Binance's code when the exchange (or the paper exchange) said it
    client_order_id = getattr(exc, "client_order_id", None)
    report = getattr(exc, "report", None)  # STOP acted: what it did comes with the error
    body = (to_jsonable(report) if isinstance(report, dict) else {}) | error_body(
        type(exc).__name__, str(exc), exit_code=exc.exit_code, client_order_id=client_order_id, **extra
    )
    headers = {}
    if status == 503:
        wait = exc.retry_after if isinstance(exc, RateLimited) and exc.retry_after else RETRY_AFTER_S
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return JSONResponse(body, status_code=status, headers=headers)
