"""The live API key's permission audit: a pure rule over GET /sapi/v1/account/apiRestrictions.

A key that can withdraw, borrow, trade futures or move funds between accounts turns a leaked key
or a bug into a loss far beyond the trading capital, so live mode refuses such a key. Each problem
is an exact instruction naming the box to change on Binance's API-management page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crbot.clock import from_ms

PAGE = "Binance > API Management > Edit restrictions"

# field -> the box's label on Binance's page
MUST_BE_ON = {"enableSpotAndMarginTrading": "Enable Spot & Margin Trading"}
MUST_BE_OFF = {
    "enableWithdrawals": "Enable Withdrawals",
    "enableMargin": "Enable Margin Loan, Repay & Transfer",
    "enableFutures": "Enable Futures",
    "enableInternalTransfer": "Permits Internal Transfer",
    "permitsUniversalTransfer": "Permits Universal Transfer",
    "enableVanillaOptions": "Enable European Options",
}
IP_RESTRICT = "ipRestrict"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyAudit:
    ok: bool
    problems: tuple[str, ...]  # exact instructions, empty when ok
    checked_at: datetime

    @property
    def summary(self) -> str:
        return "key permissions are safe for live trading" if self.ok else "; ".join(self.problems)


def audit_permissions(raw: Mapping[str, Any], *, now: datetime) -> KeyAudit:
    """Apply the live-key rule. A missing field is a problem: what cannot be verified is refused."""
    problems: list[str] = []
    for field, label in MUST_BE_ON.items():
        if field not in raw:
            problems.append(_unknown(field))
        elif raw[field] is not True:
            problems.append(f"Tick '{label}' in {PAGE} (trading is off for this key)")
    for field, label in MUST_BE_OFF.items():
        if field not in raw and field == "enableVanillaOptions":
            continue  # older accounts do not report options at all
        if field not in raw:
            problems.append(_unknown(field))
        elif raw[field] is not False:
            problems.append(f"Untick '{label}' in {PAGE}")
    if IP_RESTRICT not in raw:
        problems.append(_unknown(IP_RESTRICT))
    elif raw[IP_RESTRICT] is not True:
        problems.append(f"Select 'Restrict access to trusted IPs only' in {PAGE} and add this server's IP address")
    expiry = raw.get("tradingAuthorityExpirationTime")
    if isinstance(expiry, int) and expiry > 0 and from_ms(expiry) <= now:
        problems.append(f"The key's trading permission expired: renew it in {PAGE}")
    return KeyAudit(ok=not problems, problems=tuple(problems), checked_at=now)


def _unknown(field: str) -> str:
    return f"Binance did not report '{field}' for this key, so it cannot be verified: check it in {PAGE}"
