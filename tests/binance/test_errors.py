"""One error-code table both ways: what the local exchange answers for a crbot error, the connector
translates back into the same kind of crbot error."""

from __future__ import annotations

import json

import pytest

from crbot.binance.errors import CODES, Kind, error_reply, kind_of
from crbot.broker.binance_errors import Call
from crbot.broker.binance_errors import translate as connector_translate
from crbot.errors import (
    AuthError,
    ConnectivityError,
    CrbotError,
    ExchangeRejected,
    FilterError,
    InsufficientBalance,
    InvalidInput,
    OrderNotFound,
    OutcomeUnknown,
)
from tests.broker.test_binance_errors import NOW, api_error

PLACE = Call(what="BUY LIMIT BTCUSDT order c-1", venue="the local exchange", now=NOW, placing="c-1")


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (AuthError("Signature for this request is not valid.", code=-1022), AuthError),
        (AuthError("Invalid API-key, IP, or permissions for action."), AuthError),
        (FilterError("LOT_SIZE", "quantity off the step"), FilterError),
        (OrderNotFound("no such order", code=-2011), OrderNotFound),
        (OrderNotFound("no such order"), OrderNotFound),
        (
            InsufficientBalance("Account has insufficient balance for requested action.", code=-2010),
            InsufficientBalance,
        ),
        (ExchangeRejected("Unsupported order combination.", code=-1014), ExchangeRejected),
        (
            InvalidInput("Mandatory parameter 'price' was not sent, was empty/null, or malformed.", code=-1102),
            InvalidInput,
        ),
        (ConnectivityError("the book is locked"), OutcomeUnknown),  # a 5xx while placing: look it up
        (CrbotError("something else"), OutcomeUnknown),  # -1000 UNKNOWN: the conservative reading
    ],
)
def test_what_the_server_answers_the_connector_reads_as_the_same_error(raised: Exception, expected: type) -> None:
    status, body = error_reply(raised)
    back = connector_translate(api_error(status, body["code"], body["msg"]), PLACE)
    assert type(back) is expected, (status, body, back)
    if isinstance(raised, OrderNotFound):
        assert body["msg"] == CODES[body["code"]][1]  # Binance's own wording


def test_every_code_has_one_kind_and_unknown_codes_have_none() -> None:
    assert kind_of(-1013) is Kind.FILTER and kind_of(-2010) is Kind.REJECTED and kind_of(-1121) is Kind.MALFORMED
    assert kind_of(-9999) is None
    assert json.dumps(error_reply(ValueError("bug"))[1])  # an unexpected failure is still a Binance body
