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
    # compact: the summary counts, the order ids wait under "Details" (Resume stays in view)
    assert any("nothing left open" in t and "Canceled: 1" in t and cid not in t for t in texts(at.sidebar, "success"))
    details = at.sidebar.expander[0]
    assert details.label == "Details (1)" and any(cid in str(m.value) for m in details.markdown)
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


def test_flatten_sells_only_crbots_coins_unless_sell_all_is_typed(app, runtime, monkeypatch) -> None:
    from decimal import Decimal

    from crbot.domain import OrderRequest, OrderType, Side

    runtime.service.place(
        OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.1")), actor="t"
    )
    calls: list[dict] = []
    real_stop = runtime.service.stop
    monkeypatch.setattr(runtime.service, "stop", lambda **kw: calls.append(kw) or real_stop(**kw))
    at = app().run()
    at.sidebar.button(key="stop").click().run()
    at.checkbox(key="stop_flatten").check().run()
    at.checkbox(key="stop_all_balances").check().run()
    assert at.button(key="stop_confirm").disabled  # selling every coin needs the typed word
    at.text_input(key="stop_all_word").input("sell all").run()
    assert at.button(key="stop_confirm").disabled
    at.checkbox(key="stop_all_balances").uncheck().run()  # back to CRBOT's own position only
    at.button(key="stop_confirm").click().run()

    assert not at.exception
    assert calls and calls[0]["flatten"] and not calls[0]["all_balances"]
    report = " ".join(texts(at.sidebar, "success") + texts(at.sidebar, "error"))
    assert "Flattened: 1" in report
    assert any("ETHUSDT sold" in str(m.value) for m in at.sidebar.expander[0].markdown)
