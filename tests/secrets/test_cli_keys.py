"""``python -m crbot keys set|show|rotate|check`` and ``live confirm``, run in-process in a temporary working
directory (its own .env) with the master key file in a temporary config directory."""

from __future__ import annotations

import io
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from crbot.cli import main
from crbot.clock import ManualClock
from crbot.domain import Commissions
from crbot.localexchange.server import LocalExchange
from crbot.market.feed import ManualFeed
from crbot.secrets import envfile, live
from crbot.secrets.masterkey import MasterKey
from tests.paper.test_engine_kit import paper_market
from tests.secrets.conftest import KEY1, SECRET1, Exchange

OTHER_LINES = "# my settings\nCRBOT_MODE=testnet\nexport CRBOT_SYMBOLS=BTCUSDT\n"


class Cwd:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = root / ".env"
        self.key_file = root / "config" / "crbot" / "master.key"

    def snapshot(self) -> tuple[bytes, bytes]:
        read = lambda p: p.read_bytes() if p.exists() else b""  # noqa: E731
        return read(self.env), read(self.key_file)


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cwd:
    for name in list(os.environ):
        if name.startswith(("CRBOT_", "BINANCE_", "AWS_", "VAULT_", "USE_AWS")):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(work / "config"))  # the default location, in a temp dir
    monkeypatch.setenv("CRBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CRBOT_PRICE_FEED", "synthetic")
    return Cwd(work)


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = ""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def keys_set(capsys, monkeypatch, key: str = KEY1, secret: str = SECRET1):
    return run(capsys, monkeypatch, "keys", "set", stdin=f"{key}\n{secret}\n")


def test_keys_set_encrypts_into_env_and_keeps_other_lines(cwd: Cwd, capsys, monkeypatch) -> None:
    cwd.env.write_text(OTHER_LINES + "BINANCE_API_KEY=old-plain\n")
    code, out, err = keys_set(capsys, monkeypatch)
    assert code == 0, err
    text = cwd.env.read_text()
    assert text.startswith(OTHER_LINES) and text.count("BINANCE_API_KEY=") == 1
    values = envfile.read(cwd.env)
    assert values["BINANCE_API_KEY"].startswith("enc:") and values["BINANCE_API_SECRET"].startswith("enc:")
    assert KEY1 not in text and SECRET1 not in text and KEY1 not in out + err and SECRET1 not in out + err
    assert (cwd.env.stat().st_mode & 0o777) == 0o600 and (cwd.key_file.stat().st_mode & 0o777) == 0o600
    assert f"Created a new master key at {cwd.key_file}" in err and "BACK IT UP" in err
    master = MasterKey((cwd.key_file.read_bytes().strip(),), "file")
    assert master.decrypt(values["BINANCE_API_SECRET"], name="s") == SECRET1


def test_keys_are_never_taken_as_arguments(cwd: Cwd, capsys, monkeypatch) -> None:
    code, _, err = run(capsys, monkeypatch, "keys", "set", KEY1, SECRET1)
    assert code == 2 and "takes no arguments (2 given, not shown)" in err and KEY1 not in err and SECRET1 not in err
    assert cwd.snapshot() == (b"", b"")


def test_an_empty_secret_writes_nothing(cwd: Cwd, capsys, monkeypatch) -> None:
    code, _, err = keys_set(capsys, monkeypatch, secret="")
    assert code == 2 and "BINANCE_API_SECRET is empty; nothing was written" in err
    assert cwd.snapshot() == (b"", b"")  # not even a master key


def test_keys_show_is_masked(cwd: Cwd, capsys, monkeypatch) -> None:
    keys_set(capsys, monkeypatch)
    code, out, err = run(capsys, monkeypatch, "keys", "show")
    assert code == 0, err
    assert f"{KEY1[:4]}…{KEY1[-4:]} (64 characters)" in out and "encrypted in .env" in out
    assert KEY1 not in out and SECRET1 not in out and SECRET1[:4] not in out


def test_keys_show_without_keys_is_exit_8(cwd: Cwd, capsys, monkeypatch) -> None:
    cwd.env.write_text(OTHER_LINES)
    code, _, err = run(capsys, monkeypatch, "keys", "show")
    assert code == 8 and "BINANCE_API_KEY" in err and "keys set" in err


def test_rotate_re_encrypts_and_the_old_key_opens_nothing(cwd: Cwd, capsys, monkeypatch) -> None:
    cwd.env.write_text(OTHER_LINES)
    keys_set(capsys, monkeypatch)
    old = MasterKey((cwd.key_file.read_bytes().strip(),), "old")
    before = envfile.read(cwd.env)
    code, out, err = run(capsys, monkeypatch, "keys", "rotate")
    assert code == 0, err
    after = envfile.read(cwd.env)
    assert cwd.env.read_text().startswith(OTHER_LINES)
    lines = cwd.key_file.read_bytes().split()
    assert len(lines) == 1 and lines[0] not in old.keys and (cwd.key_file.stat().st_mode & 0o777) == 0o600
    new = MasterKey((lines[0],), "new")
    assert new.decrypt(after["BINANCE_API_KEY"], name="k") == KEY1
    for name in ("BINANCE_API_KEY", "BINANCE_API_SECRET"):
        assert after[name] != before[name]
        with pytest.raises(Exception, match="another master key"):
            old.decrypt(after[name], name=name)
    assert not [p for p in cwd.key_file.parent.iterdir() if p != cwd.key_file]  # no leftover copy of the old key
    assert "removed from" in out and "BACK IT UP" in err
    assert run(capsys, monkeypatch, "keys", "show")[0] == 0  # still works


def test_rotate_with_a_damaged_value_changes_nothing(cwd: Cwd, capsys, monkeypatch) -> None:
    keys_set(capsys, monkeypatch)
    values = envfile.read(cwd.env)
    envfile.update(cwd.env, {"BINANCE_API_SECRET": values["BINANCE_API_SECRET"][:-30]})
    before = cwd.snapshot()
    code, _, err = run(capsys, monkeypatch, "keys", "rotate")
    assert code == 7 and "BINANCE_API_SECRET" in err and "keys set" in err
    assert cwd.snapshot() == before


def test_a_wrong_master_key_is_exit_6_and_changes_nothing(cwd: Cwd, capsys, monkeypatch) -> None:
    cwd.env.write_text(OTHER_LINES)
    keys_set(capsys, monkeypatch)
    cwd.key_file.write_bytes(Fernet.generate_key() + b"\n")  # e.g. a backup of another machine's key
    before = cwd.snapshot()
    for command in ("show", "rotate"):
        code, _, err = run(capsys, monkeypatch, "keys", command)
        assert code == 6 and "another master key" in err and "backup" in err
    assert cwd.snapshot() == before
    code, _, err = run(capsys, monkeypatch, "status")  # the connector cannot start either
    assert code == 6 and KEY1 not in err


def test_rotate_refuses_a_master_key_from_the_environment(cwd: Cwd, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CRBOT_MASTER_KEY", Fernet.generate_key().decode())
    keys_set(capsys, monkeypatch)
    assert not cwd.key_file.exists()
    before = cwd.snapshot()
    code, _, err = run(capsys, monkeypatch, "keys", "rotate")
    assert code == 6 and "CRBOT_MASTER_KEY" in err and cwd.snapshot() == before


def test_the_cli_warns_about_plain_text_keys(cwd: Cwd, capsys, monkeypatch) -> None:
    cwd.env.write_text(f"{OTHER_LINES}BINANCE_API_KEY={KEY1}\nBINANCE_API_SECRET={SECRET1}\n")
    code, _, err = run(capsys, monkeypatch, "status")
    assert code == 0 and "warning: BINANCE_API_KEY and BINANCE_API_SECRET are stored in plain text" in err
    assert "keys set" in err
    keys_set(capsys, monkeypatch)
    code, _, err = run(capsys, monkeypatch, "status")
    assert code == 0 and "plain text" not in err


def test_live_refuses_plain_text_and_waits_for_the_typed_confirmation(cwd: Cwd, capsys, monkeypatch) -> None:
    cwd.env.write_text(f"CRBOT_MODE=live\nBINANCE_API_KEY={KEY1}\nBINANCE_API_SECRET={SECRET1}\n")
    code, _, err = run(capsys, monkeypatch, "status")
    assert code == 3 and "refuses plain-text keys" in err
    code, _, err = run(capsys, monkeypatch, "live", "confirm", stdin=f"{live.SENTENCE}\n")
    assert code == 3 and "plain-text" in err  # confirming does not launder plain-text keys
    keys_set(capsys, monkeypatch)
    code, _, err = run(capsys, monkeypatch, "status")
    assert code == 3 and "live confirm" in err and live.SENTENCE in err
    code, _, err = run(capsys, monkeypatch, "live", "confirm", stdin="i trade real money\n")
    assert code == 2 and "nothing was recorded" in err
    assert run(capsys, monkeypatch, "status")[0] == 3
    code, out, err = run(capsys, monkeypatch, "live", "confirm", stdin=f"{live.SENTENCE}\n")
    assert code == 0 and "recorded in the audit trail" in out and "journal-live.db" in out
    code, out, err = run(capsys, monkeypatch, "--json", "status")
    assert code == 0, err
    code, out, _ = run(capsys, monkeypatch, "live", "confirm", stdin=f"{live.SENTENCE}\n")
    assert code == 0 and "already confirmed" in out


def unsafe_exchange(tmp_path: Path) -> Exchange:
    clock, feed = ManualClock(), ManualFeed({"BTCUSDT": Decimal("50000")})
    fees = Commissions(maker=Decimal("0.001"), taker=Decimal("0.001"))
    market = paper_market(tmp_path / "unsafe.db", clock=clock, feed=feed, fees=fees)
    server = LocalExchange.over(market, api_key=KEY1, api_secret=SECRET1, restrictions={"enableWithdrawals": True})
    return Exchange(url=server.start(), server=server, refused=[])


def test_keys_check_calls_the_account_and_runs_the_live_audit(
    cwd: Cwd, capsys, monkeypatch, exchange: Exchange, tmp_path: Path
) -> None:
    cwd.env.write_text(f"CRBOT_MODE=testnet\nCRBOT_BINANCE_BASE_URL={exchange.url}\n")
    keys_set(capsys, monkeypatch)
    code, out, err = run(capsys, monkeypatch, "keys", "check")
    assert code == 0, err
    assert "can_trade: True" in out and "key_audit: live only" in out and KEY1 not in out + err
    exchange.rotate(KEY1[::-1], SECRET1)  # the key was revoked on the exchange
    code, _, err = run(capsys, monkeypatch, "keys", "check")
    assert code == 4 and "Invalid API key" in err and KEY1 not in err

    unsafe = unsafe_exchange(tmp_path)
    try:
        cwd.env.write_text(f"CRBOT_MODE=live\nCRBOT_BINANCE_BASE_URL={unsafe.url}\n")
        keys_set(capsys, monkeypatch)
        code, _, err = run(capsys, monkeypatch, "keys", "check")
        assert code == 4 and "Untick 'Enable Withdrawals'" in err
    finally:
        unsafe.server.stop()


def test_keys_check_needs_an_exchange_mode(cwd: Cwd, capsys, monkeypatch) -> None:
    code, _, err = run(capsys, monkeypatch, "keys", "check")
    assert code == 2 and "paper mode uses no keys" in err


def test_stop_works_in_live_even_when_the_guard_rails_refuse(cwd: Cwd, capsys, monkeypatch, exchange: Exchange) -> None:
    cwd.env.write_text(
        f"CRBOT_MODE=live\nCRBOT_BINANCE_BASE_URL={exchange.url}\n"
        f"BINANCE_API_KEY={KEY1}\nBINANCE_API_SECRET={SECRET1}\n"  # plain text, never confirmed
    )
    assert run(capsys, monkeypatch, "balance")[0] == 3
    code, out, err = run(capsys, monkeypatch, "--json", "stop", "--reason", "guard test")
    assert code == 0, err
    assert '"trading_state": "HALTED"' in out or "HALTED" in out
    code, _, err = run(capsys, monkeypatch, "resume", "--confirm")
    assert code == 3 and "plain-text" in err  # resuming is trading again: the guard applies


def test_an_ed25519_private_key_can_be_the_secret(cwd: Cwd, capsys, monkeypatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    code, _, err = run(capsys, monkeypatch, "keys", "set", stdin=f"{KEY1}\n{pem}")
    assert code == 0, err
    values = envfile.read(cwd.env)
    master = MasterKey((cwd.key_file.read_bytes().strip(),), "file")
    assert master.decrypt(values["BINANCE_API_SECRET"], name="s") == pem.strip()
    assert "PRIVATE KEY" not in cwd.env.read_text()


def test_a_master_key_beside_the_values_is_warned_about(cwd: Cwd, capsys, monkeypatch) -> None:
    cwd.env.write_text(f"CRBOT_MASTER_KEY={Fernet.generate_key().decode()}\n")
    code, _, err = keys_set(capsys, monkeypatch)
    assert code == 0 and "warning: CRBOT_MASTER_KEY is in" in err and "beside the values" in err
    assert not cwd.key_file.exists()  # the key from .env was used, no file created
    assert "warning: CRBOT_MASTER_KEY" in run(capsys, monkeypatch, "keys", "show")[2]


def test_the_mt5_password_is_stored_encrypted_and_opened_for_the_connector(cwd: Cwd, capsys, monkeypatch) -> None:
    from crbot.config import Settings
    from crbot.secrets.source import plain_text_names, with_mt5_password

    cwd.env.write_text("CRBOT_BROKER=mt5\nCRBOT_MODE=demo\nMT5_LOGIN=1234\nMT5_PASSWORD=plain-pass\n")
    assert plain_text_names(Settings.load()) == ["MT5_PASSWORD"]
    code, out, err = run(capsys, monkeypatch, "keys", "set-mt5", stdin="Tr4ding-pa55!\n")
    assert code == 0, err
    assert "Tr4ding-pa55!" not in cwd.env.read_text() and "MT5_PASSWORD=enc:" in cwd.env.read_text()
    settings = Settings.load()
    assert plain_text_names(settings) == [] and settings.mt5_password.get().startswith("enc:")
    assert with_mt5_password(settings).mt5_password.get() == "Tr4ding-pa55!"
    assert "Tr4ding-pa55!" not in repr(with_mt5_password(settings)) + out + err
    code, out, err = run(capsys, monkeypatch, "keys", "show")
    assert code == 0 and "MT5_PASSWORD: ******** (13 characters)" in out and "encrypted in .env" in out, err


def test_a_key_typed_as_a_command_is_not_echoed(cwd: Cwd, capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, "keys", KEY1)
    assert code == 2 and "not shown" in err and KEY1[:6] not in out + err
    code, _, err = run(capsys, monkeypatch, "live", "set")
    assert code == 2 and "unknown live command set" in err
