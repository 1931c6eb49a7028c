"""The two remote secret stores: AWS Secrets Manager (boto3) and HashiCorp Vault / OpenBao KV v2 (hvac).

Both hold one JSON document ``{"api_key": ..., "api_secret": ...}``; with CRBOT_BROKER=mt5 a second one,
``{"password": ..., "login": ..., "server": ...}`` (login and server optional), read the same way. Every library
failure is translated here into a SecretError that names the fix; no message ever carries the secret or a token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from crbot.secrets.errors import CorruptSecret, SecretMissing, StoreAuthFailed, StoreUnreachable
from crbot.secrets.settings import SecretsConfig

TIMEOUT_S = 5.0
FIELDS = ("api_key", "api_secret")
_AWS_AUTH = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "AccessDeniedException",
    "AccessDenied",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
}


@dataclass(frozen=True, slots=True)
class _Kind:
    """What one secret holds, for the hints: the Binance keys, or the MT5 account (CRBOT_BROKER=mt5)."""

    example: str  # the JSON document to store
    kv: str  # the same as `bao kv put` arguments
    aws_setting: str
    vault_setting: str


BINANCE = _Kind('{"api_key":"...","api_secret":"..."}', "api_key=... api_secret=...", "CRBOT_AWS_SECRET_NAME",
                "CRBOT_VAULT_PATH")  # fmt: skip
MT5 = _Kind('{"password":"...","login":"...","server":"..."}', "password=... [login=... server=...]",
            "CRBOT_AWS_MT5_SECRET_NAME", "CRBOT_VAULT_MT5_PATH")  # fmt: skip


@dataclass(frozen=True, slots=True)
class MT5Account:
    """The MT5 secret: the password, and login / server only when the store has them (else the settings')."""

    password: str = field(repr=False)
    login: int | None = None
    server: str | None = None

    def __repr__(self) -> str:
        return f"MT5Account(password='****', login={self.login!r}, server={self.server!r})"


def _mapping(document: Any, where: str, kind: _Kind) -> Mapping[str, Any]:
    hint = f"store {kind.example} in {where}"
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            raise CorruptSecret(f"{where} is not a JSON document", hint=hint) from None
    if not isinstance(document, Mapping):
        raise CorruptSecret(f"{where} is not a JSON object", hint=hint)
    return document


def parse_mt5(document: Any, where: str) -> MT5Account:
    """``{"password", "login"?, "server"?}`` -> MT5Account; a present but unusable login / server is corrupt."""
    document, hint = _mapping(document, where, MT5), f"store {MT5.example} in {where}"
    password, login, server = document.get("password"), document.get("login"), document.get("server")
    if not (isinstance(password, str) and password.strip()):
        raise CorruptSecret(f"{where} has no usable password", hint=hint)
    if login not in (None, ""):
        text = str(login).strip()
        if isinstance(login, bool) or not text.isdigit():
            raise CorruptSecret(f"{where} has a login that is not an account number", hint=hint)
        login = int(text)
    if server not in (None, "") and not isinstance(server, str):
        raise CorruptSecret(f"{where} has a server that is not a name", hint=hint)
    return MT5Account(password.strip(), login or None, (server or "").strip() or None)


def parse(document: Any, where: str) -> tuple[str, str]:
    """``{"api_key", "api_secret"}`` (a JSON string or a mapping) -> (key, secret)."""
    hint = f'store {{"api_key": "...", "api_secret": "..."}} in {where}'
    document = _mapping(document, where, BINANCE)
    values = [document.get(f) for f in FIELDS]
    if not all(isinstance(v, str) and v.strip() for v in values):
        missing = ", ".join(f for f, v in zip(FIELDS, values, strict=True) if not (isinstance(v, str) and v.strip()))
        raise CorruptSecret(f"{where} has no usable {missing}", hint=hint)
    return values[0].strip(), values[1].strip()  # type: ignore[union-attr]


# -- AWS Secrets Manager -------------------------------------------------------------------------------


def aws_client(config: SecretsConfig) -> Any:
    import boto3
    from botocore.config import Config

    if not config.aws_region:
        from crbot.errors import ConfigError

        raise ConfigError(
            "AWS_REGION is not set (USE_AWS_SECRETS_MANAGER=true needs it)", hint="e.g. AWS_REGION=eu-west-1"
        )
    options = Config(connect_timeout=TIMEOUT_S, read_timeout=TIMEOUT_S, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client(
        "secretsmanager", region_name=config.aws_region, endpoint_url=config.aws_endpoint_url or None, config=options
    )


def aws_fetch(config: SecretsConfig, client: Any = None) -> tuple[str, str]:
    where = f"AWS Secrets Manager secret {config.aws_secret_name!r}"
    return parse(_aws_read(config, config.aws_secret_name, BINANCE, client), where)


def aws_fetch_mt5(config: SecretsConfig, client: Any = None) -> MT5Account:
    where = f"AWS Secrets Manager secret {config.aws_mt5_secret_name!r}"
    return parse_mt5(_aws_read(config, config.aws_mt5_secret_name, MT5, client), where)


def _aws_read(config: SecretsConfig, name: str, kind: _Kind, client: Any = None) -> str:
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    where = f"AWS Secrets Manager secret {name!r}"
    try:
        client = client or aws_client(config)
        answer = client.get_secret_value(SecretId=name)  # AWSCURRENT
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise SecretMissing(
                f"{where} does not exist in {config.aws_region}",
                hint=f"create it: aws secretsmanager create-secret --name {name} "
                f"--secret-string '{kind.example}' (or set {kind.aws_setting})",
            ) from None
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _AWS_AUTH or status in (401, 403):
            raise StoreAuthFailed(
                f"AWS refused CRBOT's credentials for {where} ({code})",
                hint="renew the AWS credentials (AWS_PROFILE / role / keys) and allow secretsmanager:GetSecretValue",
            ) from None
        raise StoreUnreachable(
            f"AWS Secrets Manager failed for {where} ({code})", hint="retry; check AWS status"
        ) from None
    except NoCredentialsError:
        raise StoreAuthFailed(
            f"no AWS credentials to read {where}", hint="configure them (AWS_PROFILE, an instance role, or keys)"
        ) from None
    except EndpointConnectionError:
        raise StoreUnreachable(
            f"AWS Secrets Manager at {config.aws_endpoint_url or config.aws_region} did not answer",
            hint="check the network, AWS_REGION and CRBOT_AWS_ENDPOINT_URL, then retry",
        ) from None
    except BotoCoreError as exc:
        raise StoreUnreachable(
            f"AWS Secrets Manager failed: {type(exc).__name__}", hint="retry; check the network"
        ) from None
    return str(answer.get("SecretString") or "")


# -- HashiCorp Vault / OpenBao KV v2 -----------------------------------------------------------------------


def vault_client(config: SecretsConfig, *, path: str = "") -> Any:
    """An authenticated hvac client: VAULT_TOKEN, or an AppRole login (VAULT_ROLE_ID + VAULT_SECRET_ID)."""
    import hvac

    if not config.vault_addr:
        from crbot.errors import ConfigError

        raise ConfigError("VAULT_ADDR is not set (CRBOT_SECRET_STORE=vault needs it)", hint="e.g. https://vault:8200")
    client = hvac.Client(url=config.vault_addr, timeout=TIMEOUT_S)
    with _vault_errors(config, "the AppRole login" if config.vault_role_id else "the token", path=path):
        if config.vault_role_id:
            client.auth.approle.login(role_id=config.vault_role_id, secret_id=config.vault_secret_id.get())
        elif config.vault_token:
            client.token = config.vault_token.get()
        else:
            raise StoreAuthFailed(
                "no Vault credentials", hint="set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole"
            )
    return client


def vault_fetch(config: SecretsConfig, client: Any = None) -> tuple[str, str]:
    where = f"Vault secret {config.vault_path!r} at {config.vault_addr}"
    return parse(_vault_read(config, config.vault_path, BINANCE, client), where)


def vault_fetch_mt5(config: SecretsConfig, client: Any = None) -> MT5Account:
    where = f"Vault secret {config.vault_mt5_path!r} at {config.vault_addr}"
    return parse_mt5(_vault_read(config, config.vault_mt5_path, MT5, client), where)


def _vault_read(config: SecretsConfig, full_path: str, kind: _Kind, client: Any = None) -> Any:
    mount, _, path = full_path.partition("/")
    where = f"Vault secret {full_path!r} at {config.vault_addr}"
    client = client or vault_client(config, path=full_path)
    with _vault_errors(config, where, path=full_path, kind=kind):
        answer = client.secrets.kv.v2.read_secret_version(path=path, mount_point=mount, raise_on_deleted_version=True)
    return (answer or {}).get("data", {}).get("data")


@contextmanager
def _vault_errors(config: SecretsConfig, what: str, *, path: str = "", kind: _Kind = BINANCE) -> Iterator[None]:
    """hvac / requests failures -> SecretError subclasses (never the token in the message)."""
    import requests
    from hvac import exceptions as hv

    addr, path = config.vault_addr, path or config.vault_path
    try:
        yield
    except hv.InvalidPath:
        raise SecretMissing(
            f"{what}: nothing stored at {path!r}",
            hint=f"write it: bao kv put {path} {kind.kv} (or set {kind.vault_setting})",
        ) from None
    except (hv.Forbidden, hv.Unauthorized, hv.InvalidRequest):
        raise StoreAuthFailed(
            f"Vault at {addr} refused {what}: the token is expired or invalid, or lacks read on {path!r}",
            hint="issue a new VAULT_TOKEN (or a new AppRole VAULT_SECRET_ID) with a policy that reads the path",
        ) from None
    except (hv.VaultDown, hv.InternalServerError, hv.BadGateway) as exc:
        raise StoreUnreachable(
            f"Vault at {addr} is sealed or failing ({type(exc).__name__})", hint="unseal it, then retry"
        ) from None
    except requests.RequestException as exc:
        raise StoreUnreachable(
            f"Vault at {addr} did not answer ({type(exc).__name__})",
            hint="check VAULT_ADDR and the network, then retry",
        ) from None
    except hv.VaultError as exc:
        raise StoreUnreachable(
            f"Vault at {addr} failed: {type(exc).__name__}", hint="retry; check Vault's log"
        ) from None
