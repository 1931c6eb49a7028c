"""Every python-binance / requests failure becomes a crbot error that says what happened and what to do."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from binance.exceptions import BinanceAPIException, BinanceRequestException

from crbot.binance.retry import DEFAULT_BAN_S
from crbot.broker.binance_errors import Call, translate
from crbot.clock import to_ms
from crbot.errors import (
    AuthError,
    ConnectivityError,
    ExchangeRejected,
    FilterError,
    InsufficientBalance,
    InvalidInput,
    IpBanned,
    OrderNotFound,
    OutcomeUnknown,
    RateLimited,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
QUERY = Call(what="the query of BTCUSDT order c-1", venue="Binance testnet (h)", now=NOW)
PLACE = Call(what="BUY LIMIT BTCUSDT order c-1", venue="Binance testnet (h)", now=NOW, placing="c-1", timeout_s=10)


def api_error(
    status: int, code: int | None = None, msg: str = "", *, headers: dict | None = None, body: str | None = None
):
    response = requests.Response()
    response.status_code = status
    response._content = (body if body is not None else json.dumps({"code": code, "msg": msg})).encode()
    response.headers.update(headers or {})
    return BinanceAPIException(response, status, response.text)


def test_invalid_api_key_format_says_check_the_key() -> None:
    err = translate(api_error(401, -2014, "API-key format invalid."), QUERY)
    assert type(err) is AuthError and err.code == -2014
    assert err.message.startswith("Invalid API key")
    assert "BINANCE_API_KEY" in err.hint and "SECRET" in err.hint


def test_rejected_key_names_the_ip_to_whitelist() -> None:
    msg = "Invalid API-key, IP, or permissions for action, request ip: 203.0.113.7"
    err = translate(api_error(401, -2015, msg), PLACE)
    assert type(err) is AuthError and err.code == -2015
    assert err.message.startswith("Invalid API key")
    assert "203.0.113.7" in err.hint and "whitelist" in err.hint and "BINANCE_API_SECRET" in err.hint


def test_bad_signature_points_at_the_secret() -> None:
    err = translate(api_error(400, -1022, "Signature for this request is not valid."), QUERY)
    assert isinstance(err, AuthError) and "BINANCE_API_SECRET" in err.hint


def test_insufficient_balance() -> None:
    err = translate(api_error(400, -2010, "Account has insufficient balance for requested action."), PLACE)
    assert type(err) is InsufficientBalance and err.code == -2010
    assert "trade smaller" in err.hint


@pytest.mark.parametrize(
    ("msg", "cls", "hint"),
    [
        ("Duplicate order sent.", ExchangeRejected, "already used"),
        ("Order would immediately match and take.", ExchangeRejected, "away from the market"),
        ("The relationship of the prices for the orders is not correct.", ExchangeRejected, "take-profit above"),
        ("Something new.", ExchangeRejected, "resending unchanged"),
    ],
)
def test_other_new_order_rejections_keep_their_reason(msg: str, cls: type, hint: str) -> None:
    err = translate(api_error(400, -2010, msg), PLACE)
    assert type(err) is cls and err.code == -2010 and msg in err.message and hint in err.hint


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("NOTIONAL", "MIN_NOTIONAL"),
        ("MIN_NOTIONAL", "MIN_NOTIONAL"),
        ("LOT_SIZE", "lot size"),
        ("PRICE_FILTER", "tick"),
    ],
)
def test_filter_failures_name_the_filter(kind: str, hint: str) -> None:
    err = translate(api_error(400, -1013, f"Filter failure: {kind}"), PLACE)
    assert type(err) is FilterError and err.filter_type == kind
    assert hint in err.hint


def test_rate_limit_carries_retry_after() -> None:
    err = translate(api_error(429, -1003, "Too much request weight used", headers={"Retry-After": "7"}), QUERY)
    assert type(err) is RateLimited and err.retry_after == 7.0
    assert "7 s" in err.hint


def test_too_many_orders_is_a_rate_limit() -> None:
    err = translate(api_error(429, -1015, "Too many new orders.", headers={"Retry-After": "3"}), PLACE)
    assert type(err) is RateLimited and err.retry_after == 3.0


def test_ban_uses_retry_after_then_the_message_then_a_default() -> None:
    err = translate(api_error(418, -1003, "IP banned", headers={"Retry-After": "300"}), QUERY)
    assert type(err) is IpBanned and err.retry_after == 300.0
    until = to_ms(NOW + timedelta(seconds=90))
    err = translate(api_error(418, -1003, f"Way too much request weight used; IP banned until {until}."), QUERY)
    assert isinstance(err, IpBanned) and err.retry_after == pytest.approx(90, abs=1)
    err = translate(api_error(418, body="<html>banned</html>"), QUERY)
    assert isinstance(err, IpBanned) and err.retry_after == DEFAULT_BAN_S


@pytest.mark.parametrize("code", [-2011, -2013, -2026])
def test_unknown_orders(code: int) -> None:
    err = translate(api_error(400, code, "Unknown order sent."), QUERY)
    assert type(err) is OrderNotFound and err.code == code


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unknown_outcomes_only_when_placing(status: int) -> None:
    placing = translate(api_error(status, body="Service Unavailable"), PLACE)
    assert type(placing) is OutcomeUnknown and placing.client_order_id == "c-1"
    assert "may or may not exist" in placing.message and "c-1" in placing.hint
    query = translate(api_error(status, body="Service Unavailable"), QUERY)
    assert type(query) is ConnectivityError


@pytest.mark.parametrize("code", [-1000, -1001, -1006, -1007, -1008])
def test_execution_status_unknown_codes(code: int) -> None:
    assert type(translate(api_error(400, code, "Execution status unknown."), PLACE)) is OutcomeUnknown
    assert type(translate(api_error(400, code, "Execution status unknown."), QUERY)) is ConnectivityError


def test_clock_drift_says_how_to_fix_it() -> None:
    err = translate(api_error(400, -1021, "Timestamp for this request is outside of the recvWindow."), PLACE)
    assert type(err) is ConnectivityError and "NTP" in err.hint and "CRBOT_RECV_WINDOW_MS" in err.hint


@pytest.mark.parametrize("code", [-1100, -1102, -1111, -1121])
def test_malformed_requests_are_invalid_input(code: int) -> None:
    err = translate(api_error(400, code, "Illegal characters found in parameter 'quantity'."), PLACE)
    assert type(err) is InvalidInput and err.code == code and "nothing was placed" in err.hint


def test_unlisted_codes_stay_rejections_with_the_message() -> None:
    err = translate(api_error(400, -2039, "Client order ID is not correct for this order ID."), QUERY)
    assert type(err) is ExchangeRejected and err.code == -2039 and "not correct" in err.message


def test_garbled_answer() -> None:
    exc = BinanceRequestException("Invalid Response: <html>")
    assert type(translate(exc, PLACE)) is OutcomeUnknown
    assert type(translate(exc, QUERY)) is ConnectivityError


def test_read_timeout_while_placing_is_unknown_but_a_connect_timeout_sent_nothing() -> None:
    assert type(translate(requests.ReadTimeout("read timed out"), PLACE)) is OutcomeUnknown
    err = translate(requests.ConnectTimeout("connect timed out"), PLACE)
    assert type(err) is ConnectivityError and "nothing was sent" in err.message
    assert type(translate(requests.ReadTimeout("read timed out"), QUERY)) is ConnectivityError


def test_refused_connection_sent_nothing() -> None:
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get("http://127.0.0.1:9/api/v3/order", timeout=2)  # discard port: refused
    err = translate(caught.value, PLACE)
    assert type(err) is ConnectivityError and "nothing was sent" in err.message
    assert "CRBOT_BINANCE_BASE_URL" in err.hint


def test_dropped_connection_while_placing_is_unknown() -> None:
    exc = requests.ConnectionError(ConnectionResetError("Connection aborted."))
    assert type(translate(exc, PLACE)) is OutcomeUnknown


def test_unrelated_exceptions_are_not_swallowed() -> None:
    with pytest.raises(TypeError):
        translate(KeyError("x"), QUERY)
