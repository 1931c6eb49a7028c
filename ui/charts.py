"""Plotly figures for long series: downsampled before they are shipped (the browser gets the whole JSON)."""

from __future__ import annotations

import numpy as np
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
        yaxis_tickformat=",.2f",  # 9,999.60, never plotly's SI "9.9996k"
    )
    return fig


def equity_figure(equity: pd.DataFrame) -> go.Figure:
    """Equity frame (time, equity) as a line."""
    return line(equity, x="time", y="equity", name="Equity (USDT)", colour="#4e8cff")


def drawdown_figure(drawdown: pd.DataFrame, column: str = "drawdown_pct") -> go.Figure:
    """Drawdown below the running peak, filled down from zero."""
    return line(drawdown, x="time", y=column, name="Drawdown (%)", colour="#e53935", fill=True)


GREEN, RED, BLUE, GREY = "#2e7d32", "#e53935", "#4e8cff", "#9e9e9e"


def _card(fig: go.Figure, *, height: int = 300, x_title: str = "", y_title: str = "") -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        xaxis_title=x_title or None,
        yaxis_title=y_title or None,
    )
    return fig


def underwater_figure(drawdown: pd.DataFrame, column: str = "drawdown_pct") -> go.Figure:
    """The underwater chart: % below the running peak at every point (0 at a new high), filled to zero."""
    return drawdown_figure(drawdown, column)


def histogram_figure(
    values: pd.Series, *, x_title: str, colour: str = BLUE, bins: int = 40, marker: float | None = None
) -> go.Figure:
    """A histogram binned here (numpy), so the browser gets ``bins`` bars, not every value."""
    data = values.dropna().to_numpy(dtype="float64")
    counts, edges = np.histogram(data, bins=bins) if data.size else (np.array([]), np.array([0.0]))
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(
        go.Bar(
            x=centres,
            y=counts,
            width=np.diff(edges) if data.size else None,
            marker_color=colour,
            hovertemplate="%{x:.3g}: %{y} <extra></extra>",
        )
    )
    if marker is not None:
        fig.add_vline(x=marker, line_dash="dot", line_color=GREY)
    return _card(fig, x_title=x_title, y_title="count")


def monthly_heatmap_figure(table: pd.DataFrame) -> go.Figure:
    """Year × month returns (fractions) as a red/green heat map in %, each cell labelled."""
    z = table.to_numpy(dtype="float64") * 100.0
    text = [["" if np.isnan(v) else f"{v:+.1f}%" for v in row] for row in z]
    bound = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[MONTHS[m - 1] for m in table.columns],
            y=[str(y) for y in table.index],
            text=text,
            texttemplate="%{text}",
            colorscale=[[0.0, RED], [0.5, "#f5f5f5"], [1.0, GREEN]],
            zmin=-bound,
            zmax=bound,
            hovertemplate="%{y} %{x}: %{z:.2f} %<extra></extra>",
            showscale=False,
        )
    )
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(type="category")
    return _card(fig, height=max(140, 60 + 40 * len(table)))


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rolling_sharpe_figure(rolling: pd.DataFrame, target: float = 1.0) -> go.Figure:
    """Rolling Sharpe (time, sharpe) with the target as a dotted line."""
    fig = line(rolling, x="time", y="sharpe", name="Rolling 30-day Sharpe", colour="#7e57c2")
    fig.add_hline(
        y=target,
        line_dash="dot",
        line_color=GREEN,
        annotation_text=f"target {target:g}",
        annotation_position="top left",
    )
    fig.add_hline(y=0, line_color=GREY, line_width=1)
    return _card(fig, y_title="Sharpe (30 d)")


def symbol_bar_figure(by_symbol: pd.Series, top: int = 20) -> go.Figure:
    """Realised P&L per symbol, green for a profit, red for a loss (the ``top`` largest by size)."""
    shown = by_symbol.reindex(by_symbol.abs().sort_values(ascending=False).index[:top]).sort_values()
    fig = go.Figure(
        go.Bar(
            x=shown.to_numpy(),
            y=shown.index.astype(str),
            orientation="h",
            marker_color=[GREEN if v >= 0 else RED for v in shown.to_numpy()],
            hovertemplate="%{y}: %{x:,.2f} USDT<extra></extra>",
        )
    )
    fig.update_yaxes(type="category")
    fig.update_xaxes(tickformat=",.2f")  # USDT to the cent, not SI ("1.2k")
    return _card(fig, height=max(160, 60 + 28 * len(shown)), x_title="P&L (USDT)")
