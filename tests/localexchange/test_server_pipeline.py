"""The request pipeline on a manual clock: the docs' signature vectors end to end, request weights,
429 then 418 (seen by the real client), order-rate limits, and Ed25519 keys with the real client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from binance.exceptions import BinanceAPIException
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from crbot.clock import ManualClock, from_ms, to_ms
from crbot.localexchange.auth import hmac_signature
from crbot.localexchange.server import LocalExchange, RateLimits, Request, Response
from crbot.market.feed import ManualFeed
from tests.localexchange.test_server_kit import BTC, KEY, PRICES, SECRET, make_client, start_sim
from tests.paper.test_engine_kit import paper_market

D = Decimal
DOC_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_TIME = 1499827319559


@dataclass
class Rig:
    exchange: LocalExchange
    clock: ManualClock
    secret: str
    key: str

    def call(self, method: str, path: str, body: str = "", **params: Any) -> Response:
        return self.exchange.handle(Request(method=method, path=path, raw_query=urlencode(params), raw_body=body))

    def signed(self, method: str, path: str, **params: Any) -> Response:
        query = urlencode({**params, "timestamp": to_ms(self.clock.now())})
        query += "&signature=" + hmac_signature(self.secret, query)
        return self.exchange.handle(Request(method=method, path=path, raw_query=query, api_key=self.key))


def make_rig(tmp_path: Path, *, start: datetime | None = None, secret: str = SECRET, key: str = KEY, **kw: Any) -> Rig:
    clock = ManualClock(start)
    market = paper_market(tmp_path / "pipe.db", clock=clock, feed=ManualFeed(PRICES))
    ex = LocalExchange.over(market, api_key=key, api_secret=secret, **kw)
    return Rig(exchange=ex, clock=clock, secret=secret, key=key)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path)


def test_the_docs_signature_vectors_pass_the_whole_pipeline(tmp_path: Path) -> None:
    r = make_rig(tmp_path, start=from_ms(DOC_TIME + 100), secret=DOC_SECRET, key=DOC_KEY)
    ascii_query = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    )
    encoded_query = ascii_query.replace("LTCBTC", "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96")
    vectors = {
        ascii_query: "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
        encoded_query: "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
    }
    # signature and timestamp accepted: each request gets as far as its symbol, which this exchange lacks
    expected = {
        ascii_query: {"code": -1121, "msg": "Invalid symbol."},
        encoded_query: {
            "code": -1100,
            "msg": "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.",
        },
    }
    for query, signature in vectors.items():
        ok = r.exchange.handle(
            Request(
                method="POST", path="/api/v3/order/test", raw_query=f"{query}&signature={signature}", api_key=DOC_KEY
            )
        )
        assert (ok.status, ok.body) == (400, expected[query])
        forged = r.exchange.handle(
            Request(
                method="POST", path="/api/v3/order/test", raw_query=f"{query}&signature={'0' * 64}", api_key=DOC_KEY
            )
        )
        assert forged.body["code"] == -1022
    # the same request split between query string and body (signed over query + body, no separator)
    head, rest = ascii_query.split("&quantity=")
    tail = "quantity=" + rest
    split_sig = hmac_signature(DOC_SECRET, head + tail)
    split = r.exchange.handle(
        Request(
            method="POST",
            path="/api/v3/order/test",
            raw_query=head,
            raw_body=f"{tail}&signature={split_sig}",
            api_key=DOC_KEY,
        )
    )
    assert split.body["code"] == -1121
    r.clock.advance(5)  # the docs' request is now 5.1 s old: outside its recvWindow of 5000
    late = r.exchange.handle(
        Request(
            method="POST",
            path="/api/v3/order/test",
            raw_query=f"{ascii_query}&signature={vectors[ascii_query]}",
            api_key=DOC_KEY,
        )
    )
    assert late.body == {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}


def test_signed_requests_need_a_signature_and_a_key(rig: Rig) -> None:
    unsigned = rig.exchange.handle(
        Request(method="GET", path="/api/v3/account", raw_query=f"timestamp={to_ms(rig.clock.now())}", api_key=KEY)
    )
    assert (unsigned.status, unsigned.body["code"]) == (400, -1102)
    assert "'signature'" in unsigned.body["msg"]
    keyless = rig.call("GET", "/api/v3/account", timestamp=to_ms(rig.clock.now()), signature="ab")
    assert (keyless.status, keyless.body["code"]) == (401, -2015)
    assert rig.signed("GET", "/api/v3/account").status == 200


@pytest.mark.parametrize(
    ("method", "path", "params", "weight"),
    [
        ("GET", "/api/v3/ping", {}, 1),
        ("GET", "/api/v3/time", {}, 1),
        ("GET", "/api/v3/exchangeInfo", {}, 20),
        ("GET", "/api/v3/ticker/price", {"symbol": BTC}, 2),
        ("GET", "/api/v3/ticker/price", {}, 4),
        ("GET", "/api/v3/ticker/bookTicker", {}, 4),
        ("GET", "/api/v3/avgPrice", {"symbol": BTC}, 2),
        ("GET", "/api/v3/klines", {"symbol": BTC, "interval": "1h"}, 2),
        ("GET", "/api/v3/nothing/here", {}, 1),
    ],
)
def test_public_weights_follow_rest_api_md(
    rig: Rig, method: str, path: str, params: dict[str, str], weight: int
) -> None:
    assert rig.call(method, path, **params).headers["X-MBX-USED-WEIGHT-1M"] == str(weight)


@pytest.mark.parametrize(
    ("method", "path", "params", "weight"),
    [
        ("GET", "/api/v3/account", {}, 20),
        ("GET", "/api/v3/openOrders", {"symbol": BTC}, 6),
        ("GET", "/api/v3/openOrders", {}, 80),
        ("GET", "/api/v3/allOrders", {"symbol": BTC}, 20),
        ("GET", "/api/v3/myTrades", {"symbol": BTC}, 20),
        ("GET", "/api/v3/myTrades", {"symbol": BTC, "orderId": 1}, 5),
        ("GET", "/api/v3/openOrderList", {}, 6),
        ("GET", "/api/v3/order", {"symbol": BTC, "orderId": 1}, 4),
        ("DELETE", "/api/v3/order", {"symbol": BTC, "orderId": 1}, 1),
        ("POST", "/api/v3/order/test", {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.001"}, 1),
        (
            "POST",
            "/api/v3/order/test",
            {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.001", "computeCommissionRates": "true"},
            20,
        ),
        ("GET", "/sapi/v1/account/apiRestrictions", {}, 1),
    ],
)
def test_signed_weights_follow_rest_api_md(
    rig: Rig, method: str, path: str, params: dict[str, Any], weight: int
) -> None:
    assert rig.signed(method, path, **params).headers["X-MBX-USED-WEIGHT-1M"] == str(weight)


def test_unknown_paths_and_repeated_parameters(rig: Rig) -> None:
    missing = rig.call("GET", "/api/v3/depth", symbol=BTC)
    assert (missing.status, missing.body["code"]) == (404, -1020)
    repeated = rig.exchange.handle(
        Request(method="GET", path="/api/v3/ticker/price", raw_query="symbol=BTCUSDT&symbol=ETHUSDT")
    )
    assert repeated.body == {"code": -1101, "msg": "Duplicate values for a parameter detected."}


def test_429_then_418_with_retry_after_through_the_real_client(tmp_path: Path) -> None:
    r = make_rig(tmp_path, limits=RateLimits(weight_per_minute=45, bans_after=1, ban_seconds=120))
    r.clock.set(datetime.fromisoformat("2026-01-05T12:00:15+00:00"))
    url = r.exchange.start()
    try:
        client = make_client(url)
        client.get_exchange_info()
        client.get_exchange_info()
        assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "40"
        with pytest.raises(BinanceAPIException) as limited:
            client.get_exchange_info()
        assert (limited.value.status_code, limited.value.code) == (429, -1003)
        assert limited.value.response.headers["Retry-After"] == "45"  # to the end of the minute
        with pytest.raises(BinanceAPIException) as banned:
            client.ping()  # kept calling instead of backing off
        assert (banned.value.status_code, banned.value.code) == (418, -1003)
        assert banned.value.response.headers["Retry-After"] == "120"
        assert "IP banned until" in banned.value.message
        r.clock.advance(60)
        with pytest.raises(BinanceAPIException) as still:
            client.ping()
        assert (still.value.status_code, still.value.response.headers["Retry-After"]) == (418, "60")
        r.clock.advance(60)
        assert client.ping() == {}
        assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    finally:
        r.exchange.stop()


def test_order_rate_limits_and_order_count_headers(tmp_path: Path) -> None:
    r = make_rig(tmp_path, limits=RateLimits(orders_per_10s=2))
    order = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001"}
    first = r.signed("POST", "/api/v3/order", price="49000", newClientOrderId="o1", **order)
    assert first.status == 200
    assert (first.headers["X-MBX-ORDER-COUNT-10S"], first.headers["X-MBX-ORDER-COUNT-1D"]) == ("1", "1")
    refused = r.signed("POST", "/api/v3/order", price="49000", newClientOrderId="bad", **{**order, "quantity": "1e-3"})
    assert refused.status == 400 and "X-MBX-ORDER-COUNT-10S" not in refused.headers  # -1100: nothing placed
    assert r.signed("POST", "/api/v3/order", price="49000", newClientOrderId="o2", **order).status == 200
    limited = r.signed("POST", "/api/v3/order", price="49000", newClientOrderId="o3", **order)
    assert (limited.status, limited.body["code"]) == (429, -1015)
    assert "2 orders per 10 SECOND" in limited.body["msg"] and limited.headers["Retry-After"] == "10"
    r.clock.advance(10)
    again = r.signed("POST", "/api/v3/order", price="49000", newClientOrderId="o3", **order)
    assert again.status == 200 and again.headers["X-MBX-ORDER-COUNT-1D"] == "3"


@pytest.fixture
def ed25519_sim(tmp_path: Path) -> Iterator[tuple[str, str]]:
    private = Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    private_pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    s = start_sim(tmp_path / "ed.db", api_secret=None, ed25519_public_key=public_pem)
    yield s.url, private_pem
    s.exchange.stop()
    s.engine.close()


def test_ed25519_keys_sign_reads_and_orders_with_the_real_client(ed25519_sim: tuple[str, str]) -> None:
    url, private_pem = ed25519_sim
    client = make_client(url, secret=None, private_key=private_pem)
    assert client.get_account()["canTrade"] is True
    placed = client.create_order(
        symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="49000", newClientOrderId="ed1"
    )
    assert placed["status"] == "NEW"
    assert client.cancel_order(symbol=BTC, origClientOrderId="ed1")["status"] == "CANCELED"
    other = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    with pytest.raises(BinanceAPIException) as err:
        make_client(url, secret=None, private_key=other).get_account()
    assert err.value.code == -1022
