"""Request parameters as Binance wants them; every answer shape read back into domain values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crbot.broker.binance_codec import (
    order_list_params,
    order_params,
    order_reports,
    parse_balances,
    parse_commissions,
    parse_fill,
    parse_order,
    weight_limit,
)
from crbot.clock import from_ms
from crbot.domain import OrderListSpec, OrderSpec, OrderStatus, OrderType, Side
from crbot.errors import ExchangeRejected, InvalidInput

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
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


QUERY = {
    "symbol": "BTCUSDT",
    "orderId": 12,
    "orderListId": -1,
    "clientOrderId": "c-1",
    "price": "50000.00000000",
    "origQty": "0.00100000",
    "executedQty": "0.00050000",
    "cummulativeQuoteQty": "25.00000000",
    "status": "PARTIALLY_FILLED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "stopPrice": "0.00000000",
    "time": 1767614400000,
    "updateTime": 1767614460000,
    "isWorking": True,
}


def test_query_answer() -> None:
    view = parse_order(QUERY, now=NOW)
    assert view.client_order_id == "c-1" and view.order_id == 12 and view.status is OrderStatus.PARTIALLY_FILLED
    assert view.price == D("50000") and view.stop_price is None
    assert view.executed_qty == D("0.0005") and view.avg_price == D("50000")
    assert view.time == from_ms(1767614400000) and view.update_time == from_ms(1767614460000)


def test_cancel_answer_keeps_the_original_client_id() -> None:
    raw = QUERY | {
        "origClientOrderId": "c-1",
        "clientOrderId": "cancel-xyz",
        "status": "CANCELED",
        "transactTime": 1767614500000,
    }
    del raw["time"], raw["updateTime"]
    view = parse_order(raw, now=NOW)
    assert view.client_order_id == "c-1" and view.status is OrderStatus.CANCELED
    assert view.time == view.update_time == from_ms(1767614500000)


def test_market_answer_without_times_uses_now() -> None:
    raw = {k: v for k, v in QUERY.items() if k not in ("time", "updateTime")} | {
        "type": "MARKET",
        "price": "0.00000000",
    }
    view = parse_order(raw, now=NOW)
    assert view.price is None and view.time == NOW


def test_order_types_crbot_does_not_handle_are_reported_not_hidden() -> None:
    with pytest.raises(ExchangeRejected, match="STOP_LOSS"):
        parse_order(QUERY | {"type": "STOP_LOSS"}, now=NOW)


def test_reports_from_mixed_cancel_all_answer() -> None:
    single = QUERY | {"status": "CANCELED"}
    listed = {"orderListId": 3, "contingencyType": "OCO", "orders": [], "orderReports": [QUERY | {"orderId": 13}]}
    assert [r["orderId"] for r in order_reports([single, listed])] == [12, 13]
    assert [r["orderId"] for r in order_reports(single)] == [12]


def test_fill() -> None:
    fill = parse_fill(
        {
            "symbol": "BTCUSDT",
            "id": 28457,
            "orderId": 12,
            "orderListId": -1,
            "price": "50000.00",
            "qty": "0.001",
            "quoteQty": "50.00",
            "commission": "0.000001",
            "commissionAsset": "BTC",
            "time": 1767614400000,
            "isBuyer": True,
            "isMaker": False,
            "isBestMatch": True,
        }
    )
    assert (fill.trade_id, fill.order_id, fill.side, fill.is_maker) == (28457, 12, Side.BUY, False)
    assert fill.quote_qty == D("50.00") and fill.commission == D("0.000001") and fill.commission_asset == "BTC"


ACCOUNT = {
    "makerCommission": 10,
    "takerCommission": 10,
    "commissionRates": {"maker": "0.00075000", "taker": "0.00100000", "buyer": "0", "seller": "0"},
    "canTrade": True,
    "balances": [
        {"asset": "USDT", "free": "100.5", "locked": "0"},
        {"asset": "ETH", "free": "0.00000000", "locked": "0.00000000"},
        {"asset": "BTC", "free": "0", "locked": "0.001"},
    ],
    "permissions": ["SPOT"],
}


def test_balances_and_commissions() -> None:
    assert [(b.asset, b.total) for b in parse_balances(ACCOUNT)] == [("BTC", D("0.001")), ("USDT", D("100.5"))]
    rates = parse_commissions(ACCOUNT)
    assert (rates.maker, rates.taker) == (D("0.00075"), D("0.001"))
    legacy = parse_commissions({"makerCommission": 10, "takerCommission": 15})
    assert (legacy.maker, legacy.taker) == (D("0.001"), D("0.0015"))


def test_weight_limit_from_exchange_info() -> None:
    info = {
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        ]
    }
    assert weight_limit(info) == 6000
    assert weight_limit({}) is None
