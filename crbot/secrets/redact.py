"""A logging filter that blanks anything shaped like a key, a secret, a signature or a Fernet token.

Installed once per process (``install``: the CLI, the dashboard and API runtimes) as a log-record factory,
so every record of every logger is cleaned when it is made, before any handler (ours, Streamlit's,
uvicorn's) formats it; ``RedactingFilter`` does the same for a single handler.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "[REDACTED]"
_PATTERNS = (
    re.compile(r"enc:[0-9a-f]{8}:[A-Za-z0-9_\-=]+"),  # our encrypted values
    re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}"),  # any Fernet token
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(  # name=value / name: value / "name": "value" (also JSON inside JSON) for secret-looking names
        r"(?i)((?:api[_-]?key|api[_-]?secret|secret[_-]?(?:id|key|access[_-]?key|string)?|signature|"
        r"x-mbx-apikey|x-vault-token|token|password|master[_-]?key|authorization)(?:\\*[\"'])?\s*[:=]\s*(?:\\*[\"'])?)"
        r"(?:Bearer\s+)?[^\s\"'&,;}]{6,}"
    ),
    re.compile(r"\b(?:hvs|hvb|hvr|s|b)\.[A-Za-z0-9_\-]{20,}"),  # Vault / OpenBao tokens
    re.compile(r"(?<![A-Za-z0-9])[A-Fa-f0-9]{64}(?![A-Za-z0-9])"),  # HMAC-SHA256 signatures
    re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9]{64}(?![A-Za-z0-9+/])"),  # Binance API keys / secrets (64 alnum)
    re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}=(?![A-Za-z0-9_\-=])"),  # a Fernet (master) key
    re.compile(r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{86}==)"),  # an Ed25519 signature (base64, 64 bytes)
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(_keep_name if pattern.groups else MASK, text)
    return text


def _keep_name(match: re.Match[str]) -> str:
    return match.group(1) + MASK


def clean(record: logging.LogRecord) -> logging.LogRecord:
    """Redact the record in place: its message (args merged in) and its exception text."""
    if getattr(record, "_crbot_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what we have, still cleaned
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._crbot_redacted = True  # type: ignore[attr-defined]
    return record


class RedactingFilter(logging.Filter):
    """For one handler: every record passing through is redacted (never dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean(record)
        return True


def install() -> None:
    """Clean every log record of this process as it is made (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_crbot_redacting", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return clean(factory(*args, **kwargs))

    make._crbot_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
    root = logging.getLogger()
    for handler in root.handlers:  # records made before install() still pass these
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
