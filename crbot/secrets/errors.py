"""What can go wrong with a secret, each with its own CLI exit code (documented in README.md).

SecretError                     base (exit 6): a secret could not be read or written; nothing was changed
├── MasterKeyError              the master key is missing, unreadable, unsafe (0600) or does not open a value (6)
├── CorruptSecret               a stored value is not a valid encrypted token / JSON document (7)
├── SecretMissing               the store has no such secret (8)
│   └── KeysNotSet              BINANCE_API_KEY / _SECRET unset in .env and environment (8)
├── StoreUnreachable            the store (AWS, Vault) did not answer (9)
└── StoreAuthFailed             the store refused our credentials: token expired or invalid (10)
LiveRefused                     live mode's guard rails are not met (exit 3, like any refusal)
"""

from __future__ import annotations

from crbot.errors import ConfigError, CrbotError


class SecretError(CrbotError):
    """A secret could not be read or written; nothing was half-written."""

    exit_code = 6


class MasterKeyError(SecretError):
    """The master key is missing, unreadable, has loose permissions, or does not decrypt the value."""


class CorruptSecret(SecretError):
    """The stored value is damaged (not a Fernet token, or not the expected JSON): re-enter it."""

    exit_code = 7


class SecretMissing(SecretError):
    """No key/secret where the configuration says it is: store it there (``keys set``, the AWS or Vault CLI)."""

    exit_code = 8


class KeysNotSet(SecretMissing, ConfigError):
    """BINANCE_API_KEY / BINANCE_API_SECRET are not set at all (exit 8; also a ConfigError)."""


class StoreUnreachable(SecretError):
    """The secret store did not answer (address, network, sealed Vault): retry once it is up."""

    exit_code = 9


class StoreAuthFailed(SecretError):
    """The secret store refused our credentials (expired / invalid token, unknown AWS key)."""

    exit_code = 10


class LiveRefused(CrbotError):
    """Live mode refuses to start: plain-text keys, or the first-time typed confirmation is missing."""

    exit_code = 3
