"""One monitor cycle: heartbeat, lease, sync, measure, judge, act, alert. The daemon (``python -m crbot monitor``)
and the dashboard's refresh run the same ``Monitor.cycle``.

Only the lease holder acts: two monitors on one account never both halt, cut or alert. The lease expires
``LEASE_CYCLES`` intervals after the holder's last cycle, so a crashed monitor is replaced within that time.

Actions per breached check (its rule's action):
* ``halt`` — when trading is not HALTED already: ``service.stop`` (the same latched kill switch as STOP) with
  the checks' numbers as the reason, then a ``kill`` alert. A resume is never done here.
* ``cut`` — once per breach: max order and max position size halved in the risk limits (audited), an alert.
* ``warn`` — once per breach: an alert.
Audit events since the last cycle bring alerts too: a STOP or resume by anyone else, an unprotected position,
an incomplete STOP sweep.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from crbot.domain import TradingState
from crbot.errors import CrbotError, RateLimited
from crbot.monitor.alerts import Alert, Notifier
from crbot.monitor.facts import Live, gather
from crbot.monitor.store import CheckState, MonitorStore
from crbot.monitor.thresholds import BREACH, CheckResult, evaluate, rules_from
from crbot.service import TradingService

logger = logging.getLogger(__name__)

ACTOR = "crbot:monitor"
LEASE_CYCLES = 3
MIN_LEASE = timedelta(seconds=30)
CUT_FACTOR = Decimal("0.5")
HEARTBEAT_KEEP, PRUNE_EVERY = timedelta(days=7), timedelta(hours=1)
_AUDITED = ("trading_state", "position_unprotected", "stop_incomplete")

# `python -m crbot monitor --once` exit codes (README)
EXIT_HEALTHY, EXIT_BREACH, EXIT_HALTED, EXIT_FAILED, EXIT_STANDBY = 0, 1, 3, 5, 6


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleReport:
    at: datetime
    acted: bool  # False: standing by (another monitor holds the lease) or not due yet
    holder: str  # who holds the lease
    results: tuple[CheckResult, ...] = ()
    state: TradingState | None = None
    halted_now: bool = False
    problem: str | None = None  # the sync failed (exchange or journal unreachable)
    actions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        if not self.acted:
            return EXIT_STANDBY
        if self.state is TradingState.HALTED:
            return EXIT_HALTED
        if self.problem:
            return EXIT_FAILED
        return EXIT_BREACH if any(r.breached for r in self.results) else EXIT_HEALTHY

    @property
    def summary(self) -> str:
        if not self.acted:
            return f"standing by: the monitor lease is held by {self.holder}"
        breached = [r.label for r in self.results if r.breached]
        state = self.state.value if self.state else "unknown"
        text = f"trading {state}; " + (
            f"breached: {', '.join(breached)}" if breached else "all checks within thresholds"
        )
        return text + (f"; sync failed: {self.problem}" if self.problem else "")


class Monitor:
    def __init__(
        self,
        *,
        service: TradingService,
        notifier: Notifier,
        holder: str,
        interval: timedelta,
        sync: bool = True,
        where: str = "monitor",
    ) -> None:
        self.service = service
        self.clock = service.clock
        self.store = MonitorStore(service.journal)
        self.notifier = notifier
        self.holder = holder
        self.interval = interval
        self.sync = sync  # the dashboard's refresh syncs already: its cycle only judges and acts
        self.where = where
        self.started_at = self.clock.now()
        self._feed_ok_at: datetime | None = None
        self._failed_cycles = 0
        self._started_up = False
        self._banned = False
        self._pruned_at: datetime | None = None
        self._lock = threading.Lock()  # one cycle at a time in this process (dashboard sessions share it)
        self._last_try = float("-inf")

    @property
    def lease_ttl(self) -> timedelta:
        return max(MIN_LEASE, self.interval * LEASE_CYCLES)

    def maybe_cycle(self) -> CycleReport | None:
        """The dashboard's hook: a cycle when one is due (at most one per interval per process, and across
        processes through the lease), else None at once. Never raises."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if time.monotonic() - self._last_try < self.interval.total_seconds():
                return None
            self._last_try = time.monotonic()
            lease = self.store.lease()
            now = self.clock.now()
            if lease is not None and lease.last_cycle_at and now - lease.last_cycle_at < self.interval:
                return None  # another process (or session) ran one within the interval
            return self._cycle()
        except Exception:
            logger.exception("monitor cycle failed in the %s", self.where)
            return None
        finally:
            self._lock.release()

    def cycle(self) -> CycleReport:
        with self._lock:
            return self._cycle()

    def _cycle(self) -> CycleReport:
        now = self.clock.now()
        preempt = () if self.where == "dashboard" else ("dashboard:",)  # the daemon outranks an open dashboard
        got, lease = self.store.acquire(self.holder, now=now, ttl=self.lease_ttl, preempt=preempt)
        self.service.heartbeat.beat(
            "acting" if got else f"standby: lease held by {lease.holder if lease else '?'}", force=True
        )
        if not got:
            holder = lease.holder if lease else "?"
            logger.info("standing by: the monitor lease is held by %s until %s", holder, lease and lease.expires_at)
            return CycleReport(at=now, acted=False, holder=holder)
        problem = self._sync()
        live = self._live(now)
        if live.equity is not None and self.service.journal.day_start_equity(now.date()) is None:
            self.service.journal.snapshot_equity(live.equity, at=now)  # marks where the day's P&L starts
        facts = gather(self.store, now=now, live=live)
        rules = rules_from(self.store.settings(), self.service.risk_limits().daily_loss_limit)
        results = evaluate(facts, rules)
        previous = self.store.checks()
        actions, halted_now = self._act(results, previous, facts.state)
        cursor = self._audit_alerts(lease.audit_cursor if lease else None)
        self.store.save_checks([self._state(r, previous.get(r.name), now, actions) for r in results])
        self.store.mark_cycle(self.holder, now=now, audit_cursor=cursor)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:  # one row per process ever started
            self._pruned_at = now
            self.store.prune_heartbeats(now - HEARTBEAT_KEEP)
        state = self.service.trading_state().state
        return CycleReport(
            at=now,
            acted=True,
            holder=self.holder,
            results=tuple(results),
            state=state,
            halted_now=halted_now,
            problem=problem,
            actions=tuple(actions),
        )

    def release(self) -> None:
        try:
            self.store.release(self.holder, self.clock.now())
        except Exception as exc:
            logger.warning("monitor lease not released (it expires by itself): %s", exc)

    # ---- steps ------------------------------------------------------------------------------------------
    def _sync(self) -> str | None:
        if not self.sync:
            return None
        try:
            if not self._started_up:  # unanswered orders, unsent exits, an incomplete STOP
                self.service.start_up(actor=ACTOR, full=False)
                self._started_up = True
            self.service.refresh()
        except CrbotError as exc:
            self._failed_cycles += 1
            if isinstance(exc, RateLimited) and not self._banned:  # IpBanned is a RateLimited
                self._banned = True
                self.notifier.send(
                    Alert(kind="ban", title="CRBOT: exchange rate limit / ban", body=str(exc), level="failure")
                )
            logger.warning("monitor sync failed (%d in a row): %s", self._failed_cycles, exc)
            return str(exc)
        self._failed_cycles = 0
        return None

    def _live(self, now: datetime) -> Live:
        equity = None
        try:
            # the daemon values the account every cycle (a loss is seen within one cycle; 24 weight on Binance);
            # the dashboard's cycle reads the snapshot its pages keep (30 s at most)
            snap = self.service.account.snapshot(max_age=self.interval) if self.sync else self.service.snapshot()
            equity = snap.equity
            if snap.prices:
                self._feed_ok_at = max(self._feed_ok_at or snap.taken_at, snap.taken_at)
        except CrbotError as exc:
            logger.warning("no account snapshot: %s", exc)
        since = self._feed_ok_at or self.started_at  # a feed dead from the start still ages
        broker = self.service.broker
        used, limit = getattr(broker, "used_weight", None), getattr(broker, "weight_limit", None)
        banned = getattr(broker, "banned_until", None)  # a 418 this process's connector saw (Binance only)
        if banned is None and not self._failed_cycles:
            self._banned = False  # the next ban is alerted again
        elif isinstance(banned, datetime) and not self._banned:
            self._banned = True
            body = (
                f"the exchange banned this IP until {banned:%Y-%m-%d %H:%M:%S} UTC (HTTP 418); requests wait until then"
            )
            self.notifier.send(Alert(kind="ban", title="CRBOT: exchange IP ban", body=body, level="failure"))
        return Live(
            equity=equity,
            feed_age_s=max(0.0, (now - since).total_seconds()),
            failed_cycles=self._failed_cycles,
            used_weight=used if isinstance(used, int) else None,
            weight_limit=limit if isinstance(limit, int) else None,
        )

    def _act(
        self, results: list[CheckResult], previous: dict[str, CheckState], state: TradingState
    ) -> tuple[list[str], bool]:
        actions: list[str] = []
        halts = [r for r in results if r.breached and r.action == "halt"]
        halted_now = False
        if halts and state is not TradingState.HALTED:
            reason = f"automatic kill by the {self.where}: " + "; ".join(r.detail for r in halts)
            report = self.service.stop(reason=reason, actor=ACTOR)
            halted_now = True
            actions += [r.name for r in halts]
            body = reason + ("" if report.ok else f"\nSTOP incomplete: {'; '.join(report.errors or report.left_open)}")
            self.notifier.send(Alert(kind="kill", title="CRBOT HALTED automatically", body=body, level="failure"))
        for r in results:
            if not r.breached or r.action == "halt":
                continue
            before = previous.get(r.name)
            if before is not None and before.status == BREACH and before.acted_at is not None:
                continue  # this breach was acted on already: once per breach
            if r.action == "cut":
                self._cut(r)
            actions.append(r.name)
            what = "position size limit cut" if r.action == "cut" else "warning"
            self.notifier.send(Alert(kind="breach", title=f"CRBOT {what}: {r.label}", body=r.detail))
        return actions, halted_now

    def _cut(self, r: CheckResult) -> None:
        limits = self.service.risk_limits()
        cent = Decimal("0.01")
        order = max(cent, (limits.max_order_notional * CUT_FACTOR).quantize(cent, rounding=ROUND_DOWN))
        position = max(cent, (limits.max_position_notional * CUT_FACTOR).quantize(cent, rounding=ROUND_DOWN))
        self.service.save_risk_limits(
            limits.with_changes(max_order_notional=order, max_position_notional=position),
            actor=ACTOR,
            reason=f"automatic size cut by the {self.where}: {r.detail}",
        )

    def _audit_alerts(self, cursor: int | None) -> int:
        newest, events = self.store.audit_after(cursor, _AUDITED)
        for action, actor, detail, reason in events:
            if action == "trading_state" and actor != ACTOR:  # our own kills were alerted when taken
                stop = detail.endswith(TradingState.HALTED.value)
                title = "CRBOT STOP: trading HALTED" if stop else f"CRBOT trading state {detail}"
                kind = "stop" if stop else "resume"
                self.notifier.send(
                    Alert(kind=kind, title=title, body=f"by {actor}: {reason}", level="failure" if stop else "info")
                )
            elif action == "position_unprotected":
                self.notifier.send(
                    Alert(
                        kind="unprotected",
                        title="CRBOT: position UNPROTECTED",
                        body=f"{detail} ({reason})",
                        level="failure",
                    )
                )
            elif action == "stop_incomplete":
                self.notifier.send(
                    Alert(kind="stop", title="CRBOT: STOP incomplete", body=f"{detail} ({reason})", level="failure")
                )
        return newest

    def _state(self, r: CheckResult, before: CheckState | None, now: datetime, actions: list[str]) -> CheckState:
        ongoing = before is not None and before.status == BREACH and r.breached
        since = (before.since if ongoing and before else now) if r.breached else None
        acted = now if r.name in actions else (before.acted_at if ongoing and before else None)
        return CheckState(
            name=r.name,
            status=r.status,
            value="" if r.value is None else f"{r.value:.6g}",
            threshold=str(r.threshold),
            action=r.action,
            since=since,
            acted_at=acted,
            detail=r.detail,
            updated_at=now,
        )
