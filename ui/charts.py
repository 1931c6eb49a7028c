"""Plotly figures for long series: downsampled before they are shipped (the browser gets the whole JSON)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

MAX_POINTS = 2000


def downsample(frame: pd.DataFrame, column: str, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most ~``max_points`` rows, keeping each bucket's min and max so spikes and drawdowns survive."""
    if len(frame) <= max_points:
        return frame
    buckets = max_points // 2
    bucket = pd.Series(range(len(frame)), index=frame.index) * buckets // len(frame)
    values = frame[column].to_numpy()
    keep = set()
    grouped = pd.Series(values, index=frame.index).groupby(bucket.to_numpy())
    keep.update(grouped.idxmin().dropna().tolist())
    keep.update(grouped.idxmax().dropna().tolist())
    keep.update([frame.index[0], frame.index[-1]])
    return frame.loc[sorted(keep)]


def line(frame: pd.DataFrame, *, x: str, y: str, name: str, colour: str, fill: bool = False) -> go.Figure:
    """One downsampled WebGL line (``scattergl``), sized for a dashboard card."""
    data = downsample(frame.reset_index(drop=True), y)
    fig = go.Figure(
        go.Scattergl(
            x=data[x],
            y=data[y],
            mode="lines",
            name=name,
            line={"color": colour, "width": 1.6},
            fill="tozeroy" if fill else None,
        )
    )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        hovermode="x unified",
        yaxis_title=name,
    )
    return fig


def equity_figure(equity: pd.DataFrame) -> go.Figure:
    """Equity frame (time, equity) as a line."""
    return line(equity, x="time", y="equity", name="Equity (USDT)", colour="#4e8cff")


def drawdown_figure(drawdown: pd.DataFrame, column: str = "drawdown_pct") -> go.Figure:
    """Drawdown below the running peak, filled down from zero."""
    return line(drawdown, x="time", y=column, name="Drawdown (%)", colour="#e53935", fill=True)
