"""Request security of the local exchange, as rest-api.md "Request Security" describes it.

* ``X-MBX-APIKEY`` must name the configured key (401 -2015; a malformed key is -2014).
* The signature covers the query string concatenated with the body, exactly as received and without
  the ``signature`` parameter: HMAC-SHA256 in hex (case-insensitive) or Ed25519 in base64.
* ``timestamp`` must satisfy ``timestamp < server + 1000`` and ``server - timestamp <= recvWindow``
  (recvWindow defaults to 5000 ms, at most 60000).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from crbot.errors import AuthError, ConfigError, ExchangeRejected

DEFAULT_RECV_WINDOW = Decimal(5000)
MAX_RECV_WINDOW = Decimal(60000)
_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{64}")  # what Binance issues
_RECV_WINDOW = re.compile(r"[0-9]{1,6}(\.[0-9]{1,3})?")

# The permissions a key gets when nothing says otherwise: trading and reading only, the safe shape
# the live-mode key audit expects. Tests override single fields to exercise the audit.
SAFE_RESTRICTIONS: Mapping[str, Any] = {
    "ipRestrict": True,
    "createTime": 1_767_225_600_000,  # 2026-01-01T00:00:00Z
    "enableReading": True,
    "enableSpotAndMarginTrading": True,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "enableMargin": False,
    "enableFutures": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableFixApiTrade": False,
    "enableFixReadOnly": False,
    "enablePortfolioMarginTrading": False,
}


def merged_restrictions(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**SAFE_RESTRICTIONS, **(overrides or {})}


def invalid_key() -> AuthError:
    return AuthError("Invalid API-key, IP, or permissions for action.", code=-2015)


@dataclass(frozen=True, slots=True)
class Credentials:
    """The one API key the local exchange knows, with its HMAC secret and/or Ed25519 public key."""

    api_key: str
    api_secret: str | None = None
    ed25519_public_key: Ed25519PublicKey | None = None

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ConfigError("the local exchange needs an API key", hint="pass api_key=...")
        if not self.api_secret and self.ed25519_public_key is None:
            raise ConfigError(
                "the local exchange needs a way to check signatures",
                hint="pass api_secret (HMAC) or ed25519_public_key (PEM or key object)",
            )

    def __repr__(self) -> str:  # the secret never reaches a log line
        return f"Credentials(api_key='{self.api_key[:4]}…', hmac={bool(self.api_secret)}, ed25519={self.has_ed25519})"

    @property
    def has_ed25519(self) -> bool:
        return self.ed25519_public_key is not None

    def check_key(self, header: str | None) -> None:
        """The ``X-MBX-APIKEY`` header names our key, or the request is refused (401)."""
        if header is None or header == "":
            raise invalid_key()
        if hmac.compare_digest(header.encode(), self.api_key.encode()):
            return
        if not _KEY_FORMAT.fullmatch(header):
            raise AuthError("API-key format invalid.", code=-2014)
        raise invalid_key()

    def check_signature(self, payload: str, signature: str) -> None:
        """``payload`` is query string + body without the signature; raises -1022 on a mismatch."""
        if self.api_secret and _hmac_ok(self.api_secret, payload, signature):
            return
        if self.ed25519_public_key is not None and _ed25519_ok(self.ed25519_public_key, payload, signature):
            return
        raise ExchangeRejected("Signature for this request is not valid.", code=-1022)


def load_ed25519_public_key(key: Ed25519PublicKey | bytes | str | None) -> Ed25519PublicKey | None:
    """Accept a key object or its PEM text (``-----BEGIN PUBLIC KEY-----``)."""
    if key is None or isinstance(key, Ed25519PublicKey):
        return key
    data = key.encode() if isinstance(key, str) else key
    try:
        loaded = load_pem_public_key(data)
    except ValueError as exc:
        raise ConfigError("the Ed25519 public key is not valid PEM", hint="export it with -pubout") from exc
    if not isinstance(loaded, Ed25519PublicKey):
        raise ConfigError("the public key is not an Ed25519 key", hint="use an Ed25519 key pair")
    return loaded


def hmac_signature(secret: str, payload: str) -> str:
    """Hex HMAC-SHA256, as a client computes it."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _hmac_ok(secret: str, payload: str, signature: str) -> bool:
    # HMAC signatures are not case-sensitive (rest-api.md "Signature Case Sensitivity").
    return hmac.compare_digest(hmac_signature(secret, payload), signature.strip().lower())


def _ed25519_ok(key: Ed25519PublicKey, payload: str, signature: str) -> bool:
    # A '+' that reached us unencoded was turned into a space by form decoding (at either end too: the
    # spaces go back to '+' before any other whitespace is stripped).
    text = signature.replace(" ", "+").strip()
    try:
        raw = base64.b64decode(text, validate=True)
        key.verify(raw, payload.encode())
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def signature_payload(raw_query: str, raw_body: str) -> tuple[str, str | None]:
    """Split the received query string and body into (signed payload, signature).

    The payload is the query string concatenated without separator to the body, each without its
    ``signature`` parameter and still percent-encoded, as the client signed it. The signature comes
    back decoded; None if absent. A signature in the query string wins over one in the body.
    """
    query, sig_q = _strip_signature(raw_query)
    body, sig_b = _strip_signature(raw_body)
    signature = sig_q if sig_q is not None else sig_b
    return query + body, signature


def _strip_signature(raw: str) -> tuple[str, str | None]:
    kept, signature = [], None
    for part in raw.split("&") if raw else ():
        if part.startswith("signature="):
            signature = unquote(part[len("signature=") :])
        else:
            kept.append(part)
    return "&".join(kept), signature


def check_timestamp(timestamp: str | None, recv_window: str | None, server_ms: int) -> None:
    """rest-api.md "Timing security"; raises -1102 / -1100 / -1131 / -1021 as Binance does."""
    if timestamp is None or timestamp == "":
        raise ExchangeRejected(
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.", code=-1102
        )
    if not timestamp.isdigit():
        raise ExchangeRejected(
            "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'.", code=-1100
        )
    ts = Decimal(int(timestamp))
    if ts >= 10**14:  # microseconds (rest-api.md: timestamps may be sent in µs)
        ts /= 1000
    window = DEFAULT_RECV_WINDOW
    if recv_window not in (None, ""):
        if not _RECV_WINDOW.fullmatch(recv_window):
            raise ExchangeRejected(
                "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,5}(\\.[0-9]{1,3})?$'.",
                code=-1100,
            )
        window = Decimal(recv_window)
        if window > MAX_RECV_WINDOW:
            raise ExchangeRejected("recvWindow must be less than 60000", code=-1131)
    if ts >= server_ms + 1000:
        raise ExchangeRejected("Timestamp for this request was 1000ms ahead of the server's time.", code=-1021)
    if server_ms - ts > window:
        raise ExchangeRejected("Timestamp for this request is outside of the recvWindow.", code=-1021)
