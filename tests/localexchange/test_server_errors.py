"""Refusals, as the real python-binance Client sees them: HTTP status, Binance code and message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from tests.localexchange.test_server_kit import BTC, KEY, Sim, client, make_client, sim, start_sim

__all__ = ["client", "sim"]  # fixtures, re-exported for pytest


def refused(call: Callable[..., Any], **params: Any) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        call(**params)
    return err.value


def limit(**overrides: str) -> dict[str, str]:
    params = {
        "symbol": BTC,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "49000",
        "newClientOrderId": "e1",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v != ""}


def test_a_wrong_secret_is_a_bad_signature(sim: Sim) -> None:
    err = refused(make_client(sim.url, secret="x" * 64).get_account)
    assert (err.status_code, err.code, err.message) == (400, -1022, "Signature for this request is not valid.")


def test_an_unknown_or_malformed_api_key_is_401(sim: Sim) -> None:
    unknown = refused(make_client(sim.url, key="B" * 64).get_open_orders)
    assert (unknown.status_code, unknown.code) == (401, -2015)
    malformed = refused(make_client(sim.url, key="my-key").get_open_orders)
    assert (malformed.status_code, malformed.code, malformed.message) == (401, -2014, "API-key format invalid.")
    assert make_client(sim.url, key="my-key").ping() == {}  # public endpoints need no key


def test_stale_and_future_timestamps_are_refused_until_the_client_syncs(client: Client) -> None:
    client.timestamp_offset = -20_000  # a clock 20 s slow, recvWindow 5000
    err = refused(client.get_account)
    assert (err.code, err.message) == (-1021, "Timestamp for this request is outside of the recvWindow.")
    client.timestamp_offset = 3_000  # 3 s fast
    err = refused(client.get_account)
    assert (err.code, err.message) == (-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    client.REQUEST_RECVWINDOW = 60_001
    assert refused(client.get_account).code == -1131
    client.REQUEST_RECVWINDOW = 5000
    client.timestamp_offset = 0
    assert client.get_account()["canTrade"] is True


def test_filter_failures_name_the_filter(client: Client) -> None:
    lot = refused(client.create_order, **limit(quantity="0.000001"))
    assert (lot.status_code, lot.code, lot.message) == (400, -1013, "Filter failure: LOT_SIZE")
    tick = refused(client.create_order, **limit(price="49000.001"))
    assert (tick.code, tick.message) == (-1013, "Filter failure: PRICE_FILTER")
    notional = refused(client.create_order, **limit(quantity="0.00001"))
    assert notional.code == -1013 and notional.message.startswith("Filter failure: ")
    assert client.get_open_orders(symbol=BTC) == []


def test_malformed_parameters_get_binances_codes(client: Client) -> None:
    exponent = refused(client.create_order, **limit(quantity="1e-05"))
    assert exponent.code == -1100 and "Illegal characters found in parameter 'quantity'" in exponent.message
    no_price = refused(client.create_order, **limit(price=""))
    assert (no_price.code, no_price.message) == (
        -1102,
        "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
    )
    priced_market = refused(client.create_order, **limit(type="MARKET", timeInForce=""))
    assert (priced_market.code, priced_market.message) == (-1106, "Parameter 'price' sent when not required.")
    assert refused(client.create_order, **limit(side="HOLD")).code == -1117
    assert refused(client.create_order, **limit(type="ICEBERG")).code == -1116
    assert refused(client.create_order, **limit(timeInForce="IOC")).code == -1014  # GTC only on paper
    assert refused(client.create_order, **limit(symbol="NOPEUSDT")).code == -1121
    assert refused(client.get_open_orders, symbol="btcusdt").code == -1100
    stop_market = refused(client.create_order, **limit(type="STOP_LOSS", price="", timeInForce="", stopPrice="48000"))
    assert (stop_market.code, stop_market.message) == (-1014, "Unsupported order combination.")
    lookup = refused(client.get_order, symbol=BTC)
    assert lookup.code == -1102 and "'origClientOrderId' or 'orderId'" in lookup.message
    assert refused(client.get_order, symbol=BTC, orderId="12x").code == -1100


def test_engine_refusals_come_back_as_minus_2010(client: Client) -> None:
    client.create_order(**limit())
    duplicate = refused(client.create_order, **limit())
    assert (duplicate.status_code, duplicate.code, duplicate.message) == (400, -2010, "Duplicate order sent.")
    broke = refused(client.create_order, **limit(newClientOrderId="e2", quantity="0.3"))
    assert (broke.code, broke.message) == (-2010, "Account has insufficient balance for requested action.")
    taker = refused(
        client.create_order, **limit(type="LIMIT_MAKER", timeInForce="", price="51000", newClientOrderId="e3")
    )
    assert (taker.code, taker.message) == (-2010, "Order would immediately match and take.")


def test_unknown_orders_are_minus_2013_on_query_and_minus_2011_on_cancel(client: Client) -> None:
    query = refused(client.get_order, symbol=BTC, origClientOrderId="never")
    assert (query.code, query.message) == (-2013, "Order does not exist.")
    cancel = refused(client.cancel_order, symbol=BTC, origClientOrderId="never")
    assert (cancel.code, cancel.message) == (-2011, "Unknown order sent.")
    client.create_order(**limit(newClientOrderId="r1"))
    restricted = refused(
        client.cancel_order, symbol=BTC, origClientOrderId="r1", cancelRestrictions="ONLY_PARTIALLY_FILLED"
    )
    assert (restricted.code, restricted.message) == (-2011, "Order was not canceled due to cancel restrictions.")
    assert (
        client.cancel_order(symbol=BTC, origClientOrderId="r1", cancelRestrictions="ONLY_NEW")["status"] == "CANCELED"
    )


def test_a_read_only_key_may_read_but_not_trade(tmp_path: Path) -> None:
    s = start_sim(tmp_path / "ro.db", restrictions={"enableSpotAndMarginTrading": False, "enableWithdrawals": True})
    try:
        c = make_client(s.url)
        assert c.get_account()["canTrade"] is False and c.get_account()["canWithdraw"] is True
        err = refused(c.create_order, **limit())
        assert (err.status_code, err.code) == (401, -2015)
        perms = c.get_account_api_permissions()
        assert perms["enableSpotAndMarginTrading"] is False and perms["enableWithdrawals"] is True
        assert perms["ipRestrict"] is True  # the rest of the safe default stays
    finally:
        s.exchange.stop()
        s.engine.close()


def test_a_key_without_reading_rights_cannot_read(tmp_path: Path) -> None:
    s = start_sim(tmp_path / "nr.db", restrictions={"enableReading": False})
    try:
        assert refused(make_client(s.url, key=KEY).get_account).code == -2015
    finally:
        s.exchange.stop()
        s.engine.close()
