"""The audit trail as the operator reads it: who, when, from where, what kind, before and after.

    trail(journal, since=..., until=..., actor="alice", kinds={"order"})  -> list[AuditEntry], newest first
    trail_all(ModeJournals(...), ...)   the same over every mode's journal (go-live actions are in live's)
    to_csv(entries) -> str

Rows come from the journal's append-only ``audit_events`` plus the orders table (placements). "From where"
is read from the actor string (``cli:<user>``, ``<user> (dashboard)``, ``monitor...``, ``bot:...``,
``api:...``); before and after from a detail of the form ``... before -> after``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from crbot.domain import Mode
from crbot.golive.journals import ModeJournals
from crbot.journal import Journal

KINDS = ("trading_state", "risk_limits", "order", "key", "login", "golive", "backup", "api", "monitor", "other")
_KIND_PREFIXES = (
    ("golive", ("golive", "live_confirmed")),
    ("risk_limits", ("risk_limits",)),  # before trading_state: risk_limits_locked is a limits event
    ("trading_state", ("trading_state", "stop_", "resume")),
    ("order", ("order_", "unprotected", "exit")),
    ("key", ("key", "secret", "master_key")),
    ("login", ("login", "logout", "password", "session", "dashboard_")),
    ("backup", ("backup", "restore")),
    ("api", ("api_",)),
    ("monitor", ("alert", "monitor", "threshold")),
)
_ARROW = re.compile(r"^(?P<before>.*?)\s*->\s*(?P<after>.*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    time: datetime
    journal: str  # whose journal: paper, testnet, demo, live (or the one journal they all share)
    actor: str
    origin: str
    kind: str
    action: str
    before: str
    after: str
    detail: str
    reason: str


def kind_of(action: str) -> str:
    lowered = action.lower()
    for kind, prefixes in _KIND_PREFIXES:
        if lowered.startswith(prefixes):
            return kind
    return "other"


def origin_of(actor: str) -> str:
    """Where an action came from, by the actor string's convention."""
    lowered = actor.lower()
    if lowered.endswith("(dashboard)") or lowered.startswith(("dashboard", "ui:")):
        return "dashboard"
    for prefix in ("cli", "monitor", "bot", "api"):
        if lowered.startswith((f"{prefix}:", f"{prefix} ", prefix)):
            return prefix
    if lowered.startswith("crbot"):
        return "crbot"
    return "other"


def before_after(detail: str) -> tuple[str, str]:
    """("HALTED", "ACTIVE") from "HALTED -> ACTIVE"; several "k: a -> b" changes stay in the detail."""
    if detail.count("->") != 1:
        return "", ""
    match = _ARROW.match(detail)
    if match is None:
        return "", ""
    return match["before"].strip(), match["after"].strip()


def trail(
    journal: Journal,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    kinds: Collection[str] | None = None,
    limit: int = 5000,
    journal_name: str = "",
) -> list[AuditEntry]:
    """Entries newest first; ``actor`` matches a part of the actor string (any case)."""
    entries = []
    needle = (actor or "").strip().lower()
    for row in journal.audit_trail_rows(since=since, until=until, limit=limit):
        kind = kind_of(row.action)
        if kinds and kind not in kinds:
            continue
        if needle and needle not in row.actor.lower():
            continue
        before, after = before_after(row.detail)
        entries.append(
            AuditEntry(
                time=row.time,
                journal=journal_name,
                actor=row.actor,
                origin=origin_of(row.actor),
                kind=kind,
                action=row.action,
                before=before,
                after=after,
                detail=row.detail,
                reason=row.reason,
            )
        )
    return entries


def trail_all(journals: ModeJournals, **filters: Any) -> list[AuditEntry]:
    """Every mode's journal that exists (each named once, even when modes share one), merged newest first."""
    seen: dict[int, list[str]] = {}
    opened: dict[int, Journal] = {}
    for mode in Mode:
        journal = journals.get(mode)
        if journal is not None:
            seen.setdefault(id(journal), []).append(mode.value)
            opened[id(journal)] = journal
    merged = []
    for key, journal in opened.items():
        merged += trail(journal, journal_name="/".join(seen[key]), **filters)
    merged.sort(key=lambda e: e.time, reverse=True)
    limit = filters.get("limit", 5000)
    return merged[:limit]


def to_csv(entries: list[AuditEntry]) -> str:
    out = io.StringIO()
    fields = list(AuditEntry.__dataclass_fields__)
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for entry in entries:
        row = asdict(entry)
        row["time"] = entry.time.isoformat()
        writer.writerow(row)
    return out.getvalue()
