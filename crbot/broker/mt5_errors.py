"""MetaTrader 5 failures -> ``crbot.errors``: trade server return codes and ``last_error()`` codes.

One table per source, each line the code, MetaQuotes' name and what a trader reads (what happened — what to
do). The codes are the real module's values (MQL5 reference, "Trade Server Return Codes"; MetaTrader5's
``last_error`` page). PLACED, DONE, DONE_PARTIAL and NO_CHANGES are successes, never errors.

Where a request may have reached the server (``order_send`` answered CONNECTION / TIMEOUT / LOCKED, or
nothing at all), the outcome is unknown: ``OutcomeUnknown`` makes the caller look the order up by its
comment, never resend it. The same codes from ``order_check`` (nothing sent) are plain ``ConnectivityError``.
"""

from __future__ import annotations

from crbot.errors import (
    AuthError,
    ConfigError,
    ConnectivityError,
    CrbotError,
    ExchangeRejected,
    FilterError,
    InsufficientBalance,
    InvalidInput,
    OutcomeUnknown,
    RateLimited,
)

SUCCESS = frozenset({10008, 10009, 10010, 10025})  # PLACED, DONE, DONE_PARTIAL, NO_CHANGES
CHECK_OK = 0  # order_check's retcode when the request would pass
UNKNOWN_IF_SENT = frozenset({10012, 10028, 10031})  # TIMEOUT, LOCKED, CONNECTION

_RETRY = "check the price and place the order again"
_TERMINAL = "check that the MetaTrader 5 terminal is running, logged in and connected (bottom-right corner)"

# retcode: (error class, what happened, what to do)
RETCODES: dict[int, tuple[type[CrbotError], str, str]] = {
    10004: (ConnectivityError, "requote: the price moved before the order was executed", _RETRY),  # REQUOTE
    10006: (ExchangeRejected, "the trade server rejected the request", "read the terminal's Journal tab for why"),
    10007: (ExchangeRejected, "the request was canceled by the trader", "place it again if it is still wanted"),
    10011: (
        ExchangeRejected,
        "the trade server failed to process the request",
        "try again; if it repeats, ask the broker",
    ),
    10012: (ConnectivityError, "the request timed out", _TERMINAL),  # TIMEOUT
    10013: (InvalidInput, "the trade server called the request invalid", "check symbol, side, volume and prices"),
    10014: (
        FilterError,
        "invalid volume: outside the symbol's volume_min/volume_max or off volume_step",
        "round the quantity to the symbol's step",
    ),
    10015: (
        FilterError,
        "invalid price: off the symbol's tick, or a limit on the wrong side of the market",
        "a buy limit goes below the ask, a sell limit above the bid; use MARKET to trade now",
    ),
    10016: (
        InvalidInput,
        "invalid stops: stop-loss or take-profit on the wrong side or closer than the symbol's trade_stops_level",
        "move the stop-loss / take-profit further from the price",
    ),
    10017: (
        ExchangeRejected,
        "trading is disabled for this symbol or account",
        "ask the broker, or pick another symbol",
    ),
    10018: (
        ExchangeRejected,
        "the market is closed",
        "wait for the symbol's trading session (see its specification in the terminal)",
    ),
    10019: (InsufficientBalance, "not enough money (free margin) for this order", "trade smaller or deposit"),
    10020: (ConnectivityError, "the price changed while the request was processed", _RETRY),  # PRICE_CHANGED
    10021: (ConnectivityError, "no quotes to process the request", "wait for prices to come back, then retry"),
    10022: (InvalidInput, "invalid expiration in the request", "CRBOT sends GTC orders: report this"),
    10023: (ExchangeRejected, "the order changed while the request was processed", "refresh and act again"),
    10024: (RateLimited, "too many requests to the trade server", "wait a few seconds before the next order"),
    10026: (AuthError, "algorithmic trading is disabled by the broker's server", "ask the broker to enable it"),
    10027: (
        AuthError,
        "Algo Trading is switched off in the MetaTrader 5 terminal",
        "press the Algo Trading button in the terminal's toolbar",
    ),
    10028: (ConnectivityError, "the request is locked for processing", "wait, then refresh: it may still execute"),
    10029: (
        ExchangeRejected,
        "the order or position is frozen (too close to the price to change)",
        "wait until the price moves away",
    ),
    10030: (
        InvalidInput,
        "filling mode not supported by this symbol",
        "report this: CRBOT reads the symbol's filling_mode and should have picked an allowed one",
    ),
    10031: (ConnectivityError, "no connection with the trade server", _TERMINAL),  # CONNECTION
    10032: (ExchangeRejected, "this operation is allowed only for live accounts", "use a real account or skip it"),
    10033: (FilterError, "the account's limit of pending orders is reached", "cancel some pending orders first"),
    10034: (ExchangeRejected, "the symbol's limit of orders and positions volume is reached", "trade smaller"),
    10035: (
        InvalidInput,
        "invalid or prohibited order type",
        "use MARKET or LIMIT (stop-loss / take-profit go on the order)",
    ),
    10036: (ExchangeRejected, "the position is already closed", "refresh: there is nothing left to change"),
    10038: (InvalidInput, "the close volume exceeds the position", "close at most the position's volume"),
    10039: (ExchangeRejected, "a close order for this position already exists", "wait for it or cancel it"),
    10040: (ExchangeRejected, "the account's limit of open positions is reached", "close a position first"),
    10041: (ExchangeRejected, "the pending order's activation was rejected and the order canceled", "place it again"),
    10042: (ExchangeRejected, "only long positions are allowed on this symbol", "buy only"),
    10043: (
        ExchangeRejected,
        "only short positions are allowed on this symbol",
        "CRBOT trades long only: pick another symbol",
    ),
    10044: (ExchangeRejected, "only closing positions is allowed on this symbol", "close positions only"),
    10045: (
        ExchangeRejected,
        "positions must be closed first-in first-out on this account",
        "close the oldest position first",
    ),
}
_FILTERS = {10014: "LOT_SIZE", 10015: "PRICE_FILTER", 10033: "MAX_NUM_ORDERS"}

# last_error() code: (error class, what happened, what to do)
LAST_ERRORS: dict[int, tuple[type[CrbotError], str, str]] = {
    -1: (ConnectivityError, "the MetaTrader 5 call failed", _TERMINAL),  # RES_E_FAIL
    -2: (InvalidInput, "MetaTrader 5 rejected the call's parameters", "report this with the log line"),
    -3: (ConnectivityError, "the MetaTrader 5 terminal is out of memory", "restart the terminal"),
    -4: (
        InvalidInput,
        "not found in the MetaTrader 5 terminal",
        "check the symbol name in Market Watch (View > Symbols)",
    ),
    -5: (
        ConfigError,
        "the MetaTrader 5 terminal is too old for the MetaTrader5 package",
        "update the terminal (Help > Check for updates)",
    ),
    -6: (
        AuthError,
        "MetaTrader 5 login failed",
        "check MT5_LOGIN, MT5_PASSWORD and MT5_SERVER (the server name exactly as in File > Login to Trade Account)",
    ),
    -7: (ExchangeRejected, "this call is not supported by the MetaTrader 5 terminal", "update the terminal"),
    -8: (
        AuthError,
        "Algo Trading is switched off in the MetaTrader 5 terminal",
        "press the Algo Trading button in the terminal's toolbar",
    ),
    -10000: (ConnectivityError, "the MetaTrader 5 terminal did not answer (IPC error)", _TERMINAL),
    -10001: (ConnectivityError, "the request could not be sent to the MetaTrader 5 terminal (IPC send)", _TERMINAL),
    -10002: (ConnectivityError, "no answer received from the MetaTrader 5 terminal (IPC receive)", _TERMINAL),
    -10003: (
        ConnectivityError,
        "the MetaTrader 5 terminal could not be started or reached (IPC initialize)",
        "start the 64-bit terminal, log in once by hand, set MT5_PATH to terminal64.exe if it is not the default",
    ),
    -10004: (ConnectivityError, "no connection to the MetaTrader 5 terminal (IPC)", _TERMINAL),
    -10005: (ConnectivityError, "the MetaTrader 5 terminal did not answer in time (IPC timeout)", _TERMINAL),
}
_LOST_IN_FLIGHT = frozenset({-10000, -10001, -10002, -10005})  # the terminal may have forwarded the request


def is_success(retcode: int) -> bool:
    return retcode in SUCCESS


def from_retcode(retcode: int, comment: str = "", *, client_order_id: str | None = None) -> CrbotError:
    """The error for a non-success retcode; with ``client_order_id`` (order_send) an uncertain one is
    ``OutcomeUnknown``, without it (order_check, nothing sent) a plain error."""
    if client_order_id is not None and retcode in UNKNOWN_IF_SENT:
        return OutcomeUnknown(
            f"MetaTrader 5 answered {retcode} ({comment or 'no comment'}) after the order was sent",
            client_order_id=client_order_id,
            hint="CRBOT looks the order up by its comment and never resends it",
        )
    kind, what, todo = RETCODES.get(
        retcode, (ExchangeRejected, "the trade server refused the request", "read the terminal's Journal tab")
    )
    message = f"MetaTrader 5 {retcode}: {what}" + (f" (server: {comment})" if comment else "")
    if kind is FilterError:
        return FilterError(_FILTERS[retcode], message, hint=todo)
    if kind is RateLimited:
        return RateLimited(message, retry_after=5.0, hint=todo)
    if issubclass(kind, ExchangeRejected) or kind is InvalidInput:
        return kind(message, code=retcode, hint=todo)  # type: ignore[call-arg]
    return kind(message, hint=todo)


def from_last_error(error: tuple[int, str], doing: str, *, client_order_id: str | None = None) -> CrbotError:
    """The error for a call that returned None / False; ``doing`` names the call for the message."""
    code, text = error
    if client_order_id is not None and code in _LOST_IN_FLIGHT:
        return OutcomeUnknown(
            f"MetaTrader 5 gave no answer to {doing} ({code}: {text})",
            client_order_id=client_order_id,
            hint="CRBOT looks the order up by its comment and never resends it",
        )
    kind, what, todo = LAST_ERRORS.get(code, (ConnectivityError, "the MetaTrader 5 call failed", _TERMINAL))
    message = f"{doing}: {what} ({code}: {text})"
    if issubclass(kind, ExchangeRejected) or kind is InvalidInput:
        return kind(message, code=code, hint=todo)  # type: ignore[call-arg]
    return kind(message, hint=todo)
