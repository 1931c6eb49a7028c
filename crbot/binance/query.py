"""An incoming request's parameters, read the way Binance reads them (the local exchange serves with it;
the orders in them are read by crbot.binance.params, beside the outgoing side).

Query string and form body are merged (the query string wins, rest-api.md "General Information on
Endpoints"); a parameter repeated within one of them is -1101. Typed getters raise
``ExchangeRejected`` with Binance's code and message: -1102 missing, -1100 illegal characters
(``1e-05`` is not a decimal; a DECIMAL has at most 20 integer digits and 20 decimals), -1108 a LONG
beyond what the exchange holds, -1121 unknown symbol, -1115/-1116/-1117 bad enums.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from decimal import Decimal
from urllib.parse import parse_qsl

from crbot.binance.fields import CLIENT_ID
from crbot.errors import ExchangeRejected

_DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")
_LONG = re.compile(r"-?[0-9]{1,20}")
_INT64 = (-(2**63), 2**63 - 1)
# startTime / endTime become datetimes, and windows are added to them: up to 9000-01-01 leaves room
# before datetime's year 9999 (nothing is ever found that late anyway)
_TIME_MS = (0, 221_845_392_000_000)
_BOUNDS = {"startTime": _TIME_MS, "endTime": _TIME_MS}
_SYMBOL = re.compile(r"[A-Z0-9\-_.]{1,20}")
_SYMBOLS = re.compile(r'\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]')

ENUM_ERRORS = {
    "side": (-1117, "Invalid side."),
    "type": (-1116, "Invalid orderType."),
    "timeInForce": (-1115, "Invalid timeInForce."),
    "interval": (-1120, "Invalid interval."),
    "newOrderRespType": (-1100, "Illegal characters found in parameter 'newOrderRespType'."),
}


def missing(name: str) -> ExchangeRejected:
    return ExchangeRejected(f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.", code=-1102)


def illegal(name: str, legal: str) -> ExchangeRejected:
    return ExchangeRejected(
        f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.",
        code=-1100,
    )


class Params:
    """The merged, still textual parameters of one request."""

    def __init__(self, raw_query: str, raw_body: str) -> None:
        self._values: dict[str, str] = {}
        self.duplicate: str | None = None
        body = _parse(raw_body)
        query = _parse(raw_query)
        for source in (body, query):
            seen: set[str] = set()
            for key, value in source:
                if key in seen:
                    self.duplicate = key
                seen.add(key)
                self._values[key] = value  # the query string is applied last, so it wins

    def check(self) -> None:
        if self.duplicate is not None:
            raise ExchangeRejected("Duplicate values for a parameter detected.", code=-1101)

    def has(self, name: str) -> bool:
        return self._values.get(name, "") != ""

    def raw(self, name: str) -> str | None:
        return self._values.get(name)

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not _DECIMAL.fullmatch(value):
            raise illegal(name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$")
        return Decimal(value)

    def long(self, name: str, *, required: bool = False) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not _LONG.fullmatch(value):
            raise illegal(name, "^[0-9]{1,20}$")
        number = int(value)
        low, high = _BOUNDS.get(name, _INT64)
        if not low <= number <= high:  # 20 digits can exceed int64 (SQLite) and datetime
            raise ExchangeRejected(f"Parameter '{name}' overflowed.", code=-1108)
        return number

    def limit(self, *, default: int = 500, maximum: int = 1000) -> int:
        value = self.long("limit")
        if value is None:
            return default
        if value < 1:
            raise ExchangeRejected("Data sent for parameter 'limit' is not valid.", code=-1130)
        return min(value, maximum)

    def choice(self, name: str, allowed: Collection[str], *, required: bool = False) -> str | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if value not in allowed:
            code, msg = ENUM_ERRORS.get(name, (-1130, f"Data sent for parameter '{name}' is not valid."))
            raise ExchangeRejected(msg, code=code)
        return value

    def flag(self, name: str) -> bool:
        value = self.text(name)
        if value is None:
            return False
        if value.lower() not in ("true", "false"):
            raise ExchangeRejected(f"Data sent for parameter '{name}' is not valid.", code=-1130)
        return value.lower() == "true"

    def client_id(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and not CLIENT_ID.fullmatch(value):  # the rule the live broker applies
            raise illegal(name, CLIENT_ID.pattern)
        return value

    def symbol(self, known: Collection[str], *, required: bool = True) -> str | None:
        value = self.text("symbol", required=required)
        if value is None:
            return None
        if not _SYMBOL.fullmatch(value):  # Binance is strict: "btcusdt" is not a symbol
            raise illegal("symbol", "^[A-Z0-9-_.]{1,20}$")
        if value not in known:
            raise ExchangeRejected("Invalid symbol.", code=-1121)
        return value

    def symbols(self, known: Collection[str]) -> list[str] | None:
        """The JSON array form ``symbols=["BTCUSDT","ETHUSDT"]``."""
        value = self.text("symbols")
        if value is None:
            return None
        compact = value.replace(" ", "")
        if not _SYMBOLS.fullmatch(compact):
            raise illegal("symbols", '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$')
        names = [str(s) for s in json.loads(compact)]
        for name in names:
            if name not in known:
                raise ExchangeRejected("Invalid symbol.", code=-1121)
        if len(set(names)) != len(names):
            raise ExchangeRejected("Symbol is present multiple times in the list.", code=-1151)
        return names

    def forbid(self, *names: str) -> None:
        """Binance refuses parameters that make no sense for the order type (-1106)."""
        for name in names:
            if self.has(name):
                raise ExchangeRejected(f"Parameter '{name}' sent when not required.", code=-1106)


def _parse(raw: str) -> list[tuple[str, str]]:
    return parse_qsl(raw, keep_blank_values=True) if raw else []
