"""For tests that trade in live mode without walking the go-live checklist: the override an operator would
record (`python -m crbot golive override`), written in the home's live journal."""

from __future__ import annotations

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.golive.checklist import evaluate
from crbot.golive.gate import OVERRIDE_SENTENCE, live_journal, record_override
from crbot.golive.journals import ModeJournals


def allow_live(env: dict[str, str]) -> None:
    """Record a go-live override in the live journal ``env`` (CRBOT_HOME, CRBOT_DATABASE_URL) points at."""
    settings = Settings.load({**env, "CRBOT_MODE": Mode.LIVE.value}, dotenv=False)
    clock = SystemClock()
    journals = ModeJournals(settings, clock)
    try:
        checklist = evaluate(settings, clock, journals=journals)
        if checklist.override is None:
            record_override(
                live_journal(journals), checklist, sentence=OVERRIDE_SENTENCE, reason="tests trade live", actor="tests"
            )
    finally:
        journals.close()
