"""One exception hierarchy for everything a trader or a script can see.

CrbotError                      base; ``str(err)`` says what happened and what to do
├── ConfigError                 bad settings / environment; fix the setting and restart
├── InvalidInput                the request itself is malformed (CLI exit 2)
│   └── FilterError             breaks an exchange filter (tick, step, notional, ...)
├── Denied                      refused by the risk manager or the trading state (exit 3)
├── ExchangeRejected            the exchange said no; do not retry as-is (exit 4)
│   ├── AuthError               key invalid, IP not whitelisted, permission missing
│   ├── InsufficientBalance
│   ├── OrderNotFound
│   └── KeyAuditFailed          the API key's permissions are unsafe for live trading
└── ConnectivityError           transient; retrying may help (exit 5)
    ├── RateLimited             429: slow down, honour ``retry_after``
    ├── IpBanned                418: no call until ``retry_after`` has passed
    ├── OutcomeUnknown          timeout / 5xx after sending: look the order up, never resend
    └── StopIncomplete          HALTED is latched, but something may still be open: ``report`` lists it
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


class CrbotError(Exception):
    """Base class. ``exit_code`` is the CLI's exit status for this kind of failure."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def tag(self) -> str:
        """The exchange's filter or the refusal's code, shown last in parentheses ("" = none)."""
        return ""

    def __str__(self) -> str:
        # One style everywhere: what happened, what to do, then the filter / code for the curious.
        text = f"{self.message} — {self.hint}" if self.hint else self.message
        return f"{text} ({self.tag})" if self.tag else text


class ConfigError(CrbotError):
    """A setting is missing or invalid: fix it in the environment / .env and restart."""

    exit_code = 2


class InvalidInput(CrbotError):
    """The request is malformed: nothing was sent, correct the input."""

    exit_code = 2

    def __init__(self, message: str, *, code: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code  # Binance's code when the exchange (or the paper exchange) said it: -1121, -1102, ...


class FilterError(InvalidInput):
    """The order breaks one of the symbol's exchange filters (named in ``filter_type``)."""

    def __init__(self, filter_type: str, message: str, *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.filter_type = filter_type

    @property
    def tag(self) -> str:
        return self.filter_type


class Denied(CrbotError):
    """Refused before any broker saw it, by a risk limit or the trading state."""

    exit_code = 3

    def __init__(self, code: str, detail: str, *, hint: str = "", limit: str = "") -> None:
        super().__init__(detail, hint=hint)
        self.code = code
        self.detail = detail
        self.limit = limit  # the risk limit's key (crbot.risk.limits) whose change would let the order pass

    @property
    def tag(self) -> str:
        return self.code


class ExchangeRejected(CrbotError):
    """The exchange refused the request; resending it unchanged will fail again."""

    exit_code = 4

    def __init__(self, message: str, *, code: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code


class AuthError(ExchangeRejected):
    """API key invalid, IP not whitelisted or permission missing: fix the key, then retry."""


class InsufficientBalance(ExchangeRejected):
    """Not enough free balance for the order: deposit, free locked funds or trade smaller."""


class OrderNotFound(ExchangeRejected):
    """The exchange does not know this order (wrong id, or it was never accepted)."""


class KeyAuditFailed(ExchangeRejected):
    """The API key's permissions are unsafe for live trading; live mode refuses to start."""


class ConnectivityError(CrbotError):
    """The exchange could not be reached or answered with a transient failure; retry later."""

    exit_code = 5


class RateLimited(ConnectivityError):
    """Request weight exceeded (HTTP 429): wait ``retry_after`` seconds before the next call."""

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class IpBanned(RateLimited):
    """IP banned (HTTP 418) for ignoring 429s: no call is made until the ban ends."""


class OutcomeUnknown(ConnectivityError):
    """The order may or may not exist: it is looked up by client order id, never resent blindly."""

    def __init__(self, message: str, *, client_order_id: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.client_order_id = client_order_id


class StopIncomplete(ConnectivityError):
    """HALTED is latched but STOP could not cancel or verify everything (exit 5): the report says what is left."""

    def __init__(self, report: dict[str, Any]) -> None:
        left = ", ".join(report.get("left_open") or ()) or "nothing listed"
        errors = "; ".join(report.get("errors") or ())
        super().__init__(
            f"trading is HALTED, but STOP is incomplete: still open or unconfirmed: {left}"
            + (f" ({errors})" if errors else ""),
            hint="the next CRBOT command retries the cancels by itself once the exchange answers; "
            "or cancel them on the exchange directly",
        )
        self.report = report


def fmt(value: Decimal | None) -> str:
    """A Decimal as Binance and humans want it: plain notation, no exponent."""
    return "" if value is None else format(value.normalize(), "f")
