"""USER_DATA endpoints of the local exchange: account, open / all orders, trades, order lists, and the
key's permissions (``/sapi/v1/account/apiRestrictions``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from crbot.clock import from_ms
from crbot.errors import ExchangeRejected, OrderNotFound
from crbot.exchange.binance_json import account_json, fill_json, order_list_json, order_query_json
from crbot.sim.server_params import Params
from crbot.sim.server_venue import Reply, Venue
from crbot.sim.views import OrderListView

_DAY = timedelta(hours=24)


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
    from_order = p.long("orderId")
    start, end = _window(p)
    limit = p.limit()
    # orderId means "from this id on, oldest first"; otherwise the most recent ``limit`` orders
    fetch = 1000 if from_order is not None else limit
    orders = venue.engine.all_orders(symbol, start=start, end=end, limit=fetch)
    orders.sort(key=lambda o: o.order_id)
    if from_order is not None:
        orders = [o for o in orders if o.order_id >= from_order][:limit]
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
    limit = p.limit()
    fetch = 1000 if order_id is not None else limit
    fills = venue.engine.trades(symbol, start=start, end=end, from_id=from_id, limit=fetch)
    if order_id is not None:
        fills = [f for f in fills if f.order_id == order_id][:limit]
    fills.sort(key=lambda f: f.trade_id)
    list_ids: dict[int, int] = {}
    for f in fills:
        if f.order_id not in list_ids:
            list_ids[f.order_id] = _order_list_id(venue, symbol, f.order_id)
    return Reply(body=[fill_json(f, order_list_id=list_ids[f.order_id]) for f in fills])


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


def _order_list_id(venue: Venue, symbol: str, order_id: int) -> int:
    try:
        return venue.engine.get_order(symbol, order_id=order_id).order_list_id
    except OrderNotFound:
        return -1


def _window(p: Params) -> tuple[datetime | None, datetime | None]:
    start_ms, end_ms = p.long("startTime"), p.long("endTime")
    start = from_ms(start_ms) if start_ms is not None else None
    end = from_ms(end_ms) if end_ms is not None else None
    if start and end and end - start > _DAY:
        raise ExchangeRejected("More than 24 hours between startTime and endTime.", code=-1127)
    return start, end
