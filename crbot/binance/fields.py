"""Field-level helpers of the Binance JSON codec: Decimal formatting both ways, tolerant typed reads.

Two ways to write a Decimal, because Binance itself uses two: its responses carry fixed-point with 8
places (``dec``), while a request parameter is the plain ``format(d, "f")`` text (``plain``): never
``str(d)``, which may give ``1E-8`` and Binance answers -1100 to that.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crbot.clock import from_ms
from crbot.domain import ZERO, OrderStatus, OrderType, Side
from crbot.errors import InvalidInput

logger = logging.getLogger(__name__)

PLACES = 8
Json = dict[str, Any]
# A client order id as CRBOT sends it and the local exchange accepts it. Stricter than Binance (which also
# allows '.', ':' and '/'): CRBOT's own ids never need them.
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def dec(value: Decimal | None, places: int = PLACES) -> str:
    """A Decimal the way Binance writes it: ``Decimal("0.001")`` -> ``"0.00100000"``; None -> zero."""
    value = ZERO if value is None else value
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return format(value.normalize(), "f")  # never round money away
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def plain(value: Decimal) -> str:
    """A request parameter: ``Decimal("1E-5")`` -> ``"0.00001"`` (never exponent notation)."""
    return format(value, "f")


def malformed(what: str, field: str) -> InvalidInput:
    return InvalidInput(
        f"exchange response for {what} lacks '{field}'",
        hint="request newOrderRespType=RESULT or FULL, or pass the OrderSpec that was sent",
    )


def need(data: Mapping[str, Any], key: str, what: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise malformed(what, key)
    return value


def opt_dec(data: Mapping[str, Any], *keys: str) -> Decimal | None:
    """The first of ``keys`` present, as a Decimal (numbers sent as JSON numbers go through ``str``)."""
    for key in keys:
        value = data.get(key)
        if value is None or value == "":
            continue
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput(
                f"exchange sent {key}={value!r}, which is not a number",
                hint="report this response; it was not applied",
            ) from None
        if not result.is_finite():
            raise InvalidInput(f"exchange sent {key}={value!r}", hint="report this response; it was not applied")
        return result
    return None


def req_dec(data: Mapping[str, Any], key: str, what: str) -> Decimal:
    value = opt_dec(data, key)
    if value is None:
        raise malformed(what, key)
    return value


def ms_time(data: Mapping[str, Any], *keys: str) -> datetime | None:
    """The first of ``keys`` holding a positive time, in milliseconds (or microseconds, which an API key
    may ask for with ``X-MBX-TIME-UNIT``)."""
    for key in keys:
        value = data.get(key)
        if value is None or value == "" or isinstance(value, bool):
            continue
        try:
            ms = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"exchange sent {key}={value!r}, which is not a time", hint="report this response; it was not applied"
            ) from None
        if ms <= 0:  # workingTime -1: "not working yet"
            continue
        return from_ms(ms // 1000 if ms >= 10**14 else ms)
    return None


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def side_of(value: Any, what: str) -> Side:
    try:
        return Side(str(value).upper())
    except ValueError:
        raise InvalidInput(f"{what} has side {value!r}", hint="expected BUY or SELL") from None


def order_type_of(value: Any, what: str) -> OrderType:
    try:
        return OrderType(str(value).upper())
    except ValueError:
        raise InvalidInput(
            f"{what} has type {value}, which CRBOT does not model",
            hint=f"manage it on Binance directly (CRBOT knows {', '.join(t.value for t in OrderType)})",
        ) from None


def status_of(value: Any) -> OrderStatus:
    if value is None:
        return OrderStatus.NEW  # an ACK: accepted, nothing more known
    try:
        return OrderStatus(str(value).upper())
    except ValueError:
        logger.warning("unknown order status %r from the exchange; treating it as UNKNOWN", value)
        return OrderStatus.UNKNOWN
