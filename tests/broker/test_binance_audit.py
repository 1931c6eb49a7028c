"""The live key rule: trade yes; withdraw, borrow, futures, transfers no; IP-restricted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crbot.broker.binance_audit import audit_permissions
from crbot.clock import to_ms

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SAFE = {
    "ipRestrict": True,
    "createTime": 1698645219000,
    "enableReading": True,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "enableMargin": False,
    "enableFutures": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableFixApiTrade": False,
    "enableFixReadOnly": False,
    "enableSpotAndMarginTrading": True,
    "enablePortfolioMarginTrading": False,
}
PAGE = "in Binance > API Management > Edit restrictions"


def test_a_safe_key_passes() -> None:
    audit = audit_permissions(SAFE, now=NOW)
    assert audit.ok and audit.problems == () and audit.checked_at == NOW
    assert "safe" in audit.summary


@pytest.mark.parametrize(
    ("field", "box"),
    [
        ("enableWithdrawals", "Enable Withdrawals"),
        ("enableMargin", "Enable Margin Loan, Repay & Transfer"),
        ("enableFutures", "Enable Futures"),
        ("enableInternalTransfer", "Permits Internal Transfer"),
        ("permitsUniversalTransfer", "Permits Universal Transfer"),
        ("enableVanillaOptions", "Enable European Options"),
    ],
)
def test_each_dangerous_permission_is_an_exact_instruction(field: str, box: str) -> None:
    audit = audit_permissions(SAFE | {field: True}, now=NOW)
    assert not audit.ok
    assert audit.problems == (f"Untick '{box}' {PAGE}",)


def test_withdrawals_instruction_is_exact() -> None:
    audit = audit_permissions(SAFE | {"enableWithdrawals": True}, now=NOW)
    assert audit.problems == ("Untick 'Enable Withdrawals' in Binance > API Management > Edit restrictions",)


def test_trading_must_be_on_and_ip_restricted() -> None:
    audit = audit_permissions(SAFE | {"enableSpotAndMarginTrading": False, "ipRestrict": False}, now=NOW)
    assert not audit.ok and len(audit.problems) == 2
    assert audit.problems[0].startswith("Tick 'Enable Spot & Margin Trading'")
    assert "trusted IPs only" in audit.problems[1] and "server's IP" in audit.problems[1]


def test_several_problems_are_all_listed() -> None:
    audit = audit_permissions(SAFE | {"enableWithdrawals": True, "enableFutures": True, "ipRestrict": False}, now=NOW)
    assert len(audit.problems) == 3 and audit.summary.count(";") == 2


def test_what_cannot_be_verified_fails() -> None:
    raw = {k: v for k, v in SAFE.items() if k != "enableWithdrawals"}
    audit = audit_permissions(raw, now=NOW)
    assert not audit.ok and "enableWithdrawals" in audit.problems[0] and "cannot be verified" in audit.problems[0]
    assert not audit_permissions({}, now=NOW).ok


def test_truthy_non_boolean_values_are_not_trusted() -> None:
    assert not audit_permissions(SAFE | {"enableWithdrawals": None}, now=NOW).ok
    assert not audit_permissions(SAFE | {"ipRestrict": "true"}, now=NOW).ok


def test_expired_trading_authority() -> None:
    expired = SAFE | {"tradingAuthorityExpirationTime": to_ms(NOW - timedelta(days=1))}
    assert not audit_permissions(expired, now=NOW).ok
    valid = SAFE | {"tradingAuthorityExpirationTime": to_ms(NOW + timedelta(days=30))}
    assert audit_permissions(valid, now=NOW).ok
