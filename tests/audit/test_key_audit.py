"""Key changes are in the audit trail: ``keys set`` and ``keys rotate`` (key ids only, never a key)."""

from __future__ import annotations

from crbot.audit import trail
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.journal import Journal
from tests.secrets.conftest import KEY1, SECRET1
from tests.secrets.test_cli_keys import cwd, keys_set, run  # noqa: F401 (the keys CLI's fixture and helpers)


def test_keys_set_and_rotate_are_audited(cwd, capsys, monkeypatch) -> None:  # noqa: F811
    keys_set(capsys, monkeypatch)
    code, _, err = run(capsys, monkeypatch, "keys", "rotate")
    assert code == 0, err
    settings = Settings.load()
    journal = Journal(settings.database_url, SystemClock())
    try:
        entries = trail(journal, kinds={"key"})
    finally:
        journal.close()
    assert [e.action for e in entries] == ["master_key_rotate", "keys_set"]
    rotate = entries[0]
    assert rotate.before and rotate.after and rotate.before != rotate.after and rotate.origin == "cli"
    for entry in entries:
        assert KEY1 not in entry.detail and SECRET1 not in entry.detail
