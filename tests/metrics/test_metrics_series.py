"""Chart series (rolling Sharpe, monthly returns, P&L by symbol, holding hours) and open lots' average entry,
each against an independent computation (plain Python loops, empyrical where it has the figure)."""

import math
from collections import deque

import empyrical
import numpy as np
import pandas as pd
import pytest

from crbot.metrics import (
    fifo,
    holding_hours,
    is_buy_side,
    monthly_returns,
    open_lots,
    pnl_by_symbol,
    rolling_sharpe,
    round_trips,
    sharpe_ratio,
)
from tests.metrics.test_metrics_trades import fills_frame

T0 = pd.Timestamp("2025-01-01", tz="UTC")


def random_returns(seed: int, n: int = 200) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.001, 0.02, n), index=pd.date_range(T0, periods=n, freq="1D"))


@pytest.mark.parametrize("seed", range(5))
def test_rolling_sharpe_is_the_sharpe_of_each_trailing_window(seed: int) -> None:
    returns = random_returns(seed)
    rolled = rolling_sharpe(returns, window=30)
    assert rolled.iloc[:29].isna().all()
    for end in (29, 30, 77, len(returns) - 1):
        window = returns.iloc[end - 29 : end + 1]
        assert rolled.iloc[end] == pytest.approx(sharpe_ratio(window), rel=1e-9)
        assert rolled.iloc[end] == pytest.approx(empyrical.sharpe_ratio(window, annualization=365), rel=1e-9)


def test_rolling_sharpe_is_undefined_for_flat_windows_and_short_series() -> None:
    flat = pd.Series(0.0, index=pd.date_range(T0, periods=40, freq="1D"))
    assert rolling_sharpe(flat).isna().all()
    assert rolling_sharpe(random_returns(1, n=10)).isna().all()
    assert rolling_sharpe(pd.Series(dtype="float64")).empty


def test_monthly_returns_compound_day_closes_month_by_month() -> None:
    rng = np.random.default_rng(3)
    times = pd.date_range("2025-01-15 06:00", "2025-04-10 18:00", freq="6h", tz="UTC")
    equity = pd.Series(10_000 * np.cumprod(1 + rng.normal(0.0003, 0.004, len(times))), index=times)
    table = monthly_returns(equity)

    # By hand: the last point of each UTC month over the last point of the month before (first month: first day close).
    closes = {}
    for when, value in equity.items():
        closes[(when.year, when.month)] = value
    first_close = equity[equity.index.normalize() == equity.index[0].normalize()].iloc[-1]
    months = sorted(closes)
    previous = first_close
    for year, month in months:
        expected = closes[(year, month)] / previous - 1
        assert table.loc[year, month] == pytest.approx(expected, rel=1e-12)
        previous = closes[(year, month)]
    assert list(table.columns) == list(range(1, 13))
    assert table.loc[2025, [5, 6, 12]].isna().all()
    # Compounding the months gives the whole period's return.
    total = np.prod(1 + table.loc[2025, [1, 2, 3, 4]].to_numpy()) - 1
    assert total == pytest.approx(equity.iloc[-1] / first_close - 1, rel=1e-12)


def test_monthly_returns_span_years_and_are_empty_without_two_days() -> None:
    days = pd.date_range("2024-11-20", "2025-02-03", freq="1D", tz="UTC")
    equity = pd.Series(np.linspace(100, 130, len(days)), index=days)
    table = monthly_returns(equity)
    assert list(table.index) == [2024, 2025]
    dec31 = equity[pd.Timestamp("2024-12-31", tz="UTC")]
    nov30 = equity[pd.Timestamp("2024-11-30", tz="UTC")]
    assert table.loc[2024, 12] == pytest.approx(dec31 / nov30 - 1, rel=1e-12)
    assert monthly_returns(equity.iloc[:1]).empty
    assert monthly_returns(pd.Series(dtype="float64")).empty


def test_pnl_by_symbol_and_holding_hours() -> None:
    fills = fills_frame(
        [
            (0, "BTCUSDT", "BUY", 100, 1, 0.1),
            (60, "BTCUSDT", "SELL", 110, 1, 0.1),
            (0, "ETHUSDT", "BUY", 10, 2, 0.0),
            (90, "ETHUSDT", "SELL", 9, 1, 0.0),
            (150, "ETHUSDT", "SELL", 12, 1, 0.0),
        ]
    )
    trips = round_trips(fills)
    by_symbol = pnl_by_symbol(trips)
    assert by_symbol["BTCUSDT"] == pytest.approx(10 - 0.2)
    assert by_symbol["ETHUSDT"] == pytest.approx(-1 + 2)
    assert list(by_symbol.index) == ["BTCUSDT", "ETHUSDT"]  # largest first
    assert sorted(holding_hours(trips).tolist()) == pytest.approx([1.0, 1.5, 2.5])
    assert pnl_by_symbol(trips.iloc[:0]).empty and holding_hours(trips.iloc[:0]).empty


def fifo_open(rows: list[tuple]) -> dict[str, tuple[float, float]]:
    """Independent FIFO with a deque per symbol: (qty still held, Σ price × qty / Σ qty of the open lots)."""
    lots: dict[str, deque] = {}
    for _, symbol, side, price, qty, _fee in sorted(rows, key=lambda r: r[0]):
        book = lots.setdefault(symbol, deque())
        if side == "BUY":
            book.append([price, qty])
            continue
        left = qty
        while left > 1e-12 and book:
            take = min(left, book[0][1])
            book[0][1] -= take
            left -= take
            if book[0][1] <= 1e-12:
                book.popleft()
    result = {}
    for symbol, book in lots.items():
        held = sum(q for _, q in book)
        if held > 1e-9:
            result[symbol] = (held, sum(p * q for p, q in book) / held)
    return result


@pytest.mark.parametrize("seed", range(10))
def test_open_lots_average_entry_is_the_fifo_vwap_of_what_is_held(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, held = [], {"BTCUSDT": 0.0, "ETHUSDT": 0.0}
    for minute in range(300):
        symbol = ("BTCUSDT", "ETHUSDT")[int(rng.integers(2))]
        price = round(float(rng.uniform(90, 110)), 2)
        if held[symbol] > 0 and rng.random() < 0.45:
            qty = round(min(held[symbol], float(rng.uniform(0.1, 2))), 4)
            side = "SELL"
            held[symbol] -= qty
        else:
            qty, side = round(float(rng.uniform(0.1, 2)), 4), "BUY"
            held[symbol] += qty
        rows.append((minute, symbol, side, price, qty, 0.01))
    expected = fifo_open(rows)
    lots = open_lots(fills_frame(rows)).set_index("symbol")
    assert set(lots.index) == set(expected)
    for symbol, (qty, avg) in expected.items():
        assert lots.loc[symbol, "qty"] == pytest.approx(qty, rel=1e-9)
        assert lots.loc[symbol, "avg_entry"] == pytest.approx(avg, rel=1e-9)


def test_open_lots_leaves_out_fees_and_closed_symbols() -> None:
    fills = fills_frame(
        [
            (0, "BTCUSDT", "BUY", 88941.21, 0.01, 0.89),  # the trade: a 0.1 % fee is not in the entry
            (1, "ETHUSDT", "BUY", 3000, 1, 3),
            (2, "ETHUSDT", "SELL", 3100, 1, 3.1),
        ]
    )
    lots = open_lots(fills)
    assert lots["symbol"].tolist() == ["BTCUSDT"]
    assert lots["avg_entry"].iloc[0] == pytest.approx(88941.21, rel=1e-15)
    assert lots["open_time"].iloc[0] == fills["time"].iloc[0]
    assert open_lots(None).empty and math.isnan(open_lots(fills.iloc[2:])["qty"].sum() or math.nan)


def test_fifo_gives_round_trips_and_open_lots_in_one_pass_whatever_the_row_order() -> None:
    rng = np.random.default_rng(11)
    rows = [
        (int(m), ("BTCUSDT", "ETHUSDT")[int(rng.integers(2))], ("BUY", "buy", "SELL")[int(rng.integers(3))],
         float(rng.uniform(90, 110)), 0.5, 0.01)
        for m in range(200)
    ]  # fmt: skip
    fills = fills_frame(rows)
    trips, still_open = fifo(fills)
    pd.testing.assert_frame_equal(trips, round_trips(fills))
    pd.testing.assert_frame_equal(still_open, open_lots(fills))
    shuffled = fills.sample(frac=1.0, random_state=3)  # not in time order: the lexsort path
    pd.testing.assert_frame_equal(round_trips(shuffled), trips)
    pd.testing.assert_frame_equal(open_lots(shuffled), still_open)
    assert is_buy_side(pd.Series(["BUY", "buy", "SELL", None, "Buy"])).tolist() == [True, True, False, False, True]
