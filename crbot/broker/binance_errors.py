"""python-binance and requests failures translated into ``crbot.errors``, in one place.

    BinanceAPIException (non-2xx)       -> by Binance code first, then by HTTP status (tables below)
    BinanceRequestException (2xx, body not JSON)
    requests.RequestException           -> ConnectivityError, or OutcomeUnknown while placing an order
                                           (a refused / timed-out connect sent nothing: ConnectivityError)

The one rule that matters most: a 5xx, a read timeout or a garbled answer to an order placement
means the order MAY exist, so it becomes ``OutcomeUnknown`` and is looked up, never resent blindly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import requests
from binance.exceptions import BinanceAPIException, BinanceRequestException
from urllib3.exceptions import NewConnectionError

from crbot.binance.errors import Kind, kind_of
from crbot.binance.retry import limit_error
from crbot.errors import (
    AuthError,
    ConnectivityError,
    CrbotError,
    ExchangeRejected,
    FilterError,
    InsufficientBalance,
    InvalidInput,
    OrderNotFound,
    OutcomeUnknown,
)

_KEYS_PAGE = "Binance > API Management"

# AUTH code -> (what happened, what to do); which code means what is crbot.binance.errors.CODES
_AUTH: dict[int, tuple[str, str]] = {
    -1002: ("not authorised for this request", f"check the key's permissions in {_KEYS_PAGE}"),
    -1022: (
        "the request signature is not valid",
        "check BINANCE_API_SECRET: copy the secret that belongs to this key again, without spaces",
    ),
    -2014: (
        "Invalid API key format",
        "check BINANCE_API_KEY / BINANCE_API_SECRET: copy them again from " + _KEYS_PAGE + ", without spaces",
    ),
}
_FILTER_HINTS = {
    "LOT_SIZE": "the quantity is outside the lot size or not a multiple of its step: check the lot size "
    "(minQty / stepSize) and round the quantity down to the step",
    "NOTIONAL": "the order value (price x quantity) is below the minimum: check MIN_NOTIONAL / NOTIONAL "
    "and increase the quantity",
    "PRICE_FILTER": "the price is outside the allowed range or not on the tick size: round it to the tick",
    "PERCENT_PRICE_BY_SIDE": "the price is too far from the average price: move it closer to the market",
    "MAX_NUM_ORDERS": "too many open orders on this symbol: cancel some first",
}
_FILTER_WORDS = {
    "LOT_SIZE": "the quantity is not one the exchange accepts",
    "MARKET_LOT_SIZE": "the quantity is not one the exchange accepts for a market order",
    "NOTIONAL": "the order's value (price × quantity) is outside what the exchange accepts",
    "MIN_NOTIONAL": "the order's value (price × quantity) is below the exchange's minimum",
    "PRICE_FILTER": "the price is not one the exchange accepts",
    "PERCENT_PRICE_BY_SIDE": "the price is too far from the market for the exchange",
    "PERCENT_PRICE": "the price is too far from the market for the exchange",
    "MAX_NUM_ORDERS": "too many orders are open on this symbol",
    "MAX_NUM_ALGO_ORDERS": "too many stop orders are open on this symbol",
}
_FILTER_HINTS["MARKET_LOT_SIZE"] = _FILTER_HINTS["LOT_SIZE"]
_FILTER_HINTS["MIN_NOTIONAL"] = _FILTER_HINTS["NOTIONAL"]
_FILTER_HINTS["PERCENT_PRICE"] = _FILTER_HINTS["PERCENT_PRICE_BY_SIDE"]
_FILTER_HINTS["MAX_NUM_ALGO_ORDERS"] = _FILTER_HINTS["MAX_NUM_ORDERS"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """What was being done when the failure happened, so the message can say so."""

    what: str  # e.g. "BUY LIMIT BTCUSDT order c-1"
    venue: str  # e.g. "Binance testnet (testnet.binance.vision)"
    now: datetime
    placing: str | None = None  # client order id when the call places an order
    timeout_s: float | None = None


def translate(exc: BaseException, call: Call) -> CrbotError:
    """The crbot error for a library failure; the caller raises it ``from exc``."""
    if isinstance(exc, CrbotError):
        return exc
    if isinstance(exc, BinanceAPIException):
        return _api_error(exc, call)
    if isinstance(exc, BinanceRequestException):
        return _unknown_or_transient(call, "answered with something that is not JSON")
    if isinstance(exc, requests.RequestException):
        return _request_error(exc, call)
    raise TypeError(f"not a python-binance/requests failure: {type(exc).__name__}") from exc


def _headers(exc: BinanceAPIException) -> Mapping[str, str] | None:
    return getattr(getattr(exc, "response", None), "headers", None)


def _api_error(exc: BinanceAPIException, call: Call) -> CrbotError:
    code = int(exc.code or 0)
    status = int(exc.status_code or 0)
    msg = str(exc.message or "").strip() or f"HTTP {status}"
    said = f"{call.venue} rejected {call.what}: {msg} (code {code}, HTTP {status})"
    kind = kind_of(code)
    limited = limit_error(
        status=status, code=code, message=msg, headers=_headers(exc), venue=call.venue, what=call.what, now=call.now
    )
    if limited is not None:
        return limited
    if code in _AUTH:  # -2015 and a bare 401 get the whitelist / permission hint below
        what, todo = _AUTH[code]
        return AuthError(f"{what}: {said}", code=code, hint=todo)
    if code == -2015 or status == 401:
        return AuthError(f"Invalid API key, IP, or permissions: {said}", code=code or None, hint=_hint_2015(msg))
    if kind is Kind.NOT_FOUND:
        return OrderNotFound(said, code=code, hint="refresh open orders; it may already be filled or canceled")
    if kind is Kind.FILTER:
        return _filter_error(msg, said, call)
    if kind is Kind.REJECTED:
        return _new_order_rejected(msg, said)
    if kind is Kind.CLOCK:
        return ConnectivityError(
            f"clock out of sync with {call.venue}: {msg}",
            hint="enable NTP time sync on this machine, or raise CRBOT_RECV_WINDOW_MS (max 60000)",
        )
    if kind is Kind.MALFORMED:
        return InvalidInput(
            said, code=code, hint="nothing was placed; check the symbol and order values (CRBOT bug if they look right)"
        )
    if kind is Kind.TRANSIENT or status >= 500:
        return _unknown_or_transient(call, f"failed with {msg} (code {code}, HTTP {status})")
    if status == 403:
        return ExchangeRejected(
            said, code=code or None, hint="blocked by Binance's web firewall: slow down and retry later"
        )
    return ExchangeRejected(
        said, code=code or None, hint="read Binance's message above; resending unchanged will fail again"
    )


def _hint_2015(msg: str) -> str:
    ip = re.search(r"request ip:\s*([0-9a-fA-F.:]+)", msg)
    where = f"this server's IP ({ip.group(1)})" if ip else "this server's IP"
    return (
        f"check BINANCE_API_KEY / BINANCE_API_SECRET, add {where} to the key's IP whitelist and tick "
        f"'Enable Spot & Margin Trading' in {_KEYS_PAGE} > Edit restrictions"
    )


def _filter_error(msg: str, said: str, call: Call) -> FilterError:
    found = re.search(r"Filter failure:\s*([A-Z_]+)", msg)
    kind = found.group(1) if found else "INVALID_MESSAGE"
    words = _FILTER_WORDS.get(kind)
    # the trader's words first; the filter's name closes the message, in parentheses (FilterError's tag)
    message = f"{call.venue} refused {call.what}: {words}" if words else said
    return FilterError(kind, message, hint=_FILTER_HINTS.get(kind, "check the symbol's exchange filters"))


def _new_order_rejected(msg: str, said: str) -> ExchangeRejected:
    low = msg.lower()
    if "insufficient balance" in low:
        return InsufficientBalance(said, code=-2010, hint="deposit, cancel orders that lock funds, or trade smaller")
    if "duplicate order" in low:
        hint = "this client order id was already used; look the order up instead of resending"
    elif "immediately match" in low:
        hint = "a LIMIT_MAKER / take-profit price would trade at once: move it away from the market"
    elif "relationship of the prices" in low:
        hint = "for a SELL exit: take-profit above the last price above the stop; reversed for a BUY"
    elif "trigger immediately" in low:
        hint = "the stop price is already crossed by the last price: move it"
    elif "market is closed" in low:
        hint = "the symbol is not trading right now: try later"
    else:
        hint = "read Binance's message above; resending unchanged will fail again"
    return ExchangeRejected(said, code=-2010, hint=hint)


def _unknown_or_transient(call: Call, how: str) -> ConnectivityError:
    if call.placing is not None:
        return OutcomeUnknown(
            f"{call.venue} {how} while placing {call.what}: the order may or may not exist",
            client_order_id=call.placing,
            hint=f"it is looked up by client order id {call.placing}; do not resend it by hand",
        )
    return ConnectivityError(f"{call.venue} {how} on {call.what}", hint="temporary: retry in a moment")


def _request_error(exc: requests.RequestException, call: Call) -> ConnectivityError:
    if _never_sent(exc):
        return ConnectivityError(
            f"could not connect to {call.venue} for {call.what} ({type(exc).__name__}); nothing was sent",
            hint="check the network and CRBOT_BINANCE_BASE_URL, then retry",
        )
    if isinstance(exc, requests.Timeout):
        limit = f" within {call.timeout_s:g} s" if call.timeout_s else ""
        return _unknown_or_transient(call, f"did not answer{limit}")
    return _unknown_or_transient(call, f"dropped the connection ({type(exc).__name__})")


def _never_sent(exc: requests.RequestException) -> bool:
    """A refused, unresolvable or timed-out connect: the request never left this machine."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)
