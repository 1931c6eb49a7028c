"""STOP from the sidebar: confirmation dialog -> HALTED and nothing open; resume needs the typed word."""

from __future__ import annotations

from crbot.domain import TradingState
from tests.app.helpers import place_resting_buy, texts


def test_stop_halts_and_cancels_everything(app, runtime) -> None:
    cid = place_resting_buy(runtime)
    assert [o.client_order_id for o in runtime.service.open_orders()] == [cid]
    at = app().run()

    at.sidebar.button(key="stop").click().run()
    assert at.session_state["stop_dialog_open"]
    at.text_input(key="stop_reason").input("test: market gapping")
    at.button(key="stop_confirm").click().run()

    assert not at.exception
    state = runtime.service.trading_state()
    assert state.state is TradingState.HALTED and state.reason == "test: market gapping"
    assert runtime.service.open_orders() == []
    assert runtime.broker.open_orders() == []
    assert any("HALTED" in t for t in texts(at.sidebar, "error"))
    assert any("nothing left open" in t and cid in t for t in texts(at.sidebar, "success"))
    assert not at.session_state["stop_dialog_open"]


def test_cancel_in_the_dialog_changes_nothing(app, runtime) -> None:
    place_resting_buy(runtime)
    at = app().run()
    at.sidebar.button(key="stop").click().run()
    at.button(key="stop_cancel").click().run()
    assert runtime.service.trading_state().state is TradingState.ACTIVE
    assert len(runtime.service.open_orders()) == 1


def test_resume_needs_the_word(app, runtime) -> None:
    runtime.service.stop(reason="test", actor="tester")
    at = app().run()

    at.text_input(key="resume_word").input("resume")
    at.text_input(key="resume_reason").input("checked the market")
    at.button(key="resume_submit").click().run()
    assert runtime.service.trading_state().state is TradingState.HALTED
    assert any("RESUME" in t for t in texts(at.sidebar, "error"))

    at.text_input(key="resume_word").input("RESUME")
    at.button(key="resume_submit").click().run()
    assert not at.exception
    assert runtime.service.trading_state().state is TradingState.ACTIVE
    assert any("ACTIVE" in t for t in texts(at.sidebar, "success"))
