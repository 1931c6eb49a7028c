"""The full metric report on 1,000,000 fills / 100,000 round trips, beside empyrical-reloaded in the same run.

The report is what the Performance page computes from the journal's frames: FIFO round trips, every
figure of ``metrics.summary`` (trade statistics, curve ratios, slippage, latency percentiles) and the
series behind its charts. Target: < 1 s. empyrical-reloaded (the reference, a test-only dependency)
computes the curve figures from the same daily returns, and plain pandas the trade figures: the values
must agree, and its time is printed beside ours.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

N_TRIPS = 100_000
FILLS_PER_TRIP = 10  # nine partial BUY fills, then one SELL that closes them
SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT", "LTCUSDT")
DAYS = 730
REPEATS = 5


def make_frames(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(fills, orders, equity) shaped like the journal's frames; deterministic."""
    rng = np.random.default_rng(seed)
    n = N_TRIPS * FILLS_PER_TRIP
    start = pd.Timestamp("2024-01-01", tz="UTC")
    step_ns = DAYS * 86_400 * 10**9 // n
    times = start + pd.to_timedelta(np.arange(n, dtype="int64") * step_ns, unit="ns")
    trip = np.arange(n) // FILLS_PER_TRIP
    is_sell = np.arange(n) % FILLS_PER_TRIP == FILLS_PER_TRIP - 1
    base = rng.uniform(1, 60_000, len(SYMBOLS))[trip % len(SYMBOLS)]
    drift = np.repeat(rng.normal(0.0005, 0.01, N_TRIPS), FILLS_PER_TRIP)
    price = base * (1 + np.where(is_sell, drift, rng.normal(0, 0.001, n)))
    qty = np.where(is_sell, (FILLS_PER_TRIP - 1) * 0.1, 0.1)
    expected = price * (1 + rng.normal(-0.0002, 0.0005, n))
    fills = pd.DataFrame(
        {
            "time": times,
            "symbol": pd.Series(np.asarray(SYMBOLS, dtype=object)[trip % len(SYMBOLS)]),
            "side": np.where(is_sell, "SELL", "BUY").astype(object),
            "price": price,
            "qty": qty,
            "quote_qty": price * qty,
            "commission": price * qty / 1000,
            "commission_asset": "USDT",
            "commission_quote": price * qty / 1000,
            "expected_price": expected,
        }
    )
    n_orders = 2 * N_TRIPS
    orders = pd.DataFrame(
        {
            "created_at": start + pd.to_timedelta(np.arange(n_orders) * (DAYS * 86_400 // n_orders), unit="s"),
            "symbol": np.asarray(SYMBOLS, dtype=object)[np.arange(n_orders) % len(SYMBOLS)],
            "latency_ms": rng.lognormal(np.log(40), 0.6, n_orders),
        }
    )
    hours = DAYS * 24
    equity = pd.DataFrame(
        {
            "time": start + pd.to_timedelta(np.arange(hours), unit="h"),
            "equity": 100_000 * np.cumprod(1 + rng.normal(0.00008, 0.004, hours)),
        }
    )
    return fills, orders, equity


def report(fills: pd.DataFrame, orders: pd.DataFrame, equity: pd.DataFrame) -> dict:
    """Everything the Performance page shows for these frames (figures and chart series)."""
    from crbot import metrics

    trips, still_open = metrics.fifo(fills)
    curve = metrics.equity_series(equity)
    returns = metrics.daily_returns(curve)
    return {
        "summary": {m.key: m.value for m in metrics.summary(fills, orders, equity, trips=trips)},
        "trips": len(trips),
        "drawdown": metrics.drawdown_series(curve),
        "rolling_sharpe": metrics.rolling_sharpe(returns),
        "monthly": metrics.monthly_returns(curve),
        "by_symbol": metrics.pnl_by_symbol(trips),
        "hours": metrics.holding_hours(trips),
        "by_month": metrics.profit_by_period(trips, "M"),
        "open": still_open,
    }


def reference(fills: pd.DataFrame, orders: pd.DataFrame, equity: pd.DataFrame, pnls: pd.Series) -> dict:
    """The same figures from empyrical-reloaded (curve) and plain pandas / numpy (trades, execution)."""
    import empyrical

    closes = equity.set_index("time")["equity"].resample("1D").last().ffill()
    returns = closes.pct_change().dropna()
    wins, losses = pnls[pnls > 0], pnls[pnls < 0]
    drawdown = -empyrical.max_drawdown(equity["equity"].pct_change().fillna(0.0))
    growth = empyrical.cagr(returns, annualization=365)
    side = np.where(fills["side"] == "BUY", 1.0, -1.0)
    slippage = side * (fills["price"] - fills["expected_price"]) / fills["expected_price"] * 10_000
    lat = orders["latency_ms"].to_numpy()
    return {
        "win_rate": len(wins) / len(pnls),
        "profit_factor": wins.sum() / -losses.sum(),
        "expectancy": pnls.mean(),
        "sqn": np.sqrt(len(pnls)) * pnls.mean() / pnls.std(ddof=1),
        "max_drawdown": drawdown,
        "sharpe": empyrical.sharpe_ratio(returns, annualization=365),
        "sortino": empyrical.sortino_ratio(returns, annualization=365),
        "cagr": growth,
        # CRBOT's Calmar divides by the drawdown over every point (hourly here), not over day closes only.
        "calmar": growth / drawdown,
        "slippage_bps": float(slippage.mean()),
        "latency_p50_ms": float(np.percentile(lat, 50)),
        "latency_p95_ms": float(np.percentile(lat, 95)),
        "latency_p99_ms": float(np.percentile(lat, 99)),
    }


def _timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def run() -> list[str]:
    fills, orders, equity = make_frames()
    ours_ms, theirs_ms = [], []
    for _ in range(REPEATS):
        elapsed, ours = _timed(lambda: report(fills, orders, equity))
        ours_ms.append(elapsed)
    pnls = pd.Series(_pnls(fills))
    for _ in range(REPEATS):
        elapsed, theirs = _timed(lambda: reference(fills, orders, equity, pnls))
        theirs_ms.append(elapsed)
    assert ours["trips"] == N_TRIPS, ours["trips"]
    lines = [
        f"metric report, {len(fills):,} fills / {ours['trips']:,} round trips / {len(orders):,} orders / "
        f"{len(equity):,} equity points",
        f"  crbot.metrics full report (figures + chart series): median {statistics.median(ours_ms):7.1f} ms "
        f"(min {min(ours_ms):.1f}, n={REPEATS})   target < 1000 ms",
        f"  reference, curve + trade figures only (empyrical-reloaded 0.7.1 + pandas, trips given): median "
        f"{statistics.median(theirs_ms):7.1f} ms",
        f"  {'figure':<16}{'crbot':>18}{'reference':>18}",
    ]
    for key, value in theirs.items():
        mine = ours["summary"].get(key)
        lines.append(f"  {key:<16}{_num(mine):>18}{_num(value):>18}")
    for line in lines:
        print(line, flush=True)
    return lines


def _pnls(fills: pd.DataFrame) -> np.ndarray:
    """Each trip's P&L by hand: its SELL closes exactly its own nine BUYs (the frames are built that way)."""
    k = FILLS_PER_TRIP
    cost = (fills["price"] * fills["qty"]).to_numpy().reshape(-1, k)
    fee = fills["commission_quote"].to_numpy().reshape(-1, k)
    return cost[:, -1] - cost[:, :-1].sum(axis=1) - fee.sum(axis=1)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.10g}"


if __name__ == "__main__":
    run()
