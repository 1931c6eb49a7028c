"""The latched trading state, the audit trail and the saved risk limits.

A change to the state or the limits and its audit event are written in ONE transaction: there is never
a state without its "who, when, why", nor an audit line for a change that did not happen. On PostgreSQL
the same transaction NOTIFYs ``crbot_state``, so every listening process hears of it at commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crbot.clock import Clock
from crbot.domain import AuditEvent, TradingState
from crbot.errors import InvalidInput
from crbot.journal import statements
from crbot.journal.database import Database
from crbot.journal.models import AuditRow, RiskLimitRow, TradingStateRow
from crbot.journal.records import StateRecord

logger = logging.getLogger(__name__)

_STATE_ROW_ID = statements.STATE_ROW_ID
STATE_ACTION = "trading_state"
LIMITS_ACTION = "risk_limits"
STATE_CHANNEL = "crbot_state"  # PostgreSQL NOTIFY channel of trading-state changes (crbot.statewatch listens)


class ControlJournal:
    _db: Database
    _clock: Clock

    def trading_state(self) -> StateRecord:
        """The latched state; ACTIVE (with ``since`` None) when it was never set."""
        with self._db.read() as session:
            return read_state(session)

    def set_trading_state(self, state: TradingState, *, actor: str, reason: str) -> bool:
        """Latch ``state`` with its audit event, durably. False (and nothing written) if already in it."""
        state = TradingState(state)
        now = self._clock.now()
        with self._db.write(urgent=state is TradingState.HALTED) as session:
            row = session.get(TradingStateRow, _STATE_ROW_ID)
            previous = TradingState.ACTIVE if row is None else TradingState(row.state)
            if row is not None and previous is state:
                logger.info("trading state already %s (asked by %s: %s)", state, actor, reason)
                return False
            if row is None and state is TradingState.ACTIVE:
                logger.info("trading state already ACTIVE (never set; asked by %s: %s)", actor, reason)
                return False
            if row is None:
                row = TradingStateRow(id=_STATE_ROW_ID, state=state.value, since=now, actor=actor, reason=reason)
                session.add(row)
            else:
                row.state, row.since, row.actor, row.reason = state.value, now, actor, reason
            _add_audit(session, now, actor=actor, action=STATE_ACTION, detail=f"{previous} -> {state}", reason=reason)
            if session.get_bind().dialect.name == "postgresql":
                # delivered at commit, to every process LISTENing (crbot.statewatch): STOP reaches them at once
                session.execute(
                    text("SELECT pg_notify(:channel, :state)"), {"channel": STATE_CHANNEL, "state": state.value}
                )
        logger.warning("trading state %s -> %s by %s: %s", previous, state, actor, reason)
        return True

    def audit(self, *, actor: str, action: str, detail: str, reason: str = "") -> None:
        with self._db.write() as session:
            _add_audit(session, self._clock.now(), actor=actor, action=action, detail=detail, reason=reason)
        logger.info("audit %s by %s: %s", action, actor, detail)

    def audit_events(self, limit: int = 200) -> list[AuditEvent]:
        """Newest first."""
        query = select(AuditRow).order_by(AuditRow.time.desc(), AuditRow.id.desc()).limit(limit)
        with self._db.read() as session:
            return [
                AuditEvent(time=row.time, actor=row.actor, action=row.action, detail=row.detail, reason=row.reason)
                for row in session.scalars(query)
            ]

    def last_audit_action(self, actions: tuple[str, ...]) -> str | None:
        """The newest audit action among ``actions`` (e.g. whether the last STOP completed), None if none."""
        query = select(AuditRow.action).where(AuditRow.action.in_(actions)).order_by(AuditRow.id.desc()).limit(1)
        with self._db.read() as session:
            return session.scalar(query)

    def risk_limits(self) -> dict[str, str]:
        """The saved limits as text (the risk module parses them); empty if never saved."""
        with self._db.read() as session:
            return read_limits(session)

    def save_risk_limits(self, values: Mapping[str, str], *, actor: str, reason: str) -> None:
        """Save the given keys (others stay as they are) with one audit event listing each ``old -> new``."""
        for key, value in values.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise InvalidInput(f"risk limit {key!r}={value!r} is not text", hint="pass limits as strings")
        now = self._clock.now()
        with self._db.write() as session:
            rows = {row.key: row for row in session.scalars(select(RiskLimitRow))}
            changes: list[str] = []
            for key in sorted(values):
                value = values[key]
                row = rows.get(key)
                if row is None:
                    session.add(RiskLimitRow(key=key, value=value, updated_at=now, actor=actor))
                    changes.append(f"{key}: (unset) -> {value}")
                elif row.value != value:
                    changes.append(f"{key}: {row.value} -> {value}")
                    row.value, row.updated_at, row.actor = value, now, actor
            if changes:
                _add_audit(session, now, actor=actor, action=LIMITS_ACTION, detail="; ".join(changes), reason=reason)
        if changes:
            logger.warning("risk limits changed by %s: %s", actor, "; ".join(changes))


def _add_audit(session: Session, now: datetime, *, actor: str, action: str, detail: str, reason: str) -> None:
    session.add(AuditRow(time=now, actor=actor, action=action, detail=detail, reason=reason))


def read_state(session: Session | Connection) -> StateRecord:
    """The latched state, read with a plain column select: works in an ORM session and on a Core connection."""
    row = session.execute(statements.STATE).first()
    return state_record(*row) if row is not None else state_record(None, None, "", "")


def state_record(state: str | None, since: datetime | None, actor: str, reason: str) -> StateRecord:
    if state is None:  # the row was never written: a journal that never latched anything
        return StateRecord(state=TradingState.ACTIVE, since=None, actor="", reason="never set")
    return StateRecord(state=TradingState(state), since=since, actor=actor, reason=reason)


def read_limits(session: Session | Connection) -> dict[str, str]:
    """The stored limits, read with a plain column select: works in an ORM session and on a Core connection."""
    return {key: value for key, value in session.execute(statements.LIMITS)}
