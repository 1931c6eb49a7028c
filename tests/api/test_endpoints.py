"""Every endpoint over HTTP against a running server: the same service, journal and paper exchange."""

from __future__ import annotations

from decimal import Decimal

from crbot.domain import TradingState
from tests.api.conftest import Server

B = "/api/broker"
ORDER = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": "49900"}


def test_ping_balance_account_and_positions(api: Server) -> None:
    ping = api.call("GET", f"{B}/ping", "read")
    assert ping.status_code == 200 and ping.json()["ok"] is True and ping.json()["broker"] == "paper"
    balance = api.call("GET", f"{B}/balance", "read").json()
    assert {"asset": "USDT", "free": "10000", "locked": "0"}.items() <= balance["balances"][0].items()
    assert isinstance(balance["equity_usdt"], str)  # decimals as strings
    info = api.call("GET", f"{B}/account/info", "read").json()
    assert info["commissions"] == {"maker": "0.001", "taker": "0.001"} and info["can_trade"] is True
    assert api.call("GET", f"{B}/positions", "read").json() == []


def test_order_create_then_the_same_client_id_again_is_sent_once(api: Server) -> None:
    body = {**ORDER, "client_order_id": "api-twice-1"}
    first = api.call("POST", f"{B}/order/create", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["message"] == "sent"
    order = first.json()["orders"][0]
    assert (order["quantity"], order["price"], order["source"], order["actor"]) == (
        "0.001",
        "49900",
        "api",
        "api:trade-bot",
    )
    again = api.call("POST", f"{B}/order/create", json=body)
    assert again.status_code == 200 and again.json()["message"].startswith("already sent")
    on_exchange = [o for o in api.rt.broker.open_orders("BTCUSDT") if o.client_order_id == "api-twice-1"]
    assert len(on_exchange) == 1  # the retry never reached the exchange
    assert sum(o.client_order_id == "api-twice-1" for o in api.rt.journal.orders()) == 1


def test_order_query_open_orders_and_cancel(api: Server) -> None:
    created = api.call("POST", f"{B}/order/create", json={**ORDER, "client_order_id": "api-q-1"})
    assert created.status_code == 201, created.text
    one = api.call("GET", f"{B}/order/api-q-1", "read")
    assert one.status_code == 200 and one.json()["status"] == "NEW" and one.json()["symbol"] == "BTCUSDT"
    # an order the journal does not hold: asked from the exchange when the symbol is given
    asked = api.call("GET", f"{B}/order/api-q-1?symbol=btcusdt", "read")
    assert asked.status_code == 200
    open_ids = {o["client_order_id"] for o in api.call("GET", f"{B}/orders?open=true", "read").json()}
    assert "api-q-1" in open_ids
    recent = api.call("GET", f"{B}/orders?limit=5", "read").json()
    assert 1 <= len(recent) <= 5
    cancel = api.call("POST", f"{B}/order/cancel", json={"symbol": "BTCUSDT", "client_order_id": "api-q-1"})
    assert cancel.status_code == 200 and cancel.json()["status"] == "CANCELED"
    assert api.call("GET", f"{B}/order/api-q-1", "read").json()["status"] == "CANCELED"
    events = [e for e in api.rt.journal.audit_events(50) if e.action == "api_order_cancel"]
    assert events and events[0].actor == "api:trade-bot" and "api-q-1" in events[0].detail


def test_market_order_with_a_quote_amount_makes_a_position(api: Server) -> None:
    market = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quote_quantity": "300"}
    placed = api.call("POST", f"{B}/order/create", json=market)
    assert placed.status_code == 201, placed.text
    positions = api.call("GET", f"{B}/positions", "read").json()
    eth = next(p for p in positions if p["symbol"] == "ETHUSDT")
    assert Decimal(eth["quantity"]) > 0 and "unrealized_pnl" in eth
    assert api.call("GET", f"{B}/order/{placed.json()['client_order_id']}", "read").json()["status"] == "FILLED"


def test_status_metrics_and_limits(api: Server) -> None:
    status = api.call("GET", f"{B}/status", "read").json()
    assert status["mode"] == "paper" and status["trading_state"] in {s.value for s in TradingState}
    assert "paper mode" in status["key_audit"] and status["start_up"] == "done"
    assert status["price_source"] and status["connection"]["Mode"] == "PAPER"
    metrics = api.call("GET", f"{B}/metrics", "read").json()
    assert {"win_rate", "profit_factor", "max_drawdown"} <= {m["key"] for m in metrics}
    assert all("text" in m and "target" in m for m in metrics)
    limits = api.call("GET", f"{B}/limits", "read").json()
    assert limits["max_order_notional"] == "1000"
    changed = api.call("POST", f"{B}/limits", "admin", json={"changes": {"max_open_orders": 50}, "reason": "more room"})
    assert changed.status_code == 200 and changed.json()["max_open_orders"] == "50"
    event = next(e for e in api.rt.journal.audit_events(50) if e.action == "api_limits")
    assert event.actor == "api:admin-bot" and "max_open_orders=50" in event.detail


def test_stop_and_resume(fresh_api: Server) -> None:
    placed = fresh_api.call("POST", f"{B}/order/create", json=ORDER)
    assert placed.status_code == 201
    stop = fresh_api.call("POST", f"{B}/stop", json={"reason": "api test"})
    assert stop.status_code == 200, stop.text
    assert stop.json()["state"] == "HALTED" and stop.json()["ok"] is True and len(stop.json()["canceled"]) == 1
    assert fresh_api.rt.broker.open_orders() == []
    again = fresh_api.call("POST", f"{B}/stop", json={"reason": "twice"})  # safe to press twice
    assert again.status_code == 200 and again.json()["already_halted"] is True
    resumed = fresh_api.call("POST", f"{B}/resume", "admin", json={"confirmation": "RESUME"})
    assert resumed.status_code == 200 and resumed.json()["trading_state"] == "ACTIVE"
    actions = [(e.actor, e.action) for e in fresh_api.rt.journal.audit_events(50)]
    assert ("api:trade-bot", "api_stop") in actions and ("api:admin-bot", "api_resume") in actions
    assert ("api:trade-bot", "api_order_create") in actions


def test_concurrent_retries_with_one_client_id_send_once_and_all_hear_it(api: Server) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = {**ORDER, "client_order_id": "api-race-1"}
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: api.call("POST", f"{B}/order/create", json=body), range(4)))
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 201]
    assert {r.json()["client_order_id"] for r in replies} == {"api-race-1"}
    on_exchange = [o for o in api.rt.broker.open_orders("BTCUSDT") if o.client_order_id == "api-race-1"]
    assert len(on_exchange) == 1
