"""What the Connection panel shows, for any broker: where orders go and how healthy the link is."""

from __future__ import annotations

from decimal import Decimal

from crbot.broker.base import Broker
from crbot.domain import Mode


def describe_connection(broker: Broker, mode: Mode) -> dict[str, str]:
    describe = getattr(broker, "connection_info", None)
    if describe is None:
        return _paper(broker, mode)
    info = describe()  # a Binance connection; never raises, problems are in .error
    used = "?" if info.used_weight is None else str(info.used_weight)
    rows = {
        "Mode": mode.value.upper(),
        "Endpoint": info.host,
        "Ping latency": _ms(info.ping_ms),
        "Clock offset": _ms(info.clock_offset_ms),
        "Request weight (1 min)": f"{used} / {info.weight_limit}",
        "IP ban": f"until {info.banned_until:%H:%M:%S} UTC — no call is made before" if info.banned_until else "none",
        "Key permission audit": info.key_audit.summary if info.key_audit else "not applicable (only live keys)",
        "Maker / taker commission": _rates(info.maker, info.taker),
        "Prices": broker.price_source(),
    }
    return rows | ({"Problems": info.error} if info.error else {})


def _paper(broker: Broker, mode: Mode) -> dict[str, str]:
    commissions = broker.account().commissions
    return {
        "Mode": mode.value.upper(),
        "Endpoint": "in-process paper exchange (no keys; no order leaves this machine)",
        "Ping latency": _ms(broker.ping()),
        "Prices": broker.price_source(),
        "Key permission audit": "not applicable (paper mode never loads API keys)",
        "Maker / taker commission": _rates(commissions.maker, commissions.taker),
    }


def _ms(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f} ms"


def _rates(maker: Decimal | None, taker: Decimal | None) -> str:
    if maker is None or taker is None:
        return "unknown"
    return f"{maker * 100:.3f} % / {taker * 100:.3f} %"
