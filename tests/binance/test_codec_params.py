"""Request parameters as Binance wants them: plain decimals, GTC where it applies, list legs named above/below."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crbot.binance.codec import order_list_params, order_params, plain
from crbot.domain import OrderListSpec, OrderSpec, OrderType, Side
from crbot.errors import InvalidInput

D = Decimal


def spec(cid: str, side: Side, type_: OrderType, qty: str = "0.001", price: str | None = None, stop: str | None = None):
    return OrderSpec(
        client_order_id=cid,
        symbol="BTCUSDT",
        side=side,
        type=type_,
        quantity=D(qty),
        price=D(price) if price else None,
        stop_price=D(stop) if stop else None,
    )


def test_limit_order_is_gtc_with_plain_decimals() -> None:
    params = order_params(spec("c-1", Side.BUY, OrderType.LIMIT, qty="1E-5", price="5.00E+4"))
    assert params == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.00001",
        "price": "50000",
        "newClientOrderId": "c-1",
        "newOrderRespType": "FULL",
    }


def test_market_order_has_no_price_or_time_in_force() -> None:
    params = order_params(spec("c-2", Side.SELL, OrderType.MARKET, qty="0.00000001"))
    assert params["quantity"] == "0.00000001" and "price" not in params and "timeInForce" not in params


def test_limit_maker_has_no_time_in_force_and_stop_loss_limit_has_both_prices() -> None:
    maker = order_params(spec("c-3", Side.SELL, OrderType.LIMIT_MAKER, price="51000"))
    assert maker["price"] == "51000" and "timeInForce" not in maker
    stop = order_params(spec("c-4", Side.SELL, OrderType.STOP_LOSS_LIMIT, price="48900", stop="49000"))
    assert (stop["price"], stop["stopPrice"], stop["timeInForce"]) == ("48900", "49000", "GTC")


@pytest.mark.parametrize(
    "bad",
    [
        spec("c-5", Side.BUY, OrderType.LIMIT),  # no price
        spec("c-6", Side.SELL, OrderType.STOP_LOSS_LIMIT, price="1"),  # no stop
        spec("c-7", Side.BUY, OrderType.MARKET, qty="0"),
        spec("bad id!", Side.BUY, OrderType.MARKET),
        spec("x" * 37, Side.BUY, OrderType.MARKET),
    ],
)
def test_malformed_orders_are_refused_before_sending(bad: OrderSpec) -> None:
    with pytest.raises(InvalidInput):
        order_params(bad)


def bracket(working: OrderSpec | None = None) -> OrderListSpec:
    tp = spec("tp", Side.SELL, OrderType.LIMIT_MAKER, qty="0.000999", price="52000")
    sl = spec("sl", Side.SELL, OrderType.STOP_LOSS_LIMIT, qty="0.000999", price="47900", stop="48000")
    return OrderListSpec(list_client_id="L-1", symbol="BTCUSDT", working=working, pending=(sl, tp))


def test_otoco_for_a_buy_entry_puts_take_profit_above_and_stop_below() -> None:
    kind, params = order_list_params(bracket(spec("entry", Side.BUY, OrderType.LIMIT, price="50000")))
    assert kind == "OTOCO"
    assert params == {
        "symbol": "BTCUSDT",
        "listClientOrderId": "L-1",
        "newOrderRespType": "RESULT",
        "workingType": "LIMIT",
        "workingClientOrderId": "entry",
        "workingSide": "BUY",
        "workingQuantity": "0.001",
        "workingPrice": "50000",
        "workingTimeInForce": "GTC",
        "pendingSide": "SELL",
        "pendingQuantity": "0.000999",
        "pendingAboveType": "LIMIT_MAKER",
        "pendingAboveClientOrderId": "tp",
        "pendingAbovePrice": "52000",
        "pendingBelowType": "STOP_LOSS_LIMIT",
        "pendingBelowClientOrderId": "sl",
        "pendingBelowPrice": "47900",
        "pendingBelowStopPrice": "48000",
        "pendingBelowTimeInForce": "GTC",
    }


def test_oco_uses_the_above_below_parameters() -> None:
    kind, params = order_list_params(bracket())
    assert kind == "OCO"
    assert params["side"] == "SELL" and params["quantity"] == "0.000999"
    assert (params["aboveType"], params["abovePrice"], params["aboveClientOrderId"]) == ("LIMIT_MAKER", "52000", "tp")
    assert (params["belowType"], params["belowStopPrice"], params["belowPrice"]) == (
        "STOP_LOSS_LIMIT",
        "48000",
        "47900",
    )
    assert params["belowTimeInForce"] == "GTC" and "aboveTimeInForce" not in params


def test_a_buy_side_oco_puts_the_stop_above() -> None:
    tp = spec("tp", Side.BUY, OrderType.TAKE_PROFIT_LIMIT, price="45000", stop="45100")
    sl = spec("sl", Side.BUY, OrderType.STOP_LOSS_LIMIT, price="55100", stop="55000")
    _, params = order_list_params(OrderListSpec(list_client_id="L-2", symbol="BTCUSDT", working=None, pending=(tp, sl)))
    assert params["aboveType"] == "STOP_LOSS_LIMIT" and params["belowType"] == "TAKE_PROFIT_LIMIT"


def test_oto_with_one_pending_order() -> None:
    entry = spec("entry", Side.BUY, OrderType.LIMIT, price="50000")
    exit_ = spec("exit", Side.SELL, OrderType.LIMIT_MAKER, qty="0.000999", price="52000")
    kind, params = order_list_params(
        OrderListSpec(list_client_id="L-3", symbol="BTCUSDT", working=entry, pending=(exit_,))
    )
    assert kind == "OTO"
    assert params["pendingType"] == "LIMIT_MAKER" and params["pendingSide"] == "SELL"
    assert params["pendingQuantity"] == "0.000999" and params["pendingPrice"] == "52000"
    assert params["workingTimeInForce"] == "GTC" and "pendingTimeInForce" not in params


def test_impossible_lists_are_refused() -> None:
    tp = spec("tp", Side.SELL, OrderType.LIMIT_MAKER, price="52000")
    with pytest.raises(InvalidInput):  # OCO of one
        order_list_params(OrderListSpec(list_client_id="L", symbol="BTCUSDT", working=None, pending=(tp,)))
    with pytest.raises(InvalidInput):  # no stop leg
        order_list_params(OrderListSpec(list_client_id="L", symbol="BTCUSDT", working=None, pending=(tp, tp)))
    sl = spec("sl", Side.SELL, OrderType.STOP_LOSS_LIMIT, qty="0.002", price="47900", stop="48000")
    with pytest.raises(InvalidInput):  # quantities differ
        order_list_params(OrderListSpec(list_client_id="L", symbol="BTCUSDT", working=None, pending=(tp, sl)))
    eth = OrderSpec(
        client_order_id="sl", symbol="ETHUSDT", side=Side.SELL, type=OrderType.STOP_LOSS_LIMIT,
        quantity=D("0.001"), price=D("2900"), stop_price=D("2950"),
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="mixes symbols"):
        order_list_params(OrderListSpec(list_client_id="L", symbol="BTCUSDT", working=None, pending=(tp, eth)))
    with pytest.raises(InvalidInput, match="not valid for Binance"):  # the list's own id is checked too
        order_list_params(OrderListSpec(list_client_id="L 1", symbol="BTCUSDT", working=None, pending=(sl, tp)))


def test_plain_never_writes_an_exponent_and_never_rounds() -> None:
    assert plain(D("1E-8")) == "0.00000001"
    assert plain(D("5.00E+4")) == "50000"
    assert plain(D("0.000000001")) == "0.000000001"
    assert plain(D("49000.10")) == "49000.10"


@pytest.mark.parametrize(
    ("type_", "price", "stop", "tif"),
    [
        (OrderType.LIMIT, True, False, True),
        (OrderType.MARKET, False, False, False),
        (OrderType.LIMIT_MAKER, True, False, False),
        (OrderType.STOP_LOSS_LIMIT, True, True, True),
        (OrderType.TAKE_PROFIT_LIMIT, True, True, True),
    ],
)
def test_order_type_properties_are_binances_mandatory_parameters(
    type_: OrderType, price: bool, stop: bool, tif: bool
) -> None:
    """rest-api.md, POST /api/v3/order, "Additional mandatory parameters based on type"."""
    assert (type_.has_price, type_.has_stop, type_.has_time_in_force) == (price, stop, tif)
    params = order_params(
        spec("c-1", Side.SELL, type_, price="50000" if price else None, stop="49000" if stop else None)
    )
    assert ("price" in params, "stopPrice" in params, "timeInForce" in params) == (price, stop, tif)
