"""Round trips from the fills frame (FIFO lots, spot long-only) and the trade statistics over them.

P&L is in USDT after both sides' fees, using each fill's ``commission_quote`` (the fee valued in
USDT; an unknown fee counts as 0). A fee paid in the base asset is charged by its USDT value and the
lot keeps the fill quantity, which is the same money either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crbot.metrics.frames import require_columns, utc_nanos

FILL_COLUMNS = ("time", "symbol", "side", "price", "qty", "commission_quote")
TRIP_COLUMNS = (
    "symbol",
    "open_time",
    "close_time",
    "qty",
    "entry_price",
    "exit_price",
    "entry_fee",
    "exit_fee",
    "pnl",
    "return_pct",
    "holding_time",
)
# Float residue below this fraction of a lot (or a sell) is rounding, not quantity.
_REL_EPS = 1e-9


def round_trips(fills: pd.DataFrame | None) -> pd.DataFrame:
    """One row per SELL fill that closed bought lots, oldest lots first (FIFO per symbol), by close time.

    Columns: symbol, open_time (oldest lot closed), close_time, qty (matched), entry_price (weighted),
    exit_price, entry_fee, exit_fee, pnl (USDT), return_pct (pnl / entry cost × 100), holding_time.
    A sell beyond the lots bought in the journal (a position from before it) only closes what is
    there; the rest is ignored rather than matched against an invented entry.
    """
    if fills is None or len(fills) == 0:
        return _empty_trips()
    require_columns(fills, FILL_COLUMNS, "fills")
    return _trips(_prepare(fills))


def fifo(fills: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(round_trips(fills), open_lots(fills))`` from one pass over the fills (the Performance page needs both)."""
    if fills is None or len(fills) == 0:
        return _empty_trips(), open_lots(None)
    require_columns(fills, FILL_COLUMNS, "fills")
    prepared = _prepare(fills)
    return _trips(prepared), _open(prepared)


def is_buy_side(sides: pd.Series) -> np.ndarray:
    """side == "BUY" (any case) as a bool array; factorised first, so a million fills cost one hash pass."""
    codes, uniques = pd.factorize(sides)
    buy = np.array([str(u).upper() == "BUY" for u in uniques] + [False], dtype=bool)
    return buy[codes]  # code -1 (missing) picks the trailing False


@dataclass(frozen=True, slots=True)
class _Prepared:
    times: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    fee: np.ndarray
    is_buy: np.ndarray
    codes: np.ndarray
    names: pd.Index
    groups: list[np.ndarray]  # row numbers of each symbol's usable fills, oldest first


def _prepare(fills: pd.DataFrame) -> _Prepared:
    times = utc_nanos(fills["time"])
    price = fills["price"].to_numpy(dtype="float64")
    qty = fills["qty"].to_numpy(dtype="float64")
    fee = (
        np.nan_to_num(fills["commission_quote"].to_numpy(dtype="float64"), nan=0.0)
        if "commission_quote" in fills.columns
        else np.zeros(len(fills))
    )
    is_buy = is_buy_side(fills["side"])
    codes, names = pd.factorize(fills["symbol"])
    usable = np.flatnonzero((qty > 0) & np.isfinite(price) & np.isfinite(qty) & (codes >= 0))
    # Group by symbol, oldest first inside each group; ties keep journal order (stable sorts). The journal's
    # frame is already in time order: one stable sort by symbol is then enough.
    if np.all(np.diff(times[usable]) >= 0):
        order = usable[np.argsort(codes[usable], kind="stable")]
    else:
        order = usable[np.lexsort((times[usable], codes[usable]))]
    groups = [g for g in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if g.size and is_buy[g].any()]
    return _Prepared(times, price, qty, fee, is_buy, codes, pd.Index(names), groups)


def _trips(p: _Prepared) -> pd.DataFrame:
    times, price, qty, fee, codes, names = p.times, p.price, p.qty, p.fee, p.codes, p.names
    parts = [_match_symbol(g, times, price, qty, fee, p.is_buy) for g in p.groups]
    parts = [part for part in parts if part[0].size]
    if not parts:
        return _empty_trips()
    sells, matched, cost, entry_fee, opened = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    by_close = np.lexsort((sells, times[sells]))
    sells, matched, cost, entry_fee, opened = (a[by_close] for a in (sells, matched, cost, entry_fee, opened))

    exit_price = price[sells]
    exit_fee = fee[sells] * matched / qty[sells]
    pnl = matched * exit_price - cost - entry_fee - exit_fee
    opened_at = pd.to_datetime(opened, unit="ns", utc=True)
    closed_at = pd.to_datetime(times[sells], unit="ns", utc=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return_pct = np.where(cost > 0, pnl / cost * 100.0, np.nan)
    return pd.DataFrame(
        {
            "symbol": pd.Series(np.asarray(names, dtype=object)[codes[sells]], dtype=object),
            "open_time": opened_at,
            "close_time": closed_at,
            "qty": matched,
            "entry_price": cost / matched,
            "exit_price": exit_price,
            "entry_fee": entry_fee,
            "exit_fee": exit_fee,
            "pnl": pnl,
            "return_pct": return_pct,
            "holding_time": closed_at - opened_at,
        }
    )


def _match_symbol(
    rows: np.ndarray, times: np.ndarray, price: np.ndarray, qty: np.ndarray, fee: np.ndarray, is_buy: np.ndarray
) -> tuple[np.ndarray, ...]:
    """FIFO matching of one symbol's fills (``rows`` in time order), without a Python loop.

    The position held follows held_t = max(0, held_t-1 + delta_t): a random walk reflected at zero,
    whose closed form is S_t - min(0, min_s<=t S_s) with S the running sum of signed quantities.
    Each sell closes what the held position fell by, and FIFO means it consumes the next stretch of
    the cumulative-bought axis; the cost of any stretch is a difference of the piecewise-linear
    cumulative cost curve (np.interp), whose slope inside a lot is that lot's price.
    """
    buy, _, matched, tol = _fifo(rows, qty, is_buy)
    consumed_to = np.cumsum(matched)
    consumed_from = consumed_to - matched
    closing = ~buy & (matched > tol)

    lots = rows[buy]
    bought, spent = _lot_axes(lots, price, qty)
    fees = np.concatenate(([0.0], np.cumsum(fee[lots])))
    lo, hi = consumed_from[closing], consumed_to[closing]
    cost = np.interp(hi, bought, spent) - np.interp(lo, bought, spent)
    entry_fee = np.interp(hi, bought, fees) - np.interp(lo, bought, fees)
    # The oldest lot touched: the one containing lo, nudged past lots left with only float residue.
    first = np.searchsorted(bought, lo + _REL_EPS * matched[closing], side="right") - 1
    opened = times[lots][np.clip(first, 0, lots.size - 1)]
    return rows[closing], matched[closing], cost, entry_fee, opened


def _fifo(rows: np.ndarray, qty: np.ndarray, is_buy: np.ndarray) -> tuple[np.ndarray, ...]:
    """(is buy, quantity, quantity each sell closed, float tolerance) of one symbol's fills in time order."""
    buy = is_buy[rows]
    q = qty[rows]
    walk = np.cumsum(np.where(buy, q, -q))
    held = walk - np.minimum(0.0, np.minimum.accumulate(walk))
    fell = np.concatenate(([0.0], held[:-1])) - held
    matched = np.where(buy, 0.0, np.clip(fell, 0.0, q))
    # Float residue of a running sum is not a trade: ignore matches below a relative epsilon.
    tol = _REL_EPS * q + 64 * np.finfo("float64").eps * np.abs(walk).max(initial=0.0)
    return buy, q, matched, tol


def _lot_axes(lots: np.ndarray, price: np.ndarray, qty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative quantity bought and cumulative cost (fees not included) at each lot boundary, from 0."""
    bought = np.concatenate(([0.0], np.cumsum(qty[lots])))
    spent = np.concatenate(([0.0], np.cumsum(price[lots] * qty[lots])))
    return bought, spent


OPEN_COLUMNS = ("symbol", "qty", "avg_entry", "open_time")


def open_lots(fills: pd.DataFrame | None) -> pd.DataFrame:
    """What the journal's fills still hold per symbol and its **average entry price** (CRBOT's one definition).

    Average entry = Σ price × qty / Σ qty over the BUY lots not yet closed by a later SELL (FIFO, the same
    matching as ``round_trips``), **fees not included**: fees are P&L, never folded into the price.
    Positions & orders, the CLI (``positions``), the API and the Performance page all read it from here.
    Columns: symbol, qty (bought quantity still open, before any fee paid in the base asset), avg_entry,
    open_time (oldest open lot). Symbols with nothing open are absent.
    """
    columns = {name: pd.Series(dtype="float64") for name in OPEN_COLUMNS}
    if fills is None or len(fills) == 0:
        return pd.DataFrame(columns).astype({"symbol": object, "open_time": "datetime64[ns, UTC]"})
    require_columns(fills, ("time", "symbol", "side", "price", "qty"), "fills")
    return _open(_prepare(fills))


def _open(p: _Prepared) -> pd.DataFrame:
    rows_out: list[tuple[str, float, float, int]] = []
    for group in p.groups:
        buy, _, matched, _ = _fifo(group, p.qty, p.is_buy)
        lots = group[buy]
        bought, spent = _lot_axes(lots, p.price, p.qty)
        consumed = float(matched.sum())
        held = bought[-1] - consumed
        if held <= _REL_EPS * bought[-1]:
            continue
        cost = spent[-1] - float(np.interp(consumed, bought, spent))
        first = np.searchsorted(bought, consumed + _REL_EPS * held, side="right") - 1
        when = int(p.times[lots][min(first, lots.size - 1)])
        rows_out.append((str(p.names[p.codes[group[0]]]), held, cost / held, when))
    if not rows_out:
        return open_lots(None)
    symbol, held_qty, avg, opened = zip(*rows_out, strict=True)
    return pd.DataFrame(
        {
            "symbol": pd.Series(symbol, dtype=object),
            "qty": np.asarray(held_qty, dtype="float64"),
            "avg_entry": np.asarray(avg, dtype="float64"),
            "open_time": pd.to_datetime(np.asarray(opened, dtype="int64"), unit="ns", utc=True),
        }
    )


def holding_times(trips: pd.DataFrame) -> pd.Series:
    """How long each round trip was held: close time − open time of its oldest lot (a Timedelta Series)."""
    return trips["holding_time"] if len(trips) else pd.Series(dtype="timedelta64[ns]", name="holding_time")


def duration_summary(trips: pd.DataFrame) -> dict[str, pd.Timedelta | None]:
    """Shortest, median, mean and longest holding time of the round trips; all None without trades."""
    held = holding_times(trips).dropna()
    if held.empty:
        return dict.fromkeys(("min", "median", "mean", "max"))
    return {"min": held.min(), "median": held.median(), "mean": held.mean(), "max": held.max()}


def profit_by_period(trips: pd.DataFrame, freq: str = "D") -> pd.Series:
    """Realised P&L summed by the UTC period in which each round trip closed ("D", "W", "M" or "Y").

    Periods without a closed trip are absent (not zero): nothing was realised there. Weeks start on Monday.
    """
    if len(trips) == 0:
        return pd.Series(dtype="float64", name="pnl")
    alias = {"D": "D", "W": "W-SUN", "M": "M", "Y": "Y"}.get(freq.upper())  # W-SUN: weeks end on Sunday
    if alias is None:
        raise ValueError(f"freq must be one of D, W, M, Y, not {freq!r}")
    closed = pd.DatetimeIndex(trips["close_time"]).tz_convert("UTC").tz_localize(None)
    pnl = pd.Series(trips["pnl"].to_numpy(dtype="float64"), index=closed.to_period(alias), name="pnl")
    return pnl.groupby(level=0).sum()


def _empty_trips() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="float64") for name in TRIP_COLUMNS})
    frame["symbol"] = pd.Series(dtype=object)
    frame["open_time"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["close_time"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["holding_time"] = pd.Series(dtype="timedelta64[ns]")
    return frame
