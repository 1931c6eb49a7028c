"""A journal that goes missing or bad is noticed (issue 7, point 5).

A journal recreated where one existed before starts HALTED with a reason that says so; a damaged journal
or paper book, an unreadable .env, an unusable CRBOT_HOME or a missing database driver is one `error:`
line with exit 2; data files are the owner's only.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path

import pytest

from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.domain import Mode, OrderRequest, OrderType, Side, TradingState
from crbot.errors import ConfigError, Denied
from crbot.home import JOURNALS_FILE, open_journal, prepare_home
from crbot.journal import Journal
from crbot.market.feed import ManualFeed
from crbot.runtime import Runtime, build_runtime
from tests.conftest import make_env

ROOT = Path(__file__).resolve().parent.parent
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
RECREATED = "a new, empty journal was created where one existed before"
MARKET_BUY = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D("0.001"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def close(runtime: Runtime) -> None:
    runtime.journal.close()
    runtime.broker.engine.close()  # type: ignore[attr-defined]  # the paper broker's matching engine


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"  # not created yet: build_runtime creates it


@pytest.fixture
def make_runtime(home: Path, clock: ManualClock, feed: ManualFeed) -> Callable[..., Runtime]:
    def make(**extra: str) -> Runtime:
        return build_runtime(Settings.load(make_env(home, **extra), dotenv=False), clock=clock, feed=feed)

    return make


# ---- a journal recreated where one existed -------------------------------------------------------------
def test_journal_deleted_while_halted_comes_back_halted_and_denies_orders(make_runtime, home: Path) -> None:
    first = make_runtime()
    first.service.stop(reason="looks wrong", actor="tester")
    close(first)
    (home / "journal.db").unlink()

    again = make_runtime()
    state = again.service.trading_state()
    assert state.state is TradingState.HALTED and RECREATED in state.reason and state.actor == "crbot"
    assert "paper_exchange.db" in state.reason and JOURNALS_FILE in state.reason  # the evidence is named
    with pytest.raises(Denied, match=RECREATED):
        again.service.place(MARKET_BUY, actor="tester")
    # the operator confirms by resuming; the journal is no longer new, so it stays ACTIVE after a restart
    again.service.resume(confirmation="RESUME", actor="tester", reason="checked: nothing to restore")
    close(again)
    assert make_runtime().service.trading_state().state is TradingState.ACTIVE


def test_a_fresh_home_starts_active_and_records_its_journal(make_runtime, home: Path) -> None:
    first = make_runtime()
    assert first.service.trading_state().state is TradingState.ACTIVE
    close(first)
    assert (home / JOURNALS_FILE).read_text() == f"sqlite:///{(home / 'journal.db').resolve()}\n"
    assert make_runtime().service.trading_state().state is TradingState.ACTIVE  # recorded once, not new


@pytest.mark.parametrize("evidence", ["record", "fills cache", "paper book"])
def test_each_kind_of_evidence_halts_a_new_journal(tmp_path: Path, clock: ManualClock, evidence: str) -> None:
    settings = Settings.load(make_env(tmp_path), dotenv=False)
    journal_path = tmp_path / "journal.db"
    if evidence == "record":
        (tmp_path / JOURNALS_FILE).write_text(f"sqlite:///{journal_path.resolve()}\n")
    elif evidence == "fills cache":
        (tmp_path / "journal.db.fills.arrow").write_bytes(b"arrow")
    else:
        (tmp_path / "paper_exchange.db").write_bytes(b"SQLite format 3\x00")
    journal = open_journal(settings, clock)
    try:
        assert journal.trading_state().state is TradingState.HALTED
        assert RECREATED in journal.trading_state().reason
    finally:
        journal.close()


def test_another_mode_with_its_own_journal_is_not_halted_by_the_paper_book(tmp_path: Path, clock) -> None:
    (tmp_path / "paper_exchange.db").write_bytes(b"SQLite format 3\x00")
    env = make_env(tmp_path, CRBOT_MODE="testnet", CRBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'testnet.db'}")
    settings = Settings.load(env, dotenv=False)
    assert settings.mode is Mode.TESTNET
    journal = open_journal(settings, clock)
    try:
        assert journal.trading_state().state is TradingState.ACTIVE
    finally:
        journal.close()


def test_the_cli_refuses_a_market_order_on_a_recreated_journal(tmp_path: Path) -> None:
    assert crbot(tmp_path, "stop", "--reason", "looks wrong").code == 0
    (tmp_path / "home" / "journal.db").unlink()
    status = crbot(tmp_path, "status")
    assert status.code == 0 and "HALTED" in status.out and RECREATED in status.out
    market_buy = ("--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--type", "MARKET")
    order = crbot(tmp_path, "order", "create", *market_buy)
    assert order.code == 3 and "TRADING_HALTED" in order.err and RECREATED in order.err


# ---- clear errors instead of tracebacks ----------------------------------------------------------------
def _garbage_journal(tmp: Path) -> dict[str, str]:
    (tmp / "home").mkdir()
    (tmp / "home" / "journal.db").write_bytes(os.urandom(8192))
    return {}


def _truncated_journal(tmp: Path) -> dict[str, str]:
    path = tmp / "home" / "journal.db"
    Journal(f"sqlite:///{path}", ManualClock()).close()
    size = path.stat().st_size
    assert size > 8192  # many pages: half of them lost
    with path.open("r+b") as f:
        f.truncate(size // 2)
    return {}


def _garbage_paper_book(tmp: Path) -> dict[str, str]:
    (tmp / "home").mkdir()
    (tmp / "home" / "paper_exchange.db").write_bytes(b"not a database at all " * 400)
    return {}


def _binary_dotenv(tmp: Path) -> dict[str, str]:
    (tmp / ".env").write_bytes(b"\xff\xfe\x00\x89PNG\r\n\x1a\n" + os.urandom(256))
    return {}


def _home_under_a_file(tmp: Path) -> dict[str, str]:
    (tmp / "file").write_text("a regular file")
    return {"CRBOT_HOME": str(tmp / "file" / "sub")}  # no folder can be made here, not even by root


def _postgres_without_driver(tmp: Path) -> dict[str, str]:
    # psycopg2 is never installed here (CRBOT uses psycopg 3), so this driver is missing on every machine
    assert importlib.util.find_spec("psycopg2") is None
    return {"CRBOT_DATABASE_URL": "postgresql+psycopg2://u:p@127.0.0.1:1/db"}


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        (_garbage_journal, "journal"),
        (_truncated_journal, "journal"),
        (_garbage_paper_book, "paper exchange's book"),
        (_binary_dotenv, ".env is not a text file"),
        (_home_under_a_file, "cannot create CRBOT_HOME"),
        (_postgres_without_driver, "pip install 'psycopg2-binary'"),
    ],
    ids=["garbage journal", "truncated journal", "garbage paper book", "binary .env", "home under a file", "no driver"],
)
def test_bad_data_is_one_error_line_with_exit_2(tmp_path: Path, setup, says: str) -> None:
    result = crbot(tmp_path, "status", **setup(tmp_path))
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and result.err.startswith("error: ") and result.err.count("\n") == 1
    assert says in result.err


def test_an_unwritable_home_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "ro"
    home.mkdir(mode=0o500)
    real_access = os.access
    # CI runs as root, whom mode bits do not stop: ask the same question the way a normal user's process would
    monkeypatch.setattr("crbot.home.os.access", lambda p, mode: False if Path(p) == home else real_access(p, mode))
    with pytest.raises(ConfigError, match="is not writable"):
        prepare_home(home)


def test_a_home_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        prepare_home(tmp_path / "f")


# ---- files are the owner's only ------------------------------------------------------------------------
def test_data_files_are_private(make_runtime, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crbot.journal.fill_frames import FillFrameCache

    monkeypatch.setattr(FillFrameCache, "SNAPSHOT_EVERY", 1)  # write the fills cache on the first load
    runtime = make_runtime()
    runtime.service.place(MARKET_BUY, actor="tester")  # both databases written: their -wal/-shm exist
    assert mode(home) == 0o700
    for name in ("journal.db", "paper_exchange.db"):
        for suffix in ("", "-wal", "-shm"):
            assert mode(home / f"{name}{suffix}") == 0o600, f"{name}{suffix}"
    assert mode(home / JOURNALS_FILE) == 0o600
    assert mode(runtime.journal.backup(tmp_path / "backups" / "journal.db")) == 0o600
    runtime.service.fills_frame()  # writes the fills cache beside the journal
    assert mode(home / "journal.db.fills.arrow") == 0o600
    close(runtime)


def test_an_older_world_readable_journal_is_made_private(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "journal.db"
    Journal(f"sqlite:///{path}", clock).close()
    path.chmod(0o644)
    Journal(f"sqlite:///{path}", clock).close()
    assert mode(path) == 0o600


# ---- the CLI as its own process ------------------------------------------------------------------------
class Result:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code, self.out, self.err = proc.returncode, proc.stdout, proc.stderr


def crbot(cwd: Path, *args: str, **env: str) -> Result:
    """One command in a fresh process, cwd ``cwd`` (its .env, if any), home ``cwd/home`` unless given."""
    full = {
        **CLEAN_ENV,
        "CRBOT_HOME": str(cwd / "home"),
        "CRBOT_PRICE_FEED": "synthetic",
        "CRBOT_ACTOR": "tester",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    command = [sys.executable, "-m", "crbot", *args]
    return Result(subprocess.run(command, cwd=cwd, env=full, capture_output=True, text=True, timeout=120))
