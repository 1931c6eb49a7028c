"""The pre-trade checks: small pure functions run in a fixed order; the first denial wins.

Each check returns a ``Denial`` or ``None``. A check that needs a number the context does not have
denies with DATA_MISSING instead of passing: missing data never lets an order through.

A SELL is treated as reducing only when the caller says so AND the context shows a known position at
least as large. Verified reducing sells skip the symbol list, the position / exposure checks and the
daily loss limit (getting out must stay possible), but never the price band, the order size or the
order-count and rate limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from crbot.domain import ZERO, Side, TradingState
from crbot.errors import fmt
from crbot.risk.limits import RiskLimits, change_limit, label_of
from crbot.risk.model import Denial, DenialCode, OrderIntent, RiskContext, limit_usdt, usdt

Check = Callable[[OrderIntent, RiskLimits, RiskContext], Denial | None]
CENT = Decimal("0.01")
# Resuming needs a typed confirmation wherever it is done: the sidebar's Resume form, or the CLI.
_RESUME = "Resume in the sidebar, or `python -m crbot resume --confirm`"


def _your(key: str) -> str:
    """A limit named as on the Risk page: "your Max order size"."""
    return f"your {label_of(key)}"


def reduces_position(intent: OrderIntent, ctx: RiskContext) -> bool:
    """True only for a SELL claimed as reducing and no larger than the known position."""
    return (
        intent.reduces_position
        and intent.side is Side.SELL
        and _known(ctx.position_qty)
        and ZERO < intent.quantity <= ctx.position_qty  # type: ignore[operator]
    )


def unreachable_denial(problem: str) -> Denial:
    """Fail closed: a process that cannot reach the journal cannot know the kill switch, so it sends nothing."""
    return Denial(
        code=DenialCode.DATABASE_UNREACHABLE,
        detail=f"this process cannot reach the journal ({problem}): no new orders until it can",
        hint="cancels and STOP still work; check the database server and the network, orders resume by themselves",
    )


def halted_denial(halt_reason: str) -> Denial:
    reason = f" ({halt_reason})" if halt_reason else ""
    return Denial(
        code=DenialCode.TRADING_HALTED,
        detail=f"trading is HALTED{reason}: no new orders are accepted",
        hint=f"cancels still work; fix the cause, then resume trading ({_RESUME})",
    )


def check_journal_reachable(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    return unreachable_denial(ctx.journal_problem) if ctx.journal_problem else None


def check_trading_state(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if ctx.state is TradingState.HALTED:
        return halted_denial(ctx.halt_reason)
    if ctx.state is TradingState.REDUCING and not reduces_position(intent, ctx):
        held = "unknown" if ctx.position_qty is None else fmt(ctx.position_qty)
        return Denial(
            code=DenialCode.TRADING_REDUCING,
            detail=(
                f"trading is REDUCING: only a SELL no larger than the position may pass; "
                f"got {intent.side} {fmt(intent.quantity)} {intent.symbol}, held={held}"
            ),
            hint=f"place a sell that shrinks a position, or resume ACTIVE trading ({_RESUME})",
        )
    return None


def check_symbol(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if intent.symbol in limits.allowed_symbols or reduces_position(intent, ctx):
        return None
    return Denial(
        code=DenialCode.SYMBOL_NOT_ALLOWED,
        detail=f"{intent.symbol} is not in {_your('allowed_symbols')} ({', '.join(limits.allowed_symbols)})",
        hint=f"trade one of those, {change_limit('allowed_symbols')}",
        limit="allowed_symbols",
    )


def check_price_known(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if _known(ctx.last_price) and ctx.last_price > 0:  # type: ignore[operator]
        return None
    return Denial(
        code=DenialCode.PRICE_UNKNOWN,
        detail=f"no last price for {intent.symbol}",
        hint="wait until market data arrives (check the price feed), then try again",
    )


def check_price_band(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    unknown = check_price_known(intent, limits, ctx)
    if unknown is not None:  # a band around an unknown price cannot pass
        return unknown
    last: Decimal = ctx.last_price  # type: ignore[assignment]
    deviation_pct = abs(intent.price - last) / last * 100
    if deviation_pct <= limits.price_band_pct:
        return None
    low, high = ctx.accepted_prices or band_edges(last, limits.price_band_pct)
    return Denial(
        code=DenialCode.PRICE_OUT_OF_BAND,
        detail=(
            f"price {fmt(intent.price)} is {deviation_pct:.2f}% from the last price {fmt(last)}; "
            f"{_your('price_band_pct')} allows ±{fmt(limits.price_band_pct)}%"
        ),
        hint=f"use a price between {fmt(low)} and {fmt(high)}, {change_limit('price_band_pct')}",
        limit="price_band_pct",
    )


def band_edges(last: Decimal, band_pct: Decimal) -> tuple[Decimal, Decimal]:
    """The band around ``last`` rounded inwards to cents (or to 8 places below 1 USDT): both edges pass."""
    step = CENT if last >= 1 else Decimal("0.00000001")
    low = (last * (100 - band_pct) / 100).quantize(step, rounding=ROUND_CEILING)
    high = (last * (100 + band_pct) / 100).quantize(step, rounding=ROUND_FLOOR)
    return low, high


def check_order_notional(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if intent.notional <= limits.max_order_notional:
        return None
    return Denial(
        code=DenialCode.ORDER_NOTIONAL_EXCEEDS_MAX,
        detail=(
            f"this order is worth {usdt(intent.notional)}, above {_your('max_order_notional')} "
            f"of {limit_usdt(limits.max_order_notional)}"
        ),
        hint=f"reduce the quantity (or split the order), {change_limit('max_order_notional')}",
        limit="max_order_notional",
    )


def check_position(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if intent.side is not Side.BUY:
        return None
    held = _held(intent.symbol, ctx)
    if held is None:
        return _missing(f"value of the {intent.symbol} position")
    after = held + intent.notional
    if after <= limits.max_position_notional:
        return None
    return Denial(
        code=DenialCode.POSITION_EXCEEDS_MAX,
        detail=(
            f"you would hold {usdt(after)} of {intent.symbol} ({usdt(held)} held + {usdt(intent.notional)} "
            f"this order), above {_your('max_position_notional')} of {limit_usdt(limits.max_position_notional)}"
        ),
        hint=f"buy less, or sell part of the position first, {change_limit('max_position_notional')}",
        limit="max_position_notional",
    )


def check_exposure(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if intent.side is not Side.BUY:
        return None
    positions = ctx.position_notional
    if positions is None or not all(_known(v) for v in positions.values()):
        return _missing("value of the positions held")
    if not _known(ctx.open_buy_notional):
        return _missing("USDT committed by open BUY orders")
    held = sum(positions.values(), ZERO)
    open_buys: Decimal = ctx.open_buy_notional  # type: ignore[assignment]
    after = held + open_buys + intent.notional
    if after <= limits.max_total_exposure:
        return None
    return Denial(
        code=DenialCode.EXPOSURE_EXCEEDS_MAX,
        detail=(
            f"your exposure would be {usdt(after)} ({usdt(held)} held + {usdt(open_buys)} in open BUY orders "
            f"+ {usdt(intent.notional)} this order), above {_your('max_total_exposure')} "
            f"of {limit_usdt(limits.max_total_exposure)}"
        ),
        hint=f"buy less, cancel open BUY orders or reduce positions, {change_limit('max_total_exposure')}",
        limit="max_total_exposure",
    )


def check_open_orders(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if ctx.open_orders is None:
        return _missing("number of open orders")
    if ctx.open_orders + intent.orders_added <= limits.max_open_orders:
        return None
    return Denial(
        code=DenialCode.TOO_MANY_OPEN_ORDERS,
        detail=(
            f"{ctx.open_orders} orders are open and this one adds {intent.orders_added}, "
            f"above {_your('max_open_orders')} of {limits.max_open_orders}"
        ),
        hint=f"cancel some open orders first, {change_limit('max_open_orders')}",
        limit="max_open_orders",
    )


def check_order_rate(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if ctx.orders_last_minute is None:
        return _missing("number of orders sent in the last minute")
    if ctx.orders_last_minute + intent.orders_added <= limits.max_orders_per_minute:
        return None
    return Denial(
        code=DenialCode.ORDER_RATE_EXCEEDED,
        detail=(
            f"{ctx.orders_last_minute} orders were sent in the last minute and this one adds "
            f"{intent.orders_added}, above {_your('max_orders_per_minute')} of {limits.max_orders_per_minute}"
        ),
        hint="wait a minute before sending more orders; if a script is looping, press STOP",
    )


def check_daily_loss(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if reduces_position(intent, ctx):
        return None
    if not _known(ctx.daily_pnl):
        return _missing("today's P&L")
    pnl: Decimal = ctx.daily_pnl  # type: ignore[assignment]
    if pnl > -limits.daily_loss_limit:
        return None
    return Denial(
        code=DenialCode.DAILY_LOSS_LIMIT,
        detail=f"today's P&L is {usdt(pnl)}, past {_your('daily_loss_limit')} of {limit_usdt(limits.daily_loss_limit)}",
        hint="only sells that reduce a position are allowed until 00:00 UTC; review what went wrong before resuming",
    )


def check_data(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    if not _known(ctx.position_qty):
        return _missing(f"{intent.symbol} quantity held")
    if not reduces_position(intent, ctx) and not _known(ctx.equity):
        return _missing("account equity")
    return None


CHECKS: tuple[Check, ...] = (
    check_journal_reachable,
    check_trading_state,
    check_symbol,
    check_price_known,
    check_price_band,
    check_order_notional,
    check_position,
    check_exposure,
    check_open_orders,
    check_order_rate,
    check_daily_loss,
    check_data,
)


def check(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> Denial | None:
    """The first denial in the fixed order, or ``None`` when every check passes."""
    for one in CHECKS:
        denial = one(intent, limits, ctx)
        if denial is not None:
            return denial
    return None


def all_denials(intent: OrderIntent, limits: RiskLimits, ctx: RiskContext) -> list[Denial]:
    """Every distinct denial, in check order, for a ticket preview that lists all problems at once."""
    out: list[Denial] = []
    for one in CHECKS:
        denial = one(intent, limits, ctx)
        if denial is not None and denial not in out:
            out.append(denial)
    return out


def _known(value: Decimal | None) -> bool:
    return value is not None and value.is_finite()


def _held(symbol: str, ctx: RiskContext) -> Decimal | None:
    positions: Mapping[str, Decimal] | None = ctx.position_notional
    if positions is None:
        return None
    held = positions.get(symbol)
    if held is None:
        # Absent means "not held" only when the quantity says so; otherwise the value is unknown.
        return ZERO if _known(ctx.position_qty) and ctx.position_qty == 0 else None
    return held if _known(held) else None


def _missing(what: str) -> Denial:
    return Denial(
        code=DenialCode.DATA_MISSING,
        detail=f"{what} is unknown, so the order cannot be checked",
        hint="wait for the account data to refresh (check the connection), then try again",
    )
