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


def test_a_filled_entry_without_its_exits_is_flagged_on_every_page(app, runtime, monkeypatch) -> None:
    from decimal import Decimal

    import pytest

    from crbot.domain import OrderRequest, OrderType, Side
    from crbot.errors import ExchangeRejected

    def refuse(spec):
        raise ExchangeRejected("Order would trigger immediately.", code=-2010)

    monkeypatch.setattr(runtime.broker, "submit_list", refuse)
    last = runtime.service.prices({"ETHUSDT"})["ETHUSDT"]
    bracket = OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.1"),
                           stop_loss=(last * Decimal("0.97")).quantize(Decimal("0.01")),
                           take_profit=(last * Decimal("1.05")).quantize(Decimal("0.01")))  # fmt: skip
    with pytest.raises(ExchangeRejected, match="entry FILLED"):
        runtime.service.place(bracket, actor="tester")
    at = app().run()
    assert not at.exception
    flagged = [t for t in texts(at.sidebar, "error") if "UNPROTECTED" in t]
    assert flagged and "ETHUSDT 0.0999 has no stop-loss" in flagged[0] and "trigger immediately" in flagged[0]


def test_the_frame_and_stop_draw_when_the_exchange_is_down(app, runtime, monkeypatch) -> None:
    from crbot.errors import ConnectivityError

    def down(*_a, **_k):
        raise ConnectivityError("the exchange did not answer")

    monkeypatch.setattr(runtime.service.syncer, "start_up", down)
    at = app().run()
    assert not at.exception
    assert at.sidebar.button(key="stop").label == "STOP"
    assert any("Degraded" in t and "did not answer" in t for t in texts(at.sidebar, "error"))


def test_a_full_run_writes_to_the_main_area_whatever_a_fragment_run_left_behind() -> None:
    """Streamlit leaves a fragment's container stack behind after a timed fragment rerun; a full rerun served
    by the same script thread then wrote the whole page into the sidebar (the ticket's fields, seen in CI)."""
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import streamlit as st
        from streamlit.delta_generator_singletons import context_dg_stack

        from ui.containers import write_to_main

        context_dg_stack.set((*context_dg_stack.get(), st.sidebar))  # what the sidebar's fragment rerun leaves
        st.text_input("before", key="before")
        write_to_main()
        st.text_input("after", key="after")

    at = AppTest.from_function(script).run()
    assert not at.exception, at.exception
    assert [w.key for w in at.sidebar.text_input] == ["before"]  # the leftover stack is real in this script
    assert [w.key for w in at.main.text_input] == ["after"]
