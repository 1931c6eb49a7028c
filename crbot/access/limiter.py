"""Failed-login brake: a growing delay and a lockout per client, and a lockout for everyone.

Per client (its IP address): the first ``free`` failures cost nothing; after that each failure makes the
client wait ``base_s * 2**(n - free - 1)`` seconds (capped at ``max_delay_s``) before its next attempt is
even checked, and at ``lock_after`` failures it is locked out for ``lock_s``. Overall: ``global_after``
failures from any clients within ``lock_s`` lock every login for ``lock_s`` (a guesser with many
addresses). A success clears its client's count. Refused attempts are not checked against the password
at all, so they cost no hashing. Times come from the injected Clock; the limiter never sleeps.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from crbot.clock import Clock

MAX_CLIENTS = 10_000  # entries kept; older ones are dropped once they can no longer matter


@dataclass(frozen=True, slots=True)
class Limits:
    free: int = 3
    base_s: float = 1.0
    max_delay_s: float = 60.0
    lock_after: int = 10
    lock_s: float = 900.0
    global_after: int = 100


@dataclass(slots=True)
class _Client:
    failures: int = 0
    last: float = 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """``wait_s`` > 0: the next attempt must wait that many seconds; ``locked``: a lockout, not a delay."""

    wait_s: float
    locked: bool = False
    overall: bool = False
    refused: bool = False  # this attempt was not checked at all (still waiting or locked out)

    @property
    def allowed(self) -> bool:
        return self.wait_s <= 0


class Limiter:
    def __init__(self, clock: Clock, limits: Limits | None = None) -> None:
        self._clock = clock
        self.limits = limits or Limits()
        self._clients: dict[str, _Client] = {}
        self._recent: deque[float] = deque()  # times of recent failures, any client
        self._global_until = 0.0
        self._lock = threading.Lock()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def delay_after(self, failures: int) -> float:
        """The wait after ``failures`` consecutive failures of one client."""
        lim = self.limits
        if failures >= lim.lock_after:
            return lim.lock_s
        if failures <= lim.free:
            return 0.0
        return min(lim.base_s * 2 ** (failures - lim.free - 1), lim.max_delay_s)

    def check(self, client: str) -> Verdict:
        """May ``client`` try a password now?"""
        now = self._now()
        with self._lock:
            if now < self._global_until:
                return Verdict(self._global_until - now, locked=True, overall=True)
            entry = self._clients.get(client)
            if entry is None or entry.failures == 0:
                return Verdict(0.0)
            wait = entry.last + self.delay_after(entry.failures) - now
            return Verdict(max(wait, 0.0), locked=entry.failures >= self.limits.lock_after and wait > 0)

    def failure(self, client: str) -> Verdict:
        """Record a wrong password; the verdict for the client's next attempt."""
        now = self._now()
        lim = self.limits
        with self._lock:
            entry = self._clients.get(client)
            if entry is None:
                if len(self._clients) >= MAX_CLIENTS:
                    self._prune(now)
                entry = self._clients[client] = _Client()
            if entry.failures >= lim.lock_after and now - entry.last >= lim.lock_s:
                entry.failures = 0  # a lockout served in full starts the count again
            entry.failures += 1
            entry.last = now
            self._recent.append(now)
            while self._recent and now - self._recent[0] > lim.lock_s:
                self._recent.popleft()
            if len(self._recent) >= lim.global_after:
                self._global_until = now + lim.lock_s
                self._recent.clear()
        return self.check(client)

    def success(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _prune(self, now: float) -> None:
        horizon = self.limits.lock_s
        for key in [k for k, c in self._clients.items() if now - c.last > horizon]:
            del self._clients[key]
        while len(self._clients) >= MAX_CLIENTS:  # all recent: drop the oldest
            del self._clients[min(self._clients, key=lambda k: self._clients[k].last)]
