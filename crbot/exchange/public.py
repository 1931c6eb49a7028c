"""Where the exchange rules come from: Binance's public exchangeInfo, or the bundled snapshot.

``load_rules("auto")`` asks Binance with a short timeout and falls back to the bundled snapshot on any
failure (logged); the returned label says which one the trader is looking at. Requests go through
crbot.binance.public.PublicClient (pass the price feed's to share its rate-limit and ban state).
"""

from __future__ import annotations

import json
import logging
from typing import Literal

from crbot.binance.public import DEFAULT_BASE_URL, PublicClient
from crbot.errors import ConfigError, ConnectivityError, InvalidInput
from crbot.exchange.bundled import SNAPSHOT_DATE, load_bundled_rules, rules_from_exchange_info
from crbot.exchange.rules import SymbolRules

logger = logging.getLogger(__name__)

RuleSource = Literal["auto", "binance", "bundled"]


def load_rules(
    source: RuleSource | str = "auto",
    *,
    symbols: list[str] | tuple[str, ...] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 3.0,
    client: PublicClient | None = None,
) -> tuple[dict[str, SymbolRules], str]:
    """Rules keyed by symbol, and a label naming their source.

    ``symbols`` None means every symbol the source has. A requested symbol the rules do not cover
    raises ``ConfigError``: an order on it could not be checked. ``client`` replaces base_url / timeout.
    """
    wanted = tuple(dict.fromkeys(s.upper() for s in symbols)) if symbols else None
    if source == "bundled":
        return _bundled(wanted), f"bundled exchange rules (snapshot {SNAPSHOT_DATE})"
    if source not in ("auto", "binance"):
        raise ConfigError(f"unknown rules source {source!r}", hint="use 'auto', 'binance' or 'bundled'")
    client = client or PublicClient(base_url, timeout=timeout)
    label = f"Binance exchangeInfo ({client.host})"
    if source == "binance":
        return _from_binance(client, wanted), label
    try:
        return _from_binance(client, wanted), label
    except (ConnectivityError, ConfigError) as exc:
        logger.warning("exchange rules from %s unavailable (%s); using the bundled snapshot", client.base_url, exc)
    return _bundled(wanted), f"bundled exchange rules (snapshot {SNAPSHOT_DATE}) — Binance unreachable"


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


def _from_binance(client: PublicClient, wanted: tuple[str, ...] | None) -> dict[str, SymbolRules]:
    path, hint = "/api/v3/exchangeInfo", "retry in a minute, or use the bundled rules (source 'bundled')"
    # Without symbols, SPOT only: the full document (margin, leveraged) is several MB.
    params = {"symbols": json.dumps(list(wanted), separators=(",", ":"))} if wanted else {"permissions": "SPOT"}
    try:
        body = client.get(path, params, hint=hint)
    except InvalidInput as exc:
        # Binance names no symbol in "Invalid symbol.": say which ones we asked for.
        raise ConfigError(
            f"Binance does not list one of {', '.join(wanted or ())}: {exc.message}",
            hint="fix CRBOT_SYMBOLS (e.g. BTCUSDT, ETHUSDT)",
        ) from exc
    if not isinstance(body, dict) or not isinstance(body.get("symbols"), list):
        raise ConnectivityError(f"{client.venue} answered {path} with no usable exchangeInfo", hint=hint)
    try:
        rules = rules_from_exchange_info(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConnectivityError(
            f"exchangeInfo from {client.base_url} is malformed ({type(exc).__name__}: {exc})", hint=hint
        ) from exc
    if wanted:
        _require(wanted, rules, f"Binance's answer from {client.base_url}")
    logger.info("loaded exchange rules for %d symbols from %s", len(rules), client.base_url)
    return rules
