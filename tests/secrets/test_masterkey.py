"""The Fernet layer: round trip, the key file (0600, outside a repository, created once), and every way a
value can fail to open, each its own error and exit code."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from crbot.config import Settings
from crbot.secrets import masterkey
from crbot.secrets.errors import CorruptSecret, MasterKeyError
from crbot.secrets.masterkey import MasterKey
from crbot.secrets.settings import SecretsConfig, default_key_file
from tests.conftest import make_env

KEY = "Fa7tS0kLm3NpQr5TuVw8XyZ1aB2cD4eF6gH9iJ0kL2mN4oP6qR8sT0uV2wX4yZ6a"


def config(tmp_path: Path, **env: str) -> SecretsConfig:
    return SecretsConfig.from_env(
        {"CRBOT_MASTER_KEY_FILE": str(tmp_path / "keys" / "master.key"), **env}.get, "testnet"
    )


def test_round_trip_and_the_value_format(tmp_path: Path) -> None:
    master, created = masterkey.load(config(tmp_path), create=True)
    value = master.encrypt(KEY)
    assert created and value.startswith(f"enc:{master.ids[0]}:gAAAAA") and KEY not in value
    assert master.decrypt(value, name="BINANCE_API_KEY") == KEY
    assert master.encrypt(KEY) != value  # a fresh IV every time
    assert "gAAAA" not in repr(master) and master.keys[0].decode() not in repr(master)


def test_the_key_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    first, created = masterkey.load(cfg, create=True)
    path = cfg.master_key_file
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again, created_again = masterkey.load(cfg, create=True)
    assert not created_again and again.keys == first.keys


def test_the_default_key_file_is_in_the_users_config_directory(tmp_path: Path) -> None:
    assert default_key_file({"XDG_CONFIG_HOME": str(tmp_path)}.get) == tmp_path / "crbot" / "master.key"
    assert default_key_file({}.get) == Path.home().resolve() / ".config" / "crbot" / "master.key"
    assert default_key_file({"CRBOT_MASTER_KEY_FILE": str(tmp_path / "k")}.get) == tmp_path / "k"


def test_reading_never_creates_a_key(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    with pytest.raises(MasterKeyError, match="does not exist") as missing:
        masterkey.load(cfg)
    assert missing.value.exit_code == 6 and "backup" in str(missing.value)
    assert not cfg.master_key_file.exists()


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    masterkey.load(cfg, create=True)
    cfg.master_key_file.chmod(0o644)
    with pytest.raises(MasterKeyError, match="readable by others") as loose:
        masterkey.load(cfg)
    assert "chmod 600" in str(loose.value)


def test_a_key_file_inside_a_git_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    cfg = SecretsConfig.from_env({"CRBOT_MASTER_KEY_FILE": str(tmp_path / "repo" / "conf" / "master.key")}.get, "live")
    with pytest.raises(MasterKeyError, match="inside the git repository"):
        masterkey.load(cfg, create=True)
    assert not (tmp_path / "repo" / "conf").exists()


def test_the_master_key_from_the_environment(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    master, created = masterkey.load(config(tmp_path, CRBOT_MASTER_KEY=key), create=True)
    assert not created and master.source == "CRBOT_MASTER_KEY" and not (tmp_path / "keys").exists()
    with pytest.raises(MasterKeyError, match="not a Fernet key"):
        masterkey.load(config(tmp_path, CRBOT_MASTER_KEY="not-a-key"))


def test_a_wrong_master_key_is_exit_6_and_names_the_fix() -> None:
    value = MasterKey((Fernet.generate_key(),), "a").encrypt(KEY)
    with pytest.raises(MasterKeyError, match="another master key") as wrong:
        MasterKey((Fernet.generate_key(),), "b").decrypt(value, name="BINANCE_API_KEY")
    assert wrong.value.exit_code == 6 and "restore the master key from your backup" in str(wrong.value)
    assert KEY not in str(wrong.value)


@pytest.mark.parametrize(
    "damage",
    [
        lambda v: v[:-20],  # cut
        lambda v: v[:30] + ("A" if v[30] != "A" else "B") + v[31:],  # one character changed
        lambda v: v.replace("gAAAAA", "gAAAA*"),  # not base64
        lambda v: "enc:" + v.split(":", 2)[2],  # the key id lost
    ],
)
def test_corrupted_ciphertext_is_exit_7(damage) -> None:
    master = MasterKey((Fernet.generate_key(),), "test")
    bad = damage(master.encrypt(KEY))
    with pytest.raises(CorruptSecret) as corrupt:
        master.decrypt(bad, name="BINANCE_API_KEY")
    assert corrupt.value.exit_code == 7 and "keys set" in str(corrupt.value) and KEY not in str(corrupt.value)


def test_a_tampered_token_under_our_key_id_is_corrupt_not_a_wrong_key() -> None:
    master = MasterKey((Fernet.generate_key(),), "test")
    kid, token = master.encrypt(KEY).removeprefix("enc:").split(":")
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-1] ^= 1  # the HMAC no longer verifies
    with pytest.raises(CorruptSecret, match="does not verify"):
        master.decrypt(f"enc:{kid}:{base64.urlsafe_b64encode(bytes(raw)).decode()}", name="X")


def test_reencrypt_moves_a_value_to_the_new_key_only() -> None:
    old, new = MasterKey((Fernet.generate_key(),), "old"), MasterKey((Fernet.generate_key(),), "new")
    rotated = old.reencrypt(old.encrypt(KEY), name="X", new=new)
    assert new.decrypt(rotated, name="X") == KEY
    with pytest.raises(MasterKeyError):
        old.decrypt(rotated, name="X")


def test_settings_hold_enc_values_unopened(tmp_path: Path) -> None:
    master = MasterKey((Fernet.generate_key(),), "test")
    env = make_env(tmp_path, CRBOT_MODE="testnet", BINANCE_API_KEY=master.encrypt(KEY))
    settings = Settings.load(env, dotenv=False)  # no master key anywhere: loading must not need it
    assert settings.api_key.get().startswith("enc:") and KEY not in repr(settings)


def test_paper_mode_never_loads_the_keys(tmp_path: Path) -> None:
    from crbot.runtime import build_runtime

    master = MasterKey((Fernet.generate_key(),), "test")
    env = make_env(tmp_path, BINANCE_API_KEY=master.encrypt(KEY), BINANCE_API_SECRET=master.encrypt(KEY))
    env["CRBOT_MASTER_KEY_FILE"] = str(tmp_path / "nowhere" / "master.key")  # no key: opening would fail
    runtime = build_runtime(Settings.load(env, dotenv=False))
    try:
        assert runtime.broker.name.startswith("paper")
    finally:
        runtime.journal.close()
    assert not (tmp_path / "nowhere").exists()
