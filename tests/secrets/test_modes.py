"""One journal per mode, so paper results never mix with real money; the lost-journal check still works
for each of them."""

from __future__ import annotations

from pathlib import Path

from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.domain import TradingState
from crbot.home import open_journal, prepare_home
from tests.conftest import make_env


def settings(home: Path, mode: str, **extra: str) -> Settings:
    return Settings.load(make_env(home, CRBOT_MODE=mode, **extra), dotenv=False)


def test_each_mode_has_its_own_journal_and_paper_keeps_journal_db(tmp_path: Path) -> None:
    urls = {mode: settings(tmp_path, mode).database_url for mode in ("paper", "testnet", "demo", "live")}
    assert urls["paper"] == f"sqlite:///{tmp_path / 'journal.db'}"  # existing users keep their data
    assert urls["testnet"].endswith("/journal-testnet.db") and urls["demo"].endswith("/journal-demo.db")
    assert urls["live"].endswith("/journal-live.db") and len(set(urls.values())) == 4
    shared = "sqlite:////srv/crbot/one.db"
    assert settings(tmp_path, "live", CRBOT_DATABASE_URL=shared).database_url == shared  # explicit wins


def test_paper_history_does_not_halt_a_new_testnet_journal(tmp_path: Path) -> None:
    paper = settings(tmp_path, "paper")
    prepare_home(paper.home)
    open_journal(paper, ManualClock()).close()
    (tmp_path / "paper_exchange.db").write_bytes(b"a paper book")
    testnet = open_journal(settings(tmp_path, "testnet"), ManualClock())
    try:
        assert testnet.trading_state().state is TradingState.ACTIVE  # a first start, not a lost journal
    finally:
        testnet.close()


def test_a_lost_testnet_journal_is_still_noticed(tmp_path: Path) -> None:
    testnet = settings(tmp_path, "testnet")
    prepare_home(testnet.home)
    open_journal(testnet, ManualClock()).close()
    assert "journal-testnet.db" in (tmp_path / ".journals").read_text()
    (tmp_path / "journal-testnet.db").unlink()
    again = open_journal(testnet, ManualClock())
    try:
        record = again.trading_state()
        assert record.state is TradingState.HALTED and ".journals records it" in record.reason
    finally:
        again.close()
