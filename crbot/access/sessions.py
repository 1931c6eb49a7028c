"""Signed session cookies, checked against a server-side table (so logout and idle expiry are real).

Cookie value: ``v1.<session id>.<issued unix s>.<password fingerprint>.<HMAC-SHA256>``, the HMAC keyed by
a random 32-byte secret kept in ``CRBOT_HOME/dashboard_secret`` (0600). A cookie is good only when its
HMAC matches, its fingerprint is the current password's (a password change ends every session), its
session is still in the table (logout removes it; a restart forgets them all) and it was used within the
idle limit and, for a new page load or websocket, issued within the absolute limit. Times come from the
injected Clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from crbot.access.passwords import write_private
from crbot.clock import Clock
from crbot.errors import ConfigError

SECRET_FILE = "dashboard_secret"
COOKIE_NAME = "crbot_session"
MAX_SESSIONS = 1000  # a table that cannot grow without bound; the oldest goes first


def load_secret(home: Path) -> bytes:
    """The cookie-signing secret, created (0600) on first use."""
    path = home / SECRET_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        write_private(path, secrets.token_bytes(32))
        data = path.read_bytes()
    if len(data) < 32:
        raise ConfigError(f"{path} is shorter than 32 bytes", hint="delete it: a new one is made at the next start")
    return data


@dataclass(slots=True)
class _Entry:
    issued: float
    last_seen: float
    client: str


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    client: str


class SessionBook:
    def __init__(self, secret: bytes, clock: Clock, *, idle_s: float, max_s: float) -> None:
        self._secret = secret
        self._clock = clock
        self.idle_s = idle_s
        self.max_s = max_s
        self._table: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(self, client: str, fingerprint: str) -> str:
        """A new session for ``client``; the cookie value to send."""
        now = self._now()
        sid = secrets.token_urlsafe(18)
        with self._lock:
            if len(self._table) >= MAX_SESSIONS:
                oldest = min(self._table, key=lambda k: self._table[k].last_seen)
                del self._table[oldest]
            self._table[sid] = _Entry(issued=now, last_seen=now, client=client)
        body = f"v1.{sid}.{int(now)}.{fingerprint}"
        return f"{body}.{self._mac(body)}"

    def check(
        self, cookie: str | None, fingerprint: str, *, touch: bool = True, open_tab: bool = False
    ) -> Session | None:
        """The live session behind ``cookie``, or None. ``touch`` counts this use as activity.

        ``open_tab``: a message on a websocket that is already open, or a run of its script. The absolute
        limit then does not apply (a signed-in tab keeps STOP at hand however long it stays open); only a
        new page load or websocket needs a session younger than ``max_s``. Sign-out, a password change and
        idleness end it everywhere."""
        if not cookie or not fingerprint or len(cookie) > 256:
            return None
        body, _, mac = cookie.rpartition(".")
        parts = body.split(".")
        if len(parts) != 4 or parts[0] != "v1" or not hmac.compare_digest(mac, self._mac(body)):
            return None
        sid, fp = parts[1], parts[3]
        if not hmac.compare_digest(fp, fingerprint):
            return None  # signed before the password changed
        now = self._now()
        with self._lock:
            entry = self._table.get(sid)
            if entry is None:
                return None
            if now - entry.last_seen > self.idle_s:
                del self._table[sid]
                return None
            if now - entry.issued > self.max_s and not open_tab:
                return None  # kept for the tab still open: a reload signs in again
            if touch:
                entry.last_seen = now
            return Session(sid=sid, client=entry.client)

    def end(self, cookie: str | None) -> bool:
        """Forget the session behind ``cookie`` (logout); True if there was one."""
        if not cookie:
            return False
        body, _, mac = cookie.rpartition(".")
        parts = body.split(".")
        if len(parts) != 4 or not hmac.compare_digest(mac, self._mac(body)):
            return False
        with self._lock:
            return self._table.pop(parts[1], None) is not None

    def end_all(self) -> None:
        with self._lock:
            self._table.clear()

    def __len__(self) -> int:
        return len(self._table)
