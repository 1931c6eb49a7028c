"""Every error mapping over HTTP: CRBOT's error tree -> one status each (beside the CLI's exit codes), and the
API's own refusals (validation, bad JSON, media type, oversized bodies)."""

from __future__ import annotations

import inspect
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from crbot import errors
from crbot.api.errors import STATUS, status_of
from crbot.errors import ConnectivityError, ExchangeRejected, OutcomeUnknown, RateLimited
from tests.api.conftest import Server

B = "/api/broker"
ORDER = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": "49900"}
EXIT_TO_STATUS = {2: {400, 500}, 3: {409}, 4: {404, 502}, 5: {503}, 1: {500}}


class _Patched:
    """The real broker with some methods replaced (the service swaps it in for every part)."""

    def __init__(self, broker: Any, **methods: Callable[..., Any]) -> None:
        self._broker = broker
        self.__dict__.update(methods)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)


@pytest.fixture
def patch_broker(fresh_api: Server) -> Iterator[Callable[..., None]]:
    real = fresh_api.rt.service.broker

    def patch(**methods: Callable[..., Any]) -> None:
        fresh_api.rt.service.broker = _Patched(real, **methods)

    yield patch
    fresh_api.rt.service.broker = real


def _raise(exc: Exception) -> Callable[..., Any]:
    def raiser(*_: Any, **__: Any) -> Any:
        raise exc

    return raiser


def test_the_table_covers_every_error_and_agrees_with_the_exit_codes() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.CrbotError)]
    for cls in classes:
        assert any(issubclass(cls, kind) for kind, _ in STATUS), cls
        exc = cls.__new__(cls)  # no constructor call: only the class decides the status
        assert status_of(exc) in EXIT_TO_STATUS[cls.exit_code], cls


def test_invalid_input_is_400(api: Server) -> None:
    unknown = api.call("POST", f"{B}/order/create", json={**ORDER, "symbol": "NOPEUSDT"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "InvalidInput" and unknown.json()["exit_code"] == 2
    assert "unknown symbol" in unknown.json()["message"] and unknown.json()["hint"]
    off_step = api.call("POST", f"{B}/order/create", json={**ORDER, "quantity": "0.0000001"})
    assert off_step.status_code == 400 and off_step.json()["error"] == "FilterError"
    word = api.call("POST", f"{B}/resume", "admin", json={"confirmation": "resume please"})
    assert word.status_code == 400 and "confirmation" in word.json()["message"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"side": "BUY", "quantity": "1"}, "symbol"),
        ({**ORDER, "quantity": "-1"}, "quantity"),
        ({**ORDER, "quantity": "1e-3"}, "quantity"),
        ({**ORDER, "quantity": True}, "quantity"),
        ({**ORDER, "quote_quantity": "10"}, "exactly one of quantity or quote_quantity"),
        ({**ORDER, "type": "MARKET"}, "price does not apply"),
        ({**ORDER, "side": "HOLD"}, "side"),
        ({**ORDER, "client_order_id": "has spaces"}, "client_order_id"),
        ({**ORDER, "qty": "1"}, "qty"),  # a misspelt field is an error, never ignored
    ],
)
def test_validation_is_422_and_names_the_field(api: Server, body: dict, needle: str) -> None:
    before = len(api.rt.journal.orders())
    reply = api.call("POST", f"{B}/order/create", json=body)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"] == "InvalidInput" and needle in reply.json()["message"]
    assert len(api.rt.journal.orders()) == before


def test_numbers_are_read_as_written_not_as_floats(api: Server) -> None:
    reply = api.call("POST", f"{B}/order/create", json={**ORDER, "quantity": 0.001, "price": 49900})
    assert reply.status_code == 201, reply.text
    assert reply.json()["orders"][0]["quantity"] == "0.001"


def test_bad_json_is_422_and_a_non_json_body_415(api: Server) -> None:
    headers = {"Content-Type": "application/json"}
    bad = api.call("POST", f"{B}/stop", data=b'{"reason": ', headers=headers)
    assert bad.status_code == 422 and "not valid JSON" in bad.json()["message"]
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    form = api.call("POST", f"{B}/stop", data=b"reason=x", headers=form_type)
    assert form.status_code == 415 and "Content-Type: application/json" in form.json()["message"]
    assert api.rt.journal.trading_state().state != "HALTED"


def test_oversized_bodies_are_413_declared_or_chunked(api: Server) -> None:
    big = b'{"reason": "' + b"x" * 70_000 + b'"}'
    declared = api.call("POST", f"{B}/stop", data=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"] == "BodyTooLarge"
    chunked = api.call("POST", f"{B}/stop", data=iter([big[:40_000], big[40_000:]]))  # no Content-Length
    assert chunked.status_code == 413
    assert api.rt.journal.trading_state().state != "HALTED"


def test_raw_garbage_on_the_socket_does_not_hurt_the_server(api: Server) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"\x00\xffNOT HTTP\r\n\r\n")
        sock.recv(100)
    assert api.call("GET", f"{B}/ping", "read").status_code == 200


def test_denied_is_409_with_the_code_and_numbers(api: Server) -> None:
    reply = api.call("POST", f"{B}/order/create", json={**ORDER, "price": "40000"})
    assert reply.status_code == 409 and reply.json()["exit_code"] == 3
    assert reply.json()["code"] == "PRICE_OUT_OF_BAND" and "your Price band allows ±5%" in reply.json()["detail"]
    # the limit behind it, and how the operator changes it (an API client cannot): never "the Risk page" alone
    assert reply.json()["limit"] == "price_band_pct"
    assert "python -m crbot limits set price_band_pct VALUE --reason TEXT" in reply.json()["hint"]


def test_halted_is_409_trading_halted(fresh_api: Server) -> None:
    fresh_api.call("POST", f"{B}/stop", json={"reason": "halt for the test"})
    reply = fresh_api.call("POST", f"{B}/order/create", json=ORDER)
    assert reply.status_code == 409 and reply.json()["code"] == "TRADING_HALTED"


def test_unknown_order_is_404(api: Server) -> None:
    journal_only = api.call("GET", f"{B}/order/never-placed", "read")
    assert journal_only.status_code == 404 and journal_only.json()["error"] == "OrderNotFound"
    exchange = api.call("GET", f"{B}/order/never-placed?symbol=BTCUSDT", "read")
    assert exchange.status_code == 404
    cancel = api.call("POST", f"{B}/order/cancel", json={"symbol": "BTCUSDT", "client_order_id": "never-placed"})
    assert cancel.status_code == 404 and cancel.json()["code"] == -2011


def test_exchange_rejection_is_502_with_the_binance_code(api: Server) -> None:
    reply = api.call("POST", f"{B}/order/create", json={**ORDER, "side": "SELL", "price": "50100", "quantity": "0.01"})
    assert reply.status_code == 502, reply.text
    assert reply.json()["error"] == "InsufficientBalance" and reply.json()["code"] == -2010
    assert reply.json()["exit_code"] == 4


def test_an_exchange_error_on_a_read_is_502(fresh_api: Server, patch_broker: Callable[..., None]) -> None:
    patch_broker(account=_raise(ExchangeRejected("Invalid API-key, IP, or permissions", code=-2015)))
    reply = fresh_api.call("GET", f"{B}/account/info", "read")
    assert reply.status_code == 502 and reply.json()["code"] == -2015


def test_connectivity_is_503_with_retry_after(fresh_api: Server, patch_broker: Callable[..., None]) -> None:
    patch_broker(ping=_raise(RateLimited("too many requests", retry_after=7.2)))
    limited = fresh_api.call("GET", f"{B}/ping", "read")
    assert limited.status_code == 503 and limited.headers["Retry-After"] == "8" and limited.json()["exit_code"] == 5
    patch_broker(ping=_raise(ConnectivityError("exchange unreachable")))
    down = fresh_api.call("GET", f"{B}/ping", "read")
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"


def test_an_unknown_outcome_is_503_naming_the_order_and_a_retry_never_resends(
    fresh_api: Server, patch_broker: Callable[..., None]
) -> None:
    sent: list[str] = []
    real_submit = fresh_api.rt.service.broker.submit

    def lost_ack(spec: Any) -> Any:  # the order reaches the exchange; its answer is lost
        sent.append(spec.client_order_id)
        real_submit(spec)
        raise OutcomeUnknown("timeout after sending", client_order_id=spec.client_order_id)

    patch_broker(submit=lost_ack, get_order=_raise(ConnectivityError("still unreachable")))
    body = {**ORDER, "client_order_id": "api-lost-1"}
    first = fresh_api.call("POST", f"{B}/order/create", json=body)
    assert first.status_code == 503 and first.json()["client_order_id"] == "api-lost-1", first.text
    again = fresh_api.call("POST", f"{B}/order/create", json=body)
    assert again.status_code == 200 and sent == ["api-lost-1"]


def test_stop_incomplete_is_503_with_the_report(fresh_api: Server, patch_broker: Callable[..., None]) -> None:
    fresh_api.call("POST", f"{B}/order/create", json=ORDER)
    patch_broker(cancel_all=_raise(ConnectivityError("exchange unreachable")))
    reply = fresh_api.call("POST", f"{B}/stop", json={"reason": "exchange down"})
    assert reply.status_code == 503 and reply.json()["error"] == "StopIncomplete"
    assert reply.json()["state"] == "HALTED" and reply.json()["ok"] is False and reply.json()["errors"]
    assert fresh_api.rt.journal.trading_state().state == "HALTED"  # latched whatever the exchange did


def test_an_unexpected_error_is_500_without_a_traceback(fresh_api: Server, patch_broker: Callable[..., None]) -> None:
    patch_broker(ping=_raise(RuntimeError("secret internals")))
    reply = fresh_api.call("GET", f"{B}/ping", "read")
    assert reply.status_code == 500 and "secret internals" not in reply.text and "Traceback" not in reply.text
