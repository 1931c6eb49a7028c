"""The frame (app.py): routing plus the sidebar on every page: mode banner, price source, state, STOP."""

from __future__ import annotations

from tests.app.helpers import texts


def test_dashboard_renders_with_sidebar(app) -> None:
    at = app().run()
    assert not at.exception, at.exception
    sidebar = " ".join(str(m.value) for m in at.sidebar.markdown)
    assert "PAPER" in sidebar
    assert any("ACTIVE" in t for t in texts(at.sidebar, "success"))
    stop = at.sidebar.button(key="stop")
    assert stop.label == "STOP"
    assert at.title[0].value == "Balance"  # the default page


def test_second_run_still_draws_the_frame(app) -> None:
    """Regression guard for the AppTest/PagesManager bug: the second run must not skip app.py."""
    at = app().run()
    at.run()
    assert not at.exception
    assert at.sidebar.button(key="stop").label == "STOP"
    assert at.title[0].value == "Balance"


def test_no_resume_form_while_active(app) -> None:
    at = app().run()
    assert not [t for t in at.text_input if t.key == "resume_word"]


def test_stop_stays_on_screen_when_the_state_cannot_be_read(app, runtime, monkeypatch) -> None:
    def broken() -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(runtime.service, "trading_state", broken)
    at = app().run()
    assert not at.exception
    assert at.sidebar.button(key="stop").label == "STOP"
    assert any("Trading state unknown" in t for t in texts(at.sidebar, "error"))
