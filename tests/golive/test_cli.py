"""``python -m crbot golive``: the checklist, exit 0 / 3, --json, lock and override (in-process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crbot.cli import main
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.golive.gate import OVERRIDE_SENTENCE
from crbot.golive.journals import ModeJournals


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("CRBOT_", "BINANCE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    for name, value in {"CRBOT_HOME": str(tmp_path / "home"), "CRBOT_ACTOR": "tester"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "home"


def test_fresh_install_exits_3_listing_every_item(home: Path, capsys) -> None:
    assert main(["golive"]) == 3
    out = capsys.readouterr().out
    assert out.startswith("Go-live checklist: 0 of 7 pass — live trading LOCKED")
    assert out.count("[FAIL]") == 7 and "fix: " in out
    assert main(["--json", "golive"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert (data["ok"], data["live_allowed"], len(data["items"])) == (False, False, 7)
    assert {i["key"] for i in data["items"]} == {
        "drill", "paper", "limits", "monitoring", "backups", "kill_switch", "capital"
    }  # fmt: skip


def test_lock_and_override_are_recorded_in_the_live_journal(home: Path, capsys) -> None:
    assert main(["golive", "lock", "--reason", "final"]) == 2
    assert "never saved" in capsys.readouterr().err
    settings = Settings.load()
    journals = ModeJournals(settings, SystemClock())
    live = journals.get(Mode.LIVE, create=True)
    live.save_risk_limits({"max_open_orders": "3"}, actor="cli:tester", reason="final")
    journals.close()
    assert main(["golive", "lock", "--reason", "final"]) == 0
    assert "locked" in capsys.readouterr().out
    assert main(["golive", "override", "--sentence", "ok", "--reason", "now"]) == 2
    assert "does not match" in capsys.readouterr().err
    assert main(["golive", "override", "--sentence", OVERRIDE_SENTENCE, "--reason", "small size"]) == 3
    out = capsys.readouterr().out
    assert "allowed by an OVERRIDE of cli:tester" in out and "[PASS] Risk limits saved and locked" in out
    assert main(["audit", "--kind", "golive", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in entries] == ["golive_override"]  # the audit command reads this mode's journal


def test_the_drill_is_refused_outside_testnet_and_demo(home: Path, capsys) -> None:
    assert main(["golive", "drill"]) == 2
    assert "testnet or demo" in capsys.readouterr().err
