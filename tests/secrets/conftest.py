"""Servers for the secret-store tests (moto, OpenBao: one each per test module... per session, they are
stateless between tests by using unique secret names) and a local exchange whose key can be rotated."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.clock import ManualClock
from crbot.domain import Commissions
from crbot.localexchange.auth import Credentials as ExchangeCredentials
from crbot.localexchange.server import LocalExchange, Request, Response
from crbot.market.feed import ManualFeed
from tests.paper.test_engine_kit import paper_market
from tests.secrets.servers import AWS_ENV, ROOT_TOKEN, bao_server, moto_server

KEY1 = "K1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1oP"
SECRET1 = "S1secret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
KEY2 = "K2zY9xW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7zY6xW5vU4tS3rQ2pO1nM0lK"
SECRET2 = "S2secret9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHG"
_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def bao_url() -> Iterator[str]:
    with bao_server() as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(AWS_ENV)


@pytest.fixture
def sm(moto_url: str, aws_env: dict[str, str]):
    import boto3

    return boto3.client("secretsmanager", endpoint_url=moto_url, region_name=aws_env["AWS_REGION"])


@pytest.fixture
def vault(bao_url: str):
    import hvac

    return hvac.Client(url=bao_url, token=ROOT_TOKEN)


def doc(key: str, secret: str) -> str:
    return json.dumps({"api_key": key, "api_secret": secret})


@dataclass
class Exchange:
    url: str
    server: LocalExchange
    refused: list[str]

    def rotate(self, key: str, secret: str) -> None:
        """The exchange now knows only this key (the old one is revoked), as after a rotation on Binance."""
        self.server._credentials = ExchangeCredentials(key, secret)


@pytest.fixture
def exchange(tmp_path: Path) -> Iterator[Exchange]:
    clock, feed = ManualClock(), ManualFeed({"BTCUSDT": Decimal("50000")})
    fees = Commissions(maker=Decimal("0.001"), taker=Decimal("0.001"))
    market = paper_market(tmp_path / "exchange.db", clock=clock, feed=feed, fees=fees)
    server = LocalExchange.over(market, api_key=KEY1, api_secret=SECRET1)
    refused: list[str] = []
    handle = server.handle

    def logged(req: Request) -> Response:
        response = handle(req)
        if response.status == 401:
            refused.append(req.path)
        return response

    server.handle = logged  # type: ignore[method-assign]
    url = server.start()
    try:
        yield Exchange(url=url, server=server, refused=refused)
    finally:
        server.stop()
        market.engine.close()
