"""The order ticket: live preview, review, "Confirm & send" places exactly one order, errors are shown."""

from __future__ import annotations

import re
from decimal import Decimal

from crbot.domain import OrderStatus, TradingState
from tests.app.helpers import resting_price, texts


def _fill_limit_buy(at, amount: str, price: str):
    at.text_input(key="t_amount").input(amount)
    at.text_input(key="t_price").input(price)
    return at.run()


def test_preview_then_confirm_places_one_limit_order(page, runtime) -> None:
    price = resting_price(runtime)
    at = _fill_limit_buy(page("ticket").run(), "0.001", str(price))
    assert not at.exception
    assert any("Risk check passed" in t for t in texts(at, "success"))
    assert not at.button(key="ticket_review").disabled
    at.button(key="ticket_review").click().run()
    cid = at.session_state["ticket_pending"]["cid"]
    assert runtime.journal.get_order(cid) is None  # reviewing sends nothing

    at.button(key="ticket_send").click().run()

    order = runtime.journal.get_order(cid)
    assert order is not None and order.status is OrderStatus.NEW
    assert order.price == price and order.quantity == Decimal("0.001")
    assert "ticket_pending" not in at.session_state  # a new id only after a result
    assert any(cid in t for t in texts(at, "success"))


def test_a_rerun_with_the_same_review_never_sends_twice(page, runtime) -> None:
    price = str(resting_price(runtime))
    at = _fill_limit_buy(page("ticket").run(), "0.001", price)
    at.button(key="ticket_review").click().run()
    pending = dict(at.session_state["ticket_pending"])
    at.button(key="ticket_send").click().run()
    # A late second click / rerun that still carries the reviewed order, its client order id and the
    # fields as they were (the ticket is cleared after a send):
    at.session_state["ticket_pending"] = pending
    at.session_state["t_amount"], at.session_state["t_price"] = "0.001", price
    at.run()
    at.button(key="ticket_send").click().run()

    assert not at.exception
    assert len(runtime.journal.orders()) == 1
    assert len(runtime.broker.open_orders()) == 1
    assert any("already sent" in t for t in texts(at, "success"))


def test_bad_number_is_explained_and_blocks_review(page, runtime) -> None:
    at = _fill_limit_buy(page("ticket").run(), "0,5", str(resting_price(runtime)))
    assert any("comma" in t for t in texts(at, "error"))  # an input error is red, like every error
    assert at.button(key="ticket_review").disabled


def test_risk_denial_is_shown_and_blocks_review(page, runtime) -> None:
    at = _fill_limit_buy(page("ticket").run(), "1", str(resting_price(runtime)))  # ~1 BTC: far above 1000 USDT
    (error,) = [t for t in texts(at, "error") if "ORDER_NOTIONAL_EXCEEDS_MAX" in t]  # one message, red
    assert error.startswith("this order is worth ") and error.endswith("(ORDER_NOTIONAL_EXCEEDS_MAX)")
    assert "your Max order size" in error and "max_order_notional" not in error  # the Risk page's label
    assert "on the Risk page" in error  # the dashboard names the dashboard's way to change it
    assert at.button(key="ticket_review").disabled


def test_exchange_refusal_is_red_under_the_fields_with_a_price_every_limit_accepts(page, runtime) -> None:
    last = runtime.broker.last_price("BTCUSDT")
    at = _fill_limit_buy(page("ticket").run(), "0.001", "1000")  # far below what the exchange accepts
    (error,) = [t for t in texts(at, "error") if "PERCENT_PRICE_BY_SIDE" in t]
    assert error.startswith("BUY price 1000 is too far below the market") and error.endswith("(PERCENT_PRICE_BY_SIDE)")
    low, high = (Decimal(x) for x in re.search(r"between ([0-9.]+) and ([0-9.]+)", error).groups())
    slack = Decimal("0.001")  # the synthetic price moves between reads
    assert last * (Decimal("0.95") - slack) <= low < high <= last * (Decimal("1.05") + slack)  # the 5 % band too
    assert at.button(key="ticket_review").disabled
    at = _fill_limit_buy(at, "0.001", str(((low + high) / 2).quantize(Decimal("0.01"))))
    assert any("Risk check passed" in t for t in texts(at, "success"))


def test_the_ticket_is_locked_while_a_review_is_pending(page, runtime) -> None:
    at = _fill_limit_buy(page("ticket").run(), "0.001", str(resting_price(runtime)))
    at.button(key="ticket_review").click().run()
    for key in ("t_amount", "t_price", "t_sl", "t_tp"):
        assert at.text_input(key=key).disabled, key
    assert at.button_group(key="t_side").disabled and at.selectbox(key="t_symbol").disabled
    at.button(key="ticket_back").click().run()
    assert not at.text_input(key="t_price").disabled


def test_an_edit_committed_with_the_confirm_click_is_never_sent_in_the_old_form(page, runtime) -> None:
    """Issue 9: a price typed after Review and "Confirm & send" clicked at once went out at the reviewed
    price while the ticket showed the new one. The confirm callback compares with the committed values."""
    reviewed = resting_price(runtime)
    at = _fill_limit_buy(page("ticket").run(), "0.001", str(reviewed))
    at.button(key="ticket_review").click().run()
    edited = str(reviewed - Decimal("10"))
    at.session_state["t_price"] = edited  # the browser commits the field together with the click
    at.button(key="ticket_send").click().run()

    assert runtime.journal.orders() == []  # nothing sent, neither the old nor the new price
    assert "ticket_pending" not in at.session_state
    assert any("Nothing was sent" in t for t in texts(at, "warning"))
    assert at.text_input(key="t_price").value == edited  # what the screen shows is what review will take


def test_review_takes_the_field_typed_with_the_click(page, runtime) -> None:
    """Issue 9: typing the take-profit and clicking Review at once gave a review without it."""
    price = resting_price(runtime)
    at = _fill_limit_buy(page("ticket").run(), "0.001", str(price))
    tp = str((price * Decimal("1.03")).quantize(Decimal("0.01")))
    at.text_input(key="t_tp").input(tp)
    at.button(key="ticket_review").click().run()

    assert at.session_state["ticket_pending"]["req"].take_profit == Decimal(tp)
    assert at.text_input(key="t_tp").value == tp  # on screen as reviewed (not dropped by the lock)
    assert not at.button(key="ticket_send").disabled
    assert not any("changed since you reviewed" in t for t in texts(at, "warning"))


def test_after_a_send_the_ticket_is_cleared_and_a_market_fill_shows_price_and_fee(page, runtime) -> None:
    at = page("ticket").run()
    at.button_group(key="t_type").set_value("MARKET")
    at.radio(key="t_size_in").set_value("USDT amount")
    at.run()
    at.text_input(key="t_amount").input("50").run()
    at.button(key="ticket_review").click().run()
    at.button(key="ticket_send").click().run()

    assert not at.exception
    assert at.text_input(key="t_amount").value == ""
    assert at.button(key="ticket_review").disabled  # nothing to send twice
    row = at.dataframe[0].value.iloc[0]
    assert row["Status"] == "FILLED"
    assert Decimal(row["Avg fill price"].replace(",", "")) > 0
    assert row["Fee"] != "—"


def test_error_from_the_service_is_shown_and_a_new_id_follows(page, runtime) -> None:
    at = _fill_limit_buy(page("ticket").run(), "0.001", str(resting_price(runtime)))
    at.button(key="ticket_review").click().run()
    cid = at.session_state["ticket_pending"]["cid"]
    runtime.service.stop(reason="halt between review and send", actor="tester")

    at.button(key="ticket_send").click().run()

    assert runtime.service.trading_state().state is TradingState.HALTED
    assert any("TRADING_HALTED" in t for t in texts(at, "error"))
    assert "ticket_pending" not in at.session_state
    assert runtime.journal.get_order(cid) is None


def test_bracket_preview_shows_every_leg_and_the_loss_at_stop(page, runtime) -> None:
    price = resting_price(runtime)
    at = page("ticket").run()
    at.text_input(key="t_sl").input(str((price * Decimal("0.98")).quantize(Decimal("0.01"))))
    at.text_input(key="t_tp").input(str((price * Decimal("1.03")).quantize(Decimal("0.01"))))
    at = _fill_limit_buy(at, "0.001", str(price))

    assert not at.exception
    legs = at.dataframe[0].value
    assert sorted(legs["Type"]) == ["LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT"]
    loss = next(m for m in at.metric if m.label == "Loss at stop (USDT)")
    assert Decimal(loss.value) > 0 and "of equity" in loss.delta
    at.button(key="ticket_review").click().run()
    at.button(key="ticket_send").click().run()
    assert len(runtime.journal.orders()) == 3  # one OTOCO order list: entry + both exits


def test_market_buy_by_usdt_amount_fills_and_shows_as_a_position(page, runtime) -> None:
    at = page("ticket").run()
    at.button_group(key="t_type").set_value("MARKET")
    at.radio(key="t_size_in").set_value("USDT amount")
    at.run()
    at.text_input(key="t_amount").input("50").run()
    assert any("Risk check passed" in t for t in texts(at, "success"))
    at.button(key="ticket_review").click().run()
    cid = at.session_state["ticket_pending"]["cid"]
    at.button(key="ticket_send").click().run()

    assert runtime.journal.get_order(cid).status is OrderStatus.FILLED
    positions = page("positions").run()
    assert not positions.exception
    assert "BTCUSDT" in list(positions.dataframe[0].value["Symbol"])


def test_max_fills_what_the_free_balance_allows(page, runtime) -> None:
    at = page("ticket").run()
    at.radio(key="t_size_in").set_value("USDT amount").run()
    at.button(key="t_max").click().run()
    assert at.text_input(key="t_amount").value == "9990"  # 10000 USDT free, net of the 0.1 % fee

    price = resting_price(runtime)
    at.radio(key="t_size_in").set_value("Quantity")
    at.text_input(key="t_price").input(str(price)).run()
    at.button(key="t_max").click().run()
    qty = Decimal(at.text_input(key="t_amount").value)
    step = runtime.broker.rules()["BTCUSDT"].step_size
    assert qty % step == 0 and qty * price <= Decimal("9990") < (qty + step) * price

    at.button_group(key="t_side").set_value("SELL").run()
    at.button(key="t_max").click().run()
    assert any("Nothing free to sell" in t for t in texts(at, "warning"))
