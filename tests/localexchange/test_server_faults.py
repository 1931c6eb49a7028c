"""Every injected fault, observed through the real python-binance Client: what the caller sees
(a requests exception or a 5xx) and what really happened on the exchange (the order exists or not)."""

from __future__ import annotations

import time

import pytest
import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException

from tests.localexchange.test_server_kit import BTC, Sim, client, make_client, sim

__all__ = ["client", "sim"]  # fixtures, re-exported for pytest

ORDER = "/api/v3/order"


def place(client: Client, cid: str) -> dict[str, object]:
    return client.create_order(
        symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="49000", newClientOrderId=cid
    )


def exists(client: Client, cid: str) -> bool:
    try:
        client.get_order(symbol=BTC, origClientOrderId=cid)
    except BinanceAPIException as exc:
        assert exc.code == -2013
        return False
    return True


def test_server_errors_for_the_next_requests_then_normal_service(sim: Sim, client: Client) -> None:
    sim.exchange.faults.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(BinanceAPIException) as err:
            client.ping()
        assert (err.value.status_code, err.value.code) == (503, -1001)
        assert "X-MBX-USED-WEIGHT-1M" in err.value.response.headers
    assert client.ping() == {}


def test_a_5xx_on_the_order_path_only_and_before_acceptance_changes_nothing(sim: Sim, client: Client) -> None:
    sim.exchange.faults.fail_next(status=502, path=ORDER, method="POST")
    assert client.ping() == {} and client.get_open_orders(symbol=BTC) == []  # other calls are unaffected
    with pytest.raises(BinanceAPIException) as err:
        place(client, "f1")
    assert err.value.status_code == 502
    assert not exists(client, "f1")


def test_a_5xx_after_acceptance_leaves_the_order_on_the_book(sim: Sim, client: Client) -> None:
    sim.exchange.faults.fail_next(status=504, path=ORDER, method="POST", after=True)
    with pytest.raises(BinanceAPIException) as err:
        place(client, "f2")
    assert (err.value.status_code, err.value.code) == (504, -1007)
    assert "execution status unknown" in err.value.message
    assert exists(client, "f2")  # the outcome was unknown to the caller, the order is real


def test_a_timeout_before_acceptance_changes_nothing(sim: Sim, client: Client) -> None:
    impatient = make_client(sim.url, timeout=0.3)  # only for the call meant to time out
    sim.exchange.faults.timeout_next(path=ORDER, method="POST")
    with pytest.raises(requests.exceptions.ReadTimeout):
        place(impatient, "t1")
    assert not exists(client, "t1")


def test_a_timeout_after_acceptance_hides_an_order_that_exists(sim: Sim, client: Client) -> None:
    impatient = make_client(sim.url, timeout=0.3)  # only for the call meant to time out
    sim.exchange.faults.timeout_next(path=ORDER, method="POST", after=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        place(impatient, "t2")
    assert exists(client, "t2")


def test_a_dropped_connection_before_or_after_acceptance(sim: Sim, client: Client) -> None:
    sim.exchange.faults.drop_next(path=ORDER, method="POST")
    with pytest.raises(requests.exceptions.ConnectionError):
        place(client, "d1")
    assert not exists(client, "d1")
    sim.exchange.faults.drop_next(path=ORDER, method="POST", after=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        place(client, "d2")
    assert exists(client, "d2")
    assert client.ping() == {}  # the client reconnects on its next call


def test_added_latency_makes_an_impatient_client_time_out(sim: Sim) -> None:
    impatient = make_client(sim.url, timeout=0.3)
    sim.exchange.faults.latency_ms = 3000
    with pytest.raises(requests.exceptions.ReadTimeout):
        impatient.ping()
    sim.exchange.faults.latency_ms = 0
    assert make_client(sim.url).ping() == {}


def test_clock_skew_breaks_signed_calls_until_the_client_syncs_to_server_time(sim: Sim, client: Client) -> None:
    sim.exchange.faults.skew_ms = 30_000  # the exchange clock runs 30 s ahead of ours
    with pytest.raises(BinanceAPIException) as err:
        client.get_account()
    assert err.value.code == -1021
    server = client.get_server_time()["serverTime"]
    local = int(time.time() * 1000)
    assert server - local > 25_000
    client.timestamp_offset = server - local  # what a careful client does (BINANCE_NOTES trap 2)
    assert client.get_account()["canTrade"] is True
    sim.exchange.faults.skew_ms = -30_000  # now it runs behind: our requests look as if from the future
    with pytest.raises(BinanceAPIException) as err:
        client.get_account()
    assert "ahead of the server's time" in err.value.message
