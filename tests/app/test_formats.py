"""One formatting per kind of quantity on the pages (issue #9, point 7): quote amounts to the cent with thousands
separators, coins by their lot step, prices by their tick, holding times as "1 m 17 s", chart axes not in SI."""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from crbot.domain import OrderRequest, OrderType, Side
from crbot.runtime import Runtime
from tests.app.helpers import place_resting_buy
from ui import charts

CENTS = re.compile(r"-?\d{1,3}(,\d{3})*\.\d{2}")
BTC_STEP = re.compile(r"\d+\.\d{5}")  # BTCUSDT's lot step 0.00001
HELD = re.compile(r"< 1 s|\d+ s|\d+ m \d+ s|\d+ h \d{2} m|\d+ d \d+ h")


def market(rt: Runtime, side: Side, qty: str) -> None:
    req = OrderRequest(symbol="BTCUSDT", side=side, type=OrderType.MARKET, quantity=Decimal(qty))
    rt.service.place(req, client_order_id=rt.service.new_client_order_id(), source="test", actor="tester")


@pytest.fixture
def traded(runtime: Runtime) -> Runtime:
    market(runtime, Side.BUY, "0.00734")
    market(runtime, Side.SELL, "0.003")  # the fee in BTC leaves more decimals than the lot step
    place_resting_buy(runtime, quantity="0.001")
    rules = runtime.broker.rules()["BTCUSDT"]
    assert (rules.step_size, rules.tick_size) == (Decimal("0.00001"), Decimal("0.01"))
    return runtime


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_balance_metrics_and_table_agree_to_the_cent(page, traded: Runtime) -> None:
    at = page("balance").run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    for label in ("Total equity (USDT)", "Free USDT", "Locked in orders (USDT)"):
        assert CENTS.fullmatch(metrics[label]), (label, metrics[label])
    table = table_with(at, "Free").set_index("Asset")
    assert table.loc["USDT", "Free"] == metrics["Free USDT"]  # the issue: 9554.91003542 under 9,554.91
    assert table.loc["USDT", "Locked"] == metrics["Locked in orders (USDT)"]
    btc = next(b for b in traded.service.balances() if b.asset == "BTC")
    assert len(str(btc.free).split(".")[1]) > 5  # the raw amount has more decimals than the step...
    assert BTC_STEP.fullmatch(table.loc["BTC", "Free"])  # ...shown to the step, rounded down
    assert Decimal(table.loc["BTC", "Free"]) <= btc.free < Decimal(table.loc["BTC", "Free"]) + Decimal("0.00001")
    assert CENTS.fullmatch(table.loc["BTC", "Price (USDT)"])
    assert table["Value (USDT)"].dtype.kind == "f"  # values stay numbers: the column sorts


def test_positions_and_orders_by_step_and_tick(page, traded: Runtime) -> None:
    at = page("positions").run()
    assert not at.exception, [e.message for e in at.exception]
    held = table_with(at, "Market price").set_index("Symbol")
    assert BTC_STEP.fullmatch(held.loc["BTCUSDT", "Quantity"])
    assert CENTS.fullmatch(held.loc["BTCUSDT", "Market price"]) and "," in held.loc["BTCUSDT", "Market price"]
    assert CENTS.fullmatch(held.loc["BTCUSDT", "Unrealised P&L (USDT)"])
    assert CENTS.fullmatch(held.loc["BTCUSDT", "Average entry"])  # a price: the tick, not 12 decimals
    orders = table_with(at, "Client order id")
    assert orders["Quantity"].tolist() == ["0.00100"] and orders["Filled"].tolist() == ["0.00000"]
    assert CENTS.fullmatch(orders["Price"].iloc[0]) and "," in orders["Price"].iloc[0]


def test_performance_holding_times_read_as_durations(page, traded: Runtime) -> None:
    at = page("performance").run()
    assert not at.exception, [e.message for e in at.exception]
    trips = table_with(at, "holding_time")
    assert len(trips) == 1 and all(HELD.fullmatch(v) for v in trips["holding_time"]), trips["holding_time"].tolist()
    assert not any("days" in v or ":" in v for v in trips["holding_time"])  # never "0 days 00:01:17.…"
    tiles = {m.label: m.value for m in at.metric}
    assert HELD.fullmatch(tiles["Median holding time"]), tiles["Median holding time"]  # not "0.0 h"
    assert tiles["Round trips"] == "1"  # a count
    assert re.fullmatch(r"-?\d+\.\d{2} USDT", tiles["Net P&L (realised)"]), tiles["Net P&L (realised)"]


def test_money_chart_axes_are_not_si() -> None:
    frame = pd.DataFrame({"time": pd.date_range("2026-01-01", periods=3, freq="h", tz="UTC"), "equity": [9999.6] * 3})
    assert charts.equity_figure(frame).layout.yaxis.tickformat == ",.2f"  # 9,999.60, not "9.9996k"


def test_ticket_result_rows_by_step_and_tick(runtime: Runtime) -> None:
    from ui.ticket_state import result_rows

    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.00734"))
    result = runtime.service.place(req, client_order_id=runtime.service.new_client_order_id(), source="t", actor="t")
    (row,) = result_rows(runtime.service, result)
    assert (row["Quantity"], row["Filled"]) == ("0.00734", "0.00734")
    assert CENTS.fullmatch(row["Avg fill price"]) and "," in row["Avg fill price"]
    assert row["Limit / stop"] == "—"  # a MARKET order has neither
