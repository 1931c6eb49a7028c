"""Fault injection for the local exchange: what a flaky network and a struggling exchange do.

Tests arm faults per call; each one-shot fault fires on the next matching request(s):

    ex.faults.latency_ms = 200                         # every response 200 ms late
    ex.faults.skew_ms = -3000                          # the exchange clock runs 3 s behind
    ex.faults.fail_next(2, status=503)                 # next two requests: HTTP 503, nothing done
    ex.faults.fail_next(path="/api/v3/order", method="POST", after=True)   # order placed, then 503
    ex.faults.timeout_next(path="/api/v3/order")       # stall past the client's timeout, nothing done
    ex.faults.timeout_next(path="/api/v3/order", after=True)   # order accepted, then stall
    ex.faults.drop_next(after=True)                    # order accepted, connection closed unanswered

``after=False`` (the default) fires before the request is processed: no state changes. ``after=True``
fires once the request has been processed: the client cannot know that it succeeded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    ERROR = "error"  # an HTTP 5xx answer
    TIMEOUT = "timeout"  # no answer until the client gives up, then the connection is closed
    DROP = "drop"  # the connection is closed without an answer


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    kind: FaultKind
    after: bool = False
    path: str | None = None  # exact path, e.g. "/api/v3/order"; None = any
    method: str | None = None  # "GET", "POST", "DELETE"; None = any
    status: int = 503

    def matches(self, method: str, path: str) -> bool:
        return (self.path is None or self.path == path) and (self.method is None or self.method == method.upper())


@dataclass(slots=True, kw_only=True)
class _Armed:
    fault: Fault
    remaining: int


class Faults:
    """Thread-safe fault switchboard; ``stall`` is released at once by ``release`` (server stop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []
        self._latency_ms = 0
        self._skew_ms = 0
        self._released = threading.Event()
        self.stall_seconds = 30.0  # how long a TIMEOUT holds the request (longer than any client timeout)

    @property
    def latency_ms(self) -> int:
        with self._lock:
            return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: int) -> None:
        if value < 0:
            raise ValueError("latency_ms must be >= 0")
        with self._lock:
            self._latency_ms = value

    @property
    def skew_ms(self) -> int:
        """Offset of the exchange clock from the injected clock (server time = clock + skew)."""
        with self._lock:
            return self._skew_ms

    @skew_ms.setter
    def skew_ms(self, value: int) -> None:
        with self._lock:
            self._skew_ms = value

    def fail_next(
        self, n: int = 1, *, status: int = 503, path: str | None = None, method: str | None = None, after: bool = False
    ) -> None:
        if not 500 <= status <= 599:
            raise ValueError("fail_next injects server errors: use a 5xx status")
        self._arm(Fault(kind=FaultKind.ERROR, status=status, path=path, method=method, after=after), n)

    def timeout_next(
        self, n: int = 1, *, path: str | None = None, method: str | None = None, after: bool = False
    ) -> None:
        self._arm(Fault(kind=FaultKind.TIMEOUT, path=path, method=method, after=after), n)

    def drop_next(self, n: int = 1, *, path: str | None = None, method: str | None = None, after: bool = False) -> None:
        self._arm(Fault(kind=FaultKind.DROP, path=path, method=method, after=after), n)

    def clear(self) -> None:
        """Disarm every fault and reset latency and skew."""
        with self._lock:
            self._armed.clear()
            self._latency_ms = 0
            self._skew_ms = 0

    def pending(self) -> int:
        """How many one-shot faults are still armed."""
        with self._lock:
            return sum(a.remaining for a in self._armed)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume the first armed fault matching this request."""
        with self._lock:
            for armed in self._armed:
                if armed.fault.matches(method, path):
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        self._armed.remove(armed)
                    return armed.fault
        return None

    def delay(self) -> None:
        """Wait out the configured latency (cut short when the server stops)."""
        latency = self.latency_ms
        if latency:
            self._released.wait(latency / 1000)

    def stall(self) -> None:
        """Hold a request past any sensible client timeout (cut short when the server stops)."""
        self._released.wait(self.stall_seconds)

    def release(self) -> None:
        self._released.set()

    def reset_release(self) -> None:
        self._released.clear()

    def _arm(self, fault: Fault, n: int) -> None:
        if n < 1:
            raise ValueError("n must be >= 1")
        with self._lock:
            self._armed.append(_Armed(fault=fault, remaining=n))
