"""Bulk reads into pandas: one SQL query on the raw DBAPI cursor, then vectorised column conversions.

No ORM objects and no per-row Python: SQL casts the TEXT (SQLite) or NUMERIC (PostgreSQL) decimals to
floating point (floats are fine in metrics, never in the order path), so the columns arrive typed and
pandas only fixes NULLs and times (epoch microseconds on SQLite, timestamptz on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

if TYPE_CHECKING:
    import pandas as pd

TIME_DTYPE = "datetime64[ns, UTC]"


def as_double(column: str) -> str:
    """SQL for a TEXT decimal read as a double (DOUBLE PRECISION: REAL on SQLite, float8 on PostgreSQL)."""
    return f"CAST({column} AS DOUBLE PRECISION)"


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows straight from the driver's cursor: no SQLAlchemy row objects or type processing."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params)) if params else cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def to_frame(
    rows: list[tuple[Any, ...]],
    columns: Sequence[str],
    *,
    times: Iterable[str] = (),
    floats: Iterable[str] = (),
    ints: Iterable[str] = (),
    nullable_ints: Iterable[str] = (),
    bools: Iterable[str] = (),
    strs: Iterable[str] = (),
) -> pd.DataFrame:
    """Rows -> typed frame (same columns and dtypes when ``rows`` is empty)."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns))
    for name in times:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):  # PostgreSQL's timestamptz: aware datetimes
            frame[name] = frame[name].dt.tz_convert("UTC").astype(TIME_DTYPE)
        else:  # SQLite: integer epoch microseconds
            frame[name] = pd.to_datetime(frame[name].to_numpy(dtype=np.int64), unit="us", utc=True).astype(TIME_DTYPE)
    for name in floats:
        frame[name] = frame[name].astype("float64")  # None -> NaN
    for name in ints:
        frame[name] = frame[name].astype("int64")
    for name in nullable_ints:
        frame[name] = frame[name].astype("Int64")
    for name in bools:
        frame[name] = frame[name].astype(bool)
    for name in strs:
        frame[name] = frame[name].fillna("").astype(str)
    return frame
