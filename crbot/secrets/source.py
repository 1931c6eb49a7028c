"""The exchange keys as the connector gets them: from .env (plain or ``enc:``), AWS Secrets Manager or Vault.

``KeySource`` is built from the settings without decrypting or fetching anything; ``current()`` does that
once (the connector's start), ``refetch()`` again after the exchange refused the key (a rotated secret).
The decrypted values live only in the ``Credentials`` it hands to the connector.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from crbot.secrets import masterkey
from crbot.secrets.errors import KeysNotSet

if TYPE_CHECKING:
    from crbot.config import Settings

logger = logging.getLogger(__name__)
NAMES = ("BINANCE_API_KEY", "BINANCE_API_SECRET")
MT5_PASSWORD = "MT5_PASSWORD"


@dataclass(frozen=True, slots=True)
class Credentials:
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "Credentials(api_key='****', api_secret='****')"

    def __reduce__(self) -> object:  # never pickled into a cache
        raise TypeError("credentials are not picklable")


def plain_text_names(settings: Settings) -> list[str]:
    """Which exchange keys are set in plain text (the CLI and the dashboard warn; live refuses)."""
    named = list(zip(NAMES, (settings.api_key, settings.api_secret), strict=True))
    if settings.secrets.store != "env":
        named = []  # the Binance keys, and the MT5 password, come from the store
    elif settings.broker == "mt5":
        named.append((MT5_PASSWORD, settings.mt5_password))
    return [n for n, v in named if v and not masterkey.is_encrypted(v.get())]


def mt5_password_source(settings: Settings) -> str:
    """Where the MT5 connector's password comes from, for ``keys show`` / ``keys check`` (never a secret)."""
    if settings.secrets.store != "env":
        return settings.secrets.mt5_label
    if masterkey.is_encrypted(settings.mt5_password.get()):
        return "encrypted in .env"
    return "PLAIN TEXT in .env / environment" if settings.mt5_password else "(not set)"


def with_mt5_password(settings: Settings) -> Settings:
    """The settings with the MT5 password in the clear (for the MT5 connector's start only): from the secret
    store when one is chosen (its login / server override the settings' only when present), else MT5_PASSWORD
    decrypted if it is ``enc:``."""
    from crbot.secrets import stores
    from crbot.secrets.value import SecretStr

    config = settings.secrets
    if config.store in ("aws", "vault"):
        account = stores.aws_fetch_mt5(config) if config.store == "aws" else stores.vault_fetch_mt5(config)
        return replace(
            settings,
            mt5_password=SecretStr(account.password),
            mt5_login=account.login if account.login is not None else settings.mt5_login,
            mt5_server=account.server if account.server is not None else settings.mt5_server,
        )
    value = settings.mt5_password.get()
    if not masterkey.is_encrypted(value):
        return settings
    master, _ = masterkey.load(config)
    return replace(settings, mt5_password=SecretStr(master.decrypt(value, name=MT5_PASSWORD)))


def uses_plain_text(settings: Settings) -> bool:
    return bool(plain_text_names(settings))


class KeySource:
    """Where the connector's keys come from; thread-safe; ``generation`` counts fetches that changed them."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.config = settings.secrets
        self.label = self.config.label
        self.refetchable = self.config.store in ("aws", "vault")  # .env only changes with a restart
        self._lock = threading.Lock()
        self._current: Credentials | None = None
        self.generation = 0

    def __repr__(self) -> str:
        return f"KeySource({self.label})"

    def current(self) -> Credentials:
        with self._lock:
            if self._current is None:
                self._current = self._fetch()
            return self._current

    def refetch(self, *, since: int) -> bool:
        """After an auth error seen at ``since``: True if the keys changed (now, or by another thread)."""
        if not self.refetchable:
            return False
        with self._lock:
            if self.generation != since:
                return True
            fresh = self._fetch()
            if fresh == self._current:
                return False
            self._current, self.generation = fresh, self.generation + 1
        logger.warning("new exchange credentials fetched from %s", self.label)
        return True

    def settings_with_keys(self) -> Settings:
        """The settings with the decrypted keys in place (SecretStr: still never printed)."""
        from crbot.secrets.value import SecretStr

        creds = self.current()
        return replace(self._settings, api_key=SecretStr(creds.api_key), api_secret=SecretStr(creds.api_secret))

    def _fetch(self) -> Credentials:
        from crbot.secrets import stores

        if self.config.store == "aws":
            return Credentials(*stores.aws_fetch(self.config))
        if self.config.store == "vault":
            return Credentials(*stores.vault_fetch(self.config))
        return self._from_env()

    def _from_env(self) -> Credentials:
        values = [self._settings.api_key.get().strip(), self._settings.api_secret.get().strip()]
        if not all(values):
            missing = " and ".join(n for n, v in zip(NAMES, values, strict=True) if not v)
            raise KeysNotSet(
                f"BINANCE_API_KEY and BINANCE_API_SECRET are required in {self._settings.mode.value} mode"
                f" ({missing} not set)",
                hint="store them encrypted: python -m crbot keys set (or choose a secret store, see README)",
            )
        if any(masterkey.is_encrypted(v) for v in values):
            master, _ = masterkey.load(self.config)
            values = [
                master.decrypt(v, name=n) if masterkey.is_encrypted(v) else v
                for n, v in zip(NAMES, values, strict=True)
            ]
        return Credentials(*values)
