"""The dashboard password: only an Argon2id hash (PHC string) in ``CRBOT_HOME/dashboard_password``, 0600.

The hash file's content also fingerprints the password: a session signed under another fingerprint
(the password changed since) is dead. Reads are cached by the file's stat, so a password changed with
the CLI while the dashboard runs is seen on the next request without hashing anything.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from crbot.errors import ConfigError, InvalidInput
from crbot.sqlite import PRIVATE_DIR, PRIVATE_FILE

PASSWORD_FILE = "dashboard_password"
MIN_LENGTH = 10
MAX_LENGTH = 1024  # a megabyte "password" would only cost CPU


@dataclass(frozen=True, slots=True)
class Profile:
    """Argon2id cost: memory in KiB, passes, lanes."""

    memory_kib: int
    iterations: int
    lanes: int


# "standard" is OWASP's first Argon2id choice (46 MiB, 1 pass, 1 lane: ~0.1 s here); "cheap" only for tests.
PROFILES = {"standard": Profile(47104, 1, 1), "cheap": Profile(8, 1, 1)}


def hash_password(password: str, profile: Profile) -> str:
    """A PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$hash) with a fresh 16-byte salt."""
    kdf = Argon2id(
        salt=os.urandom(16),
        length=32,
        iterations=profile.iterations,
        lanes=profile.lanes,
        memory_cost=profile.memory_kib,
    )
    return kdf.derive_phc_encoded(password.encode())


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time check against a PHC string; False for a wrong password or a malformed hash."""
    try:
        Argon2id.verify_phc_encoded(password.encode(), encoded)
    except (InvalidKey, ValueError):
        return False
    return True


def check_new_password(password: str) -> None:
    if password != password.strip():
        raise InvalidInput("the password starts or ends with a space", hint="type it without surrounding spaces")
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(
            f"the password has {len(password)} characters", hint=f"use {MIN_LENGTH} to {MAX_LENGTH} characters"
        )


class PasswordStore:
    """The hash file of one CRBOT_HOME."""

    def __init__(self, home: Path) -> None:
        self.path = home / PASSWORD_FILE
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int, int], str] | None = None

    def encoded(self) -> str | None:
        """The stored PHC string, None when no password is set (re-read only when the file changed)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._cached and self._cached[0] == key:
                return self._cached[1]
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read the dashboard password file {self.path}: {exc}",
                hint="set it again: python -m crbot dashboard set-password",
            ) from None
        if not text.startswith("$argon2id$"):
            raise ConfigError(
                f"{self.path} does not hold an Argon2id hash",
                hint="set the password again: python -m crbot dashboard set-password",
            )
        with self._lock:
            self._cached = (key, text)
        return text

    def is_set(self) -> bool:
        return self.encoded() is not None

    def verify(self, password: str) -> bool:
        encoded = self.encoded()
        if encoded is None or len(password) > MAX_LENGTH:
            return False
        return verify_password(password, encoded)

    def fingerprint(self) -> str:
        """Changes whenever the password is set again (a new salt each time); "" when none is set."""
        encoded = self.encoded()
        return "" if encoded is None else hashlib.sha256(encoded.encode()).hexdigest()[:16]

    def set(self, password: str, profile: Profile) -> None:
        """Hash and replace atomically: a crash leaves the old password or the new one, never half a file."""
        check_new_password(password)
        write_private(self.path, (hash_password(password, profile) + "\n").encode())


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` with 0600 permissions via a temporary file and an atomic rename."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # an older leftover tmp file keeps its mode otherwise
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def same_text(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
