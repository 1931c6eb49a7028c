"""One cycle's measurements, read from the journal (a few indexed queries, never whole tables) and the account
snapshot. The thresholds judge them (``crbot.monitor.thresholds``, pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import Float, cast, func, select

from crbot.domain import OrderStatus, TradingState
from crbot.journal.models import EquityRow, FillRow, OrderRow
from crbot.monitor.store import MonitorStore
from crbot.monitor.thresholds import Facts

LATENCY_ORDERS = 100  # p50 / p95 / p99 over the newest orders with a latency
SUSTAINED_ORDERS, SUSTAINED_MIN = 20, 5
SLIPPAGE_FILLS = 50
REJECT_WINDOW = timedelta(hours=24)
STREAK_ORDERS = 50
WATCHED_KINDS = ("monitor", "bot")  # processes that beat on a period: a silent one is hung or crashed
HEARTBEAT_HORIZON = timedelta(days=1)
_NOT_SENT = (OrderStatus.PLANNED.value, OrderStatus.INTENT.value)
_FAILED = (OrderStatus.REJECTED.value, OrderStatus.UNKNOWN.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Live:
    """What the monitoring process itself knows (not in the journal)."""

    equity: Decimal | None
    feed_age_s: float | None
    failed_cycles: int
    used_weight: int | None
    weight_limit: int | None


def gather(store: MonitorStore, *, now: datetime, live: Live) -> Facts:
    journal = store.journal
    record = journal.trading_state()
    # a resume starts the drawdown's peak, the error streak and the sustained latency afresh
    baseline = record.since if record.state is TradingState.ACTIVE else None
    db = store._db
    with db.read() as s:
        peak_q = select(func.max(cast(EquityRow.equity, Float)))
        if baseline is not None:
            peak_q = peak_q.where(EquityRow.time >= baseline)
        peak = s.scalar(peak_q)
        latencies = _latencies(s, None, LATENCY_ORDERS)
        sustained = _latencies(s, baseline, SUSTAINED_ORDERS)
        streak = _streak(s, baseline)
        sent, rejects = _rejects(s, now - REJECT_WINDOW)
        slips = _slippage(s)
    day_start = journal.day_start_equity(now.date())
    pct = np.percentile(latencies, [50, 95, 99]) if latencies else (None, None, None)
    age, stale = _oldest_heartbeat(store, now)
    return Facts(
        now=now,
        state=record.state,
        equity=live.equity,
        day_start_equity=day_start,
        peak_equity=None if peak is None else Decimal(str(peak)),
        error_streak=max(streak, live.failed_cycles),
        latency_sustained_ms=float(np.median(sustained)) if len(sustained) >= SUSTAINED_MIN else None,
        latency_p50_ms=None if pct[0] is None else float(pct[0]),
        latency_p95_ms=None if pct[1] is None else float(pct[1]),
        latency_p99_ms=None if pct[2] is None else float(pct[2]),
        latency_count=len(latencies),
        slippage_bps=float(np.mean(slips)) if slips else None,
        slippage_count=len(slips),
        rejects=rejects,
        orders_sent=sent,
        used_weight=live.used_weight,
        weight_limit=live.weight_limit,
        feed_age_s=live.feed_age_s,
        stale_process=stale,
        heartbeat_age_s=age,
    )


def _latencies(s, since: datetime | None, limit: int) -> list[float]:
    q = select(OrderRow.latency_ms).where(OrderRow.latency_ms.is_not(None))
    if since is not None:
        q = q.where(OrderRow.created_at >= since)
    return [float(v) for v in s.scalars(q.order_by(OrderRow.created_at.desc()).limit(limit))]


def _streak(s, since: datetime | None) -> int:
    """Newest sent orders in a row that were rejected or have an unknown outcome."""
    q = select(OrderRow.status).where(OrderRow.status.not_in(_NOT_SENT))
    if since is not None:
        q = q.where(OrderRow.created_at >= since)
    count = 0
    for status in s.scalars(q.order_by(OrderRow.created_at.desc()).limit(STREAK_ORDERS)):
        if status not in _FAILED:
            break
        count += 1
    return count


def _rejects(s, since: datetime) -> tuple[int, int]:
    base = select(func.count()).select_from(OrderRow).where(OrderRow.created_at >= since)
    sent = s.scalar(base.where(OrderRow.status.not_in(_NOT_SENT))) or 0
    rejected = s.scalar(base.where(OrderRow.status == OrderStatus.REJECTED.value)) or 0
    return int(sent), int(rejected)


def _slippage(s) -> list[float]:
    q = (
        select(FillRow.side, FillRow.price, OrderRow.expected_price)
        .join(OrderRow, FillRow.client_order_id == OrderRow.client_order_id)
        .where(OrderRow.expected_price.is_not(None))
        .order_by(FillRow.time.desc(), FillRow.id.desc())
        .limit(SLIPPAGE_FILLS)
    )
    values = (slippage_bps(side, expected, price) for side, price, expected in s.execute(q))
    return [v for v in values if v is not None]


def slippage_bps(side: str, expected: Decimal, fill: Decimal) -> float | None:
    """``crbot.metrics.slippage_bps`` (positive when it cost the trader), restated here: importing crbot.metrics
    loads pandas, +80 MB resident for a process that runs 24/7 (tests check that both agree)."""
    direction = {"BUY": 1.0, "SELL": -1.0}.get(str(side).upper())
    if direction is None or expected is None or fill is None or not expected > 0:
        return None
    return direction * float((fill - expected) / expected) * 10_000.0


def _oldest_heartbeat(store: MonitorStore, now: datetime) -> tuple[float | None, str | None]:
    running = [
        h for h in store.heartbeats(since=now - HEARTBEAT_HORIZON) if h.kind in WATCHED_KINDS and h.stopped_at is None
    ]
    if not running:
        return None, None
    oldest = min(running, key=lambda h: h.last_seen)
    return max(0.0, (now - oldest.last_seen).total_seconds()), oldest.process_id
