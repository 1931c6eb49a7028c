"""What the go-live checklist asks of the monitor: its last heartbeat and the last test alert that was delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from crbot.errors import ConfigError
from crbot.journal import Journal
from crbot.monitor.store import MonitorStore


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringEvidence:
    heartbeat_at: datetime | None  # the newest heartbeat of any `python -m crbot monitor` process
    test_alert_at: datetime | None  # the newest test alert that reached a target


def monitoring_evidence(journal: Journal, now: datetime) -> MonitoringEvidence:
    """Read from ``journal`` (``now`` bounds it: a row from the future, e.g. a skewed clock, is not evidence)."""
    store = MonitorStore(journal)
    try:
        beat = store.last_heartbeat("monitor")
        alert = store.last_alert("test", ok=True)
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"cannot read the monitor's records from the journal: {type(exc).__name__}",
            hint="check that the journal is reachable",
        ) from exc
    return MonitoringEvidence(
        heartbeat_at=beat if beat is not None and beat <= now else None,
        test_alert_at=alert if alert is not None and alert <= now else None,
    )
