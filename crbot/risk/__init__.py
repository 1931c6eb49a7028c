"""The risk manager: pure pre-trade checks of an order intent against limits and the account context.

    denial = check(intent, limits, ctx)      # None = allowed; else Denial(code, detail, hint)
    if denial:
        raise denial.to_error()              # crbot.errors.Denied

Checks run in a fixed order (see ``CHECKS``); missing data denies. No I/O happens here: the service
gathers the context (trading state, prices, balances, open orders, today's P&L) and passes it in.
"""

from crbot.risk.checks import CHECKS, all_denials, check, reduces_position
from crbot.risk.limits import LimitField, RiskLimits, change_limit, for_cli, label_of, limit_fields
from crbot.risk.model import Denial, DenialCode, IntentKind, OrderIntent, RiskContext

__all__ = [
    "CHECKS",
    "Denial",
    "DenialCode",
    "IntentKind",
    "LimitField",
    "OrderIntent",
    "RiskContext",
    "RiskLimits",
    "all_denials",
    "change_limit",
    "check",
    "for_cli",
    "label_of",
    "limit_fields",
    "reduces_position",
]
