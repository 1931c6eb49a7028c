"""The master key and the ``enc:`` values it opens (cryptography's Fernet; MultiFernet while rotating).

An encrypted value is ``enc:<key id>:<Fernet token>``. The key id (8 hex digits of an HMAC of a constant
under the key) tells "this master key never made this value" (MasterKeyError) apart from "the value was
altered or cut" (CorruptSecret); it reveals nothing about the key.

The master key is ``CRBOT_MASTER_KEY`` or a key file (one Fernet key a line, the first encrypts) with 0600
permissions, outside any git repository, created on first use by ``keys set``. Keys never reach a repr.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from crbot.secrets.errors import CorruptSecret, MasterKeyError
from crbot.secrets.settings import SecretsConfig

PREFIX = "enc:"
_MIN_TOKEN = 73  # version 1 + time 8 + IV 16 + one block 16 + HMAC 32
RESTORE = "restore the master key from your backup (CRBOT_MASTER_KEY or the key file), or enter the keys again"


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def key_id(key: bytes) -> str:
    return hmac.new(key, b"crbot master key id", hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class MasterKey:
    """One or more Fernet keys (the first encrypts); ``source`` says where they came from."""

    keys: tuple[bytes, ...]
    source: str

    def __repr__(self) -> str:
        return f"MasterKey({len(self.keys)} key(s) from {self.source})"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id(k) for k in self.keys)

    def encrypt(self, plain: str) -> str:
        return f"{PREFIX}{key_id(self.keys[0])}:{Fernet(self.keys[0]).encrypt(plain.encode()).decode()}"

    def decrypt(self, value: str, *, name: str) -> str:
        """``value`` opened; MasterKeyError if none of our keys made it, CorruptSecret if it was damaged."""
        kid, token = _split(value, name=name)
        by_id = dict(zip(self.ids, self.keys, strict=True))
        if kid not in by_id:
            raise MasterKeyError(
                f"{name} was encrypted with another master key than the one from {self.source}", hint=RESTORE
            )
        try:
            return Fernet(by_id[kid]).decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise CorruptSecret(
                f"{name} is damaged: its encrypted value does not verify",
                hint="enter the keys again: python -m crbot keys set",
            ) from None

    def reencrypt(self, value: str, *, name: str, new: MasterKey) -> str:
        """``value`` under ``new``'s first key (MultiFernet.rotate keeps the token's timestamp)."""
        self.decrypt(value, name=name)  # our errors (wrong key / damaged) before anything is written
        _, token = _split(value, name=name)
        rotated = MultiFernet([Fernet(k) for k in (*new.keys, *self.keys)]).rotate(token.encode())
        return f"{PREFIX}{key_id(new.keys[0])}:{rotated.decode()}"


def _split(value: str, *, name: str) -> tuple[str, str]:
    kid, sep, token = value.removeprefix(PREFIX).partition(":")
    hint = "enter the keys again: python -m crbot keys set"
    if not is_encrypted(value) or not sep or len(kid) != 8:
        raise CorruptSecret(f"{name} is not an encrypted value (expected enc:<key id>:<token>)", hint=hint)
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        raise CorruptSecret(f"{name}'s encrypted value is not valid base64 (cut or edited?)", hint=hint) from None
    if len(raw) < _MIN_TOKEN or (len(raw) - 57) % 16 or raw[0] != 0x80:
        raise CorruptSecret(f"{name}'s encrypted value is cut or damaged ({len(raw)} bytes)", hint=hint)
    return kid, token


def new_key() -> bytes:
    return Fernet.generate_key()


def _parse(text: str, source: str) -> MasterKey:
    keys = tuple(part.strip().encode() for part in text.replace(",", "\n").splitlines() if part.strip())
    if not keys:
        raise MasterKeyError(f"the master key from {source} is empty", hint=RESTORE)
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            raise MasterKeyError(
                f"the master key from {source} is not a Fernet key (32 url-safe base64 bytes)", hint=RESTORE
            ) from None
    return MasterKey(keys, source)


def load(config: SecretsConfig, *, create: bool = False) -> tuple[MasterKey, bool]:
    """The master key, and whether it was just created (only with ``create``: ``keys set``)."""
    if config.master_key:
        return _parse(config.master_key.get(), "CRBOT_MASTER_KEY"), False
    path = config.master_key_file
    check_location(path)
    if not path.exists():
        if not create:
            raise MasterKeyError(f"no master key: {path} does not exist", hint=RESTORE)
        write_key_file(path, (new_key(),), exclusive=True)
        return load(config)[0], True
    return _parse(_read_private(path), str(path)), False


def check_location(path: Path) -> None:
    """The key file must not live in a git work tree, where one `git add -A` would publish it."""
    for parent in path.parents:
        if (parent / ".git").exists():
            raise MasterKeyError(
                f"the master key file {path} is inside the git repository {parent}",
                hint="set CRBOT_MASTER_KEY_FILE to a path outside it (default ~/.config/crbot/master.key)",
            )


def _read_private(path: Path) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise MasterKeyError(f"the master key {path} is not a file", hint=RESTORE)
        if info.st_mode & 0o077:
            raise MasterKeyError(
                f"the master key {path} is readable by others (mode {stat.S_IMODE(info.st_mode):04o})",
                hint=f"run: chmod 600 {path}  (and rotate it with `python -m crbot keys rotate` if others read it)",
            )
        if info.st_uid != os.getuid():
            raise MasterKeyError(f"the master key {path} belongs to another user", hint=f"chown it to yourself: {path}")
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"cannot read the master key {path}: {exc}", hint="fix its permissions") from None


def write_key_file(path: Path, keys: tuple[bytes, ...], *, exclusive: bool = False) -> None:
    """Write ``keys`` (0600, directory 0700) atomically: a crash leaves the old file or the new, never half."""
    check_location(path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = b"".join(k + b"\n" for k in keys)
        if exclusive:  # first use: never overwrite a key another process just created
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            return
        atomic_write(path, text, mode=0o600)
    except FileExistsError:
        return  # created meanwhile by another process: load() reads that one
    except OSError as exc:
        raise MasterKeyError(
            f"cannot write the master key {path}: {exc.strerror or exc}",
            hint="set CRBOT_MASTER_KEY_FILE to a writable path outside the repository",
        ) from None


def atomic_write(path: Path, data: bytes, *, mode: int) -> None:
    """Temp file in the same folder, fsync, rename over ``path``, fsync the folder."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
