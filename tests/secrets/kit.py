"""Live mode for tests that run the CLI in live mode: encrypted keys under a test master key, and the
typed confirmation recorded in the home's live journal, exactly as `keys set` and `live confirm` leave them."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.home import open_journal, prepare_home
from crbot.secrets import live
from crbot.secrets.masterkey import MasterKey

MASTER_KEY = Fernet.generate_key().decode()  # one per test process; never written anywhere


def encrypted_keys(key: str, secret: str, master: str = MASTER_KEY) -> dict[str, str]:
    mk = MasterKey((master.encode(),), "CRBOT_MASTER_KEY")
    return {
        "CRBOT_MASTER_KEY": master,
        "BINANCE_API_KEY": mk.encrypt(key),
        "BINANCE_API_SECRET": mk.encrypt(secret),
    }


def confirm_live(env: dict[str, str]) -> None:
    """Record the live confirmation in the journal ``env`` (CRBOT_HOME, CRBOT_DATABASE_URL) points at."""
    settings = Settings.load({**env, "CRBOT_MODE": "live"}, dotenv=False)
    prepare_home(settings.home)
    journal = open_journal(settings, SystemClock())
    try:
        if not live.confirmed(journal):
            live.confirm(settings, journal, live.SENTENCE, actor="tests")
    finally:
        journal.close()


def live_env(env: dict[str, str], key: str, secret: str) -> dict[str, str]:
    """``env`` for a live-mode CLI process: encrypted keys, and live confirmed on its journal."""
    env = {**env, **encrypted_keys(key, secret)}
    confirm_live(env)
    from tests.golive.kit import allow_live

    allow_live(env)  # these tests trade live without walking the go-live checklist: its override, recorded
    return env


def home_of(env: dict[str, str]) -> Path:
    return Path(env["CRBOT_HOME"])
