"""The monitor's rows in the journal: heartbeats, the lease, check states, settings and alert deliveries.

Every process of an account shares the journal, so what lives here is shared: which monitor acts (the lease),
what it last saw (check states), where alerts go (settings) and what was delivered (alert log). Values come back
as frozen dataclasses, never ORM rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from crbot.journal import Journal
from crbot.journal.database import Database
from crbot.journal.models import (
    AlertLogRow,
    AuditRow,
    MonitorCheckRow,
    MonitorLeaseRow,
    MonitorSettingRow,
    ProcessHeartbeatRow,
)

LEASE_NAME = "monitor"


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    process_id: str
    kind: str
    host: str
    pid: int
    started_at: datetime
    last_seen: datetime
    stopped_at: datetime | None
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    holder: str
    acquired_at: datetime
    expires_at: datetime
    last_cycle_at: datetime | None
    audit_cursor: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckState:
    name: str
    status: str
    value: str
    threshold: str
    action: str
    since: datetime | None
    acted_at: datetime | None
    detail: str
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRecord:
    time: datetime
    kind: str
    title: str
    target: str
    ok: bool
    attempts: int
    error: str


class MonitorStore:
    """Reads and writes the monitor's tables through the journal's own Database (one engine per process)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._db: Database = journal._db  # the journal's engine and write lock; no second connection pool

    # ---- heartbeats ------------------------------------------------------------------------------------
    def beat(self, *, process_id: str, kind: str, host: str, pid: int, now: datetime, detail: str) -> None:
        with self._db.write() as s:
            row = s.get(ProcessHeartbeatRow, process_id)
            if row is None:
                s.add(
                    ProcessHeartbeatRow(
                        process_id=process_id,
                        kind=kind,
                        host=host,
                        pid=pid,
                        started_at=now,
                        last_seen=now,
                        stopped_at=None,
                        detail=detail,
                    )
                )
            else:
                row.last_seen, row.detail, row.stopped_at = now, detail, None

    def stopped(self, process_id: str, now: datetime) -> None:
        with self._db.write() as s:
            row = s.get(ProcessHeartbeatRow, process_id)
            if row is not None:
                row.stopped_at, row.last_seen = now, now

    def heartbeats(self, *, since: datetime | None = None) -> list[Heartbeat]:
        """Newest first; ``since`` keeps only processes seen since then."""
        q = select(ProcessHeartbeatRow).order_by(ProcessHeartbeatRow.last_seen.desc())
        if since is not None:
            q = q.where(ProcessHeartbeatRow.last_seen >= since)
        with self._db.read() as s:
            return [_heartbeat(r) for r in s.scalars(q)]

    def last_heartbeat(self, kind: str) -> datetime | None:
        q = select(func.max(ProcessHeartbeatRow.last_seen)).where(ProcessHeartbeatRow.kind == kind)
        with self._db.read() as s:
            return s.scalar(q)

    def prune_heartbeats(self, before: datetime) -> int:
        with self._db.write() as s:
            return s.execute(delete(ProcessHeartbeatRow).where(ProcessHeartbeatRow.last_seen < before)).rowcount or 0

    # ---- the lease ---------------------------------------------------------------------------------------
    def acquire(
        self, holder: str, *, now: datetime, ttl: timedelta, preempt: tuple[str, ...] = ()
    ) -> tuple[bool, Lease | None]:
        """Take or renew the lease; (False, the other holder's lease) while someone else holds an unexpired one,
        unless its holder starts with one of ``preempt`` (the daemon takes over from a dashboard at once)."""
        try:
            with self._db.write() as s:  # BEGIN IMMEDIATE on SQLite; a row lock on PostgreSQL
                row = s.scalars(
                    select(MonitorLeaseRow).where(MonitorLeaseRow.name == LEASE_NAME).with_for_update()
                ).first()
                if row is None:
                    row = MonitorLeaseRow(
                        name=LEASE_NAME, holder=holder, acquired_at=now, expires_at=now + ttl, last_cycle_at=None
                    )
                    s.add(row)
                elif row.holder != holder and row.expires_at > now and not row.holder.startswith(preempt):
                    return False, _lease(row)
                else:
                    if row.holder != holder:
                        row.holder, row.acquired_at = holder, now
                    row.expires_at = now + ttl
                s.flush()
                return True, _lease(row)
        except IntegrityError:  # another process inserted the first row at the same moment: it holds it
            return False, self.lease()

    def lease(self) -> Lease | None:
        with self._db.read() as s:
            row = s.get(MonitorLeaseRow, LEASE_NAME)
            return None if row is None else _lease(row)

    def release(self, holder: str, now: datetime) -> None:
        with self._db.write() as s:
            row = s.get(MonitorLeaseRow, LEASE_NAME)
            if row is not None and row.holder == holder:
                row.expires_at = now  # the next monitor takes over at once

    def mark_cycle(self, holder: str, *, now: datetime, audit_cursor: int | None) -> None:
        with self._db.write() as s:
            row = s.get(MonitorLeaseRow, LEASE_NAME)
            if row is not None and row.holder == holder:
                row.last_cycle_at = now
                if audit_cursor is not None:
                    row.audit_cursor = audit_cursor

    # ---- audit events after a cursor (alerts for STOP, unprotected positions, bans) ----------------------
    def audit_after(self, cursor: int | None, actions: tuple[str, ...]) -> tuple[int, list[tuple[str, str, str, str]]]:
        """(newest audit id, [(action, actor, detail, reason)] after ``cursor`` among ``actions``). A missing cursor
        starts at the newest event: a new monitor does not replay history."""
        with self._db.read() as s:
            newest = s.scalar(select(func.max(AuditRow.id))) or 0
            if cursor is None:
                return newest, []
            q = (
                select(AuditRow.action, AuditRow.actor, AuditRow.detail, AuditRow.reason)
                .where(AuditRow.id > cursor, AuditRow.id <= newest, AuditRow.action.in_(actions))
                .order_by(AuditRow.id)
            )
            return newest, [tuple(r) for r in s.execute(q)]  # type: ignore[misc]

    # ---- check states ------------------------------------------------------------------------------------
    def checks(self) -> dict[str, CheckState]:
        with self._db.read() as s:
            return {r.name: _check(r) for r in s.scalars(select(MonitorCheckRow))}

    def save_checks(self, states: list[CheckState]) -> None:
        with self._db.write() as s:
            rows = {r.name: r for r in s.scalars(select(MonitorCheckRow))}
            for st in states:
                row = rows.get(st.name)
                if row is None:
                    s.add(MonitorCheckRow(**{f: getattr(st, f) for f in CheckState.__slots__}))
                    continue
                for field in CheckState.__slots__:
                    setattr(row, field, getattr(st, field))

    # ---- settings (thresholds, alert targets) ---------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        with self._db.read() as s:
            return {r.key: r.value for r in s.scalars(select(MonitorSettingRow))}

    def save_settings(self, values: Mapping[str, str], *, actor: str, now: datetime) -> None:
        with self._db.write() as s:
            rows = {r.key: r for r in s.scalars(select(MonitorSettingRow))}
            for key, value in values.items():
                row = rows.get(key)
                if row is None:
                    s.add(MonitorSettingRow(key=key, value=value, updated_at=now, actor=actor))
                elif row.value != value:
                    row.value, row.updated_at, row.actor = value, now, actor

    # ---- alert deliveries -------------------------------------------------------------------------------------
    def record_alert(self, record: AlertRecord) -> None:
        with self._db.write() as s:
            s.add(AlertLogRow(**{f: getattr(record, f) for f in AlertRecord.__slots__}))

    def alerts(self, limit: int = 50) -> list[AlertRecord]:
        q = select(AlertLogRow).order_by(AlertLogRow.id.desc()).limit(limit)
        with self._db.read() as s:
            return [AlertRecord(**{f: getattr(r, f) for f in AlertRecord.__slots__}) for r in s.scalars(q)]

    def last_alert(self, kind: str, *, ok: bool = True) -> datetime | None:
        q = select(func.max(AlertLogRow.time)).where(AlertLogRow.kind == kind, AlertLogRow.ok == ok)
        with self._db.read() as s:
            return s.scalar(q)


def _heartbeat(r: ProcessHeartbeatRow) -> Heartbeat:
    return Heartbeat(
        process_id=r.process_id,
        kind=r.kind,
        host=r.host,
        pid=r.pid,
        started_at=r.started_at,
        last_seen=r.last_seen,
        stopped_at=r.stopped_at,
        detail=r.detail,
    )


def _lease(r: MonitorLeaseRow) -> Lease:
    return Lease(
        holder=r.holder,
        acquired_at=r.acquired_at,
        expires_at=r.expires_at,
        last_cycle_at=r.last_cycle_at,
        audit_cursor=r.audit_cursor,
    )


def _check(r: MonitorCheckRow) -> CheckState:
    return CheckState(**{f: getattr(r, f) for f in CheckState.__slots__})
