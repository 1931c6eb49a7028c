"""Step 2's inputs: what the risk manager needs to judge one order, gathered from the account and journal.

The checks themselves are pure (crbot.risk); this module is where their facts come from. Missing facts
stay None so the checks deny.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from crbot.domain import QUOTE_ASSET, ZERO, OrderView, Side
from crbot.journal import Journal
from crbot.journal.records import PretradeFacts
from crbot.normalize import Normalised
from crbot.portfolio import BalanceRow, equity, symbol_for
from crbot.risk import OrderIntent, RiskContext, RiskLimits

RATE_WINDOW = timedelta(minutes=1)  # max_orders_per_minute counts orders created within this


def order_intent(norm: Normalised, ctx: RiskContext) -> OrderIntent:
    entry = norm.entry
    reduces = entry.side is Side.SELL and entry.quantity <= ctx.position_qty
    return OrderIntent(
        symbol=entry.symbol,
        side=entry.side,
        quantity=entry.quantity,
        price=norm.reference_price,
        notional=norm.notional,
        kind="bracket" if norm.exits is not None else ("exit" if reduces else "entry"),
        reduces_position=reduces,
    )


def risk_context(
    *,
    base_asset: str,
    last: Decimal | None,
    rows: Sequence[BalanceRow],
    open_orders: Sequence[OrderView],
    journal: Journal,
    now: datetime,
    record_day_start: bool = True,
    facts: PretradeFacts | None = None,
) -> tuple[RiskContext, RiskLimits]:
    """The facts for the checks, and the limits to check them against (read in the same transaction, or
    passed in as ``facts`` when the caller read them already)."""
    facts = facts or journal.pretrade_facts(now, orders_since=now - RATE_WINDOW)
    held = {symbol_for(r.asset): r.value_usdt for r in rows if r.asset != QUOTE_ASSET}
    open_buys = sum(
        ((o.quantity - o.executed_qty) * (o.price or last or ZERO) for o in open_orders if o.side is Side.BUY),
        ZERO,
    )
    eq = equity(rows)
    start = facts.day_start_equity
    if start is None and eq is not None:  # the first order of a UTC day marks where the day's P&L starts
        if record_day_start:  # a preview never writes to the journal
            journal.snapshot_equity(eq, at=now)
        start = eq
    context = RiskContext(
        state=facts.state.state,
        halt_reason=facts.state.describe(),
        last_price=last,
        position_qty=sum((r.total for r in rows if r.asset == base_asset), ZERO),
        position_notional={s: v for s, v in held.items() if v is not None},
        open_buy_notional=open_buys,
        open_orders=len(open_orders),
        orders_last_minute=facts.orders_since,
        daily_pnl=None if eq is None or start is None else eq - start,
        equity=eq,
    )
    return context, RiskLimits.from_strings(facts.limits)
