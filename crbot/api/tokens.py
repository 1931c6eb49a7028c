"""API tokens: random bearer secrets, stored only as SHA-256 hashes in ``CRBOT_HOME/api_tokens.json`` (0600).

A token is 32 random bytes, so a plain SHA-256 (no salt, no slow KDF) is enough: nothing can be guessed
from the hash, and checking costs microseconds per request. Comparison uses ``hmac.compare_digest``.

The CLI (create, revoke) and a running server (verify, last used) share the file: writers take an
``flock`` on ``api_tokens.lock`` and replace the file atomically; the server re-reads it whenever its
inode or mtime changes, so a revoked token is refused by the very next request.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from crbot.errors import ConfigError, InvalidInput
from crbot.sqlite import PRIVATE_FILE, private_file

FILE_NAME = "api_tokens.json"
PREFIX = "crbot_"  # makes a leaked token recognisable (secret scanners, logs)
LAST_USED_EVERY = timedelta(minutes=1)  # "last used" is written at most this often per token
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,40}")


class Scope(StrEnum):
    """read: queries only; trade: + orders, cancels, STOP; admin: + resume and risk limits."""

    READ = "read"
    TRADE = "trade"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        order = list(Scope)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """One token as stored (never the secret itself)."""

    name: str
    scope: Scope
    digest: str
    created: datetime
    last_used: datetime | None = None
    revoked: datetime | None = None

    def listed(self) -> dict[str, Any]:
        return {"name": self.name, "scope": self.scope, "created": self.created, "last_used": self.last_used} | (
            {"revoked": self.revoked} if self.revoked else {}
        )


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """The token file of one ``CRBOT_HOME``; thread-safe (a server verifies from many threads)."""

    def __init__(self, home: Path) -> None:
        self.path = home / FILE_NAME
        self._lock_path = home / "api_tokens.lock"
        self._mutex = threading.Lock()
        self._seen: tuple[int, int] | None = None  # (inode, mtime_ns) of what _tokens holds
        self._tokens: dict[str, Token] = {}

    # ---- the CLI's side -----------------------------------------------------------------------------
    def create(self, name: str, scope: Scope | str, *, now: datetime) -> str:
        """A new token's secret (shown once, never stored). A name still in use is refused."""
        if not _NAME.fullmatch(name):
            raise InvalidInput(f"token name {name[:40]!r} is not valid", hint="use 1-40 characters A-Z a-z 0-9 _ . -")
        try:
            scope = Scope(scope)
        except ValueError:
            raise InvalidInput(f"unknown scope {scope!r}", hint="use read, trade or admin") from None
        secret = PREFIX + secrets.token_urlsafe(32)
        with self._writing() as tokens:
            if name in tokens and tokens[name].revoked is None:
                raise InvalidInput(
                    f"a token named {name!r} already exists",
                    hint=f"revoke it first (python -m crbot api token revoke --name {name}) or pick another name",
                )
            tokens[name] = Token(name=name, scope=scope, digest=digest(secret), created=now)
        return secret

    def revoke(self, name: str, *, now: datetime) -> Token:
        with self._writing() as tokens:
            token = tokens.get(name)
            if token is None or token.revoked is not None:
                raise InvalidInput(f"no active token named {name!r}", hint="see python -m crbot api token list")
            tokens[name] = replace(token, revoked=now)
        return tokens[name]

    def tokens(self) -> list[Token]:
        with self._mutex:
            return sorted(self._current().values(), key=lambda t: t.created)

    def active(self) -> list[Token]:
        return [t for t in self.tokens() if t.revoked is None]

    # ---- the server's side --------------------------------------------------------------------------
    def verify(self, secret: str, *, now: datetime) -> Token | None:
        """The active token whose secret this is, or None. Records "last used" (at most once a minute)."""
        presented = digest(secret)
        with self._mutex:
            found = None
            for token in self._current().values():  # compare with every one: no early exit to time
                if hmac.compare_digest(token.digest, presented) and token.revoked is None:
                    found = token
        if found is not None and (found.last_used is None or now - found.last_used >= LAST_USED_EVERY):
            self._touch(found.name, now)
        return found

    def _touch(self, name: str, now: datetime) -> None:
        with contextlib.suppress(OSError), self._writing() as tokens:  # bookkeeping only: never fails a request
            if name in tokens:
                tokens[name] = replace(tokens[name], last_used=now)

    # ---- the file -----------------------------------------------------------------------------------
    def _current(self) -> dict[str, Token]:
        """The tokens on disk (re-read only when the file changed). Caller holds ``_mutex``."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._seen, self._tokens = None, {}
            return self._tokens
        seen = (info.st_ino, info.st_mtime_ns)
        if seen != self._seen:
            self._tokens, self._seen = self._read(), seen
        return self._tokens

    def _read(self) -> dict[str, Token]:
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))["tokens"]
            return {r["name"]: _token(r) for r in rows}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"the API token file {self.path} is damaged ({type(exc).__name__})",
                hint="delete it and create the tokens again (python -m crbot api token create ...)",
            ) from exc

    @contextlib.contextmanager
    def _writing(self) -> Iterator[dict[str, Token]]:
        """Read-modify-write under the file lock; the new file replaces the old one atomically (0600)."""
        private_file(self._lock_path)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            tokens = self._read()
            yield tokens
            tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.{threading.get_ident()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"tokens": [_row(t) for t in tokens.values()]}, out, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        with self._mutex:
            self._seen = None  # re-read on the next look


def _row(token: Token) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "name": token.name,
        "scope": token.scope.value,
        "sha256": token.digest,
        "created": when(token.created),
        "last_used": when(token.last_used),
        "revoked": when(token.revoked),
    }


def _token(row: dict[str, Any]) -> Token:
    def when(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).astimezone(UTC)

    return Token(
        name=row["name"],
        scope=Scope(row["scope"]),
        digest=row["sha256"],
        created=when(row["created"]) or datetime.now(UTC),
        last_used=when(row.get("last_used")),
        revoked=when(row.get("revoked")),
    )
