"""The local exchange holds up like a server: bursts of clients, silent clients, broken HTTP, numbers that
do not fit, client order ids Binance refuses, and a command line that says what is wrong in one line."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from crbot.cli import main as cli_main
from crbot.clock import SystemClock
from crbot.domain import Side
from crbot.errors import ConfigError, InvalidInput
from crbot.localexchange.auth import hmac_signature
from crbot.localexchange.server import LocalExchange
from tests.localexchange.test_server_kit import BTC, KEY, SECRET, Sim, client, make_client, sim, start_sim
from tests.paper.conftest import book
from tests.paper.test_engine_kit import Rig, oco, rig, sl, spec, tp

__all__ = ["book", "client", "rig", "sim"]  # fixtures, re-exported for pytest

BAD_IDS = ["a b", "a/b", 'a"b', "a'b", "id-\U0001f4a5", "x" * 37, "a.b", "a:b", "abc\n"]


def address(s: Sim) -> tuple[str, int]:
    host, port = s.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def raw(s: Sim, data: bytes) -> tuple[int, dict[str, Any]]:
    """Send bytes as they are; the server answers and closes (Connection: close)."""
    with socket.create_connection(address(s), timeout=5) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), head
    assert b"application/json" in head
    return int(head.split()[1]), json.loads(body)


def refused(call: Callable[..., Any], **params: Any) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        call(**params)
    return err.value


def limit_buy(**overrides: str) -> dict[str, str]:
    base = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001"}
    return base | {"price": "49000", "newClientOrderId": "r1"} | overrides


# ---- load and slow clients ----------------------------------------------------------------------------
def test_a_burst_of_500_concurrent_pings_is_all_answered(sim: Sim) -> None:
    host, port = address(sim)
    start = threading.Barrier(500, timeout=30)

    def ping(_: int) -> int:
        start.wait()  # every client connects at once: the listen backlog takes the burst
        conn = HTTPConnection(host, port, timeout=20)
        try:
            conn.request("GET", "/api/v3/ping")
            reply = conn.getresponse()
            assert reply.read() == b"{}"
            return reply.status
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=500) as pool:
        statuses = list(pool.map(ping, range(500)))
    assert statuses == [200] * 500


def test_a_silent_or_short_client_is_disconnected_after_the_read_timeout(tmp_path: Path) -> None:
    s = start_sim(tmp_path / "exchange.db", read_timeout=0.2)
    try:
        with socket.create_connection(address(s), timeout=5) as idle:
            assert idle.recv(1) == b""  # closed by the server, without an answer
        with socket.create_connection(address(s), timeout=5) as short:  # announces 10 bytes, sends 2
            short.sendall(b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
            assert short.recv(1) == b""
        assert make_client(s.url).ping() == {}  # and the server still serves
    finally:
        s.exchange.stop()
        s.engine.close()


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_the_read_timeout_must_be_positive(sim: Sim, timeout: float) -> None:
    with pytest.raises(ConfigError, match="read_timeout must be positive"):
        LocalExchange(sim.engine, api_key="k", api_secret="s", clock=SystemClock(), read_timeout=timeout)


# ---- broken HTTP ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /api/v3/ping HTTP/9.9 extra\r\n\r\n",
        b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: 1_0\r\n\r\n",
    ],
)
def test_unparsable_requests_get_a_binance_json_400(sim: Sim, request_bytes: bytes) -> None:
    status, body = raw(sim, request_bytes)
    assert status == 400 and body["code"] == -1100 and body["msg"].startswith("Illegal characters")


def test_a_huge_body_is_413_and_an_unknown_method_501_both_in_json(sim: Sim) -> None:
    status, body = raw(sim, b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
    assert (status, body["code"]) == (413, -1100)
    status, body = raw(sim, b"PATCH /api/v3/order HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, body["code"]) == (501, -1020)
    assert make_client(sim.url).ping() == {}


# ---- numbers that do not fit ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        {"quantity": "1e400"},
        {"quantity": "9" * 5000},
        {"price": "99999999999999999999999.1"},  # 23 integer digits: Binance takes at most 20
        {"price": "49000." + "0" * 21},  # 21 decimals: at most 20
    ],
)
def test_numbers_beyond_binances_decimal_format_are_illegal_characters(client: Client, overrides: dict) -> None:
    err = refused(client.create_order, **limit_buy(**overrides))
    assert (err.status_code, err.code) == (400, -1100)
    assert "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'" in err.message
    assert client.get_open_orders(symbol=BTC) == []


def test_longs_that_overflow_are_1108_not_a_server_error(client: Client) -> None:
    err = refused(client.get_order, symbol=BTC, orderId="99999999999999999999")  # > int64
    assert (err.status_code, err.code, err.message) == (400, -1108, "Parameter 'orderId' overflowed.")
    err = refused(client.get_all_orders, symbol=BTC, startTime="99999999999999999")  # past any datetime
    assert (err.status_code, err.code) == (400, -1108)
    err = refused(client.get_klines, symbol=BTC, interval="1m", endTime="9" * 20)
    assert (err.status_code, err.code) == (400, -1108)
    assert client.get_all_orders(symbol=BTC, startTime="0") == []  # in range: answered


@pytest.mark.parametrize(("offset", "code"), [(10**40, -1100), (10**19, -1108)])
def test_a_timestamp_that_does_not_fit_is_refused_before_any_arithmetic(client: Client, offset: int, code: int) -> None:
    client.timestamp_offset = offset
    err = refused(client.get_account)
    assert (err.status_code, err.code) == (400, code)


# ---- client order ids -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", BAD_IDS)
def test_the_engine_refuses_client_ids_binance_refuses(rig: Rig, bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rig.engine.new_order(spec(bad, Side.BUY, "0.001", "49000"))
    assert err.value.code == -1100
    with pytest.raises(InvalidInput) as err:
        rig.engine.new_order_list(
            oco(bad, tp("t1", Side.SELL, "0.001", "52000"), sl("s1", Side.SELL, "0.001", "48000", "47900"))
        )
    assert err.value.code == -1100
    assert rig.engine.open_orders() == [] and rig.engine.all_orders(BTC) == []


def test_the_engine_takes_the_longest_and_every_legal_character(rig: Rig) -> None:
    rig.engine.new_order(spec("x" * 36, Side.BUY, "0.001", "49000"))
    rig.engine.new_order(spec("AZaz09_-", Side.BUY, "0.001", "49000"))
    assert len(rig.engine.open_orders()) == 2


def signed_post(s: Sim, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Signed as rest-api.md says (over the percent-encoded body): python-binance signs the raw values,
    so for an id that needs encoding it gets -1022 from Binance and from the local exchange alike."""
    body = urlencode({**params, "timestamp": str(time.time_ns() // 1_000_000)})
    body += "&signature=" + hmac_signature(SECRET, body)
    conn = HTTPConnection(*address(s), timeout=5)
    try:
        headers = {"X-MBX-APIKEY": KEY, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", path, body=body, headers=headers)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


@pytest.mark.parametrize("bad", BAD_IDS)
def test_the_server_refuses_client_ids_binance_refuses(sim: Sim, bad: str) -> None:
    status, body = signed_post(sim, "/api/v3/order", limit_buy(newClientOrderId=bad))
    assert (status, body["code"]) == (400, -1100) and "newClientOrderId" in body["msg"]
    legs = {"aboveType": "LIMIT_MAKER", "abovePrice": "52000", "belowType": "STOP_LOSS_LIMIT"}
    legs |= {"belowStopPrice": "48000", "belowPrice": "47900", "belowTimeInForce": "GTC"}
    oco_params = {"symbol": BTC, "side": "SELL", "quantity": "0.001", "listClientOrderId": bad, **legs}
    status, body = signed_post(sim, "/api/v3/orderList/oco", oco_params)
    assert (status, body["code"]) == (400, -1100) and "listClientOrderId" in body["msg"]
    assert signed_post(sim, "/api/v3/order", limit_buy(newClientOrderId="A-z_9" * 7 + "x"))[0] == 200  # 36 chars
    assert [o.client_order_id for o in sim.engine.open_orders()] == ["A-z_9" * 7 + "x"]


# ---- the command line -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [["sim", "bogus"], ["sim"], ["sim", "serve", "--port", "99999"], ["sim", "serve", "--port", "-1"]],
)
def test_bad_sim_command_lines_are_one_error_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert cli_main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
