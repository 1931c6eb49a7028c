"""The order path's journal statements, built once: building a statement costs SQLAlchemy more than SQLite
takes to run it (a one-row select: ~0.25 ms built per call, ~6 us in SQLite itself).

Executed with parameters bound at run time, each is compiled once per dialect and reused on every order.
Works on an ORM session and on a plain connection alike (the order path uses plain connections).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, bindparam, exists, func, select

from crbot.domain import OrderStatus
from crbot.journal.models import EquityRow, FillRow, OrderRow, RiskLimitRow, TradingStateRow
from crbot.journal.records import PENDING_STATUSES

STATE_ROW_ID = 1
OPEN_OR_PENDING = [s.value for s in OrderStatus if s.is_open or s in PENDING_STATUSES]

_O = OrderRow.__table__.c
_T = TradingStateRow


def _state(column):  # one column of the single trading-state row (NULL when never set)
    return select(column).where(_T.id == STATE_ROW_ID).scalar_subquery()


STATE: Select = select(_T.state, _T.since, _T.actor, _T.reason).where(_T.id == STATE_ROW_ID)
LIMITS: Select = select(RiskLimitRow.key, RiskLimitRow.value).order_by(RiskLimitRow.key)

# the day's first equity point (where the day's P&L starts), for ``day_bounds(day)``
DAY_START: Select = (
    select(EquityRow.equity)
    .where(EquityRow.time >= bindparam("day_start"), EquityRow.time < bindparam("day_end"))
    .order_by(EquityRow.time, EquityRow.id)
    .limit(1)
)


def day_bounds(day: date) -> dict[str, datetime]:
    """``DAY_START``'s parameters: the UTC day [00:00, next 00:00)."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return {"day_start": start, "day_end": start + timedelta(days=1)}


# everything the risk manager reads that is one value, in one row: the state, the day's first equity point,
# the orders created since :since, and whether :cid is journaled (a double click, a retry)
PRETRADE: Select = select(
    _state(_T.state).label("state"),
    _state(_T.since).label("since"),
    _state(_T.actor).label("actor"),
    _state(_T.reason).label("reason"),
    DAY_START.scalar_subquery().label("day_start_equity"),
    select(func.count()).where(_O.created_at >= bindparam("since")).scalar_subquery().label("orders_since"),
    exists().where(_O.client_order_id == bindparam("cid")).label("known"),
)

OPEN_ELSEWHERE: Select = select(OrderRow.__table__).where(
    _O.status.in_(OPEN_OR_PENDING), _O.symbol != bindparam("symbol")
)
# what STOP must reach, in one snapshot: every open or pending order's symbol, status and age
OPEN_WORK: Select = select(_O.symbol, _O.client_order_id, _O.status, _O.created_at).where(
    _O.status.in_(OPEN_OR_PENDING)
)
ORDERS_BY_CIDS: Select = select(OrderRow.__table__).where(_O.client_order_id.in_(bindparam("cids", expanding=True)))

# the ack's one read: the order, the trading state, and whether fills of it arrived before its order id was known
_UNLINKED = exists().where(
    FillRow.symbol == bindparam("symbol"),
    FillRow.order_id == bindparam("order_id"),
    FillRow.client_order_id.is_(None),
)
ACKED_ORDER: Select = select(
    OrderRow.__table__, _state(_T.state).label("trading_state"), _UNLINKED.label("unlinked_fills")
).where(_O.client_order_id == bindparam("cid"))

# a fill's journaling: which trades are known, which of our orders they belong to, the next revision stamp
KNOWN_TRADES: Select = select(FillRow.trade_id).where(
    FillRow.symbol == bindparam("symbol"), FillRow.trade_id.in_(bindparam("ids", expanding=True))
)
ORDER_LINKS: Select = select(OrderRow.order_id, OrderRow.client_order_id).where(
    OrderRow.symbol == bindparam("symbol"), OrderRow.order_id.in_(bindparam("ids", expanding=True))
)
NEWEST_REVISION: Select = select(func.max(FillRow.revision))
