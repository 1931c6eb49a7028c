"""Where the exchange rules come from: Binance's public exchangeInfo, or the bundled snapshot.

``load_rules("auto")`` asks Binance with a short timeout and falls back to the bundled snapshot on any
failure (logged); the returned label says which one the trader is looking at.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from crbot.errors import ConfigError, ConnectivityError
from crbot.exchange.bundled import SNAPSHOT_DATE, load_bundled_rules, rules_from_exchange_info
from crbot.exchange.rules import SymbolRules

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.binance.com"
RuleSource = Literal["auto", "binance", "bundled"]


def load_rules(
    source: RuleSource | str = "auto",
    *,
    symbols: list[str] | tuple[str, ...] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 3.0,
) -> tuple[dict[str, SymbolRules], str]:
    """Rules keyed by symbol, and a label naming their source.

    ``symbols`` None means every symbol the source has. A requested symbol the rules do not cover
    raises ``ConfigError``: an order on it could not be checked.
    """
    base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    wanted = tuple(dict.fromkeys(s.upper() for s in symbols)) if symbols else None
    if source == "bundled":
        return _bundled(wanted), f"bundled exchange rules (snapshot {SNAPSHOT_DATE})"
    if source == "binance":
        return _from_binance(base_url, wanted, timeout), _binance_label(base_url)
    if source != "auto":
        raise ConfigError(f"unknown rules source {source!r}", hint="use 'auto', 'binance' or 'bundled'")
    try:
        return _from_binance(base_url, wanted, timeout), _binance_label(base_url)
    except (ConnectivityError, ConfigError) as exc:
        logger.warning("exchange rules from %s unavailable (%s); using the bundled snapshot", base_url, exc)
    return _bundled(wanted), f"bundled exchange rules (snapshot {SNAPSHOT_DATE}) — Binance unreachable"


def _binance_label(base_url: str) -> str:
    return f"Binance exchangeInfo ({urlsplit(base_url).netloc or base_url})"


def _bundled(wanted: tuple[str, ...] | None) -> dict[str, SymbolRules]:
    rules = load_bundled_rules()
    if wanted is None:
        return rules
    _require(wanted, rules, "the bundled snapshot")
    return {s: rules[s] for s in wanted}


def _require(wanted: tuple[str, ...], rules: dict[str, SymbolRules], where: str) -> None:
    missing = [s for s in wanted if s not in rules]
    if missing:
        raise ConfigError(
            f"no exchange rules for {', '.join(missing)} in {where}",
            hint=f"check the spelling in CRBOT_SYMBOLS (known here: {', '.join(sorted(rules)[:8])}, ...)",
        )


def _from_binance(base_url: str, wanted: tuple[str, ...] | None, timeout: float) -> dict[str, SymbolRules]:
    url = f"{base_url}/api/v3/exchangeInfo"
    # Without symbols, SPOT only: the full document (margin, leveraged) is several MB.
    params = {"symbols": json.dumps(list(wanted), separators=(",", ":"))} if wanted else {"permissions": "SPOT"}
    try:
        response = requests.get(url, params=params, timeout=timeout)
    except requests.RequestException as exc:
        raise ConnectivityError(
            f"could not load exchange rules from {url}: {type(exc).__name__}",
            hint="check the internet connection, or use the bundled rules (source 'bundled')",
        ) from exc
    body = _json(response)
    if response.status_code == 400 and isinstance(body, dict) and body.get("code") == -1121:
        # Binance names no symbol in "Invalid symbol.": say which ones we asked for.
        raise ConfigError(
            f"Binance does not list one of {', '.join(wanted or ())}: {body.get('msg', 'Invalid symbol.')}",
            hint="fix CRBOT_SYMBOLS (e.g. BTCUSDT, ETHUSDT)",
        )
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("symbols"), list):
        raise ConnectivityError(
            f"Binance answered {url} with HTTP {response.status_code} and no usable exchangeInfo",
            hint="retry in a minute, or use the bundled rules (source 'bundled')",
        )
    try:
        rules = rules_from_exchange_info(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConnectivityError(
            f"exchangeInfo from {url} is malformed ({type(exc).__name__}: {exc})",
            hint="retry later, or use the bundled rules (source 'bundled')",
        ) from exc
    if wanted:
        _require(wanted, rules, f"Binance's answer from {base_url}")
    logger.info("loaded exchange rules for %d symbols from %s", len(rules), base_url)
    return rules


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
