"""AWS Secrets Manager (moto's server, real boto3) and Vault KV v2 (OpenBao's dev server, real hvac): keys
read the same as from .env; every failure a clear error with its exit code; a rotated secret is picked
up after the exchange refuses the old key, without a restart."""

from __future__ import annotations

import time
from pathlib import Path

import hvac
import pytest

from crbot.binance.retry import RetryPolicy
from crbot.broker.binance import BinanceBroker
from crbot.config import Settings
from crbot.errors import AuthError
from crbot.secrets.errors import CorruptSecret, SecretError, SecretMissing, StoreAuthFailed, StoreUnreachable
from crbot.secrets.source import KeySource
from tests.conftest import make_env
from tests.secrets.conftest import KEY1, KEY2, SECRET1, SECRET2, Exchange, doc, unique
from tests.secrets.servers import ROOT_TOKEN, free_port, moto_server

POLICY = 'path "secret/data/crbot/*" { capabilities = ["read"] }'


def aws_settings(tmp_path: Path, endpoint: str, name: str, **extra: str) -> Settings:
    env = make_env(
        tmp_path / "home",
        CRBOT_MODE="testnet",
        USE_AWS_SECRETS_MANAGER="true",
        AWS_REGION="us-east-1",
        CRBOT_AWS_ENDPOINT_URL=endpoint,
        CRBOT_AWS_SECRET_NAME=name,
        **extra,
    )
    return Settings.load(env, dotenv=False)


def vault_settings(tmp_path: Path, addr: str, path: str, **extra: str) -> Settings:
    env = make_env(tmp_path / "home", CRBOT_MODE="testnet", CRBOT_SECRET_STORE="vault", VAULT_ADDR=addr, **extra)
    return Settings.load({**env, "CRBOT_VAULT_PATH": path}, dotenv=False)


def expect(error: type[SecretError], code: int, settings: Settings, *words: str) -> SecretError:
    with pytest.raises(error) as caught:
        KeySource(settings).current()
    assert caught.value.exit_code == code and caught.value.hint, caught.value
    for word in words:
        assert word in str(caught.value)
    return caught.value


# -- AWS Secrets Manager ------------------------------------------------------------------------------------


def test_aws_keys_are_read_from_awscurrent(tmp_path: Path, moto_url: str, sm) -> None:
    name = unique("crbot/binance/testnet")
    sm.create_secret(Name=name, SecretString=doc(KEY1, SECRET1))
    creds = KeySource(aws_settings(tmp_path, moto_url, name)).current()
    assert (creds.api_key, creds.api_secret) == (KEY1, SECRET1) and KEY1 not in repr(creds)


def test_the_default_aws_secret_name_is_per_mode(tmp_path: Path) -> None:
    env = make_env(tmp_path, CRBOT_MODE="live", USE_AWS_SECRETS_MANAGER="true", AWS_REGION="eu-west-1")
    assert Settings.load(env, dotenv=False).secrets.aws_secret_name == "crbot/binance/live"


def test_aws_errors_each_have_their_exit_code(tmp_path: Path, moto_url: str, sm) -> None:
    expect(SecretMissing, 8, aws_settings(tmp_path, moto_url, unique("absent")), "does not exist", "create-secret")
    broken = unique("broken")
    sm.create_secret(Name=broken, SecretString='{"api_key": "only-the-key"}')
    expect(CorruptSecret, 7, aws_settings(tmp_path, moto_url, broken), "api_secret")
    nobody = f"http://127.0.0.1:{free_port()}"
    expect(StoreUnreachable, 9, aws_settings(tmp_path, nobody, "x"), "did not answer")


def test_aws_refusing_our_credentials_is_exit_10(tmp_path: Path, aws_env: dict[str, str]) -> None:
    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as checking:  # moto now checks who asks
        error = expect(StoreAuthFailed, 10, aws_settings(tmp_path, checking, "crbot/binance/testnet"), "refused")
    assert "testing" not in str(error)  # not even the (fake) access key id


# -- Vault / OpenBao KV v2 -------------------------------------------------------------------------------------


def put(vault: hvac.Client, path: str, key: str, secret: str) -> None:
    vault.secrets.kv.v2.create_or_update_secret(
        path=path.removeprefix("secret/"), mount_point="secret", secret={"api_key": key, "api_secret": secret}
    )


def approle(vault: hvac.Client) -> tuple[str, str]:
    if "approle/" not in vault.sys.list_auth_methods():
        vault.sys.enable_auth_method("approle")
    vault.sys.create_or_update_policy(name="crbot-read", policy=POLICY)
    vault.auth.approle.create_or_update_approle(role_name="crbot", token_policies=["crbot-read"], token_ttl="5m")
    role_id = vault.auth.approle.read_role_id("crbot")["data"]["role_id"]
    return role_id, vault.auth.approle.generate_secret_id("crbot")["data"]["secret_id"]


def test_vault_keys_with_a_token_and_with_approle(tmp_path: Path, bao_url: str, vault: hvac.Client) -> None:
    path = unique("secret/crbot/binance")
    put(vault, path, KEY1, SECRET1)
    with_token = KeySource(vault_settings(tmp_path, bao_url, path, VAULT_TOKEN=ROOT_TOKEN)).current()
    role_id, secret_id = approle(vault)
    with_role = KeySource(vault_settings(tmp_path, bao_url, path, VAULT_ROLE_ID=role_id, VAULT_SECRET_ID=secret_id))
    assert with_token == with_role.current() and with_token.api_key == KEY1


def test_the_default_vault_path(tmp_path: Path) -> None:
    env = make_env(tmp_path, CRBOT_SECRET_STORE="vault")
    assert Settings.load(env, dotenv=False).secrets.vault_path == "secret/crbot/binance"


def test_an_expired_vault_token_is_exit_10(tmp_path: Path, bao_url: str, vault: hvac.Client) -> None:
    path = unique("secret/crbot/binance")
    put(vault, path, KEY1, SECRET1)
    vault.sys.create_or_update_policy(name="crbot-read", policy=POLICY)
    token = vault.auth.token.create(policies=["crbot-read"], ttl="1s", explicit_max_ttl="1s")["auth"]["client_token"]
    deadline = time.monotonic() + 30
    while hvac.Client(url=bao_url, token=token).is_authenticated():  # wait for the expiry, no fixed sleep
        assert time.monotonic() < deadline, "the token never expired"
        time.sleep(0.2)
    error = expect(StoreAuthFailed, 10, vault_settings(tmp_path, bao_url, path, VAULT_TOKEN=token), "expired")
    assert token not in str(error)


def test_vault_errors_each_have_their_exit_code(tmp_path: Path, bao_url: str, vault: hvac.Client) -> None:
    path = unique("secret/crbot/binance")
    put(vault, path, KEY1, SECRET1)
    expect(StoreAuthFailed, 10, vault_settings(tmp_path, bao_url, path, VAULT_TOKEN="not-a-token"))
    role_id, _ = approle(vault)
    bad_role = vault_settings(tmp_path, bao_url, path, VAULT_ROLE_ID=role_id, VAULT_SECRET_ID="wrong")
    expect(StoreAuthFailed, 10, bad_role, "AppRole")
    expect(SecretMissing, 8, vault_settings(tmp_path, bao_url, unique("secret/none"), VAULT_TOKEN=ROOT_TOKEN))
    expect(StoreAuthFailed, 10, vault_settings(tmp_path, bao_url, path), "VAULT_TOKEN")  # no credentials at all
    nobody = f"http://127.0.0.1:{free_port()}"
    expect(StoreUnreachable, 9, vault_settings(tmp_path, nobody, path, VAULT_TOKEN=ROOT_TOKEN), "did not answer")
    vault.secrets.kv.v2.create_or_update_secret(path=path.removeprefix("secret/"), secret={"key": "x"})
    expect(CorruptSecret, 7, vault_settings(tmp_path, bao_url, path, VAULT_TOKEN=ROOT_TOKEN), "api_key")


# -- a rotated secret, picked up without a restart -------------------------------------------------------------


def quick_broker(settings: Settings) -> BinanceBroker:
    return BinanceBroker(settings, timeout_s=2.0, retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05))


@pytest.mark.parametrize("store", ["aws", "vault"])
def test_a_rotated_secret_is_picked_up_after_an_auth_error(
    store: str, tmp_path: Path, exchange: Exchange, request: pytest.FixtureRequest
) -> None:
    if store == "aws":
        sm, name = request.getfixturevalue("sm"), unique("crbot/binance/testnet")
        sm.create_secret(Name=name, SecretString=doc(KEY1, SECRET1))
        settings = aws_settings(
            tmp_path, request.getfixturevalue("moto_url"), name, CRBOT_BINANCE_BASE_URL=exchange.url
        )
        rotate = lambda: sm.put_secret_value(SecretId=name, SecretString=doc(KEY2, SECRET2))  # noqa: E731 - AWSCURRENT moves
    else:
        vault, path = request.getfixturevalue("vault"), unique("secret/crbot/binance")
        put(vault, path, KEY1, SECRET1)
        url = request.getfixturevalue("bao_url")
        settings = vault_settings(tmp_path, url, path, VAULT_TOKEN=ROOT_TOKEN, CRBOT_BINANCE_BASE_URL=exchange.url)
        rotate = lambda: put(vault, path, KEY2, SECRET2)  # noqa: E731 - a new version
    broker = quick_broker(settings)
    assert broker.account().can_trade and exchange.refused == []

    exchange.rotate(KEY2, SECRET2)  # the old key is revoked on the exchange ...
    rotate()  # ... and the new one is in the store
    assert broker.account().can_trade  # same broker, no restart
    assert exchange.refused == ["/api/v3/account"]  # refused once, re-fetched, retried once

    exchange.rotate(KEY1, SECRET1)  # revoked again, but the store still holds KEY2: no loop
    with pytest.raises(AuthError):
        broker.account()
    assert exchange.refused.count("/api/v3/account") == 2
