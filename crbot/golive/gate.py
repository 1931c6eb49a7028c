"""Live trading stays locked until the checklist passes (or a typed, audited override is recorded).

``LiveGate`` is called by the service before a live order is journaled or sent; it raises ``GoLiveLocked``
(a ``Denied``, CLI exit 3) naming the failing items. ``lock_limits`` and ``record_override`` are the two
operator actions of the Go-live page and ``crbot golive``; both are audit events in the live journal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.errors import Denied, InvalidInput
from crbot.golive.checklist import LOCK_ACTION, OVERRIDE_ACTION, Checklist, Memo, evaluate, limits_fingerprint
from crbot.golive.journals import ModeJournals
from crbot.golive.settings import GoLiveSettings
from crbot.journal import Journal

logger = logging.getLogger(__name__)

OVERRIDE_SENTENCE = "I accept the risk of trading real money before the go-live checklist passes"


class GoLiveLocked(Denied):
    """Live orders are refused until every go-live item passes (or an override is recorded)."""

    def __init__(self, checklist: Checklist) -> None:
        failing = "; ".join(f"{i.title}: {i.evidence}" for i in checklist.failing)
        super().__init__(
            "GOLIVE_LOCKED",
            f"live trading is locked until the go-live checklist passes; failing: {failing}",
            hint="see the Go-live page or `python -m crbot golive`; fix those items, or record an override there",
        )
        self.checklist = checklist


class LiveGate:
    """The service's check before a live order: every item passes, or a recent override exists."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        *,
        journal: Journal,
        equity: Callable[[], Decimal | None] | None = None,
        conf: GoLiveSettings | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.journals = ModeJournals(settings, clock, own=journal)
        self.equity = equity
        self.conf = conf or GoLiveSettings.load()
        self.memo = Memo()  # paper history, drill, kill switch: re-read at most once a minute

    def checklist(self) -> Checklist:
        return evaluate(
            self.settings, self.clock, journals=self.journals, live_equity=self.equity, conf=self.conf, memo=self.memo
        )

    def __call__(self) -> None:
        checklist = self.checklist()
        if checklist.ok:
            return
        if checklist.override is not None:
            logger.warning(
                "live order allowed by the override of %s (until %s) although %d item(s) fail",
                checklist.override.actor,
                checklist.override.until,
                len(checklist.failing),
            )
            return
        raise GoLiveLocked(checklist)


def lock_limits(live: Journal, *, actor: str, reason: str) -> str:
    """Record that the saved live limits are final; a later change re-opens the checklist item."""
    if not reason.strip():
        raise InvalidInput("a reason is required to lock the risk limits", hint="say why they are final")
    saved = live.risk_limits()
    if not saved:
        raise InvalidInput(
            "the live risk limits were never saved: there is nothing to lock",
            hint="save them on Risk & controls in live mode first",
        )
    fingerprint = limits_fingerprint(saved)
    detail = f"fingerprint={fingerprint} " + ", ".join(f"{k}={v}" for k, v in sorted(saved.items()))
    live.audit(actor=actor, action=LOCK_ACTION, detail=detail, reason=reason.strip())
    return fingerprint


def record_override(live: Journal, checklist: Checklist, *, sentence: str, reason: str, actor: str) -> None:
    """Allow live orders for CRBOT_GOLIVE_OVERRIDE_HOURS although items fail: typed sentence, reason, audited."""
    if " ".join(sentence.split()) != OVERRIDE_SENTENCE:
        raise InvalidInput(
            "override not recorded: the confirmation sentence does not match",
            hint=f"type exactly: {OVERRIDE_SENTENCE}",
        )
    if not reason.strip():
        raise InvalidInput("override not recorded: a reason is required", hint="say why live must trade now")
    failing = ", ".join(i.key for i in checklist.failing) or "none"
    live.audit(actor=actor, action=OVERRIDE_ACTION, detail=f"failing: {failing}", reason=reason.strip())
    logger.warning("go-live override by %s (failing: %s): %s", actor, failing, reason)


def live_journal(journals: ModeJournals) -> Journal:
    journal = journals.get(Mode.LIVE, create=True)
    assert journal is not None  # create=True always opens one
    return journal
