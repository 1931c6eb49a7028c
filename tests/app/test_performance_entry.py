"""One average entry price on every page and in the CLI (issue 10: 89,030.24 on Positions, 88,941.21 on
Performance for the same trade). The definition: volume-weighted fill price of the lots still held, FIFO,
fees not included — checked against a FIFO done here by hand over the journal's fills."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from crbot.cli import main
from crbot.domain import OrderRequest, OrderType, Side
from crbot.runtime import Runtime
from tests.app.helpers import texts


def market(rt: Runtime, side: Side, qty: str) -> None:
    req = OrderRequest(symbol="BTCUSDT", side=side, type=OrderType.MARKET, quantity=Decimal(qty))
    rt.service.place(req, client_order_id=rt.service.new_client_order_id(), source="test", actor="tester")


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one table of the page that has ``column`` (dataframes are not looked up by key in AppTest)."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def fifo_entry_by_hand(rt: Runtime, symbol: str) -> Decimal:
    """Exact Decimal FIFO over the journal's fills: Σ price × qty / Σ qty of the lots not yet sold."""
    lots: list[list[Decimal]] = []
    for f in sorted(rt.journal.fills(symbol=symbol), key=lambda f: f.time):
        if f.side is Side.BUY:
            lots.append([f.price, f.quantity])
            continue
        left = f.quantity
        while left > 0 and lots:
            take = min(left, lots[0][1])
            lots[0][1] -= take
            left -= take
            if lots[0][1] == 0:
                lots.pop(0)
    return sum((p * q for p, q in lots), Decimal(0)) / sum((q for _, q in lots), Decimal(0))


@pytest.fixture
def held(crbot_home, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """Two BTC buys (fees paid in BTC), half sold; and 1 ETH held from before the journal (no entry)."""
    monkeypatch.setenv("CRBOT_PAPER_BALANCES", "USDT=10000,ETH=1")
    from ui.runtime import get_runtime

    rt = get_runtime()
    market(rt, Side.BUY, "0.005")
    market(rt, Side.BUY, "0.008")
    market(rt, Side.SELL, "0.006")  # closes all of the first lot and 0.001 of the second
    return rt


def test_average_entry_is_the_same_on_positions_performance_and_the_cli(page, held: Runtime, capsys) -> None:
    expected = fifo_entry_by_hand(held, "BTCUSDT")
    buys = [f for f in held.journal.fills(symbol="BTCUSDT") if f.side is Side.BUY]
    assert all(f.commission_asset == "BTC" for f in buys)  # the case: the fee shrinks the quantity held
    with_fees = sum((f.quote_qty for f in buys), Decimal(0)) / sum(f.quantity - f.commission for f in buys)
    assert abs(with_fees - expected) > Decimal("1")  # the average *cost* would be a different figure

    positions = page("positions").run()
    assert not positions.exception, [e.message for e in positions.exception]
    table = table_with(positions, "Average entry").set_index("Symbol")
    tick = held.broker.rules()["BTCUSDT"].tick_size
    on_positions = Decimal(table.loc["BTCUSDT", "Average entry"].replace(",", ""))  # shown to the tick

    performance = page("performance").run()
    assert not performance.exception, [e.message for e in performance.exception]
    open_lots = table_with(performance, "avg_entry").set_index("symbol")
    on_performance = open_lots.loc["BTCUSDT", "avg_entry"]

    assert main(["positions", "--json"]) == 0
    rows = {row["symbol"]: row for row in json.loads(capsys.readouterr().out)}
    in_cli = Decimal(rows["BTCUSDT"]["avg_entry"])

    assert on_positions == in_cli.quantize(tick)  # the same function, shown to the symbol's tick
    assert abs(on_positions - expected) <= tick / 2
    assert in_cli == pytest.approx(expected, rel=Decimal("1e-11"))  # --json stays exact
    assert on_performance == pytest.approx(float(expected), rel=1e-11)
    # The round trip's entry (the lots the sale closed) follows the same rule: fees not included.
    trips = table_with(performance, "entry_price")
    first, second = (f.price for f in sorted(buys, key=lambda f: f.time))
    closed = (first * Decimal("0.005") + second * Decimal("0.001")) / Decimal("0.006")
    assert trips["entry_price"].iloc[0] == pytest.approx(float(closed), rel=1e-11)
    assert any("fees not included" in t for t in texts(performance, "caption"))
    assert any("fees not included" in t for t in texts(positions, "caption"))


def test_a_coin_without_a_known_entry_shows_a_dash_not_none(page, held: Runtime) -> None:
    at = page("positions").run()
    assert not at.exception
    table = table_with(at, "Average entry").set_index("Symbol")
    assert table.loc["ETHUSDT", "Average entry"] == "—"
    assert table.loc["ETHUSDT", "Unrealised P&L (USDT)"] == "—"
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()
