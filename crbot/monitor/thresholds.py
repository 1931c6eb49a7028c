"""What the monitor watches: each figure, its threshold, and the action taken when it is breached. Pure.

Actions: ``warn`` (an alert), ``cut`` (an alert, and the risk limits' order and position sizes halved, once per
breach), ``halt`` (an alert, and the same latched kill switch as STOP, with the figure's numbers as the reason).
Nothing re-arms by itself: a halt stays until an operator resumes.

A figure without enough data is ``no_data`` and never acts (missing data cannot prove a breach; the kill triggers
that matter most — daily loss, drawdown, stale prices — are computed from data every cycle has).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from crbot.domain import TradingState
from crbot.errors import InvalidInput, fmt

ACTIONS = ("warn", "cut", "halt")
OK, BREACH, NO_DATA = "ok", "breach", "no_data"
DAILY_LOSS = "daily_loss"  # its threshold is the risk limits' daily_loss_limit (one number, two uses)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckSpec:
    name: str
    label: str
    unit: str
    threshold: Decimal  # default; breached when the value is above it (at or above for daily loss)
    action: str  # default
    help: str


SPECS: tuple[CheckSpec, ...] = (
    CheckSpec(
        name=DAILY_LOSS,
        label="Daily loss",
        unit="USDT",
        threshold=Decimal("200"),
        action="halt",
        help="Realised + unrealised loss since 00:00 UTC: equity now minus the day's first equity point. Its "
        "threshold is the Daily loss limit (Risk page, or "
        "`python -m crbot limits set daily_loss_limit VALUE --reason TEXT`).",
    ),
    CheckSpec(
        name="drawdown_pct",
        label="Drawdown from peak",
        unit="%",
        threshold=Decimal("10"),
        action="halt",
        help="Fall of equity from its highest point since trading was last resumed (guide: max drawdown < 10 %).",
    ),
    CheckSpec(
        name="error_streak",
        label="Consecutive errors",
        unit="errors",
        threshold=Decimal("4"),
        action="halt",
        help="Newest orders in a row that the exchange rejected or left with an unknown outcome, since the last "
        "resume; a failed monitor cycle (exchange unreachable) counts too.",
    ),
    CheckSpec(
        name="latency_sustained_ms",
        label="Sustained latency",
        unit="ms",
        threshold=Decimal("2000"),
        action="halt",
        help="Median submit-to-acknowledge latency of the last 20 orders since the last resume (at least 5).",
    ),
    CheckSpec(
        name="feed_age_s",
        label="Price feed age",
        unit="s",
        threshold=Decimal("60"),
        action="halt",
        help="Seconds since prices were last read successfully for the held and watched symbols.",
    ),
    CheckSpec(
        name="latency_p50_ms",
        label="Latency p50",
        unit="ms",
        threshold=Decimal("250"),
        action="warn",
        help="Median submit-to-acknowledge latency of the last 100 orders.",
    ),
    CheckSpec(
        name="latency_p95_ms",
        label="Latency p95",
        unit="ms",
        threshold=Decimal("500"),
        action="warn",
        help="95th percentile of the last 100 orders (guide: latency < 500 ms).",
    ),
    CheckSpec(
        name="latency_p99_ms",
        label="Latency p99",
        unit="ms",
        threshold=Decimal("1000"),
        action="warn",
        help="99th percentile of the last 100 orders.",
    ),
    CheckSpec(
        name="slippage_bps",
        label="Fill slippage",
        unit="bps",
        threshold=Decimal("10"),
        action="cut",
        help="Mean slippage of the last 50 fills against the price when sent, positive when it cost "
        "(guide: slippage < 0.1 % = 10 bps). Degraded execution cuts the position size.",
    ),
    CheckSpec(
        name="reject_rate_pct",
        label="Reject rate",
        unit="%",
        threshold=Decimal("5"),
        action="warn",
        help="Orders the exchange rejected among those sent in the last 24 h (at least 10).",
    ),
    CheckSpec(
        name="weight_pct",
        label="API weight used",
        unit="%",
        threshold=Decimal("80"),
        action="warn",
        help="Request weight used this minute against the exchange's limit (Binance 6,000; none in paper mode).",
    ),
    CheckSpec(
        name="heartbeat_age_s",
        label="Oldest heartbeat",
        unit="s",
        threshold=Decimal("120"),
        action="warn",
        help="Age of the oldest heartbeat among running monitors and bots (crbot.bot), not stopped cleanly: "
        "a process that stopped beating is hung or crashed.",
    ),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    threshold: Decimal
    action: str


def rules_from(settings: Mapping[str, str], daily_loss_limit: Decimal) -> dict[str, Rule]:
    """Each check's threshold and action: saved overrides (``threshold.<name>``, ``action.<name>``) over defaults."""
    rules: dict[str, Rule] = {}
    for spec in SPECS:
        threshold = spec.threshold
        raw = settings.get(f"threshold.{spec.name}")
        if raw:
            with suppress(InvalidOperation):  # validated on save; a hand-edited bad value keeps the default
                threshold = Decimal(raw)
        action = settings.get(f"action.{spec.name}", spec.action)
        rules[spec.name] = Rule(
            threshold=daily_loss_limit if spec.name == DAILY_LOSS else threshold,
            action=action if action in ACTIONS else spec.action,
        )
    return rules


def validate_rule(name: str, threshold: str, action: str) -> dict[str, str]:
    """The settings to save for one check, validated (the page and tests use it)."""
    if name not in SPEC_BY_NAME:
        raise InvalidInput(f"unknown check {name!r}", hint=f"use one of: {', '.join(SPEC_BY_NAME)}")
    if action not in ACTIONS:
        raise InvalidInput(f"unknown action {action!r} for {name}", hint=f"use one of: {', '.join(ACTIONS)}")
    out = {f"action.{name}": action}
    if name != DAILY_LOSS:
        try:
            value = Decimal(threshold.strip())
        except InvalidOperation:
            raise InvalidInput(f"threshold {threshold!r} for {name} is not a number", hint="enter e.g. 500") from None
        if not value.is_finite() or value <= 0:
            raise InvalidInput(f"threshold for {name} must be a positive number", hint="enter e.g. 500")
        out[f"threshold.{name}"] = fmt(value)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What one cycle measured (None: not known). Gathered by ``crbot.monitor.facts``."""

    now: datetime
    state: TradingState
    equity: Decimal | None
    day_start_equity: Decimal | None
    peak_equity: Decimal | None  # since the last resume
    error_streak: int
    latency_sustained_ms: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    latency_count: int
    slippage_bps: float | None
    slippage_count: int
    rejects: int
    orders_sent: int
    used_weight: int | None
    weight_limit: int | None
    feed_age_s: float | None
    stale_process: str | None  # the process with the oldest running heartbeat
    heartbeat_age_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    name: str
    label: str
    unit: str
    value: float | None
    threshold: Decimal
    action: str
    status: str
    detail: str  # the numbers: what the audit log, the alert and the page say

    @property
    def breached(self) -> bool:
        return self.status == BREACH


def evaluate(facts: Facts, rules: Mapping[str, Rule]) -> list[CheckResult]:
    """Every check against its rule, in SPECS order."""
    return [_judge(spec, rules[spec.name], *_measure(spec.name, facts)) for spec in SPECS]


def _judge(spec: CheckSpec, rule: Rule, value: float | None, detail: str) -> CheckResult:
    if value is None:
        status = NO_DATA
    elif spec.name == DAILY_LOSS:
        status = BREACH if Decimal(str(value)) >= rule.threshold else OK  # the risk check's "pnl <= -limit"
    else:
        status = BREACH if Decimal(str(value)) > rule.threshold else OK
    limit = f"{'≥' if spec.name == DAILY_LOSS else '>'} {fmt(rule.threshold)} {spec.unit}".rstrip()
    text = f"{spec.label}: {detail}" + (f" (breach when {limit})" if status != NO_DATA else "")
    return CheckResult(
        name=spec.name,
        label=spec.label,
        unit=spec.unit,
        value=value,
        threshold=rule.threshold,
        action=rule.action,
        status=status,
        detail=text,
    )


def _usdt(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _measure(name: str, f: Facts) -> tuple[float | None, str]:
    if name == DAILY_LOSS:
        if f.equity is None or f.day_start_equity is None:
            return None, "no equity or no day-start equity yet"
        loss = f.day_start_equity - f.equity
        return float(loss), (
            f"loss {_usdt(loss)} USDT since 00:00 UTC (equity {_usdt(f.equity)}, day start {_usdt(f.day_start_equity)})"
        )
    if name == "drawdown_pct":
        if f.equity is None or not f.peak_equity:
            return None, "no equity curve yet"
        peak = max(f.peak_equity, f.equity)
        dd = (peak - f.equity) / peak * 100
        return float(dd), f"{dd:.2f} % below the peak {_usdt(peak)} USDT (equity {_usdt(f.equity)})"
    if name == "error_streak":
        return float(f.error_streak), f"{f.error_streak} error(s) in a row"
    if name == "latency_sustained_ms":
        if f.latency_sustained_ms is None:
            return None, "fewer than 5 orders with a latency since the last resume"
        return f.latency_sustained_ms, f"median {f.latency_sustained_ms:.0f} ms over the last orders"
    if name == "feed_age_s":
        if f.feed_age_s is None:
            return None, "no price read yet"
        return f.feed_age_s, f"prices last read {f.feed_age_s:.0f} s ago"
    if name in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms"):
        value = getattr(f, name)
        return (
            (None, "no order latency yet")
            if value is None
            else (value, f"{value:.0f} ms over {f.latency_count} orders")
        )
    if name == "slippage_bps":
        if f.slippage_bps is None:
            return None, "no fill with a known expected price yet"
        return f.slippage_bps, f"mean {f.slippage_bps:.2f} bps over {f.slippage_count} fills"
    if name == "reject_rate_pct":
        if f.orders_sent < 10:
            return None, f"{f.orders_sent} order(s) sent in 24 h (at least 10 needed)"
        rate = f.rejects / f.orders_sent * 100
        return rate, f"{f.rejects} of {f.orders_sent} orders rejected in 24 h ({rate:.1f} %)"
    if name == "weight_pct":
        if f.used_weight is None or not f.weight_limit:
            return None, "no request weight reported (paper mode, or no request yet)"
        pct = f.used_weight / f.weight_limit * 100
        return pct, f"{f.used_weight} of {f.weight_limit} weight this minute ({pct:.0f} %)"
    if name == "heartbeat_age_s":
        if f.heartbeat_age_s is None:
            return None, "no running monitor or bot"
        return f.heartbeat_age_s, f"{f.stale_process} last seen {f.heartbeat_age_s:.0f} s ago"
    raise KeyError(name)
