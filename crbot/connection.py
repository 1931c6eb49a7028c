"""What the Connection panel shows, for any broker: where orders go and how healthy the link is."""

from __future__ import annotations

from decimal import Decimal

from crbot.broker.base import Broker
from crbot.domain import Mode


def describe_connection(broker: Broker, mode: Mode) -> dict[str, str]:
    info = broker.connection_info()  # never raises: problems are in .error
    rows = {"Mode": mode.value.upper(), "Endpoint": info.endpoint, "Ping latency": _ms(info.ping_ms)}
    if info.weight_limit is not None:  # an exchange over the network: its clock, weight budget and bans
        used = "?" if info.used_weight is None else str(info.used_weight)
        rows |= {
            "Clock offset": _ms(info.clock_offset_ms),
            "Request weight (1 min)": f"{used} / {info.weight_limit}",
            "IP ban": f"until {info.banned_until:%H:%M:%S} UTC — no call is made before"
            if info.banned_until
            else "none",
        }
    rows |= {
        "Key permission audit": _audit(info.key_audit.summary if info.key_audit else None, mode),
        "Maker / taker commission": _rates(info.maker, info.taker),
        "Prices": broker.price_source(),
    }
    return rows | ({"Problems": info.error} if info.error else {})


def _audit(summary: str | None, mode: Mode) -> str:
    if summary is not None:
        return summary
    if mode is Mode.PAPER:
        return "not applicable (paper mode never loads API keys)"
    return "not applicable (only live keys)"


def _ms(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f} ms"


def _rates(maker: Decimal | None, taker: Decimal | None) -> str:
    if maker is None or taker is None:
        return "unknown"
    return f"{maker * 100:.3f} % / {taker * 100:.3f} %"
