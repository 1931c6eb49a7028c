"""The Connection panel's facts about one BinanceBroker, gathered without ever raising.

It reads the broker through ``_Link`` (the few things it asks), so it needs no import of the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from crbot.broker.base import ConnectionInfo
from crbot.broker.binance_audit import KeyAudit
from crbot.broker.binance_transport import Endpoint
from crbot.domain import AccountInfo, Commissions, Mode
from crbot.errors import CrbotError

R = TypeVar("R")


class _Link(Protocol):
    mode: Mode
    endpoint: Endpoint

    @property
    def commissions(self) -> Commissions | None: ...
    @property
    def last_key_audit(self) -> KeyAudit | None: ...
    @property
    def clock_offset_ms(self) -> int | None: ...
    @property
    def used_weight(self) -> int | None: ...
    @property
    def weight_limit(self) -> int: ...
    @property
    def banned_until(self) -> datetime | None: ...
    def ping(self) -> float: ...
    def account(self) -> AccountInfo: ...
    def audit_key(self) -> KeyAudit: ...


def connection_info(broker: _Link) -> ConnectionInfo:
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
        endpoint=broker.endpoint.host,
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
