"""Exchange rules bundled with CRBOT: a Binance exchangeInfo snapshot for 25 USDT pairs.

Used when Binance cannot be reached (paper mode offline, tests, benchmarks) and served by the local
exchange. The file has the live API's shape, top-level block included (timezone, serverTime,
rateLimits, exchangeFilters), so the same parser reads both.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from crbot.exchange.rules import SymbolRules

logger = logging.getLogger(__name__)

SNAPSHOT_FILE = "exchange_info.json"
SNAPSHOT_DATE = "2026-01-05"  # serverTime in the file


def bundled_exchange_info() -> dict[str, Any]:
    """The whole bundled exchangeInfo document (a fresh copy each call: callers may edit it)."""
    text = resources.files("crbot.exchange").joinpath(SNAPSHOT_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def rules_from_exchange_info(doc: dict[str, Any]) -> dict[str, SymbolRules]:
    """Every symbol of an exchangeInfo document, keyed by symbol."""
    return {raw["symbol"]: SymbolRules.from_exchange_info(raw) for raw in doc.get("symbols", [])}


def load_bundled_rules() -> dict[str, SymbolRules]:
    """Rules for the bundled symbols (BTCUSDT, ETHUSDT, BNBUSDT, SOLUSDT, XRPUSDT, ... 25 in all)."""
    return rules_from_exchange_info(bundled_exchange_info())
