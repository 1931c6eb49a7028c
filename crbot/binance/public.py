"""Binance's public REST endpoints (no API key): the one client paper mode reads prices and rules with.

GET -> JSON with a timeout, under the connector's rate-limit policy (crbot.binance.retry): the used weight
is recorded, a 429 / 418 honours Retry-After (or the ban's end, or the defaults) and no request leaves
before a cool-down or ban ends (``RateState.gate``). Failures become crbot errors:

    unreachable, HTTP 5xx / other, not JSON   -> ConnectivityError (with the caller's hint)
    429 (or -1003 / -1015)                    -> RateLimited       418 -> IpBanned
    4xx with a "malformed request" code       -> InvalidInput(code=...), e.g. -1121 unknown symbol

Nothing is retried here: the callers (a price feed refreshed on a cadence, a start-up rules load with a
bundled fallback) are better served by failing fast. Share one client between them so a ban seen by one
keeps the other away too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from crbot.binance.errors import Kind, kind_of
from crbot.binance.retry import RateState, limit_error
from crbot.clock import MonotonicClock
from crbot.errors import ConnectivityError, InvalidInput

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.binance.com"
DEFAULT_HINT = "retry in a minute; check the internet connection"
_NOT_JSON = object()


class PublicClient:
    """Thread-safe (``requests.Session`` is used for plain GETs; ``RateState`` has a lock)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 3.0,
        session: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.host = _host(self.base_url)
        self.venue = f"Binance public data ({self.host})"
        self.timeout = timeout
        self._session = session or requests.Session()
        self._clock = MonotonicClock(monotonic)  # a ban lasts its real seconds, whatever the wall clock does
        self.limits = RateState(self._clock)

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        hint: str = DEFAULT_HINT,
        timeout: float | None = None,
    ) -> Any:
        """The JSON answer of ``GET {base_url}{path}``; ``hint`` says what to do when Binance is unreachable."""
        self.limits.gate(self.venue)  # raises during a ban / cool-down: nothing is sent
        url = f"{self.base_url}{path}"
        try:
            response = self._session.get(url, params=params, timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            raise ConnectivityError(f"{self.venue} unreachable at {url} ({type(exc).__name__})", hint=hint) from exc
        self.limits.observe_headers(response.headers)
        status, body = response.status_code, _json(response)
        if status == 200 and body is not _NOT_JSON:
            return body
        code, msg = _code_and_message(body)
        limited = limit_error(
            status=status,
            code=code,
            message=msg or f"HTTP {status}",
            headers=response.headers,
            venue=self.venue,
            what=path,
            now=self._clock.now(),
        )
        if limited is not None:
            self.limits.observe_error(limited)
            logger.warning("%s", limited)
            raise limited
        if 400 <= status < 500 and kind_of(code) is Kind.MALFORMED:
            raise InvalidInput(
                f"{self.venue} rejected {path}: {msg} (code {code})", code=code, hint="check the symbols asked for"
            )
        if status == 200:
            raise ConnectivityError(f"{self.venue} sent an unusable answer on {path}: not JSON", hint=hint)
        raise ConnectivityError(f"{self.venue} answered {path} with HTTP {status} {msg}".rstrip(), hint=hint)


def _host(base_url: str) -> str:
    try:
        return urlsplit(base_url).netloc or base_url
    except ValueError:  # e.g. "http://[bad": the request itself will fail as unreachable
        return base_url


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return _NOT_JSON


def _code_and_message(body: Any) -> tuple[int, str]:
    """Binance's error body ``{"code": -1121, "msg": "Invalid symbol."}``; (0, "") for anything else."""
    if not isinstance(body, dict):
        return 0, ""
    try:
        code = int(body.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    return code, str(body.get("msg") or "")
