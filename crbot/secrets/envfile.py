"""Reading and rewriting the working directory's ``.env``: named lines replaced, every other line kept.

A rewrite is atomic (temp file, fsync, rename): a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from crbot.secrets.errors import SecretError
from crbot.secrets.masterkey import atomic_write

DEFAULT_MODE = 0o600  # a new .env holds keys: private to its owner


def read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        return {k: v for k, v in dotenv_values(path, encoding="utf-8").items() if v is not None}
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"cannot read {path}: {exc}", hint="fix the file or its permissions") from None


def line_name(line: str) -> str | None:
    """The setting a ``NAME=value`` / ``export NAME=value`` line sets; None for comments and blanks."""
    text = line.strip()
    if not text or text.startswith("#") or "=" not in text:
        return None
    return text.split("=", 1)[0].removeprefix("export ").strip()


def update(path: Path, values: Mapping[str, str]) -> None:
    """Set ``values`` in ``path`` (replacing their lines, dropping duplicates), keeping every other line."""
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        mode = path.stat().st_mode & 0o777 if path.exists() else DEFAULT_MODE
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"cannot read {path}: {exc}", hint="fix the file or its permissions") from None
    lines: list[str] = []
    written: set[str] = set()
    for line in old.splitlines():
        name = line_name(line)
        if name in values:
            if name not in written:
                lines.append(f"{name}={values[name]}")
                written.add(name)
            continue
        lines.append(line)
    lines.extend(f"{name}={value}" for name, value in values.items() if name not in written)
    try:
        atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"), mode=mode & ~0o077)
    except OSError as exc:
        raise SecretError(
            f"cannot write {path}: {exc.strerror or exc} (the old file is unchanged)",
            hint="check the folder's permissions",
        ) from None
