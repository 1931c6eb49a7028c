"""Close position on the Positions page: a MARKET sell of the step-rounded free amount through the service,
placed only after "Yes, sell", never in a form other than the one confirmed."""

from __future__ import annotations

from decimal import Decimal

from crbot.domain import OrderRequest, OrderStatus, OrderType, Side
from crbot.exchange import filters
from tests.app.helpers import texts


def _buy(rt, usdt: str = "50") -> None:
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quote_amount=Decimal(usdt))
    rt.service.place(req, client_order_id=rt.service.new_client_order_id(), source="test", actor="tester")


def _free_btc(rt) -> Decimal:
    return next(b.free for b in rt.service.balances() if b.asset == "BTC")


def test_close_sells_the_step_rounded_free_amount_after_confirmation_only(page, runtime) -> None:
    _buy(runtime)
    free = _free_btc(runtime)
    expected = filters.floor_qty(runtime.broker.rules()["BTCUSDT"], free, market=True)
    at = page("positions").run()
    at.button(key="close_BTCUSDT").click().run()

    assert len(runtime.journal.orders()) == 1  # asking is not selling
    assert any("Close position: SELL" in t and "at MARKET" in t for t in texts(at, "warning"))
    assert not at.button(key="close_confirm").disabled
    at.button(key="close_confirm").click().run()

    assert not at.exception
    sells = [o for o in runtime.journal.orders() if o.side is Side.SELL]
    assert len(sells) == 1
    sell = sells[0]
    assert (sell.type, sell.quantity, sell.status, sell.source) == (
        OrderType.MARKET, expected, OrderStatus.FILLED, "positions",
    )  # fmt: skip
    assert any("sold" in t for t in texts(at, "success"))
    assert at.dataframe[-1].value.iloc[0]["Status"] == "FILLED"  # the result with its fill price and fee
    assert "close_pending" not in at.session_state


def test_keep_it_sends_nothing(page, runtime) -> None:
    _buy(runtime)
    at = page("positions").run()
    at.button(key="close_BTCUSDT").click().run()
    at.button(key="close_keep").click().run()
    assert [o.side for o in runtime.journal.orders()] == [Side.BUY]
    assert "close_pending" not in at.session_state


def test_a_position_that_changed_after_the_confirmation_is_not_sold(page, runtime) -> None:
    _buy(runtime)
    at = page("positions").run()
    at.button(key="close_BTCUSDT").click().run()
    _buy(runtime, "30")  # more bought elsewhere (CLI, a bot) while the confirmation is on screen
    at.button(key="close_confirm").click().run()

    assert [o.side for o in runtime.journal.orders()] == [Side.BUY, Side.BUY]
    assert any("changed since the confirmation" in t for t in texts(at, "error"))
    assert "close_pending" in at.session_state  # asked again, now with the new amount
    at.button(key="close_confirm").click().run()
    sells = [o for o in runtime.journal.orders() if o.side is Side.SELL]
    assert len(sells) == 1 and sells[0].status is OrderStatus.FILLED


def test_close_is_refused_while_trading_is_halted(page, runtime) -> None:
    _buy(runtime)
    runtime.service.stop(reason="halted for the test", actor="tester")
    at = page("positions").run()
    at.button(key="close_BTCUSDT").click().run()
    assert at.button(key="close_confirm").disabled
    assert any("TRADING_HALTED" in t for t in texts(at, "error"))
    assert all(o.side is Side.BUY for o in runtime.journal.orders())
