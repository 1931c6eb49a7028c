"""Positions & orders (guarded cancel), Risk & controls (limits need a reason, REDUCING), Performance."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from crbot.domain import Fill, OrderStatus, Side, TradingState
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
    assert any("max_open_orders" in t for t in texts(at, "error"))
    assert runtime.service.risk_limits().max_open_orders == 20


def test_switch_to_reducing_then_resume(page, runtime) -> None:
    at = page("risk").run()
    at.text_input(key="reducing_reason").input("no new risk today")
    at.button(key="reducing_submit").click().run()
    assert runtime.service.trading_state().state is TradingState.REDUCING
    at.text_input(key="risk_resume_word").input("RESUME")
    at.button(key="risk_resume_submit").click().run()
    assert runtime.service.trading_state().state is TradingState.ACTIVE


def test_performance_shows_round_trips_and_targets(page, runtime) -> None:
    now = runtime.clock.now()
    fills = [
        Fill(
            symbol="BTCUSDT",
            trade_id=i + 1,
            order_id=i + 1,
            side=side,
            price=Decimal(price),
            quantity=Decimal("0.01"),
            quote_qty=Decimal(price) * Decimal("0.01"),
            commission=Decimal("0.1"),
            commission_asset="USDT",
            is_maker=True,
            time=now - timedelta(hours=10 - i),
        )
        for i, (side, price) in enumerate(
            [(Side.BUY, "50000"), (Side.SELL, "51000"), (Side.BUY, "50500"), (Side.SELL, "50000")]
        )
    ]
    runtime.journal.record_fills(fills)
    for day, value in enumerate(("10000", "10100", "9900", "10050")):
        runtime.journal.snapshot_equity(Decimal(value), at=now - timedelta(days=4 - day))

    at = page("performance").run()

    assert not at.exception, [e.message for e in at.exception]
    labels = {m.label: m for m in at.metric}
    assert labels["Round trips"].value == "2"
    assert labels["Win rate"].value == "50.0%"
    assert "target > 45 %" in labels["Win rate"].delta
    assert len(at.dataframe[0].value) == 2
    assert len(at.get("plotly_chart")) == 2
    assert [b.proto.label for b in at.get("download_button")] == ["Round trips (CSV)", "All fills (CSV)"]


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


def test_performance_shows_a_new_fill_at_once_not_after_a_cache_expires(page, runtime) -> None:
    now = runtime.clock.now()

    def fill(trade_id: int, side: Side, price: str) -> Fill:
        return Fill(symbol="ETHUSDT", trade_id=trade_id, order_id=trade_id, side=side, price=Decimal(price),
                    quantity=Decimal("0.1"), quote_qty=Decimal(price) * Decimal("0.1"), commission=Decimal("0.01"),
                    commission_asset="USDT", is_maker=False, time=now + timedelta(minutes=trade_id))  # fmt: skip

    runtime.journal.record_fills([fill(1, Side.BUY, "3000")])
    at = page("performance").run()
    assert "1 fills · 0 round trips" in at.caption[0].value
    version = runtime.service.data_version()
    runtime.journal.record_fills([fill(2, Side.SELL, "3100")])  # e.g. a fill synced from the exchange
    assert runtime.service.data_version() != version  # what the page's 5 s poll compares
    at.run()  # the redraw the poll triggers: no cache expiry to wait for
    assert "2 fills · 1 round trips" in at.caption[0].value
