"""Where the exchange keys come from: the settings of the secret store, read with the rest of the settings.

Nothing here decrypts or fetches: a value is only a reference until the connector starts.

    CRBOT_SECRET_STORE        env (default) | aws | vault
    USE_AWS_SECRETS_MANAGER   true = CRBOT_SECRET_STORE=aws (the integration guide's name)
    CRBOT_MASTER_KEY          the Fernet master key itself (else the key file)
    CRBOT_MASTER_KEY_FILE     default $XDG_CONFIG_HOME/crbot/master.key or ~/.config/crbot/master.key
    AWS_REGION, CRBOT_AWS_ENDPOINT_URL, CRBOT_AWS_SECRET_NAME (default crbot/binance/<mode>)
    VAULT_ADDR, VAULT_TOKEN or VAULT_ROLE_ID + VAULT_SECRET_ID, CRBOT_VAULT_PATH (default secret/crbot/binance)
    CRBOT_BROKER=mt5: CRBOT_AWS_MT5_SECRET_NAME (default crbot/mt5/<mode>), CRBOT_VAULT_MT5_PATH (secret/crbot/mt5)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crbot.errors import ConfigError
from crbot.secrets.value import SecretStr

STORES = ("env", "aws", "vault")
DEFAULT_VAULT_PATH = "secret/crbot/binance"
DEFAULT_VAULT_MT5_PATH = "secret/crbot/mt5"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def default_key_file(get: Callable[[str], str | None] = os.environ.get) -> Path:
    """The master key's file: outside any repository, in the user's config directory."""
    explicit = get("CRBOT_MASTER_KEY_FILE")
    if explicit:
        return Path(explicit).expanduser().resolve()
    base = get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return (Path(base).expanduser() / "crbot" / "master.key").resolve()


def _blank() -> SecretStr:
    return SecretStr("")


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretsConfig:
    store: str = "env"
    master_key: SecretStr = field(default_factory=_blank)
    master_key_file: Path = field(default_factory=default_key_file)
    aws_region: str = ""
    aws_endpoint_url: str = ""
    aws_secret_name: str = ""
    vault_addr: str = ""
    vault_token: SecretStr = field(default_factory=_blank)
    vault_role_id: str = field(default="", repr=False)  # half of an AppRole login: not for logs either
    vault_secret_id: SecretStr = field(default_factory=_blank)
    vault_path: str = DEFAULT_VAULT_PATH
    aws_mt5_secret_name: str = ""  # the MT5 password's secret (CRBOT_BROKER=mt5), beside the Binance one
    vault_mt5_path: str = DEFAULT_VAULT_MT5_PATH

    @classmethod
    def from_env(cls, get: Callable[[str], str | None], mode: str) -> SecretsConfig:
        use_aws = (get("USE_AWS_SECRETS_MANAGER") or "").strip().lower()
        if use_aws not in _TRUE + _FALSE:
            raise ConfigError(f"USE_AWS_SECRETS_MANAGER={use_aws!r} is not true or false", hint="write true or false")
        store = (get("CRBOT_SECRET_STORE") or ("aws" if use_aws in _TRUE else "env")).strip().lower()
        if store not in STORES:
            raise ConfigError(f"CRBOT_SECRET_STORE={store!r} is not valid", hint=f"use one of: {', '.join(STORES)}")
        if use_aws in _TRUE and store != "aws":
            raise ConfigError(
                f"USE_AWS_SECRETS_MANAGER=true contradicts CRBOT_SECRET_STORE={store}", hint="keep only one of them"
            )
        return cls(
            store=store,
            master_key=SecretStr((get("CRBOT_MASTER_KEY") or "").strip()),
            master_key_file=default_key_file(get),
            aws_region=get("AWS_REGION") or get("AWS_DEFAULT_REGION") or "",
            aws_endpoint_url=get("CRBOT_AWS_ENDPOINT_URL") or "",
            aws_secret_name=get("CRBOT_AWS_SECRET_NAME") or f"crbot/binance/{mode}",
            vault_addr=(get("VAULT_ADDR") or "").rstrip("/"),
            vault_token=SecretStr(get("VAULT_TOKEN") or ""),
            vault_role_id=get("VAULT_ROLE_ID") or "",
            vault_secret_id=SecretStr(get("VAULT_SECRET_ID") or ""),
            vault_path=(get("CRBOT_VAULT_PATH") or DEFAULT_VAULT_PATH).strip("/"),
            aws_mt5_secret_name=get("CRBOT_AWS_MT5_SECRET_NAME") or f"crbot/mt5/{mode}",
            vault_mt5_path=(get("CRBOT_VAULT_MT5_PATH") or DEFAULT_VAULT_MT5_PATH).strip("/"),
        )

    @property
    def label(self) -> str:
        """Where the keys come from, for messages (never a secret)."""
        if self.store == "aws":
            return f"AWS Secrets Manager secret {self.aws_secret_name!r}"
        if self.store == "vault":
            return f"Vault {self.vault_addr or '(VAULT_ADDR unset)'} {self.vault_path!r}"
        return ".env / environment"

    @property
    def mt5_label(self) -> str:
        """Where the MT5 password comes from (CRBOT_BROKER=mt5), for messages (never a secret)."""
        if self.store == "aws":
            return f"AWS Secrets Manager secret {self.aws_mt5_secret_name!r}"
        if self.store == "vault":
            return f"Vault {self.vault_addr or '(VAULT_ADDR unset)'} {self.vault_mt5_path!r}"
        return ".env / environment"
