"""A seeded synthetic price feed: a deterministic function of (seed, symbol, time).

The log price is a base level plus a market factor shared by every symbol (scaled by the symbol's
beta) plus an idiosyncratic path. Each path is a sum of seeded sinusoids (periods from a month down to
tens of seconds) and hashed value noise (knots from hours down to one second). Any instant costs the
same to evaluate, so a restart after a week catches up in one vectorised call, and two processes with
the same seed see the same prices.

Scale (default amplitudes): a few bps per second, about 1 % over an hour, a few % over a day; a limit
0.3 % away typically fills within minutes to hours.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from types import MappingProxyType

import numpy as np

from crbot.domain import Bar
from crbot.errors import InvalidInput

logger = logging.getLogger(__name__)

# Plausible early-2026 levels; unknown symbols get a seeded base between 0.01 and 1000.
BASE_PRICES: Mapping[str, float] = MappingProxyType(
    {
        "BTCUSDT": 90000, "ETHUSDT": 3000, "BNBUSDT": 600, "SOLUSDT": 150, "XRPUSDT": 2.2, "ADAUSDT": 0.7,
        "DOGEUSDT": 0.18, "LTCUSDT": 90, "TRXUSDT": 0.25, "DOTUSDT": 4.5, "LINKUSDT": 15, "AVAXUSDT": 20,
        "POLUSDT": 0.2, "ATOMUSDT": 4.5, "UNIUSDT": 8, "BCHUSDT": 450, "ETCUSDT": 18, "XLMUSDT": 0.3,
        "FILUSDT": 2.5, "NEARUSDT": 2.5, "APTUSDT": 5, "ARBUSDT": 0.35, "SUIUSDT": 3, "SHIBUSDT": 0.000012,
        "PEPEUSDT": 0.00001,
    }
)  # fmt: skip

# (period seconds, amplitude in log-price units) of the seeded sinusoids
WAVES = ((30 * 86400, 0.06), (7 * 86400, 0.025), (2 * 86400, 0.012), (86400, 0.008), (6 * 3600, 0.005),
         (2 * 3600, 0.004), (3600, 0.003), (1200, 0.0015), (300, 0.0008), (60, 0.0003), (20, 0.00012))  # fmt: skip
# (knot spacing seconds, amplitude) of the value noise; the 1 s octave is linear, the rest smooth
NOISE = ((3 * 3600, 0.005), (900, 0.002), (90, 0.0008), (10, 0.0003), (1, 0.0002))
MARKET_WEIGHT, OWN_WEIGHT = 0.75, 0.65  # shares of the shared factor and the symbol's own path

MAX_BARS = 5000  # bars() never returns more; spans above this many seconds get coarser bars
SAMPLES_PER_BAR = 8  # points evaluated inside each coarse bar to find its high and low
CANDLE_SAMPLES = 24  # points per chart candle (candles())
CENT = Decimal("0.01")
EPOCH = 1_767_225_600.0  # 2026-01-01T00:00Z: the paths are defined relative to it
EIGHT_DIGITS = Context(prec=8, rounding=ROUND_HALF_EVEN)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31 = (np.uint64(n) for n in (11, 27, 30, 31))


@dataclass(frozen=True, slots=True)
class _Path:
    """A seeded log-price path (no level): sinusoids plus value-noise octaves."""

    periods: np.ndarray
    amps: np.ndarray
    phases: np.ndarray
    spacings: np.ndarray  # value-noise knot spacing per octave (seconds)
    keys: np.ndarray  # uint64 hash key per octave
    noise_amps: np.ndarray

    @classmethod
    def seeded(cls, rng: random.Random, scale: float) -> _Path:
        return cls(
            periods=np.array([p * rng.uniform(0.75, 1.35) for p, _ in WAVES]),
            amps=np.array([a * scale * rng.uniform(0.6, 1.3) for _, a in WAVES]),
            phases=np.array([rng.uniform(0, 2 * math.pi) for _ in WAVES]),
            spacings=np.array([float(spacing) for spacing, _ in NOISE]),
            keys=np.array([rng.getrandbits(64) for _ in NOISE], dtype=np.uint64),
            noise_amps=np.array([a * scale * rng.uniform(0.8, 1.2) for _, a in NOISE]),
        )

    def plus(self, other: _Path, *, weight: float) -> _Path:
        """``weight * other + self`` as one path, so a price costs one evaluation."""
        return _Path(
            periods=np.concatenate([other.periods, self.periods]),
            amps=np.concatenate([other.amps * weight, self.amps]),
            phases=np.concatenate([other.phases, self.phases]),
            spacings=np.concatenate([other.spacings, self.spacings]),
            keys=np.concatenate([other.keys, self.keys]),
            noise_amps=np.concatenate([other.noise_amps * weight, self.noise_amps]),
        )

    def at(self, t: np.ndarray) -> np.ndarray:
        """Log-price offsets at epoch seconds ``t`` (float array); all components in one pass."""
        t = t - EPOCH  # smaller numbers keep the phases precise
        waves = np.sin(t[:, None] * (2 * math.pi / self.periods) + self.phases) @ self.amps
        # value noise: a hashed value at each knot, interpolated (linearly for 1 s knots, else smoothly)
        u = t[:, None] / self.spacings
        knots = np.floor(u)
        f = u - knots
        f = np.where(self.spacings > 1, f * f * (3.0 - 2.0 * f), f)
        idx = knots.astype(np.int64).astype(np.uint64)
        a, b = _hash_unit(self.keys, idx), _hash_unit(self.keys, idx + np.uint64(1))
        return waves + (a + (b - a) * f) @ self.noise_amps


def _hash_unit(keys: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """splitmix64 of (key, idx) as uniform floats in [-1, 1); uint64 arithmetic wraps on purpose."""
    z = idx * _GOLDEN + keys
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return (z >> _S11).astype(np.float64) * (2.0 / 2**53) - 1.0


def _seconds(when: datetime) -> float:
    if when.tzinfo is None:
        raise InvalidInput(f"naive datetime {when} given to the price feed", hint="use aware UTC times (crbot.clock)")
    return when.timestamp()


class SyntheticFeed:
    """Deterministic ``PriceFeed``: same seed, symbol and time give the same price, in any process."""

    def __init__(self, seed: int = 42, *, label: str | None = None, ticks: Mapping[str, Decimal] | None = None) -> None:
        """``ticks`` (symbol -> tickSize) puts prices on the exchange grid; otherwise prices are
        quantised to 0.01, or to 8 significant digits below 10 (cheap coins)."""
        self.seed = seed
        self.label = label or f"synthetic (seed {seed})"
        self._ticks = {s: Decimal(t).normalize() for s, t in (ticks or {}).items() if Decimal(t) > 0}
        self._market = _Path.seeded(random.Random(self._digest("market")), MARKET_WEIGHT)
        self._symbols: dict[str, tuple[float, _Path]] = {}
        self._lock = threading.Lock()

    def _digest(self, name: str) -> int:
        return int.from_bytes(hashlib.blake2b(f"crbot-synthetic:{self.seed}:{name}".encode(), digest_size=8).digest())

    def _params(self, symbol: str) -> tuple[float, _Path]:
        """(log base price, market factor * beta + own path), seeded by (seed, symbol)."""
        with self._lock:
            found = self._symbols.get(symbol)
            if found is None:
                rng = random.Random(self._digest(symbol))
                base = BASE_PRICES.get(symbol) or 10 ** rng.uniform(-2, 3)
                beta = 1.0 if symbol.startswith("BTC") else rng.uniform(0.9, 1.4)
                found = (math.log(base), _Path.seeded(rng, OWN_WEIGHT).plus(self._market, weight=beta))
                self._symbols[symbol] = found
            return found

    def _prices(self, symbol: str, t: np.ndarray) -> np.ndarray:
        log_base, path = self._params(symbol)
        return np.exp(log_base + path.at(t))

    def _decimal(self, symbol: str, value: float) -> Decimal:
        exact = Decimal(value)
        tick = self._ticks.get(symbol)
        if tick is not None:
            return (exact / tick).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * tick
        return exact.quantize(CENT, rounding=ROUND_HALF_EVEN) if exact >= 10 else EIGHT_DIGITS.plus(exact)

    def last(self, symbol: str, at: datetime) -> Decimal:
        """The price at ``at`` (any instant, past or future)."""
        return self._decimal(symbol, float(self._prices(symbol, np.array([_seconds(at)]))[0]))

    def bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
        """The path in (start, end], oldest first; the last bar closes at ``end`` at ``last(end)``.

        Up to MAX_BARS seconds: one point bar per whole second (open = high = low = close), plus
        ``end`` itself if it falls between seconds. Longer spans: at most MAX_BARS bars of equal
        width whose high/low come from SAMPLES_PER_BAR points inside each bar.
        """
        s, e = _seconds(start), _seconds(end)
        if e <= s:
            return []
        whole = np.arange(math.floor(s) + 1, math.floor(e) + 1, dtype=np.float64)
        if whole.size + (whole.size == 0 or whole[-1] < e) <= MAX_BARS:
            return self._second_bars(symbol, whole, end)
        return self._coarse_bars(symbol, s, e, end)

    def candles(self, symbol: str, seconds: int, limit: int, now: datetime) -> list[Bar]:
        """``limit`` candles of ``seconds`` on the epoch grid up to ``now`` (the last one runs to ``now``), in one
        vectorised pass: CANDLE_SAMPLES points each give its high and low (the ticket's chart)."""
        e = _seconds(now)
        first = (math.floor(e / seconds) - (limit - 1)) * seconds
        edges = first + seconds * np.arange(limit + 1, dtype=np.float64)
        edges[-1] = e
        frac = np.arange(CANDLE_SAMPLES + 1, dtype=np.float64) / CANDLE_SAMPLES  # both edges: open and close
        times = edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * frac[None, :]
        prices = self._prices(symbol, times.ravel()).reshape(times.shape)
        highs, lows = prices.max(axis=1), prices.min(axis=1)
        return [
            Bar(
                open_time=datetime.fromtimestamp(float(edges[i]), UTC),
                close_time=now if i == limit - 1 else datetime.fromtimestamp(float(edges[i + 1]), UTC),
                open=self._decimal(symbol, float(prices[i, 0])),
                high=self._decimal(symbol, float(highs[i])),
                low=self._decimal(symbol, float(lows[i])),
                close=self._decimal(symbol, float(prices[i, -1])),
            )
            for i in range(limit)
        ]

    def _second_bars(self, symbol: str, whole: np.ndarray, end: datetime) -> list[Bar]:
        e = _seconds(end)
        grid = whole if whole.size and whole[-1] == e else np.append(whole, e)
        prices = self._prices(symbol, grid)
        bars = []
        for t, p in zip(grid.tolist(), prices.tolist(), strict=True):
            when = end if t == e else datetime.fromtimestamp(t, UTC)
            price = self._decimal(symbol, p)
            bars.append(Bar(open_time=when, close_time=when, open=price, high=price, low=price, close=price))
        return bars

    def _coarse_bars(self, symbol: str, s: float, e: float, end: datetime) -> list[Bar]:
        width = math.ceil((e - s) / MAX_BARS)
        count = math.ceil((e - s) / width)
        edges = np.minimum(s + width * np.arange(count + 1, dtype=np.float64), e)
        edges[-1] = e
        # SAMPLES_PER_BAR points in each (edge_i, edge_i+1], the last one on the bar's close
        frac = np.arange(1, SAMPLES_PER_BAR + 1, dtype=np.float64) / SAMPLES_PER_BAR
        times = edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * frac[None, :]
        times[:, -1] = edges[1:]
        prices = self._prices(symbol, times.ravel()).reshape(times.shape)
        highs, lows = prices.max(axis=1), prices.min(axis=1)
        bars = []
        for i in range(count):
            bars.append(
                Bar(
                    open_time=datetime.fromtimestamp(float(edges[i]), UTC),
                    close_time=end if i == count - 1 else datetime.fromtimestamp(float(edges[i + 1]), UTC),
                    open=self._decimal(symbol, float(prices[i, 0])),
                    high=self._decimal(symbol, float(highs[i])),
                    low=self._decimal(symbol, float(lows[i])),
                    close=self._decimal(symbol, float(prices[i, -1])),
                )
            )
        return bars
