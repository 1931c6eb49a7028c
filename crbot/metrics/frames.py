"""Small helpers to read the journal's frames defensively (columns checked, time in UTC)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from crbot.errors import InvalidInput


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"the {name} frame lacks column(s): {', '.join(missing)}",
            hint="pass the frame from the journal (see docs/ARCHITECTURE.md for its columns)",
        )


def utc_index(times: pd.Series | pd.Index) -> pd.DatetimeIndex:
    """Times as a UTC DatetimeIndex; naive times are taken to be UTC already (the journal's convention)."""
    index = pd.DatetimeIndex(pd.to_datetime(times))
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def utc_nanos(times: pd.Series) -> np.ndarray:
    """Epoch nanoseconds (int64), whatever resolution pandas chose for the column."""
    return utc_index(times).as_unit("ns").asi8


def equity_series(equity: pd.DataFrame | None) -> pd.Series:
    """The equity curve as a float Series on a sorted UTC index, unknown points dropped."""
    if equity is None or len(equity) == 0:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC"), name="equity")
    require_columns(equity, ("time", "equity"), "equity")
    series = pd.Series(
        equity["equity"].to_numpy(dtype="float64"), index=utc_index(equity["time"]).as_unit("ns"), name="equity"
    )
    series = series[np.isfinite(series.to_numpy())]
    return series.sort_index(kind="stable")


def clean_curve(equity: pd.Series) -> pd.Series:
    """An equity Series (account value by time) as floats on a sorted UTC index, NaN/inf points dropped.

    A naive index is taken to be UTC (the journal's convention); ties keep their order.
    """
    if len(equity) == 0:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], tz="UTC"), name="equity")
    series = pd.Series(equity.to_numpy(dtype="float64"), index=utc_index(equity.index).as_unit("ns"), name="equity")
    return series[np.isfinite(series.to_numpy())].sort_index(kind="stable")


def finite_values(values: pd.Series) -> np.ndarray:
    """The finite values of a Series as float64 (NaN and inf are unknown, never zero)."""
    array = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64").to_numpy()
    return array[np.isfinite(array)]
