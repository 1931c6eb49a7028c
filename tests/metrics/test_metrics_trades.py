import math
from collections import deque

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.errors import InvalidInput
from crbot.metrics import TRIP_COLUMNS, duration_summary, profit_by_period, round_trips, win_rate

T0 = pd.Timestamp("2026-01-05 12:00", tz="UTC")


def fills_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (minutes after T0, symbol, side, price, qty, commission_quote[, expected_price])."""
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime([T0 + pd.Timedelta(minutes=r[0]) for r in rows], utc=True),
            "symbol": [r[1] for r in rows],
            "side": [r[2] for r in rows],
            "price": [float(r[3]) for r in rows],
            "qty": [float(r[4]) for r in rows],
            "commission_quote": [float(r[5]) for r in rows],
            "expected_price": [float(r[6]) if len(r) > 6 else math.nan for r in rows],
        }
    )
    frame["quote_qty"] = frame["price"] * frame["qty"]
    frame["commission"] = frame["commission_quote"]
    frame["commission_asset"] = "USDT"
    frame["is_maker"] = False
    frame["trade_id"] = np.arange(len(rows), dtype="int64")
    frame["order_id"] = np.arange(len(rows), dtype="int64")
    frame["client_order_id"] = [f"c{i}" for i in range(len(rows))]
    frame["time"] = frame["time"].astype("datetime64[ns, UTC]")
    return frame


def test_fifo_pnl_after_both_sides_fees_by_hand() -> None:
    fills = fills_frame(
        [
            (0, "BTCUSDT", "SELL", 95, 0.3, 0.03),  # position from before the journal: ignored
            (1, "BTCUSDT", "BUY", 100, 1, 0.10),
            (2, "ETHUSDT", "BUY", 10, 5, 0.05),
            (3, "BTCUSDT", "BUY", 110, 1, 0.11),
            (4, "BTCUSDT", "SELL", 120, 1.5, 0.18),  # closes lot 1 fully and half of lot 2
            (5, "ETHUSDT", "SELL", 12, 5, 0.06),
            (6, "BTCUSDT", "SELL", 90, 1, 0.09),  # only 0.5 left to close: the other 0.5 is not invented
        ]
    )
    trips = round_trips(fills)
    assert list(trips.columns) == list(TRIP_COLUMNS)
    assert len(trips) == 3
    first, eth, last = (trips.iloc[i] for i in range(3))

    assert first["symbol"] == "BTCUSDT"
    assert first["qty"] == pytest.approx(1.5)
    assert first["entry_price"] == pytest.approx(155 / 1.5)
    assert first["exit_price"] == pytest.approx(120)
    assert first["entry_fee"] == pytest.approx(0.10 + 0.055)
    assert first["exit_fee"] == pytest.approx(0.18)
    assert first["pnl"] == pytest.approx(180 - 155 - 0.155 - 0.18)
    assert first["return_pct"] == pytest.approx((180 - 155 - 0.155 - 0.18) / 155 * 100)
    assert first["open_time"] == T0 + pd.Timedelta(minutes=1)
    assert first["close_time"] == T0 + pd.Timedelta(minutes=4)
    assert first["holding_time"] == pd.Timedelta(minutes=3)

    assert eth["symbol"] == "ETHUSDT"
    assert eth["pnl"] == pytest.approx(60 - 50 - 0.05 - 0.06)

    assert last["qty"] == pytest.approx(0.5)
    assert last["entry_price"] == pytest.approx(110)
    assert last["exit_fee"] == pytest.approx(0.045)  # half the sell matched: half its fee
    assert last["pnl"] == pytest.approx(45 - 55 - 0.055 - 0.045)
    assert last["open_time"] == T0 + pd.Timedelta(minutes=3)


def test_unordered_input_is_matched_in_time_order() -> None:
    fills = fills_frame([(2, "BTCUSDT", "SELL", 120, 1, 0), (0, "BTCUSDT", "BUY", 100, 1, 0)])
    trips = round_trips(fills)
    assert len(trips) == 1
    assert trips["pnl"].iloc[0] == pytest.approx(20)


def test_no_fills_gives_an_empty_frame_with_the_columns() -> None:
    for empty in (None, pd.DataFrame(), fills_frame([])):
        trips = round_trips(empty)
        assert trips.empty and list(trips.columns) == list(TRIP_COLUMNS)
    only_sells = round_trips(fills_frame([(0, "BTCUSDT", "SELL", 100, 1, 0)]))
    assert only_sells.empty


def test_unknown_fee_counts_as_zero_and_micro_second_times_work() -> None:
    fills = fills_frame([(0, "BTCUSDT", "BUY", 100, 1, math.nan), (1, "BTCUSDT", "SELL", 101, 1, 0.1)])
    fills["time"] = fills["time"].astype("datetime64[us, UTC]")
    trips = round_trips(fills)
    assert trips["pnl"].iloc[0] == pytest.approx(0.9)
    assert trips["holding_time"].iloc[0] == pd.Timedelta(minutes=1)


def test_missing_columns_raise_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="commission_quote"):
        round_trips(pd.DataFrame({"time": [T0], "symbol": ["BTCUSDT"], "side": ["BUY"], "price": [1.0], "qty": [1.0]}))


def test_statistics_run_on_the_pnl_column_of_round_trips() -> None:
    fills = fills_frame([(0, "BTCUSDT", "BUY", 100, 1, 0), (1, "BTCUSDT", "SELL", 110, 1, 0)])
    assert win_rate(round_trips(fills)["pnl"]) == 1.0
    assert win_rate(round_trips(None)["pnl"]) is None


def test_durations_and_profit_by_period_by_hand() -> None:
    day = 24 * 60
    fills = fills_frame(
        [
            (0, "BTCUSDT", "BUY", 100, 1, 0),
            (30, "BTCUSDT", "SELL", 110, 1, 0),  # +10, held 30 min, closed Mon 5 Jan
            (60, "ETHUSDT", "BUY", 10, 1, 0),
            (60 + 2 * day, "ETHUSDT", "SELL", 8, 1, 0),  # -2, held 2 days, closed Wed 7 Jan
            (7 * day, "BTCUSDT", "BUY", 100, 1, 0),
            (7 * day + 90, "BTCUSDT", "SELL", 105, 1, 0),  # +5, held 90 min, closed Mon 12 Jan
            (27 * day, "BTCUSDT", "BUY", 100, 1, 0),
            (27 * day + 60, "BTCUSDT", "SELL", 101, 1, 0),  # +1, held 1 h, closed Sun 1 Feb
        ]
    )
    trips = round_trips(fills)
    stats = duration_summary(trips)
    assert stats["min"] == pd.Timedelta(minutes=30)
    assert stats["max"] == pd.Timedelta(days=2)
    assert stats["median"] == pd.Timedelta(minutes=75)
    assert stats["mean"] == (pd.Timedelta(minutes=30 + 90 + 60) + pd.Timedelta(days=2)) / 4
    assert duration_summary(round_trips(None)) == {"min": None, "median": None, "mean": None, "max": None}
    daily = profit_by_period(trips, "D")
    assert daily.to_dict() == {
        pd.Period("2026-01-05", "D"): 10.0,
        pd.Period("2026-01-07", "D"): -2.0,
        pd.Period("2026-01-12", "D"): 5.0,
        pd.Period("2026-02-01", "D"): 1.0,
    }
    weekly = profit_by_period(trips, "W")
    assert weekly.tolist() == [8.0, 5.0, 1.0]
    assert str(weekly.index[0].start_time.date()) == "2026-01-05"  # weeks start on Monday
    assert profit_by_period(trips, "M").tolist() == [13.0, 1.0]
    assert profit_by_period(trips, "Y").tolist() == [14.0]
    assert profit_by_period(round_trips(None)).empty
    with pytest.raises(ValueError, match="freq"):
        profit_by_period(trips, "H")


def reference_round_trips(fills: pd.DataFrame) -> list[tuple[str, float, float, float, pd.Timestamp]]:
    """The definition, one lot at a time: (symbol, qty, entry cost, pnl, open_time) per closing sell."""
    books: dict[str, deque[list]] = {}
    out = []
    for row in fills.sort_values("time", kind="stable").itertuples():
        book = books.setdefault(row.symbol, deque())
        if row.side == "BUY":
            book.append([row.qty, row.price, row.commission_quote / row.qty, row.time])
            continue
        left, matched, cost, fee_in = row.qty, 0.0, 0.0, 0.0
        opened = book[0][3] if book else None
        while book and left > 1e-12:
            lot = book[0]
            take = min(lot[0], left)
            matched, cost, fee_in, left = matched + take, cost + take * lot[1], fee_in + take * lot[2], left - take
            lot[0] -= take
            if lot[0] <= 1e-12:
                book.popleft()
        if matched > 1e-12:
            pnl = matched * row.price - cost - fee_in - row.commission_quote * matched / row.qty
            out.append((row.symbol, matched, cost, pnl, opened))
    return out


fill_rows = st.lists(
    st.tuples(
        st.integers(0, 50),
        st.sampled_from(["BTCUSDT", "ETHUSDT"]),
        st.sampled_from(["BUY", "SELL"]),
        st.integers(50, 150),
        st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0]),  # exact in binary, so closes are exact
        st.sampled_from([0.0, 0.01, 0.2]),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(fill_rows)
def test_vectorised_matching_equals_the_lot_by_lot_definition(rows: list[tuple]) -> None:
    fills = fills_frame(rows)
    trips = round_trips(fills)
    expected = reference_round_trips(fills)
    assert len(trips) == len(expected)
    for (symbol, qty, cost, pnl, opened), got in zip(expected, trips.itertuples(), strict=True):
        assert got.symbol == symbol
        assert got.qty == pytest.approx(qty)
        assert got.entry_price * got.qty == pytest.approx(cost)
        assert got.pnl == pytest.approx(pnl, abs=1e-9)
        assert got.open_time == opened
