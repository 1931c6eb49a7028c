import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.metrics import expectancy, expectancy_ratio, net_pnl, profit_factor, sqn, win_rate

EMPTY = pd.Series([], dtype="float64")


def s(values: list[float]) -> pd.Series:
    return pd.Series(values, dtype="float64")


def test_trade_statistics_by_hand() -> None:
    pnls = s([10.0, -5.0, 0.0, 20.0])
    assert win_rate(pnls) == pytest.approx(0.5)  # break-even is not a win
    assert profit_factor(pnls) == pytest.approx(30 / 5)
    assert expectancy(pnls) == pytest.approx(25 / 4)
    assert expectancy_ratio(pnls) == pytest.approx((25 / 4) / 5)
    assert net_pnl(pnls) == pytest.approx(25)
    std = math.sqrt(sum((x - 6.25) ** 2 for x in (10, -5, 0, 20)) / 3)
    assert sqn(pnls) == pytest.approx(math.sqrt(4) * 6.25 / std)


def test_expectancy_ratio_is_freqtrades_formula_without_break_even_trades() -> None:
    pnls = s([4.0, 2.0, -1.0, -3.0])
    rate, avg_win, avg_loss = 2 / 4, 3.0, 2.0
    assert expectancy_ratio(pnls) == pytest.approx((1 + avg_win / avg_loss) * rate - 1)
    assert expectancy_ratio(s([4.0, 2.0, -1.0, -3.0, 0.0])) == pytest.approx((2 / 5) / 2)  # a 0 lowers the mean


def test_no_trades() -> None:
    for f in (win_rate, profit_factor, expectancy, expectancy_ratio, sqn, net_pnl):
        assert f(EMPTY) is None
        assert f(s([math.nan])) is None  # unknown P&L is not a trade of 0


def test_no_losses_and_all_flat() -> None:
    wins = s([3.0, 4.0])
    assert profit_factor(wins) == math.inf  # gross loss 0, gross profit > 0
    assert expectancy_ratio(wins) is None  # no average loss to measure against
    assert win_rate(wins) == 1.0
    flat = s([0.0, 0.0])
    assert profit_factor(flat) is None  # neither profit nor loss
    assert sqn(flat) is None  # std 0
    assert win_rate(flat) == 0.0
    assert profit_factor(s([-1.0])) == 0.0


def test_sqn_needs_two_trades_that_differ() -> None:
    assert sqn(s([5.0])) is None
    assert sqn(s([2.0, 2.0, 2.0])) is None
    assert sqn(s([1.0, 3.0])) == pytest.approx(math.sqrt(2) * 2 / math.sqrt(2))


def test_nan_and_inf_entries_are_left_out() -> None:
    assert win_rate(s([1.0, math.nan, -1.0, math.inf])) == 0.5
    assert expectancy(s([1.0, math.nan, 3.0])) == 2.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), max_size=60))
def test_win_rate_is_a_fraction_and_profit_factor_is_non_negative(values: list[float]) -> None:
    pnls = s(values)
    rate = win_rate(pnls)
    assert (rate is None) == (not values)
    assert rate is None or 0.0 <= rate <= 1.0
    factor = profit_factor(pnls)
    assert factor is None or factor >= 0.0
    if values and expectancy(pnls) is not None:
        assert expectancy(pnls) == pytest.approx(float(np.mean(values)), abs=1e-6)
