"""Resuming trading asks for the dashboard password again when one is set; STOP never does (AppTest)."""

from __future__ import annotations

from pathlib import Path

from crbot.access.passwords import PROFILES, PasswordStore
from crbot.domain import TradingState
from tests.app.conftest import app, crbot_home, page, runtime  # noqa: F401  (fixtures)
from tests.app.helpers import texts

PASSWORD = "resume needs this one"


def _halted_app(app, runtime, crbot_home: Path):  # noqa: F811
    PasswordStore(crbot_home).set(PASSWORD, PROFILES["cheap"])
    runtime.service.stop(reason="test", actor="tester")
    at = app().run()
    at.text_input(key="resume_word").input("RESUME")
    at.text_input(key="resume_reason").input("checked the market")
    return at


def test_resume_asks_the_password_again(app, runtime, crbot_home: Path) -> None:  # noqa: F811
    at = _halted_app(app, runtime, crbot_home)
    at.text_input(key="resume_password").input("not the password")
    at.button(key="resume_submit").click().run()
    assert not at.exception
    assert runtime.service.trading_state().state is TradingState.HALTED
    assert any("Wrong dashboard password" in t for t in texts(at.sidebar, "error"))

    at.text_input(key="resume_word").input("RESUME")
    at.text_input(key="resume_password").input(PASSWORD)
    at.button(key="resume_submit").click().run()
    assert not at.exception
    assert runtime.service.trading_state().state is TradingState.ACTIVE
    assert all(PASSWORD not in str(v) for v in at.session_state.to_dict().values())
    actions = [e.action for e in runtime.journal.audit_events()]
    assert "dashboard_resume_failed" in actions and "dashboard_resume_confirmed" in actions


def test_resume_without_the_password_field_stays_halted(app, runtime, crbot_home: Path) -> None:  # noqa: F811
    at = _halted_app(app, runtime, crbot_home)
    at.button(key="resume_submit").click().run()  # password left empty
    assert runtime.service.trading_state().state is TradingState.HALTED


def test_stop_never_asks_for_the_password(app, runtime, crbot_home: Path) -> None:  # noqa: F811
    PasswordStore(crbot_home).set(PASSWORD, PROFILES["cheap"])
    at = app().run()
    at.sidebar.button(key="stop").click().run()
    at.text_input(key="stop_reason").input("test: no password asked")
    at.button(key="stop_confirm").click().run()
    assert not at.exception
    assert runtime.service.trading_state().state is TradingState.HALTED
    assert not [w for w in at.text_input if w.key and "password" in w.key and "resume" not in w.key]


def test_no_password_set_no_field(app, runtime) -> None:  # noqa: F811
    runtime.service.stop(reason="test", actor="tester")
    at = app().run()
    assert not [w for w in at.text_input if w.key == "resume_password"]


def test_a_live_order_asks_the_password_again(page, runtime, crbot_home: Path, monkeypatch) -> None:  # noqa: F811
    """LIVE is simulated on the paper runtime; the service's place is replaced by a recorder."""
    from crbot.domain import Mode
    from crbot.errors import Denied
    from tests.app.helpers import resting_price

    PasswordStore(crbot_home).set(PASSWORD, PROFILES["cheap"])
    sent: list = []

    def place(req, **kwargs):
        sent.append(req)
        raise Denied("RECORDED", "the recorder stops here")

    monkeypatch.setattr(runtime.service, "mode", Mode.LIVE)
    monkeypatch.setattr(runtime.service, "place", place)
    at = page("ticket").run()
    at.text_input(key="t_amount").input("0.001")
    at.text_input(key="t_price").input(str(resting_price(runtime)))
    at.run()
    at.button(key="ticket_review").click().run()
    assert any("LIVE mode" in t for t in texts(at, "error"))
    at.text_input(key="ticket_live_password").input("wrong password here")
    at.button(key="ticket_send").click().run()
    assert not at.exception and sent == []
    assert any("Wrong dashboard password" in t for t in texts(at, "error"))
    assert "ticket_pending" in at.session_state  # the review stays open

    at.text_input(key="ticket_live_password").input(PASSWORD)
    at.button(key="ticket_send").click().run()
    assert len(sent) == 1
    assert all(PASSWORD not in str(v) for v in at.session_state.to_dict().values())
