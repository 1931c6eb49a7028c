"""Positions & orders (guarded cancel), Risk & controls (limits need a reason, REDUCING).

Performance is in test_performance.py."""

from __future__ import annotations

from decimal import Decimal

from crbot.domain import OrderStatus, TradingState
from tests.app.helpers import place_resting_buy, texts


def test_cancel_an_open_order_after_confirmation(page, runtime) -> None:
    cid = place_resting_buy(runtime)
    at = page("positions").run()
    assert cid in " ".join(at.dataframe[-1].value["Client order id"])

    at.button(key=f"cancel_{cid}").click().run()
    assert runtime.journal.get_order(cid).status is OrderStatus.NEW  # asking is not cancelling
    at.button(key="cancel_confirm").click().run()

    assert not at.exception
    assert runtime.journal.get_order(cid).status is OrderStatus.CANCELED
    assert runtime.broker.open_orders() == []
    assert any("CANCELED" in t for t in texts(at, "success"))


def test_an_order_placed_elsewhere_gets_its_cancel_within_one_refresh(page, runtime) -> None:
    """Issue 9: "Nothing to cancel" was shown next to an order placed from the CLI."""
    at = page("positions").run()
    assert any("No open orders" in t for t in texts(at, "info"))
    cid = place_resting_buy(runtime)  # the CLI's path: the service, the same journal
    at.run()  # one refresh (the fragment's tick)
    assert at.button(key=f"cancel_{cid}") is not None
    assert not any("No open orders" in t for t in texts(at, "info"))


def test_cancel_all_on_a_symbol_asks_then_cancels_every_order(page, runtime) -> None:
    first, second = place_resting_buy(runtime), place_resting_buy(runtime)
    at = page("positions").run()
    at.button(key="cancel_all").click().run()
    assert runtime.journal.get_order(first).status is OrderStatus.NEW  # asking is not cancelling
    assert any("2** open order(s) on **BTCUSDT" in t for t in texts(at, "warning"))
    at.button(key="cancel_all_confirm").click().run()

    assert not at.exception
    assert runtime.broker.open_orders() == []
    for cid in (first, second):
        assert runtime.journal.get_order(cid).status is OrderStatus.CANCELED
    assert any("2 order(s) canceled" in t for t in texts(at, "success"))


def test_limit_change_needs_a_reason(page, runtime) -> None:
    at = page("risk").run()
    at.text_input(key="limit_max_order_notional").input("750")
    at.button(key="limit_save").click().run()
    assert any("reason is required" in t for t in texts(at, "error"))
    assert runtime.service.risk_limits().max_order_notional == Decimal("1000")

    at.text_input(key="limit_reason").input("smaller size while testing")
    at.button(key="limit_save").click().run()
    assert not at.exception
    assert runtime.service.risk_limits().max_order_notional == Decimal("750")
    assert any(e.reason == "smaller size while testing" for e in runtime.service.audit_events(20))


def test_invalid_limit_is_refused(page, runtime) -> None:
    at = page("risk").run()
    at.text_input(key="limit_max_open_orders").input("-3")
    at.text_input(key="limit_reason").input("typo")
    at.button(key="limit_save").click().run()
    assert any("Max open orders" in t for t in texts(at, "error"))  # the label, not the key
    assert runtime.service.risk_limits().max_open_orders == 20


def test_switch_to_reducing_then_resume(page, runtime) -> None:
    at = page("risk").run()
    at.text_input(key="reducing_reason").input("no new risk today")
    at.button(key="reducing_submit").click().run()
    assert runtime.service.trading_state().state is TradingState.REDUCING
    at.text_input(key="risk_resume_word").input("RESUME")
    at.button(key="risk_resume_submit").click().run()
    assert runtime.service.trading_state().state is TradingState.ACTIVE


def test_dust_left_by_a_sell_is_not_listed_as_a_position(page, runtime) -> None:
    """Issue 9: selling the position left 0.00000776 BTC shown as a position with P&L "-0.00"."""
    from crbot.domain import Position
    from ui.positions import split_dust

    rules = runtime.broker.rules()
    last = runtime.broker.last_price("BTCUSDT")
    dust = Position(symbol="BTCUSDT", quantity=Decimal("0.00000776"), avg_entry=last, market_price=last)
    real = Position(symbol="BTCUSDT", quantity=Decimal("0.01"), avg_entry=last, market_price=last)
    assert split_dust([dust, real], rules) == ([real], [dust])

    at = page("ticket").run()  # buy, then sell the step-rounded quantity back: what is left is dust
    at.button_group(key="t_type").set_value("MARKET").run()
    at.text_input(key="t_amount").input("0.00100776").run()
    at.button(key="ticket_review").click().run()
    at.button(key="ticket_send").click().run()
    at.button_group(key="t_side").set_value("SELL").run()
    at.text_input(key="t_amount").input("0.00099").run()
    at.button(key="ticket_review").click().run()
    at.button(key="ticket_send").click().run()
    assert not at.exception

    positions = page("positions").run()
    assert not positions.exception
    assert any("No positions" in t for t in texts(positions, "info"))
    assert any("Dust" in t and "BTCUSDT" in t for t in texts(positions, "caption"))
