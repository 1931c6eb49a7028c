"""Binance's error codes, one table for both directions (errors-codes.md of the spot API).

The connector reads it to translate a Binance answer into a crbot error (crbot.broker.binance_errors:
``kind_of(code)``); the local exchange reads it to answer a crbot error the way Binance would
(``error_reply``). One table means a code the server writes is a code the connector understands.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from crbot.errors import (
    AuthError,
    ConnectivityError,
    CrbotError,
    ExchangeRejected,
    FilterError,
    InvalidInput,
    OrderNotFound,
)

logger = logging.getLogger(__name__)


class Kind(StrEnum):
    """What a code means to CRBOT (the crbot error family it becomes)."""

    AUTH = "auth"  # AuthError: key, signature or permission
    NOT_FOUND = "not_found"  # OrderNotFound
    MALFORMED = "malformed"  # InvalidInput: nothing was placed
    FILTER = "filter"  # FilterError: "Filter failure: <FILTER>"
    REJECTED = "rejected"  # ExchangeRejected (-2010 NEW_ORDER_REJECTED: balance, duplicate id, would take, ...)
    CLOCK = "clock"  # timestamp outside recvWindow
    RATE = "rate"  # RateLimited (or IpBanned when the message says banned)
    TRANSIENT = "transient"  # the engine may or may not have acted


# code -> (kind, Binance's message when it has one fixed wording)
CODES: dict[int, tuple[Kind, str | None]] = {
    -1000: (Kind.TRANSIENT, "An unknown error occurred while processing the request."),
    -1001: (Kind.TRANSIENT, "Internal error; unable to process your request. Please try again."),
    -1002: (Kind.AUTH, "You are not authorized to execute this request."),
    -1003: (Kind.RATE, None),  # TOO_MANY_REQUESTS (or "IP banned until ...")
    -1006: (Kind.TRANSIENT, "An unexpected response was received from the message bus. Execution status unknown."),
    -1007: (Kind.TRANSIENT, None),  # TIMEOUT: execution status unknown
    -1008: (Kind.TRANSIENT, None),  # SERVER_BUSY
    -1013: (Kind.FILTER, None),
    -1015: (Kind.RATE, None),  # TOO_MANY_ORDERS
    -1016: (Kind.TRANSIENT, None),  # SERVICE_SHUTTING_DOWN
    -1021: (Kind.CLOCK, None),
    -1022: (Kind.AUTH, "Signature for this request is not valid."),
    -2010: (Kind.REJECTED, None),
    -2011: (Kind.NOT_FOUND, "Unknown order sent."),  # CANCEL_REJECTED: never placed, or already done
    -2013: (Kind.NOT_FOUND, "Order does not exist."),
    -2014: (Kind.AUTH, "API-key format invalid."),
    -2015: (Kind.AUTH, "Invalid API-key, IP, or permissions for action."),
    -2026: (Kind.NOT_FOUND, None),  # ORDER_ARCHIVED: done with nothing executed over 90 days ago
    **{
        code: (Kind.MALFORMED, None)  # 11xx: a parameter is missing, unexpected, empty or malformed
        for code in (
            -1100, -1101, -1102, -1103, -1104, -1105, -1106, -1108, -1111, -1114, -1115, -1116, -1117,
            -1118, -1119, -1121, -1128, -1130, -1158, -1160, -1165, -1166, -1168, -1196, -1197, -1198, -1199,
        )
    },
}  # fmt: skip


def kind_of(code: int) -> Kind | None:
    """What a Binance code means to CRBOT; None for a code outside the table (a plain rejection)."""
    entry = CODES.get(code)
    return entry[0] if entry else None


def _body(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "msg": message}


def error_reply(exc: Exception) -> tuple[int, dict[str, Any]]:
    """(HTTP status, Binance error body) for a crbot error raised while serving a request; the code is the
    error's own when it has one, else the family's usual one."""
    code: int | None = getattr(exc, "code", None)
    if isinstance(exc, AuthError):
        return 401, _body(code or -2015, exc.message)
    if isinstance(exc, FilterError):
        return 400, _body(-1013, f"Filter failure: {exc.filter_type}")
    if isinstance(exc, OrderNotFound):
        code = code or -2013
        return 400, _body(code, CODES.get(code, (Kind.NOT_FOUND, None))[1] or exc.message)
    if isinstance(exc, ExchangeRejected):
        return 400, _body(code or -2010, exc.message)
    if isinstance(exc, InvalidInput):
        return 400, _body(code or -1102, exc.message)
    if isinstance(exc, ConnectivityError):
        logger.warning("local exchange could not serve a request: %s", exc)
        return 503, _body(-1001, CODES[-1001][1] or "")
    if isinstance(exc, CrbotError):
        return 400, _body(code or -1000, exc.message)
    logger.exception("local exchange failed on a request")
    return 500, _body(-1000, CODES[-1000][1] or "")
