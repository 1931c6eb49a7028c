"""Rules source: Binance exchangeInfo (a local fake), the bundled snapshot, and the fallback between them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from crbot.errors import ConfigError, ConnectivityError
from crbot.exchange.bundled import bundled_exchange_info, load_bundled_rules
from crbot.exchange.public import load_rules
from tests.market.fake_binance import FakeBinance, closed_port_url


def _canned(query: dict[str, str]) -> tuple[int, object]:
    doc = bundled_exchange_info()
    if "symbols" in query:
        wanted = json.loads(query["symbols"])
        known = {s["symbol"]: s for s in doc["symbols"]}
        if any(w not in known for w in wanted):
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        doc["symbols"] = [known[w] for w in wanted]
    # mark the answer so tests can tell it from the bundled copy
    for raw in doc["symbols"]:
        for f in raw["filters"]:
            if f["filterType"] == "NOTIONAL":
                f["minNotional"] = "1.00000000"
    return 200, doc


@pytest.fixture
def binance() -> Iterator[FakeBinance]:
    with FakeBinance() as fake:
        fake.routes["/api/v3/exchangeInfo"] = _canned
        yield fake


def test_binance_source_reads_exchange_info_for_the_symbols_asked(binance: FakeBinance) -> None:
    rules, label = load_rules("binance", symbols=["BTCUSDT", "ethusdt"], base_url=binance.base_url)
    assert sorted(rules) == ["BTCUSDT", "ETHUSDT"]
    assert rules["BTCUSDT"].value("NOTIONAL", "minNotional") == Decimal(1)
    assert label == f"Binance exchangeInfo ({binance.base_url.removeprefix('http://')})"
    (query,) = binance.calls("/api/v3/exchangeInfo")
    assert json.loads(query["symbols"]) == ["BTCUSDT", "ETHUSDT"]


def test_binance_source_without_symbols_asks_for_spot_only(binance: FakeBinance) -> None:
    rules, _ = load_rules("binance", base_url=binance.base_url)
    assert len(rules) == len(load_bundled_rules())
    assert binance.calls("/api/v3/exchangeInfo") == [{"permissions": "SPOT"}]


def test_auto_prefers_binance(binance: FakeBinance) -> None:
    rules, label = load_rules("auto", symbols=["SOLUSDT"], base_url=binance.base_url)
    assert label.startswith("Binance exchangeInfo")
    assert rules["SOLUSDT"].value("NOTIONAL", "minNotional") == Decimal(1)


def test_auto_falls_back_to_bundled_on_a_closed_port(caplog: pytest.LogCaptureFixture) -> None:
    rules, label = load_rules("auto", symbols=["BTCUSDT"], base_url=closed_port_url(), timeout=1.0)
    assert "bundled" in label and "unreachable" in label
    assert rules["BTCUSDT"].value("NOTIONAL", "minNotional") == Decimal(5)
    assert "using the bundled snapshot" in caplog.text


def test_auto_falls_back_on_a_server_error(binance: FakeBinance) -> None:
    binance.routes["/api/v3/exchangeInfo"] = lambda q: (503, {"code": -1001, "msg": "Internal error"})
    rules, label = load_rules("auto", base_url=binance.base_url)
    assert "bundled" in label and len(rules) == len(load_bundled_rules())


def test_auto_falls_back_on_garbage(binance: FakeBinance) -> None:
    binance.routes["/api/v3/exchangeInfo"] = lambda q: (200, "<html>captive portal</html>")
    _, label = load_rules("auto", base_url=binance.base_url)
    assert "bundled" in label


def test_binance_source_raises_connectivity_error_when_unreachable() -> None:
    url = closed_port_url()
    with pytest.raises(ConnectivityError) as info:
        load_rules("binance", base_url=url, timeout=1.0)
    assert url in info.value.message and "bundled" in info.value.hint


def test_binance_source_raises_connectivity_error_on_http_errors(binance: FakeBinance) -> None:
    binance.routes["/api/v3/exchangeInfo"] = lambda q: (502, {})
    with pytest.raises(ConnectivityError, match="HTTP 502"):
        load_rules("binance", base_url=binance.base_url)


def test_unknown_symbol_is_a_config_error(binance: FakeBinance) -> None:
    with pytest.raises(ConfigError, match="NOPEUSDT"):
        load_rules("binance", symbols=["BTCUSDT", "NOPEUSDT"], base_url=binance.base_url)
    with pytest.raises(ConfigError, match="NOPEUSDT"):
        load_rules("bundled", symbols=["NOPEUSDT"])


def test_bundled_source_never_touches_the_network() -> None:
    rules, label = load_rules("bundled", symbols=["BTCUSDT", "DOGEUSDT"], base_url=closed_port_url())
    assert sorted(rules) == ["BTCUSDT", "DOGEUSDT"]
    assert label.startswith("bundled exchange rules (snapshot ")


def test_unknown_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        load_rules("ftx")
