"""AppTest of the Go-live page: the checklist with its evidence, Back up now, lock and override."""

from __future__ import annotations

from tests.app.helpers import texts


def _item_texts(at, key: str) -> str:
    return " ".join(str(m.value) for m in at.get("markdown") if m.value) + " " + key


def test_fresh_install_shows_every_item_open_then_a_backup_turns_one_green(page, app_runtime) -> None:
    at = page("golive").run()
    assert not at.exception
    errors = texts(at, "error")
    assert any("0 of 7 items pass" in e and "LOCKED" in e for e in errors), errors
    body = " ".join(texts(at, "markdown"))
    for title in ("Testnet / demo verified", "Paper trading", "Risk limits saved and locked", "Monitoring", "Backups"):
        assert title in body
    assert "no backup yet" in body
    assert any("No backup yet" in i for i in texts(at, "info"))

    at.button(key="golive_backup_now").click().run()
    assert not at.exception
    assert any("restore verified" in s for s in texts(at, "success"))
    body = " ".join(texts(at, "markdown"))
    assert "1 of 7 items pass" in " ".join(texts(at, "error"))
    assert "PASS" in body and "restore verified" in body
    assert at.dataframe[0].value["Restore verified"].tolist() == ["yes"]
    assert any(e.action == "backup_create" and "(dashboard)" in e.actor for e in app_runtime.journal.audit_events())


def test_lock_needs_saved_limits_and_the_override_needs_the_sentence(page, app_runtime) -> None:
    from crbot.golive.gate import OVERRIDE_SENTENCE

    at = page("golive").run()
    at.text_input(key="golive_lock_reason").input("final")
    at.button(key="golive_lock_submit").click().run()
    assert any("never saved" in e for e in texts(at, "error"))

    at.text_input(key="golive_override_sentence").input("I accept")
    at.text_input(key="golive_override_reason").input("trying")
    at.button(key="golive_override_submit").click().run()
    assert any("does not match" in e for e in texts(at, "error"))
    assert not [e for e in app_runtime.journal.audit_events() if e.action == "golive_override"]

    at.text_input(key="golive_override_sentence").input(OVERRIDE_SENTENCE)
    at.button(key="golive_override_submit").click().run()
    assert not at.exception
    assert any("OVERRIDE" in w for w in texts(at, "warning")), texts(at, "warning")
