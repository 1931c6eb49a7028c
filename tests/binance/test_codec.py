"""The Binance JSON codec, orders and order lists: the shapes of rest-api.md in and out, Decimal all the way."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crbot.binance.codec import (
    dec,
    fills_from_order_json,
    order_ack_json,
    order_cancel_json,
    order_from_json,
    order_json,
    order_list_from_json,
    order_list_json,
    order_list_legs,
    order_query_json,
    orders_from_json,
)
from crbot.clock import to_ms
from crbot.domain import (
    ZERO,
    Fill,
    ListKind,
    ListOrderStatus,
    ListStatusType,
    OrderListView,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    Side,
)
from crbot.errors import InvalidInput

D = Decimal
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 5, 12, 0, 3, tzinfo=UTC)


def view(**kw: object) -> OrderView:
    base: dict[str, object] = {
        "client_order_id": "c1",
        "order_id": 7,
        "symbol": "BTCUSDT",
        "side": Side.BUY,
        "type": OrderType.LIMIT,
        "status": OrderStatus.PARTIALLY_FILLED,
        "quantity": D("0.003"),
        "executed_qty": D("0.001"),
        "cumulative_quote": D("49.99"),
        "price": D("49990"),
        "time": T0,
        "update_time": T1,
    }
    base.update(kw)
    return OrderView(**base)  # type: ignore[arg-type]


def fill(**kw: object) -> Fill:
    base: dict[str, object] = {
        "symbol": "BTCUSDT",
        "trade_id": 56,
        "order_id": 7,
        "side": Side.BUY,
        "price": D("49990"),
        "quantity": D("0.001"),
        "quote_qty": D("49.99"),
        "commission": D("0.000001"),
        "commission_asset": "BTC",
        "is_maker": True,
        "time": T1,
    }
    base.update(kw)
    return Fill(**base)  # type: ignore[arg-type]


def test_decimals_are_written_like_binance_and_never_rounded_away() -> None:
    assert dec(D("0.001")) == "0.00100000"
    assert dec(D("50000")) == "50000.00000000"
    assert dec(D("1E-8")) == "0.00000001"
    assert dec(None) == "0.00000000"
    assert dec(D("0.000000001")) == "0.000000001"  # more precision than 8 places is kept, not rounded
    assert "E" not in dec(D("1E+3"))


def test_an_order_round_trips_through_every_shape_the_server_writes() -> None:
    v = view()
    for data in (order_json(v), order_json(v, full=True, fills=[fill()]), order_query_json(v)):
        assert order_from_json(data) == v
    canceled = view(status=OrderStatus.CANCELED)
    # a cancel report carries only the time of the cancel, so that is all the order's times can be
    assert order_from_json(order_cancel_json(canceled, cancel_client_order_id="x9")) == replace(canceled, time=T1)


def test_the_result_and_query_shapes_follow_rest_api_md() -> None:
    result = order_json(view(), full=True, fills=[fill()])
    assert result["transactTime"] == to_ms(T1) and result["workingTime"] == to_ms(T0)
    assert result["cummulativeQuoteQty"] == "49.99000000"
    assert result["origQty"] == "0.00300000" and result["timeInForce"] == "GTC"
    assert "stopPrice" not in result  # only stop orders carry it on placement
    assert result["fills"] == [
        {
            "price": "49990.00000000",
            "qty": "0.00100000",
            "commission": "0.00000100",
            "commissionAsset": "BTC",
            "tradeId": 56,
        }
    ]
    query = order_query_json(view(type=OrderType.STOP_LOSS_LIMIT, stop_price=D("48000"), side=Side.SELL))
    assert query["time"] == to_ms(T0) and query["updateTime"] == to_ms(T1)
    assert query["stopPrice"] == "48000.00000000"
    assert query["isWorking"] is False and query["workingTime"] == -1  # not triggered yet
    assert order_query_json(view())["stopPrice"] == "0.00000000"


def test_a_cancel_names_the_order_in_orig_client_order_id() -> None:
    data = order_cancel_json(view(status=OrderStatus.CANCELED), cancel_client_order_id="cancel1")
    assert data["clientOrderId"] == "cancel1" and data["origClientOrderId"] == "c1"
    assert order_from_json(data).client_order_id == "c1"


# The examples of rest-api.md, verbatim where they matter.
DOC_RESULT = {
    "symbol": "BTCUSDT",
    "orderId": 28,
    "orderListId": -1,
    "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
    "transactTime": 1507725176595,
    "price": "0.00000000",
    "origQty": "10.00000000",
    "executedQty": "10.00000000",
    "origQuoteOrderQty": "0.000000",
    "cummulativeQuoteQty": "10.00000000",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "MARKET",
    "side": "SELL",
    "workingTime": 1507725176595,
    "selfTradePreventionMode": "NONE",
}
DOC_FILLS = [
    {
        "price": "4000.00000000",
        "qty": "1.00000000",
        "commission": "4.00000000",
        "commissionAsset": "USDT",
        "tradeId": 56,
    },
    {
        "price": "3999.00000000",
        "qty": "5.00000000",
        "commission": "19.99500000",
        "commissionAsset": "USDT",
        "tradeId": 57,
    },
]
DOC_QUERY = {
    "symbol": "LTCBTC",
    "orderId": 1,
    "orderListId": -1,
    "clientOrderId": "myOrder1",
    "price": "0.1",
    "origQty": "1.0",
    "executedQty": "0.0",
    "cummulativeQuoteQty": "0.0",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "stopPrice": "0.0",
    "icebergQty": "0.0",
    "time": 1499827319559,
    "updateTime": 1499827319560,
    "isWorking": True,
    "workingTime": 1499827319559,
    "origQuoteOrderQty": "0.000000",
    "selfTradePreventionMode": "NONE",
}


def test_binances_result_full_and_query_examples_parse() -> None:
    market = order_from_json(DOC_RESULT)
    assert (market.type, market.side, market.status) == (OrderType.MARKET, Side.SELL, OrderStatus.FILLED)
    assert market.price is None  # "0.00000000" means no price
    assert market.executed_qty == D("10") and market.cumulative_quote == D("10")
    fills = fills_from_order_json({**DOC_RESULT, "fills": DOC_FILLS})
    assert [(f.trade_id, f.price, f.quantity, f.commission) for f in fills] == [
        (56, D("4000"), D("1"), D("4")),
        (57, D("3999"), D("5"), D("19.995")),
    ]
    assert all(f.side is Side.SELL and f.order_id == 28 and not f.is_maker for f in fills)
    assert fills[1].quote_qty == D("19995")
    query = order_from_json(DOC_QUERY)
    assert query.price == D("0.1") and query.stop_price is None
    assert to_ms(query.time) == 1499827319559 and to_ms(query.update_time) == 1499827319560


def test_an_ack_is_completed_from_the_spec_that_was_sent() -> None:
    ack = {"symbol": "BTCUSDT", "orderId": 28, "orderListId": -1, "clientOrderId": "c9", "transactTime": 1507725176595}
    with pytest.raises(InvalidInput, match="lacks 'side'"):
        order_from_json(ack)
    spec = OrderSpec(
        client_order_id="c9", symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=D("0.01"), price=D("100")
    )
    got = order_from_json(ack, spec=spec)
    assert (got.status, got.quantity, got.price, got.order_id) == (OrderStatus.NEW, D("0.01"), D("100"), 28)
    assert order_ack_json(got)["transactTime"] == 1507725176595


def test_unknown_statuses_are_kept_as_unknown_and_unmodelled_types_refused_clearly() -> None:
    assert order_from_json({**DOC_QUERY, "status": "PENDING_CANCEL"}).status is OrderStatus.UNKNOWN
    with pytest.raises(InvalidInput, match="STOP_LOSS, which CRBOT does not model"):
        order_from_json({**DOC_QUERY, "type": "STOP_LOSS"})
    with pytest.raises(InvalidInput, match="not a number"):
        order_from_json({**DOC_QUERY, "origQty": "1,0"})
    # numbers sent as numbers, a negative "unknown" quote total, microsecond times
    odd = order_from_json({**DOC_QUERY, "origQty": 2, "cummulativeQuoteQty": "-1", "time": 1499827319559000})
    assert odd.quantity == D("2") and odd.cumulative_quote == ZERO and to_ms(odd.time) == 1499827319559


def lst(*orders: OrderView, kind: ListKind = ListKind.OTOCO, done: bool = False) -> OrderListView:
    return OrderListView(
        order_list_id=3,
        list_client_id="L1",
        symbol="BTCUSDT",
        kind=kind,
        status=ListStatusType.ALL_DONE if done else ListStatusType.EXEC_STARTED,
        order_status=ListOrderStatus.ALL_DONE if done else ListOrderStatus.EXECUTING,
        time=T0,
        update_time=T1,
        orders=orders,
    )


def otoco_legs() -> tuple[OrderView, ...]:
    """As placed: every leg created and last updated at the same moment."""
    fresh = {"executed_qty": ZERO, "cumulative_quote": ZERO, "update_time": T0, "order_list_id": 3}
    entry = view(order_id=10, client_order_id="w", status=OrderStatus.NEW, **fresh)
    common = {"side": Side.SELL, "status": OrderStatus.PENDING_NEW, **fresh}
    take = view(order_id=11, client_order_id="tp", type=OrderType.LIMIT_MAKER, price=D("52000"), **common)
    stop = view(
        order_id=12,
        client_order_id="sl",
        type=OrderType.STOP_LOSS_LIMIT,
        price=D("47900"),
        stop_price=D("48000"),
        **common,
    )
    return tuple(v for v in (entry, take, stop))


def test_an_order_list_round_trips_with_its_reports() -> None:
    legs = otoco_legs()
    data = order_list_json(lst(*legs), reports="result")
    assert data["contingencyType"] == "OTO"  # Binance reports an OTOCO as "OTO"
    assert data["listStatusType"] == "EXEC_STARTED" and data["listOrderStatus"] == "EXECUTING"
    assert [o["clientOrderId"] for o in data["orders"]] == ["w", "tp", "sl"]
    assert [r["status"] for r in data["orderReports"]] == ["NEW", "PENDING_NEW", "PENDING_NEW"]
    back = order_list_from_json(data)
    assert back.kind is ListKind.OTOCO and back.orders == legs and back.list_client_id == "L1"
    assert order_list_legs(data) == [(10, "w"), (11, "tp"), (12, "sl")]
    assert "orderReports" not in order_list_json(lst(*legs), reports=None)
    ack = order_list_json(lst(*legs), reports="ack")
    assert set(ack["orderReports"][0]) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}


def test_cancel_all_mixes_orders_and_order_lists_and_all_come_back_as_orders() -> None:
    legs = tuple(
        view(order_id=i, client_order_id=f"l{i}", status=OrderStatus.CANCELED, order_list_id=3) for i in (20, 21)
    )
    single = view(status=OrderStatus.CANCELED)
    payload = [
        order_cancel_json(single, cancel_client_order_id="k"),
        order_list_json(lst(*legs, kind=ListKind.OCO, done=True), reports="cancel", cancel_client_order_id="k"),
    ]
    got = orders_from_json(payload)
    assert [o.client_order_id for o in got] == ["c1", "l20", "l21"]
    assert all(o.status is OrderStatus.CANCELED for o in got)
    assert order_list_from_json(payload[1]).status is ListStatusType.ALL_DONE


def test_a_partial_fill_query_gives_the_average_price_and_a_missing_time_the_default() -> None:
    partial = {**DOC_QUERY, "status": "PARTIALLY_FILLED", "executedQty": "0.4", "cummulativeQuoteQty": "0.0396"}
    got = order_from_json(partial)
    assert got.status is OrderStatus.PARTIALLY_FILLED and got.avg_price == D("0.099")
    timeless = {k: v for k, v in DOC_RESULT.items() if k not in ("transactTime", "workingTime")}
    with pytest.raises(InvalidInput, match="lacks 'time'"):
        order_from_json(timeless)
    assert (
        order_from_json(timeless, default_time=T0).time == order_from_json(timeless, default_time=T0).update_time == T0
    )


def test_malformed_answers_are_invalid_input_never_a_key_error() -> None:
    for field in ("orderId", "symbol", "side", "origQty"):
        with pytest.raises(InvalidInput, match=f"lacks '{field}'"):
            order_from_json({k: v for k, v in DOC_QUERY.items() if k != field})
    with pytest.raises(InvalidInput, match="not a time"):
        order_from_json({**DOC_QUERY, "time": "yesterday"})
    with pytest.raises(InvalidInput, match="side"):
        order_from_json({**DOC_QUERY, "side": "HOLD"})


def test_orders_from_json_takes_one_answer_or_many_and_leaves_acks_out() -> None:
    canceled = order_cancel_json(view(status=OrderStatus.CANCELED), cancel_client_order_id="k")
    assert [o.client_order_id for o in orders_from_json(canceled)] == ["c1"]  # one cancel answer, not a list
    ack = order_ack_json(view(order_id=8, client_order_id="c2"))
    assert [o.order_id for o in orders_from_json([DOC_QUERY, ack])] == [1]
    legs = otoco_legs()
    placed = order_list_json(lst(*legs), reports="ack")
    assert order_list_from_json(placed).orders == ()  # an ACK says nothing of the legs' states
    assert order_list_legs(placed) == [(10, "w"), (11, "tp"), (12, "sl")]
    assert orders_from_json(order_list_json(lst(*legs), reports="result")) == list(legs)
    timeless = {k: v for k, v in DOC_QUERY.items() if k not in ("time", "updateTime", "workingTime")}
    bare = {"orderListId": 3, "contingencyType": "OCO", "orderReports": [timeless]}
    assert orders_from_json([bare], default_time=T1)[0].time == T1  # a terse answer still gives its orders
