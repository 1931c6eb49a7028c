"""The Connection panel's facts about one BinanceBroker, gathered without ever raising."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from crbot.broker.binance_audit import KeyAudit
from crbot.domain import Mode
from crbot.errors import CrbotError

if TYPE_CHECKING:
    from crbot.broker.binance import BinanceBroker

R = TypeVar("R")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionInfo:
    """What the dashboard's Connection panel shows; ``error`` says what could not be fetched."""

    mode: Mode
    host: str
    ping_ms: float | None
    clock_offset_ms: int | None
    used_weight: int | None
    weight_limit: int
    banned_until: datetime | None
    key_audit: KeyAudit | None  # live only
    maker: Decimal | None
    taker: Decimal | None
    error: str | None = None


def connection_info(broker: BinanceBroker) -> ConnectionInfo:
    """Ping, then commissions and (live) the key audit from cache, fetched once if never seen."""
    errors: list[str] = []
    ping_ms = _try(broker.ping, errors)
    commissions = broker.commissions
    if commissions is None and _try(broker.account, errors) is not None:
        commissions = broker.commissions
    audit = broker.last_key_audit
    if broker.mode is Mode.LIVE and audit is None:
        audit = _try(broker.audit_key, errors)
    return ConnectionInfo(
        mode=broker.mode,
        host=broker.endpoint.host,
        ping_ms=ping_ms,
        clock_offset_ms=broker.clock_offset_ms,
        used_weight=broker.used_weight,
        weight_limit=broker.weight_limit,
        banned_until=broker.banned_until,
        key_audit=audit,
        maker=commissions.maker if commissions else None,
        taker=commissions.taker if commissions else None,
        error="; ".join(errors) or None,
    )


def _try(fn: Callable[[], R], errors: list[str]) -> R | None:
    try:
        return fn()
    except CrbotError as exc:
        errors.append(str(exc))
        return None
