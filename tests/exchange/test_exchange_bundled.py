"""The bundled exchangeInfo snapshot: realistic, complete, and round-trips through SymbolRules."""

from __future__ import annotations

from decimal import Decimal

from crbot.exchange.bundled import bundled_exchange_info, load_bundled_rules
from crbot.exchange.rules import SymbolRules

FILTERS = {
    "PRICE_FILTER",
    "LOT_SIZE",
    "ICEBERG_PARTS",
    "MARKET_LOT_SIZE",
    "TRAILING_DELTA",
    "PERCENT_PRICE_BY_SIDE",
    "NOTIONAL",
    "MAX_NUM_ORDERS",
    "MAX_NUM_ALGO_ORDERS",
}
ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")


def test_top_level_block_like_the_live_api() -> None:
    doc = bundled_exchange_info()
    assert doc["timezone"] == "UTC"
    assert isinstance(doc["serverTime"], int)
    weights = [r for r in doc["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT"]
    assert weights == [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}]
    assert doc["exchangeFilters"] == []


def test_at_least_twenty_usdt_pairs_with_full_filter_lists() -> None:
    rules = load_bundled_rules()
    assert len(rules) >= 20
    for symbol in ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT", "LTCUSDT"):
        assert symbol in rules
    for r in rules.values():
        assert r.quote_asset == "USDT" and r.symbol == r.base_asset + "USDT"
        assert r.status == "TRADING"
        assert set(r.filters) >= FILTERS
        assert r.order_types == ORDER_TYPES
        assert r.value("NOTIONAL", "minNotional") == Decimal(5)


def test_the_grids_the_other_modules_rely_on() -> None:
    rules = load_bundled_rules()
    expected = {"BTCUSDT": ("0.01", "0.00001"), "ETHUSDT": ("0.01", "0.0001"), "BNBUSDT": ("0.01", "0.001"),
                "SOLUSDT": ("0.01", "0.001")}  # fmt: skip
    for symbol, (tick, step) in expected.items():
        assert rules[symbol].tick_size == Decimal(tick)
        assert rules[symbol].step_size == Decimal(step)
        assert rules[symbol].value("LOT_SIZE", "minQty") == Decimal(step)


def test_round_trip_through_exchange_info_shape() -> None:
    for r in load_bundled_rules().values():
        assert SymbolRules.from_exchange_info(r.to_exchange_info()) == r


def test_each_call_returns_fresh_objects() -> None:
    a = bundled_exchange_info()
    a["symbols"].clear()
    assert bundled_exchange_info()["symbols"]
