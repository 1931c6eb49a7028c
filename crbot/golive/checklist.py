"""The go-live checklist, each item judged from evidence in the journals and the backup folder.

    evaluate(settings, clock, journals=ModeJournals(...), live_equity=None) -> Checklist

Every item says whether it passes, the evidence it found (or what is missing) and where it is fixed (a
dashboard page and a command). Missing evidence fails the item: nothing passes by default.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.errors import CrbotError, fmt
from crbot.golive.journals import ModeJournals
from crbot.golive.settings import BackupSettings, GoLiveSettings
from crbot.journal import Journal

logger = logging.getLogger(__name__)

DRILL_ACTION = "golive_drill"
LOCK_ACTION = "risk_limits_locked"
OVERRIDE_ACTION = "golive_override"
STOP_COMPLETED = "stop_completed"  # crbot.killswitch: STOP verified nothing left open
LIMITS_ACTION = "risk_limits"


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    key: str
    title: str
    ok: bool
    evidence: str
    fix: str  # what to do, and where (page / command)
    page: str = ""  # dashboard url path where it is fixed


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    at: datetime
    actor: str
    reason: str
    until: datetime
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Checklist:
    items: tuple[Item, ...]
    evaluated_at: datetime
    override: Override | None = None  # a valid override lets live trade although items fail

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    @property
    def failing(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if not i.ok)

    @property
    def live_allowed(self) -> bool:
        return self.ok or self.override is not None


def limits_fingerprint(limits: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(limits, sort_keys=True).encode()).hexdigest()[:16]


class Memo:
    """Items read from other journals and files (paper history, drill, monitoring, backups, kill switch) kept for
    ``ttl_s`` by the gate, which evaluates before every live order (the paper history alone reads every paper
    order and fill). The live journal's limits lock, override and the equity are read every time: a change
    there re-locks live at once."""

    def __init__(self, ttl_s: float = 60.0) -> None:
        self.ttl_s = ttl_s
        self._items: dict[str, tuple[float, Item]] = {}

    def get(self, key: str, compute: Callable[[], Item]) -> Item:
        now = time.monotonic()
        found = self._items.get(key)
        if found is not None and now - found[0] < self.ttl_s:
            return found[1]
        item = compute()
        self._items[key] = (now, item)
        return item


def evaluate(
    settings: Settings,
    clock: Clock,
    *,
    journals: ModeJournals,
    live_equity: Callable[[], Decimal | None] | None = None,
    conf: GoLiveSettings | None = None,
    memo: Memo | None = None,
) -> Checklist:
    conf = conf or GoLiveSettings.load()
    now = clock.now()
    live = journals.get(Mode.LIVE)
    slow = memo.get if memo is not None else (lambda _key, compute: compute())
    items = (
        slow("drill", lambda: _drill(journals, conf, now)),
        slow("paper", lambda: _paper(journals, conf)),
        _limits(live),
        slow("monitoring", lambda: _monitoring(live, now, conf)),
        slow("backups", lambda: _backups(settings, conf, now)),
        slow("kill_switch", lambda: _kill_switch(journals)),
        _capital(live, conf, live_equity),
    )
    return Checklist(items=items, evaluated_at=now, override=current_override(live, conf, now))


def current_override(live: Journal | None, conf: GoLiveSettings, now: datetime) -> Override | None:
    if live is None:
        return None
    row = live.latest_audit((OVERRIDE_ACTION,))
    if row is None or now - row.time > conf.override_for:
        return None
    return Override(
        at=row.time, actor=row.actor, reason=row.reason, until=row.time + conf.override_for, detail=row.detail
    )


# ---- items -------------------------------------------------------------------------------------------------
def _drill(journals: ModeJournals, conf: GoLiveSettings, now: datetime) -> Item:
    title = "Testnet / demo verified"
    fix = (
        "run the round trip on the testnet or demo account: CRBOT_MODE=testnet python -m crbot golive drill"
        f" (connect, place a tiny LIMIT, query, cancel, STOP, verified flat;"
        f" at most {conf.drill_max_age.days} days old)"
    )
    best = None
    for mode in (Mode.TESTNET, Mode.DEMO):
        journal = journals.get(mode)
        row = journal.latest_audit((DRILL_ACTION,)) if journal is not None else None
        if row is not None and f"mode={mode.value}" in row.detail and (best is None or row.time > best.time):
            best = row
    if best is None:
        return Item(key="drill", title=title, ok=False, evidence="no round trip recorded on testnet or demo", fix=fix)
    age = now - best.time
    passed = best.detail.startswith("ok") and age <= conf.drill_max_age
    why = "" if best.detail.startswith("ok") else " (it FAILED)"
    stale = f" — older than {conf.drill_max_age.days} days" if age > conf.drill_max_age else ""
    evidence = f"last drill {best.time:%Y-%m-%d %H:%M} UTC by {best.actor}{why}{stale}: {best.detail}"
    return Item(key="drill", title=title, ok=passed, evidence=evidence, fix=fix)


def _paper(journals: ModeJournals, conf: GoLiveSettings) -> Item:
    title = f"Paper trading for {fmt(conf.paper_days)} days"
    fix = (
        f"trade in paper mode (CRBOT_MODE=paper) for {fmt(conf.paper_days)} days and at least"
        f" {conf.paper_round_trips} round trips"
    )
    journal = journals.get(Mode.PAPER)
    if journal is None:
        return Item(key="paper", title=title, ok=False, evidence="no paper journal yet", fix=fix, page="ticket")
    from crbot.metrics.trades import round_trips

    orders = journal.orders_frame()
    orders = orders[orders["mode"] == Mode.PAPER.value]
    if orders.empty:
        return Item(key="paper", title=title, ok=False, evidence="no paper order yet", fix=fix, page="ticket")
    first, last = orders["created_at"].min(), orders["created_at"].max()
    exact = Decimal(str((last - first).total_seconds())) / Decimal(86400)
    days = exact.quantize(Decimal("0.1"))
    fills = journal.fills_frame()
    fills = fills[fills["client_order_id"].isin(set(orders["client_order_id"]))]
    trips = len(round_trips(fills))
    passed = exact >= conf.paper_days and trips >= conf.paper_round_trips
    evidence = (
        f"{fmt(days)} days covered ({first:%Y-%m-%d} to {last:%Y-%m-%d}), {len(orders)} orders,"
        f" {trips} round trips (targets: {fmt(conf.paper_days)} days, {conf.paper_round_trips} round trips)"
    )
    return Item(key="paper", title=title, ok=passed, evidence=evidence, fix=fix, page="performance")


def _limits(live: Journal | None) -> Item:
    title = "Risk limits saved and locked"
    fix = (
        "save the live limits on Risk & controls (live mode), then lock them: python -m crbot golive lock --reason ..."
    )
    if live is None:
        return Item(key="limits", title=title, ok=False, evidence="no live journal yet", fix=fix, page="risk")
    saved = live.risk_limits()
    if not saved:
        return Item(
            key="limits",
            title=title,
            ok=False,
            evidence="the live limits were never saved (defaults)",
            fix=fix,
            page="risk",
        )
    lock = live.latest_audit((LOCK_ACTION,))
    if lock is None:
        return Item(key="limits", title=title, ok=False, evidence="limits saved, not locked", fix=fix, page="golive")
    change = live.latest_audit((LIMITS_ACTION,))
    fingerprint = limits_fingerprint(saved)
    if (change is not None and change.time > lock.time) or f"fingerprint={fingerprint}" not in lock.detail:
        when = f" on {change.time:%Y-%m-%d %H:%M} by {change.actor}" if change is not None else ""
        return Item(
            key="limits",
            title=title,
            ok=False,
            evidence=f"changed after the lock{when}: lock them again",
            fix=fix,
            page="golive",
        )
    evidence = f"locked {lock.time:%Y-%m-%d %H:%M} UTC by {lock.actor} ({lock.reason})"
    return Item(key="limits", title=title, ok=True, evidence=evidence, fix=fix, page="risk")


def _monitoring(live: Journal | None, now: datetime, conf: GoLiveSettings) -> Item:
    title = "Monitoring: fresh heartbeat and a test alert"
    fix = "run the monitor in live mode and send a test alert from it"
    try:
        from crbot.monitor.status import monitoring_evidence
    except ImportError:
        return Item(
            key="monitoring",
            title=title,
            ok=False,
            evidence="this CRBOT has no monitor yet (crbot.monitor.status)",
            fix=fix,
        )
    if live is None:
        return Item(key="monitoring", title=title, ok=False, evidence="no live journal yet", fix=fix)
    try:
        found = monitoring_evidence(live, now)
    except CrbotError as exc:
        return Item(
            key="monitoring", title=title, ok=False, evidence=f"cannot read the monitor's evidence: {exc}", fix=fix
        )
    missing = []
    if found.heartbeat_at is None:
        missing.append("no heartbeat from the monitor")
    elif now - found.heartbeat_at > conf.heartbeat_max_age:
        missing.append(f"last heartbeat {found.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC is stale")
    if found.test_alert_at is None:
        missing.append("no test alert delivered")
    beat = f"heartbeat {found.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC" if found.heartbeat_at else ""
    alert = f"test alert {found.test_alert_at:%Y-%m-%d %H:%M} UTC" if found.test_alert_at else ""
    evidence = "; ".join(missing) if missing else f"{beat}; {alert}"
    return Item(key="monitoring", title=title, ok=not missing, evidence=evidence, fix=fix)


def _backups(settings: Settings, conf: GoLiveSettings, now: datetime) -> Item:
    from crbot.backup import list_backups

    title = "Backups: a recent one, restore verified"
    fix = "python -m crbot backup create (verifies by restoring), or the Go-live page's Back up now"
    backups = list_backups(BackupSettings.load(settings))
    if not backups:
        return Item(key="backups", title=title, ok=False, evidence="no backup yet", fix=fix, page="golive")
    newest = backups[0]
    verified = next((b for b in backups if b.verified_ok), None)
    if verified is None:
        return Item(
            key="backups",
            title=title,
            ok=False,
            evidence=f"{len(backups)} backup(s), none verified",
            fix=fix,
            page="golive",
        )
    age = now - verified.created_at
    ok = age <= conf.backup_max_age
    evidence = (
        f"{verified.name}: {verified.rows} rows, restore verified {verified.verified_at:%Y-%m-%d %H:%M} UTC"
        + ("" if ok else f" — older than {conf.backup_max_age.total_seconds() / 3600:g} h")
        + (f"; the newest ({newest.name}) FAILED verification" if newest.verified_ok is False else "")
    )
    return Item(
        key="backups", title=title, ok=ok and newest.verified_ok is not False, evidence=evidence, fix=fix, page="golive"
    )


def _kill_switch(journals: ModeJournals) -> Item:
    title = "Kill switch exercised"
    fix = "press STOP in paper or testnet mode (with no order left open afterwards), or run the drill"
    best = None
    for mode in (Mode.PAPER, Mode.TESTNET, Mode.DEMO):
        journal = journals.get(mode)
        row = journal.latest_audit((STOP_COMPLETED,)) if journal is not None else None
        if row is not None and (best is None or row.time > best[0].time):
            best = (row, mode)
    if best is None:
        return Item(key="kill_switch", title=title, ok=False, evidence="no completed STOP in paper or testnet", fix=fix)
    row, mode = best
    evidence = (
        f"STOP by {row.actor} {row.time:%Y-%m-%d %H:%M} UTC ({mode.value} journal): {row.detail},"
        " verified nothing left open"
    )
    return Item(key="kill_switch", title=title, ok=True, evidence=evidence, fix=fix)


def _capital(live: Journal | None, conf: GoLiveSettings, live_equity: Callable[[], Decimal | None] | None) -> Item:
    title = f"Starting capital at most {fmt(conf.max_capital)} USDT"
    fix = f"keep at most {fmt(conf.max_capital)} USDT on the live account (CRBOT_GOLIVE_MAX_CAPITAL) to begin with"
    equity, where = None, ""
    if live_equity is not None:
        try:
            equity, where = live_equity(), "live account now"
        except CrbotError as exc:
            logger.warning("live equity unavailable for the checklist: %s", exc)
    if equity is None and live is not None:
        frame = live.equity_frame()
        if len(frame):
            equity = Decimal(str(frame["equity"].iloc[-1]))
            where = f"last live equity point {frame['time'].iloc[-1]:%Y-%m-%d %H:%M} UTC"
    if equity is None:
        return Item(
            key="capital",
            title=title,
            ok=False,
            evidence="live equity unknown: open the dashboard in live mode once",
            fix=fix,
        )
    ok = equity <= conf.max_capital
    evidence = f"{fmt(equity.quantize(Decimal('0.01')))} USDT ({where})"
    return Item(key="capital", title=title, ok=ok, evidence=evidence, fix=fix, page="balance")
