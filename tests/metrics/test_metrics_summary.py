import math

import pandas as pd
import pytest

from crbot.metrics import Metric, summary

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


def test_summary_judges_each_metric_against_its_target() -> None:
    orders = pd.DataFrame({"latency_ms": [100.0, 200.0, 900.0]})
    equity = pd.DataFrame({"time": pd.date_range(T0, periods=4, freq="1D"), "equity": [1000.0, 1010.0, 1015.0, 1013.0]})
    m = by_key(summary(fills_frame(), orders, equity))
    assert m["trades"].value == 3 and m["trades"].ok is None and m["trades"].target == ""
    assert m["win_rate"].value == pytest.approx(2 / 3) and m["win_rate"].ok is True
    assert m["win_rate"].target == "> 45 %" and m["win_rate"].text == "66.7%"
    assert m["profit_factor"].value == pytest.approx(15 / 2) and m["profit_factor"].ok is True
    assert m["expectancy"].value == pytest.approx(13 / 3)
    assert m["net_pnl"].text == "13.00 USDT"
    assert m["max_drawdown"].value == pytest.approx(2 / 1015) and m["max_drawdown"].ok is True
    assert m["sharpe"].value is not None
    assert m["slippage_pct"].value == pytest.approx(100 / 99 / 6)  # one BUY 1 above 99 expected
    assert m["latency_p95_ms"].ok is False and m["latency_p95_ms"].target == "< 500 ms"
    assert m["latency_p50_ms"].value == pytest.approx(200) and m["latency_p50_ms"].ok is None


def test_summary_without_data_says_not_enough_data() -> None:
    metrics = summary(None, None, None)
    keys = [m.key for m in metrics]
    assert len(keys) == len(set(keys))
    for m in metrics:
        if m.key == "trades":
            assert m.value == 0
            continue
        assert m.value is None and m.ok is None and m.text == "—"


def test_infinite_profit_factor_is_shown_honestly() -> None:
    fills = fills_frame().iloc[:4]
    pf = by_key(summary(fills, None, None))["profit_factor"]
    assert pf.value == math.inf
    assert pf.ok is True
    assert pf.text == "∞"
