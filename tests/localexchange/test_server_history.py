"""allOrders / myTrades on the local exchange with the real python-binance Client: an id cursor pages through
all of history, as on Binance, whatever the number of rows after it (issue 7, point 4)."""

from __future__ import annotations

from dataclasses import replace

from binance.client import Client

from crbot.domain import OrderSpec, OrderType, Side
from tests.localexchange.test_server_kit import BTC, D, Sim, client, sim

__all__ = ["client", "sim"]  # fixtures, re-exported for pytest
MARKET = OrderSpec(client_order_id="m", symbol=BTC, side=Side.BUY, type=OrderType.MARKET, quantity=D("0.0001"))


def trade(sim: Sim, count: int, prefix: str) -> None:
    for i in range(count):
        sim.engine.new_order(replace(MARKET, client_order_id=f"{prefix}{i}"))


def test_order_id_pages_forward_past_the_newest_thousand(sim: Sim, client: Client) -> None:
    trade(sim, 1050, "o")
    first = client.get_all_orders(symbol=BTC, orderId=1, limit=1000)
    assert [o["orderId"] for o in first] == list(range(1, 1001))  # the oldest, not the newest 1000
    rest = client.get_all_orders(symbol=BTC, orderId=1001, limit=1000)
    assert [o["orderId"] for o in rest] == list(range(1001, 1051))
    newest = client.get_all_orders(symbol=BTC, limit=3)  # no cursor: the most recent, oldest first
    assert [o["orderId"] for o in newest] == [1048, 1049, 1050]


def test_an_old_orders_trades_are_found_behind_a_thousand_newer_ones(sim: Sim, client: Client) -> None:
    trade(sim, 1020, "t")
    (own,) = client.get_my_trades(symbol=BTC, orderId=3)
    assert own["orderId"] == 3 and own["orderListId"] == -1
    page = client.get_my_trades(symbol=BTC, fromId=0, limit=1000)
    assert [t["id"] for t in page] == list(range(1, 1001)) and {t["orderListId"] for t in page} == {-1}
    assert [t["id"] for t in client.get_my_trades(symbol=BTC, fromId=1001)] == list(range(1001, 1021))
