"""The MetaTrader 5 password from AWS Secrets Manager (moto's server, real boto3) and Vault KV v2 (OpenBao's
dev server, real hvac): the MT5 broker built by build_runtime (CRBOT_BROKER=mt5) logs in to the stand-in of
the MetaTrader5 package with it; a missing / unreachable / refusing store is its exit code; live mode refuses a
plain-text MT5_PASSWORD and accepts a store-sourced one. The stand-in, not a real terminal, checks the login."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crbot.cli import main
from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.domain import TradingState
from crbot.errors import CrbotError
from crbot.market.feed import ManualFeed
from crbot.runtime import Runtime, build_runtime
from crbot.secrets.errors import LiveRefused, SecretError, SecretMissing, StoreAuthFailed, StoreUnreachable
from tests.conftest import PRICES, make_env
from tests.mt5 import constants as c
from tests.mt5.rig import install
from tests.mt5.standin import StandIn
from tests.secrets.conftest import unique
from tests.secrets.kit import confirm_live
from tests.secrets.servers import ROOT_TOKEN, free_port

PASSWORD = "St0re-Tr4ding-pa55!"  # what the stores hold; the stand-in accepts only this
LOGIN, SERVER = 7001234, "StandIn-Store"
SETTINGS_LOGIN, SETTINGS_SERVER = "5001234", "StandIn-Settings"


def base_env(home: Path, store: str, url: str, mode: str = "demo", **extra: str) -> dict[str, str]:
    env = make_env(home, CRBOT_MODE=mode, CRBOT_BROKER="mt5", MT5_LOGIN=SETTINGS_LOGIN, MT5_SERVER=SETTINGS_SERVER)
    if store == "aws":
        env |= {"USE_AWS_SECRETS_MANAGER": "true", "AWS_REGION": "us-east-1", "CRBOT_AWS_ENDPOINT_URL": url}
    elif store == "vault":
        env |= {"CRBOT_SECRET_STORE": "vault", "VAULT_ADDR": url, "VAULT_TOKEN": ROOT_TOKEN}
    return env | extra


def put(store: str, client, name: str, document: dict[str, object]) -> dict[str, str]:
    """Store ``document`` under ``name``; the settings that point at it."""
    if store == "aws":
        client.create_secret(Name=name, SecretString=json.dumps(document))
        return {"CRBOT_AWS_MT5_SECRET_NAME": name}
    client.secrets.kv.v2.create_or_update_secret(path=name, mount_point="secret", secret=document)
    return {"CRBOT_VAULT_MT5_PATH": f"secret/{name}"}


@pytest.fixture(params=["aws", "vault"])
def store(request: pytest.FixtureRequest) -> tuple[str, str, object]:
    """(store, its url, a client to write secrets) for each of the two stores."""
    if request.param == "aws":
        request.getfixturevalue("aws_env")
        return "aws", request.getfixturevalue("moto_url"), request.getfixturevalue("sm")
    return "vault", request.getfixturevalue("bao_url"), request.getfixturevalue("vault")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """The stand-in as the MetaTrader5 module, knowing only the store's account."""
    clock = ManualClock()
    return install(monkeypatch, clock, ManualFeed(PRICES), login=LOGIN, password=PASSWORD, server=SERVER)


@pytest.fixture
def built() -> Iterator[list[Runtime]]:
    runtimes: list[Runtime] = []
    yield runtimes
    for runtime in runtimes:
        runtime.journal.close()


def build(env: dict[str, str], runtimes: list[Runtime]) -> Runtime:
    runtime = build_runtime(Settings.load(env, dotenv=False), clock=ManualClock())
    runtimes.append(runtime)
    return runtime


def test_the_default_mt5_secret_names_mirror_the_binance_ones(tmp_path: Path) -> None:
    aws = Settings.load(base_env(tmp_path, "aws", "", mode="live"), dotenv=False).secrets
    vault = Settings.load(base_env(tmp_path, "vault", ""), dotenv=False).secrets
    assert (aws.aws_secret_name, aws.aws_mt5_secret_name) == ("crbot/binance/live", "crbot/mt5/live")
    assert (vault.vault_path, vault.vault_mt5_path) == ("secret/crbot/binance", "secret/crbot/mt5")


@pytest.mark.parametrize("with_account", [True, False], ids=["login-server-from-store", "password-only"])
def test_the_mt5_broker_logs_in_with_the_password_from_the_store(
    tmp_path: Path, store, terminal: StandIn, built, caplog: pytest.LogCaptureFixture, with_account: bool
) -> None:
    kind, url, client = store
    document: dict[str, object] = {"password": PASSWORD}
    if with_account:
        document |= {"login": str(LOGIN) if kind == "aws" else LOGIN, "server": SERVER}
    else:  # the settings' login / server are used as they are
        terminal.credentials = (int(SETTINGS_LOGIN), PASSWORD, SETTINGS_SERVER)
    names = put(kind, client, unique("crbot/mt5/demo"), document)
    caplog.set_level(logging.DEBUG)
    runtime = build(base_env(tmp_path / "home", kind, url, **names), built)  # no MT5_PASSWORD in the settings
    assert not terminal.connected  # building called no terminal
    account = runtime.broker.account()
    assert terminal.connected and account.balances
    assert PASSWORD not in caplog.text + repr(runtime.broker) + repr(runtime.settings)


def test_a_wrong_password_in_the_store_is_refused_by_the_terminal(tmp_path: Path, store, terminal, built) -> None:
    kind, url, client = store
    names = put(kind, client, unique("crbot/mt5/demo"), {"password": "not-it", "login": LOGIN, "server": SERVER})
    runtime = build(base_env(tmp_path / "home", kind, url, **names), built)
    with pytest.raises(CrbotError) as caught:
        runtime.broker.account()
    assert terminal.error[0] == c.RES_E_AUTH_FAILED and "not-it" not in str(caught.value) + caught.value.hint


def expect(error: type[SecretError], code: int, env: dict[str, str], *words: str) -> SecretError:
    runtime = build_runtime(Settings.load(env, dotenv=False), clock=ManualClock())  # opens nothing yet
    try:
        with pytest.raises(error) as caught:
            runtime.broker.account()  # the first terminal call opens the account
    finally:
        runtime.journal.close()
    assert caught.value.exit_code == code and caught.value.hint, caught.value
    for word in words:
        assert word in str(caught.value) + caught.value.hint
    return caught.value


def test_store_failures_have_their_exit_codes(tmp_path: Path, store, terminal) -> None:
    kind, url, _ = store
    setting = "CRBOT_AWS_MT5_SECRET_NAME" if kind == "aws" else "CRBOT_VAULT_MT5_PATH"
    absent = unique("crbot/mt5/absent")
    missing = {setting: absent if kind == "aws" else f"secret/{absent}"}
    expect(SecretMissing, 8, base_env(tmp_path / "a", kind, url, **missing), absent, setting, "password")
    nobody = f"http://127.0.0.1:{free_port()}"
    expect(StoreUnreachable, 9, base_env(tmp_path / "b", kind, nobody), "did not answer")
    if kind == "vault":  # a token the store refuses
        error = expect(StoreAuthFailed, 10, base_env(tmp_path / "c", kind, url, VAULT_TOKEN="not-a-token"), "refused")
        assert "not-a-token" not in str(error) + error.hint
    assert not terminal.connected


def test_stop_latches_halted_when_the_store_does_not_answer(tmp_path: Path, store, terminal, built) -> None:
    kind, _, _ = store
    runtime = build(base_env(tmp_path / "home", kind, f"http://127.0.0.1:{free_port()}"), built)
    report = runtime.service.stop(reason="store down", actor="tester")
    assert runtime.journal.trading_state().state is TradingState.HALTED  # latched before anything needs the store
    assert not report.ok and report.errors and not terminal.connected


def test_aws_refusing_our_credentials_is_exit_10(tmp_path: Path, aws_env: dict[str, str], terminal) -> None:
    from tests.secrets.servers import moto_server

    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as checking:  # moto now checks who asks
        expect(StoreAuthFailed, 10, base_env(tmp_path, "aws", checking), "refused")


# -- live mode -------------------------------------------------------------------------------------------------


def test_live_refuses_a_plain_text_mt5_password_and_accepts_one_from_the_store(
    tmp_path: Path, store, terminal: StandIn, built
) -> None:
    kind, url, client = store
    terminal.trade_mode = c.ACCOUNT_TRADE_MODE_REAL  # a real-money account: live for every guard rail
    names = put(kind, client, unique("crbot/mt5/live"), {"password": PASSWORD, "login": LOGIN, "server": SERVER})
    from_store = base_env(tmp_path / "home", kind, url, mode="live", **names)
    confirm_live(from_store)  # the typed confirmation, recorded on this home's live journal
    plain = base_env(tmp_path / "home", "env", "", mode="live", MT5_PASSWORD=PASSWORD)
    with pytest.raises(LiveRefused) as caught:  # confirmed, yet a plain-text password is still refused
        build(plain, built)
    assert caught.value.exit_code == 3 and "MT5_PASSWORD" in str(caught.value) and "plain-text" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    runtime = build(from_store, built)
    assert runtime.broker.account().balances and terminal.connected


# -- keys show / keys check --------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads os.environ and ./.env: a clean environment and an empty working directory."""
    for name in list(os.environ):
        if name.startswith(("CRBOT_", "BINANCE_", "MT5_", "VAULT_", "USE_AWS")):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(work / "config"))
    yield


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_keys_show_and_check_say_where_the_mt5_password_comes_from(
    tmp_path: Path, store, terminal: StandIn, cli_env, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind, url, client = store
    name = unique("crbot/mt5/demo")
    names = put(kind, client, name, {"password": PASSWORD, "login": LOGIN, "server": SERVER})
    for key, value in base_env(tmp_path / "home", kind, url, **names).items():
        monkeypatch.setenv(key, value)
    code, out = run(capsys, "--json", "keys", "show")
    assert code == 0, out
    shown = json.loads(out)
    assert name in shown["source"] and ("AWS" if kind == "aws" else "Vault") in shown["source"]
    assert shown["MT5_PASSWORD"] == f"******** ({len(PASSWORD)} characters)" and shown["MT5_LOGIN"] == LOGIN
    code, out = run(capsys, "--json", "keys", "check")
    assert code == 0, out
    checked = json.loads(out)
    assert name in checked["source"] and checked["login"] == LOGIN and checked["server"] == SERVER
    assert PASSWORD not in out
    monkeypatch.setenv(
        "CRBOT_AWS_MT5_SECRET_NAME" if kind == "aws" else "CRBOT_VAULT_MT5_PATH", f"secret/{unique('absent')}"
    )
    assert run(capsys, "keys", "show")[0] == 8
