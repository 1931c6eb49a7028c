"""Helpers shared by the benchmarks: a throwaway runtime and percentile reporting."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.exchange.bundled import load_bundled_rules
from crbot.market.feed import ManualFeed
from crbot.runtime import Runtime, build_runtime


def temp_home() -> Path:
    return Path(tempfile.mkdtemp(prefix="crbot-bench-"))


def paper_runtime(home: Path | None = None, *, balance: str = "USDT=10000000") -> tuple[Runtime, ManualFeed]:
    """A paper runtime whose prices never move unless told (the feed is excluded from timings)."""
    home = home or temp_home()
    rules = load_bundled_rules()
    feed = ManualFeed({s: _mid(r.tick_size) for s, r in rules.items()})
    settings = Settings.load(
        {"CRBOT_HOME": str(home), "CRBOT_PRICE_FEED": "synthetic", "CRBOT_PAPER_BALANCES": balance},
        dotenv=False,
    )
    return build_runtime(settings, clock=ManualClock(), feed=feed), feed


def _mid(tick: Decimal) -> Decimal:
    return Decimal(100) if tick >= Decimal("0.01") else Decimal("1")


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(name: str, values_ms: Sequence[float], target: str = "") -> str:
    line = (
        f"{name:<48} n={len(values_ms):>5}  p50={pct(values_ms, 50):8.2f} ms  p99={pct(values_ms, 99):8.2f} ms"
        f"  mean={statistics.fmean(values_ms):8.2f} ms"
    )
    if target:
        line += f"   target {target}"
    print(line, flush=True)
    return line
