"""Small helpers shared by the AppTest tests."""

from __future__ import annotations

from decimal import Decimal

from streamlit.testing.v1 import AppTest

from crbot.domain import OrderRequest, OrderType, Side
from crbot.exchange.filters import round_price
from crbot.runtime import Runtime


def texts(at: AppTest, kind: str) -> list[str]:
    """Every alert / markdown body of one kind ("error", "success", "warning", "info", "markdown")."""
    return [str(e.value) for e in getattr(at, kind)]


def resting_price(rt: Runtime, symbol: str = "BTCUSDT") -> Decimal:
    """A BUY limit 3 % under the market: inside the default 5 % price band, far from filling."""
    return round_price(rt.broker.rules()[symbol], rt.broker.last_price(symbol) * Decimal("0.97"))


def place_resting_buy(rt: Runtime, symbol: str = "BTCUSDT", quantity: str = "0.001") -> str:
    """Place a resting LIMIT BUY through the service (the same path as the ticket); its client order id."""
    req = OrderRequest(
        symbol=symbol, side=Side.BUY, type=OrderType.LIMIT, quantity=Decimal(quantity), price=resting_price(rt, symbol)
    )
    result = rt.service.place(req, client_order_id=rt.service.new_client_order_id(), source="test", actor="tester")
    return result.client_order_id
