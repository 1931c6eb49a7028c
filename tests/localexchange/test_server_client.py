"""The real python-binance Client against the local exchange: the calls CRBOT makes, as Binance answers them."""

from __future__ import annotations

import time
from decimal import Decimal

from binance.client import Client

from crbot.binance.codec import (
    account_from_json,
    fill_from_json,
    fills_from_order_json,
    order_from_json,
    orders_from_json,
)
from tests.localexchange.test_server_kit import BTC, Sim, client, order_count, sim

D = Decimal
__all__ = ["client", "sim"]  # fixtures, re-exported for pytest


def limit_buy(client: Client, cid: str, price: str = "49000", qty: str = "0.001") -> dict[str, object]:
    return client.create_order(
        symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC", quantity=qty, price=price, newClientOrderId=cid
    )


def test_ping_time_and_exchange_info(client: Client) -> None:
    assert client.ping() == {}
    server = client.get_server_time()["serverTime"]
    assert abs(server - time.time() * 1000) < 60_000  # the exchange runs on the system clock
    info = client.get_exchange_info()
    symbols = {s["symbol"]: s for s in info["symbols"]}
    assert BTC in symbols and "ETHUSDT" in symbols
    assert {f["filterType"] for f in symbols[BTC]["filters"]} >= {"PRICE_FILTER", "LOT_SIZE"}
    assert info["rateLimits"][0] == {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": 6000,
    }
    one = client._get("exchangeInfo", data={"symbol": BTC})
    assert [s["symbol"] for s in one["symbols"]] == [BTC]
    two = client._get("exchangeInfo", data={"symbols": '["BTCUSDT","ETHUSDT"]'})
    assert [s["symbol"] for s in two["symbols"]] == [BTC, "ETHUSDT"]


def test_market_data_comes_from_the_feed(sim: Sim, client: Client) -> None:
    assert client.get_symbol_ticker(symbol=BTC) == {"symbol": BTC, "price": "50000.00000000"}
    assert {"symbol": "ETHUSDT", "price": "3000.00000000"} in client.get_symbol_ticker()
    book = client.get_orderbook_ticker(symbol=BTC)
    assert book["bidPrice"] == book["askPrice"] == "50000.00000000"
    sim.move("50100")
    sim.move("49900")
    avg = client.get_avg_price(symbol=BTC)
    assert avg["mins"] == 5 and D(avg["price"]) == D("50000")
    candles = client.get_klines(symbol=BTC, interval="1m", limit=5)
    assert candles and candles[-1][2] == "50100.00000000" and candles[-1][4] == "49900.00000000"
    assert candles[-1][6] - candles[-1][0] == 59_999


def test_account_balances_commissions_and_rights(client: Client) -> None:
    raw = client.get_account()
    info = account_from_json(raw)
    assert {b.asset: b.free for b in info.balances} == {"USDT": D("10000")}
    assert info.commissions.maker == D("0.001") and info.can_trade and info.permissions == ("SPOT",)
    assert raw["commissionRates"]["taker"] == "0.00100000"


def test_create_get_and_cancel_an_order(client: Client) -> None:
    placed = limit_buy(client, "crbot-1")
    assert placed["status"] == "NEW" and "fills" in placed  # LIMIT defaults to the FULL response
    assert order_count(client) == ("1", "1")
    by_client_id = order_from_json(client.get_order(symbol=BTC, origClientOrderId="crbot-1"))
    by_id = order_from_json(client.get_order(symbol=BTC, orderId=placed["orderId"]))
    assert by_client_id == by_id and by_id.price == D("49000") and by_id.quantity == D("0.001")
    assert [o["clientOrderId"] for o in client.get_open_orders(symbol=BTC)] == ["crbot-1"]
    canceled = client.cancel_order(symbol=BTC, origClientOrderId="crbot-1")
    assert canceled["status"] == "CANCELED" and canceled["origClientOrderId"] == "crbot-1"
    assert order_from_json(canceled).client_order_id == "crbot-1"
    assert client.get_open_orders() == []
    assert [o["status"] for o in client.get_all_orders(symbol=BTC)] == ["CANCELED"]


def test_a_market_order_fills_and_shows_up_in_my_trades(client: Client) -> None:
    placed = client.create_order(symbol=BTC, side="BUY", type="MARKET", quantity="0.002", newClientOrderId="m1")
    assert placed["status"] == "FILLED" and placed["executedQty"] == "0.00200000"
    fills = fills_from_order_json(placed)
    assert len(fills) == 1 and fills[0].price == D("50000") and fills[0].commission_asset == "BTC"
    trades = [fill_from_json(t) for t in client.get_my_trades(symbol=BTC)]
    assert [(t.trade_id, t.order_id, t.quantity, t.side.value) for t in trades] == [
        (fills[0].trade_id, placed["orderId"], D("0.002"), "BUY")
    ]
    assert client.get_my_trades(symbol=BTC, orderId=placed["orderId"])[0]["commission"] == "0.00000200"
    balances = {b["asset"]: b for b in client.get_account()["balances"]}
    assert D(balances["BTC"]["free"]) == D("0.001998") and D(balances["USDT"]["free"]) == D("9900")


def test_response_types_ack_and_result(client: Client) -> None:
    ack = client.create_order(
        symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="49000",
        newClientOrderId="a1", newOrderRespType="ACK",
    )  # fmt: skip
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = client.create_order(
        symbol=BTC, side="BUY", type="LIMIT_MAKER", quantity="0.001", price="48000", newClientOrderId="a2",
        newOrderRespType="RESULT",
    )  # fmt: skip
    assert result["type"] == "LIMIT_MAKER" and "fills" not in result
    assert (
        client.create_test_order(
            symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="49000"
        )
        == {}
    )
    assert len(client.get_open_orders(symbol=BTC)) == 2  # the test order was never placed


def test_cancel_all_open_orders_and_binances_answer_when_none_are_left(client: Client) -> None:
    limit_buy(client, "c1")
    limit_buy(client, "c2", price="48000")
    canceled = orders_from_json(client.cancel_all_open_orders(symbol=BTC))
    assert sorted(o.client_order_id for o in canceled) == ["c1", "c2"]
    assert client.get_open_orders(symbol=BTC) == []
    try:
        client.cancel_all_open_orders(symbol=BTC)
    except Exception as exc:  # BinanceAPIException, checked below
        assert (exc.status_code, exc.code, exc.message) == (400, -2011, "Unknown order sent.")  # type: ignore[attr-defined]
    else:
        raise AssertionError("cancelling all with nothing open must fail like Binance (-2011)")


def buy_btc(client: Client, qty: str = "0.004") -> None:
    client.create_order(symbol=BTC, side="BUY", type="MARKET", quantity=qty, newClientOrderId="seed-buy")


def test_an_oco_exit_is_placed_listed_and_cancelled(client: Client) -> None:
    buy_btc(client)
    placed = client.create_oco_order(
        symbol=BTC, side="SELL", quantity="0.003", listClientOrderId="oco-1",
        aboveType="LIMIT_MAKER", abovePrice="52000", aboveClientOrderId="tp-1",
        belowType="STOP_LOSS_LIMIT", belowStopPrice="48000", belowPrice="47900", belowTimeInForce="GTC",
        belowClientOrderId="sl-1", newOrderRespType="RESULT",
    )  # fmt: skip
    assert placed["contingencyType"] == "OCO" and placed["listOrderStatus"] == "EXECUTING"
    assert order_count(client) == ("3", "3")  # the seed buy plus two legs
    reports = {r["clientOrderId"]: r for r in placed["orderReports"]}
    assert reports["tp-1"]["type"] == "LIMIT_MAKER" and reports["sl-1"]["stopPrice"] == "48000.00000000"
    listed = client.get_open_oco_orders()
    assert [(x["listClientOrderId"], len(x["orders"])) for x in listed] == [("oco-1", 2)]
    queried = client.v3_get_order_list(orderListId=placed["orderListId"])
    assert queried["listClientOrderId"] == "oco-1" and "orderReports" not in queried
    done = client.v3_delete_order_list(symbol=BTC, listClientOrderId="oco-1")
    assert done["listStatusType"] == "ALL_DONE" and {r["status"] for r in done["orderReports"]} == {"CANCELED"}
    assert client.get_open_oco_orders() == [] and client.get_open_orders(symbol=BTC) == []


def test_an_otoco_bracket_waits_for_its_entry_and_cancel_all_reports_it_as_a_list(sim: Sim, client: Client) -> None:
    placed = client.v3_post_order_list_otoco(
        symbol=BTC, listClientOrderId="br-1", newOrderRespType="RESULT",
        workingType="LIMIT", workingSide="BUY", workingPrice="49500", workingQuantity="0.002",
        workingTimeInForce="GTC", workingClientOrderId="br-1-in",
        pendingSide="SELL", pendingQuantity="0.00199",
        pendingAboveType="LIMIT_MAKER", pendingAbovePrice="52000", pendingAboveClientOrderId="br-1-tp",
        pendingBelowType="STOP_LOSS_LIMIT", pendingBelowStopPrice="48000", pendingBelowPrice="47900",
        pendingBelowTimeInForce="GTC", pendingBelowClientOrderId="br-1-sl",
    )  # fmt: skip
    assert placed["contingencyType"] == "OTO" and len(placed["orders"]) == 3
    assert [r["status"] for r in placed["orderReports"]] == ["NEW", "PENDING_NEW", "PENDING_NEW"]
    sim.move("49400")  # the entry fills; its exits go live
    statuses = {o["clientOrderId"]: o["status"] for o in client.get_all_orders(symbol=BTC)}
    assert statuses == {"br-1-in": "FILLED", "br-1-tp": "NEW", "br-1-sl": "NEW"}
    cancelled = client.cancel_all_open_orders(symbol=BTC)
    assert len(cancelled) == 1 and cancelled[0]["listClientOrderId"] == "br-1"
    assert sorted(r["origClientOrderId"] for r in cancelled[0]["orderReports"]) == ["br-1-sl", "br-1-tp"]


def test_an_oto_places_its_pending_order_once_the_working_order_fills(sim: Sim, client: Client) -> None:
    buy_btc(client)
    placed = client.v3_post_order_list_oto(
        symbol=BTC, listClientOrderId="oto-1", newOrderRespType="ACK",
        workingType="LIMIT", workingSide="SELL", workingPrice="50500", workingQuantity="0.001",
        workingTimeInForce="GTC", workingClientOrderId="oto-w",
        pendingType="LIMIT", pendingSide="BUY", pendingPrice="49000", pendingQuantity="0.001",
        pendingTimeInForce="GTC", pendingClientOrderId="oto-p",
    )  # fmt: skip
    assert set(placed["orderReports"][0]) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    sim.move("50600")
    assert client.get_order(symbol=BTC, origClientOrderId="oto-p")["status"] == "NEW"


def test_the_key_permissions_default_to_the_safe_shape(client: Client) -> None:
    perms = client.get_account_api_permissions()
    assert perms["ipRestrict"] is True and perms["enableSpotAndMarginTrading"] is True
    assert perms["enableWithdrawals"] is False and perms["enableFutures"] is False and "createTime" in perms
