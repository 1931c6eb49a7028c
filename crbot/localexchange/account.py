"""USER_DATA endpoints of the local exchange: account, open / all orders, trades, order lists, and the
key's permissions (``/sapi/v1/account/apiRestrictions``)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from crbot.binance.codec import account_json, fill_json, order_list_json, order_query_json
from crbot.binance.query import Params
from crbot.clock import from_ms
from crbot.domain import OrderListView
from crbot.errors import ExchangeRejected, OrderNotFound
from crbot.localexchange.venue import Reply, Venue

_DAY = timedelta(hours=24)
_FEW = 10  # orders looked up one by one; more are read a page at a time


def account(venue: Venue, p: Params) -> Reply:
    return Reply(
        body=account_json(
            venue.engine.balances(),
            venue.commissions,
            update_time=venue.now(),
            can_trade=bool(venue.restrictions.get("enableSpotAndMarginTrading")),
            can_withdraw=bool(venue.restrictions.get("enableWithdrawals")),
            omit_zero=p.flag("omitZeroBalances"),
        )
    )


def api_restrictions(venue: Venue, p: Params) -> Reply:
    return Reply(body=dict(venue.restrictions))


def open_orders_weight(p: Params) -> int:
    return 6 if p.has("symbol") else 80


def open_orders(venue: Venue, p: Params) -> Reply:
    symbol = p.symbol(venue.rules, required=False)
    return Reply(body=[order_query_json(o) for o in venue.engine.open_orders(symbol)])


def all_orders(venue: Venue, p: Params) -> Reply:
    symbol = p.symbol(venue.rules)
    assert symbol is not None
    start, end = _window(p)
    # orderId means "from this id on, oldest first", however old; otherwise the most recent ``limit`` orders
    orders = venue.engine.all_orders(symbol, start=start, end=end, from_id=p.long("orderId"), limit=p.limit())
    return Reply(body=[order_query_json(o) for o in orders])


def my_trades_weight(p: Params) -> int:
    return 5 if p.has("orderId") else 20


def my_trades(venue: Venue, p: Params) -> Reply:
    symbol = p.symbol(venue.rules)
    assert symbol is not None
    order_id = p.long("orderId")
    from_id = p.long("fromId")
    start, end = _window(p)
    if from_id is not None and (start or end):
        raise ExchangeRejected("Combination of optional parameters invalid.", code=-1128)
    # an order's own fills are found however many trades came after them
    fills = venue.engine.trades(symbol, start=start, end=end, from_id=from_id, order_id=order_id, limit=p.limit())
    list_ids = _order_list_ids(venue, symbol, {f.order_id for f in fills})
    return Reply(body=[fill_json(f, order_list_id=list_ids.get(f.order_id, -1)) for f in fills])


def open_order_lists(venue: Venue, p: Params) -> Reply:
    return Reply(body=[order_list_json(v, reports=None) for v in venue.engine.order_lists(open_only=True)])


def get_order_list(venue: Venue, p: Params) -> Reply:
    list_id = p.long("orderListId")
    client_id = p.text("origClientOrderId")
    if list_id is None and client_id is None:
        raise ExchangeRejected(
            "Param 'orderListId' or 'origClientOrderId' must be sent, but both were empty/null!", code=-1102
        )
    return Reply(body=order_list_json(find_list(venue, list_id=list_id, list_client_id=client_id), reports=None))


def find_list(venue: Venue, *, list_id: int | None, list_client_id: str | None) -> OrderListView:
    """By id first, then the client id is checked against it (rest-api.md "Query Order list")."""
    for view in venue.engine.order_lists():
        if list_id is not None and view.order_list_id != list_id:
            continue
        if list_client_id is not None and view.list_client_id != list_client_id:
            continue
        return view
    raise OrderNotFound("Order list does not exist.", code=-2013)


def _order_list_ids(venue: Venue, symbol: str, order_ids: set[int]) -> dict[int, int]:
    """Order id -> its order list id: a few orders one by one, a page of trades' orders by order id pages
    (a query each would make a 1000-trade page cost 1000 transactions)."""
    found: dict[int, int] = {}
    if len(order_ids) <= _FEW:
        for order_id in order_ids:
            with suppress(OrderNotFound):  # -1, as for an order in no list
                found[order_id] = venue.engine.get_order(symbol, order_id=order_id).order_list_id
        return found
    cursor, last = min(order_ids), max(order_ids)
    while cursor <= last:
        page = venue.engine.all_orders(symbol, from_id=cursor, limit=1000)
        found |= {o.order_id: o.order_list_id for o in page if o.order_id in order_ids}
        if len(page) < 1000:
            break
        cursor = page[-1].order_id + 1
    return found


def _window(p: Params) -> tuple[datetime | None, datetime | None]:
    start_ms, end_ms = p.long("startTime"), p.long("endTime")
    start = from_ms(start_ms) if start_ms is not None else None
    end = from_ms(end_ms) if end_ms is not None else None
    if start and end and end - start > _DAY:
        raise ExchangeRejected("More than 24 hours between startTime and endTime.", code=-1127)
    return start, end
