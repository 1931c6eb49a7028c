"""What the ticket's candlestick chart costs per redraw, beside the line chart it replaced (baseline, same run).

- typing (a full run): candles from the cache (``fetch=False``), the typed lines, the plotly figure and its JSON
  (what Streamlit ships to the browser) — no exchange request;
- the fragment's refresh with the cache expired: candles rebuilt from the synthetic paper feed (1m and 1d);
- baseline: the 120-point recent-price line (go.Scatter) the ticket drew before, built and serialised alike.
Also the request weight the chart can cost on Binance (testnet / demo / live), from the cache's TTLs.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, timedelta

import plotly.graph_objects as go

from bench.common import report, temp_home
from crbot.config import Settings
from crbot.market.candles import CANDLE_TTL, QUOTE_TTL
from crbot.runtime import build_runtime
from ui.candles import Level, candle_figure, tick_format

ROUNDS = 200
SYMBOL = "BTCUSDT"


def _runtime():
    settings = Settings.load(
        {"CRBOT_HOME": str(temp_home()), "CRBOT_PRICE_FEED": "synthetic", "CRBOT_PAPER_BALANCES": "USDT=10000"},
        dotenv=False,
    )
    return build_runtime(settings)


def _timed(fn, rounds: int = ROUNDS) -> tuple[list[float], object]:
    out, times = None, []
    for _ in range(rounds):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, out


def run() -> list[str]:
    rt = _runtime()
    service = rt.service
    tick = service.broker.rules()[SYMBOL].tick_size
    bars = service.candles(SYMBOL, "1m").bars
    last = bars[-1].close
    levels = [
        Level(price=last * 97 / 100, label="BUY limit", kind="limit"),
        Level(price=last * 95 / 100, label="Stop-loss", kind="stop"),
        Level(price=last * 103 / 100, label="Take-profit", kind="tp"),
    ]

    def typing_redraw() -> int:
        cached = service.candles(SYMBOL, "1m", fetch=False)
        fig = candle_figure(cached.bars, levels, zone=UTC, zone_label="UTC", tick_format=tick_format(tick))
        return len(fig.to_json())

    points = [(b.open_time, float(b.close)) for b in bars]

    def baseline_line() -> int:
        fig = go.Figure(go.Scatter(x=[t for t, _ in points], y=[p for _, p in points], mode="lines"))
        fig.update_layout(height=180, yaxis={"tickformat": ",.2f"})
        return len(fig.to_json())

    def refresh(interval: str):
        def go_() -> int:
            market = service.market
            for key, value in list(market._candles.items()):  # expire: the next call rebuilds from the feed
                market._candles[key] = replace(value, taken_at=value.taken_at - timedelta(days=1))
            return len(service.candles(SYMBOL, interval).bars)

        return go_

    lines = []
    t, size = _timed(typing_redraw)
    lines.append(report(f"typing: cached candles + figure + JSON ({size // 1024} KiB)", t))
    t, size = _timed(baseline_line)
    lines.append(report(f"baseline: 120-point line + JSON ({size // 1024} KiB)", t))
    for interval in ("1m", "1d"):
        t, count = _timed(refresh(interval), 50)
        lines.append(report(f"refresh {interval}: {count} candles from the synthetic feed", t))
    klines_per_min = 60 / CANDLE_TTL["1m"].total_seconds()
    quotes_per_min = 60 / QUOTE_TTL.total_seconds()
    per_minute = klines_per_min * 2 + quotes_per_min * 2
    weight = f"Binance weight at most {per_minute:.0f}/min per symbol on the 1m chart, whatever the number of tabs"
    print(weight, flush=True)
    lines.append(weight)
    return lines


if __name__ == "__main__":
    run()
