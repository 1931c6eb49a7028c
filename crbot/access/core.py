"""One ``Access`` per CRBOT_HOME: the password, the sessions, the failed-login brake and the audit trail.

The login gate (crbot/access/gate.py) and the pages' re-authentication (crbot/access/page.py) share it
through ``access_for(home)``, so a wrong password typed at the Resume form counts against the same client
as one typed at the login page.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

from crbot.access.limiter import Limiter, Limits, Verdict
from crbot.access.passwords import PROFILES, PasswordStore, Profile
from crbot.access.sessions import SessionBook, load_secret
from crbot.clock import Clock, SystemClock
from crbot.domain import Mode
from crbot.errors import ConfigError

logger = logging.getLogger(__name__)

AuditSink = Callable[[str, str, str], None]  # (actor, action, detail)
SET_PASSWORD = "python -m crbot dashboard set-password"


@dataclass(frozen=True, slots=True)
class AccessSettings:
    idle_s: float = 30 * 60
    max_s: float = 12 * 3600
    profile: str = "standard"
    limits: Limits = field(default_factory=Limits)

    @property
    def kdf(self) -> Profile:
        return PROFILES[self.profile]

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> AccessSettings:
        """CRBOT_DASHBOARD_IDLE_MINUTES (30), CRBOT_DASHBOARD_SESSION_HOURS (12), CRBOT_DASHBOARD_KDF (standard),
        CRBOT_DASHBOARD_LOCKOUT_FAILURES (10), CRBOT_DASHBOARD_LOCKOUT_MINUTES (15)."""
        if env is None:
            merged = {k: v for k, v in dotenv_values(Path(".env")).items() if v is not None}
            merged.update(os.environ)
            env = merged
        idle = _positive(env, "CRBOT_DASHBOARD_IDLE_MINUTES", "30")
        hours = _positive(env, "CRBOT_DASHBOARD_SESSION_HOURS", "12")
        profile = env.get("CRBOT_DASHBOARD_KDF", "standard").strip().lower()
        if profile not in PROFILES:
            raise ConfigError(
                f"CRBOT_DASHBOARD_KDF={profile!r} is not valid", hint=f"use one of: {', '.join(PROFILES)}"
            )
        failures = _positive(env, "CRBOT_DASHBOARD_LOCKOUT_FAILURES", "10")
        if failures != int(failures) or failures < 2:
            raise ConfigError(
                f"CRBOT_DASHBOARD_LOCKOUT_FAILURES={failures:g} is not valid", hint="use a whole number >= 2"
            )
        lock = _positive(env, "CRBOT_DASHBOARD_LOCKOUT_MINUTES", "15")
        limits = Limits(free=min(3, int(failures) - 1), lock_after=int(failures), lock_s=lock * 60)
        return cls(idle_s=idle * 60, max_s=hours * 3600, profile=profile, limits=limits)


def _positive(env: Mapping[str, str], name: str, default: str) -> float:
    text = env.get(name, default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise ConfigError(f"{name}={text!r} is not a positive number", hint="fix it in .env or the environment")
    return value


def is_loopback(address: str | None) -> bool:
    """Only this machine can connect. Streamlit's default (unset) listens on every interface."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything


def login_required(address: str | None, mode: Mode) -> bool:
    return mode is Mode.LIVE or not is_loopback(address)


class Access:
    def __init__(
        self,
        home: Path,
        *,
        settings: AccessSettings | None = None,
        clock: Clock | None = None,
        audit: AuditSink | None = None,
        required: bool = False,
    ) -> None:
        self.home = home
        self.settings = settings or AccessSettings()
        self.clock = clock or SystemClock()
        self.store = PasswordStore(home)
        self.sessions = SessionBook(
            load_secret(home), self.clock, idle_s=self.settings.idle_s, max_s=self.settings.max_s
        )
        self.limiter = Limiter(self.clock, self.settings.limits)
        self.required = required  # login mandatory: non-loopback address or live mode
        self._audit = audit

    @property
    def enabled(self) -> bool:
        """Sign-in is asked: a password is set (or required: then with none set nothing gets in)."""
        return self.required or self.store.is_set()

    def audit(self, client: str, action: str, detail: str) -> None:
        """An audit event; a journal that cannot be written is logged, never a reason to lock the operator out."""
        if self._audit is None:
            return
        try:
            self._audit(f"dashboard@{client}", action, detail)
        except Exception:
            logger.exception("could not write the audit event %s", action)

    def check_password(self, password: str, client: str, *, purpose: str) -> Verdict | None:
        """None when the password is right; else the verdict (wait) for this client's next attempt.

        Refused attempts (still waiting, locked out) never reach the hash. Every outcome is audited.
        """
        verdict = self.limiter.check(client)
        if not verdict.allowed:
            return replace(verdict, refused=True)
        if self.store.verify(password):
            self.limiter.success(client)
            return None
        after = self.limiter.failure(client)
        detail = f"{purpose}: wrong password"
        if after.locked:
            detail += f"; {'every login' if after.overall else 'this client'} locked for {after.wait_s:.0f} s"
        self.audit(client, f"dashboard_{purpose}_failed", detail)
        return after

    def login(self, password: str, client: str) -> tuple[str | None, Verdict | None]:
        """(cookie, None) on success; (None, verdict) otherwise."""
        refused = self.check_password(password, client, purpose="login")
        if refused is not None:
            return None, refused
        cookie = self.sessions.issue(client, self.store.fingerprint())
        self.audit(client, "dashboard_login", "signed in")
        return cookie, None

    def logout(self, cookie: str | None, client: str) -> None:
        if self.sessions.end(cookie):
            self.audit(client, "dashboard_logout", "signed out")


_registry: dict[Path, Access] = {}
_registry_lock = threading.Lock()
_gate: Access | None = None  # the Access the login gate of this process enforces


def register(access: Access, *, gate: bool = False) -> Access:
    global _gate
    with _registry_lock:
        _registry[access.home] = access
        if gate:
            _gate = access
    return access


def gate_access() -> Access | None:
    """The Access the login gate in this process enforces, None when no gate was installed."""
    return _gate


def access_for(home: Path, *, audit: AuditSink | None = None) -> Access:
    """The process's Access for ``home`` (the gate's one when it guards that home); ``audit`` is used when
    it has no audit sink yet (the pages pass the runtime's journal)."""
    with _registry_lock:
        found = _registry.get(home)
    access = found or register(Access(home, settings=AccessSettings.load()))
    if access._audit is None and audit is not None:
        access._audit = audit
    return access
