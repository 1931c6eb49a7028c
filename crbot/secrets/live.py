"""Live mode's guard rails on the keys: never plain text, and a typed confirmation the first time.

* The exchange keys must be encrypted (``keys set``) or come from a secret store.
* The trader types ``SENTENCE`` once (``python -m crbot live confirm``); it is recorded in the live
  journal's audit trail, and live mode refuses to start until it is there.
* The key permission audit (``broker.binance_audit``) runs at start-up and before live orders (service).
"""

from __future__ import annotations

from crbot.config import Settings
from crbot.domain import Mode
from crbot.journal import Journal
from crbot.secrets.errors import LiveRefused
from crbot.secrets.source import plain_text_names

CONFIRM_ACTION = "live_confirmed"
SENTENCE = "I trade real money with CRBOT"


def check_keys(settings: Settings) -> None:
    names = plain_text_names(settings)
    if settings.mode is Mode.LIVE and names:
        raise LiveRefused(
            f"live mode refuses plain-text keys ({' and '.join(names)} in .env or the environment)",
            hint="encrypt them: python -m crbot keys set / set-mt5 (or use AWS Secrets Manager / Vault, see README)",
        )


def confirmed(journal: Journal) -> bool:
    return journal.last_audit_action((CONFIRM_ACTION,)) == CONFIRM_ACTION


def check(settings: Settings, journal: Journal) -> None:
    """Raise LiveRefused unless live mode may start (a no-op in the other modes)."""
    if settings.mode is not Mode.LIVE:
        return
    check_keys(settings)
    if not confirmed(journal):
        raise LiveRefused(
            "live mode has not been confirmed on this journal yet",
            hint=f"run `python -m crbot live confirm` and type: {SENTENCE}",
        )


def confirm(settings: Settings, journal: Journal, typed: str, *, actor: str) -> bool:
    """Record the typed confirmation; False if it was already recorded. InvalidInput if mistyped."""
    from crbot.errors import InvalidInput

    if settings.mode is not Mode.LIVE:
        raise InvalidInput(
            f"live confirm is for live mode (CRBOT_MODE is {settings.mode.value})", hint="set CRBOT_MODE=live first"
        )
    check_keys(settings)
    if typed.strip() != SENTENCE:
        raise InvalidInput("the sentence was not typed exactly; nothing was recorded", hint=f"type: {SENTENCE}")
    if confirmed(journal):
        return False
    journal.audit(actor=actor, action=CONFIRM_ACTION, detail=f"typed: {SENTENCE}", reason="first start of live mode")
    return True
