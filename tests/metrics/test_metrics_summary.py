import math

import pandas as pd
import pytest

from crbot.metrics import MIN_DAYS, MIN_TRADES, NOT_MEANINGFUL, Metric, metric, summary

T0 = pd.Timestamp("2026-01-05 12:00", tz="UTC")


def fills_frame() -> pd.DataFrame:
    rows = [
        ("BUY", 100.0, 1.0, 100.0),
        ("SELL", 110.0, 1.0, 110.0),  # +10
        ("BUY", 100.0, 1.0, 100.0),
        ("SELL", 105.0, 1.0, 105.0),  # +5
        ("BUY", 100.0, 1.0, 99.0),
        ("SELL", 98.0, 1.0, 98.0),  # -2
    ]
    return pd.DataFrame(
        {
            "time": pd.date_range(T0, periods=len(rows), freq="1min"),
            "symbol": "BTCUSDT",
            "side": [r[0] for r in rows],
            "price": [r[1] for r in rows],
            "qty": [r[2] for r in rows],
            "commission_quote": 0.0,
            "expected_price": [r[3] for r in rows],
        }
    )


def by_key(metrics: list[Metric]) -> dict[str, Metric]:
    return {m.key: m for m in metrics}


def test_summary_below_the_minimum_sample_shows_the_value_but_does_not_judge_it() -> None:
    orders = pd.DataFrame({"latency_ms": [100.0, 200.0, 900.0]})
    equity = pd.DataFrame({"time": pd.date_range(T0, periods=4, freq="1D"), "equity": [1000.0, 1010.0, 1015.0, 1013.0]})
    m = by_key(summary(fills_frame(), orders, equity))
    for key in ("win_rate", "profit_factor", "sharpe", "slippage_bps", "latency_p95_ms"):
        assert m[key].value is not None and m[key].ok is None
        assert not m[key].meaningful and m[key].status == NOT_MEANINGFUL
    assert (m["win_rate"].sample, m["win_rate"].min_sample, m["win_rate"].unit) == (3, MIN_TRADES, "trades")
    assert (m["sharpe"].sample, m["sharpe"].min_sample, m["sharpe"].unit) == (3, MIN_DAYS, "days")
    assert m["max_drawdown"].meaningful and m["max_drawdown"].status == "met"  # 4 points: a fact already
    assert all(x.definition for x in m.values())


def test_summary_values_judged_against_their_targets() -> None:
    orders = pd.DataFrame({"latency_ms": [100.0, 200.0, 900.0]})
    equity = pd.DataFrame({"time": pd.date_range(T0, periods=4, freq="1D"), "equity": [1000.0, 1010.0, 1015.0, 1013.0]})
    shown = by_key(summary(fills_frame(), orders, equity))
    m = {k: metric(k, v.label, v.value, v.fmt) for k, v in shown.items()}  # judged without a minimum sample
    assert m["latency_p95_ms"].ok is False
    assert m["trades"].value == 3 and m["trades"].ok is None and m["trades"].target == ""
    assert m["win_rate"].value == pytest.approx(2 / 3) and m["win_rate"].ok is True
    assert m["win_rate"].target == "> 45 %" and m["win_rate"].text == "66.7%"
    assert m["profit_factor"].value == pytest.approx(15 / 2) and m["profit_factor"].ok is True
    assert m["expectancy"].value == pytest.approx(13 / 3)
    assert m["net_pnl"].text == "13.00 USDT"
    assert m["max_drawdown"].value == pytest.approx(2 / 1015) and m["max_drawdown"].ok is True
    assert m["sharpe"].value is not None
    assert m["slippage_bps"].value == pytest.approx(10_000 / 99 / 6)  # one BUY 1 above 99 expected
    assert m["latency_p95_ms"].target == "< 500 ms"
    assert m["latency_p50_ms"].value == pytest.approx(200) and m["latency_p50_ms"].ok is None


def test_summary_without_data_says_not_enough_data() -> None:
    metrics = summary(None, None, None)
    keys = [m.key for m in metrics]
    assert len(keys) == len(set(keys))
    for m in metrics:
        if m.key == "trades":
            assert m.value == 0
            continue
        assert m.value is None and m.ok is None and m.text == "—" and m.status == "no data"


def test_infinite_profit_factor_is_shown_honestly() -> None:
    fills = fills_frame().iloc[:4]
    pf = by_key(summary(fills, None, None))["profit_factor"]
    assert pf.value == math.inf
    assert pf.ok is None and pf.status == NOT_MEANINGFUL  # 2 trades
    assert pf.text == "∞"
    assert metric("profit_factor", "PF", math.inf, "{:.2f}", sample=30, min_sample=30).ok is True
