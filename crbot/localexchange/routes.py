"""The endpoints the local exchange serves, with their security type and request weight
(rest-api.md weights; the sapi endpoint counts 1 into the same IP meter)."""

from __future__ import annotations

from crbot.localexchange import account, market, orders
from crbot.localexchange.venue import Route, Security

USER = Security.USER_DATA
TRADE = Security.TRADE

ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/v3/ping"): Route(handler=market.ping, engine=False),
    ("GET", "/api/v3/time"): Route(handler=market.server_time, engine=False),
    ("GET", "/api/v3/exchangeInfo"): Route(handler=market.exchange_info, weight=20, engine=False),
    ("GET", "/api/v3/ticker/price"): Route(handler=market.ticker_price, weight=market.ticker_weight, engine=False),
    ("GET", "/api/v3/ticker/bookTicker"): Route(handler=market.book_ticker, weight=market.ticker_weight, engine=False),
    ("GET", "/api/v3/avgPrice"): Route(handler=market.avg_price, weight=2, engine=False),
    ("GET", "/api/v3/klines"): Route(handler=market.klines, weight=2, engine=False),
    ("GET", "/api/v3/account"): Route(handler=account.account, security=USER, weight=20),
    ("GET", "/api/v3/openOrders"): Route(handler=account.open_orders, security=USER, weight=account.open_orders_weight),
    ("GET", "/api/v3/allOrders"): Route(handler=account.all_orders, security=USER, weight=20),
    ("GET", "/api/v3/myTrades"): Route(handler=account.my_trades, security=USER, weight=account.my_trades_weight),
    ("GET", "/api/v3/openOrderList"): Route(handler=account.open_order_lists, security=USER, weight=6),
    ("GET", "/api/v3/orderList"): Route(handler=account.get_order_list, security=USER, weight=4),
    ("GET", "/sapi/v1/account/apiRestrictions"): Route(handler=account.api_restrictions, security=USER, engine=False),
    ("GET", "/api/v3/order"): Route(handler=orders.get_order, security=USER, weight=4),
    ("POST", "/api/v3/order"): Route(handler=orders.new_order, security=TRADE, new_orders=1),
    ("DELETE", "/api/v3/order"): Route(handler=orders.cancel_order, security=TRADE),
    ("POST", "/api/v3/order/test"): Route(handler=orders.order_test, security=TRADE, weight=orders.order_test_weight),
    ("DELETE", "/api/v3/openOrders"): Route(handler=orders.cancel_open_orders, security=TRADE),
    ("POST", "/api/v3/orderList/oco"): Route(handler=orders.new_oco, security=TRADE, new_orders=2),
    ("POST", "/api/v3/orderList/oto"): Route(handler=orders.new_oto, security=TRADE, new_orders=2),
    ("POST", "/api/v3/orderList/otoco"): Route(handler=orders.new_otoco, security=TRADE, new_orders=3),
    ("DELETE", "/api/v3/orderList"): Route(handler=orders.cancel_order_list, security=TRADE),
}
