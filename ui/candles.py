"""The ticket's candlestick figure: the symbol's candles, the order being typed (limit, stop-loss, take-profit)
and the symbol's open orders as horizontal lines. Pure: values in, plotly figure out (no Streamlit calls).

Times arrive in UTC and are drawn as wall-clock times of the browser's zone (plotly.js ignores offsets), the
axis naming the zone. Lines far from the market would squash the candles: a line more than ``SPAN`` away from
the last price is listed as a note at the chart's edge instead of stretching the axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal

import plotly.graph_objects as go

from crbot.domain import Bar

BUY_GREEN, SELL_RED = "#26a69a", "#ef5350"  # readable on light and dark backgrounds
LINE_COLOURS = {"limit": "#42a5f5", "stop": SELL_RED, "tp": BUY_GREEN, "order": "#9e9e9e"}
SPAN = Decimal("0.15")  # lines within 15 % of the last price widen the axis; further ones become notes


@dataclass(frozen=True, slots=True, kw_only=True)
class Level:
    """One horizontal line: ``kind`` is limit | stop | tp | order."""

    price: Decimal
    label: str
    kind: str


def candle_figure(
    bars: Sequence[Bar], levels: Sequence[Level], *, zone: tzinfo, zone_label: str, tick_format: str, height: int = 340
) -> go.Figure:
    """Candles with the order's lines; an empty ``bars`` gives an empty frame with the lines alone."""
    times = [b.open_time.astimezone(zone).replace(tzinfo=None) for b in bars]
    fig = go.Figure(
        go.Candlestick(
            x=times,
            open=[float(b.open) for b in bars],
            high=[float(b.high) for b in bars],
            low=[float(b.low) for b in bars],
            close=[float(b.close) for b in bars],
            increasing={"line": {"color": BUY_GREEN}, "fillcolor": BUY_GREEN},
            decreasing={"line": {"color": SELL_RED}, "fillcolor": SELL_RED},
            name="price",
            showlegend=False,
        )
    )
    last = bars[-1].close if bars else None
    low = min((b.low for b in bars), default=None)
    high = max((b.high for b in bars), default=None)
    far: list[str] = []
    shapes: list[dict] = []
    notes: list[dict] = []
    for level in levels:  # built as plain dicts in one go: fig.add_hline validates each one (slow)
        if last is not None and abs(level.price - last) > last * SPAN:
            far.append(f"{level.label} (off chart)")
            continue
        low = level.price if low is None else min(low, level.price)
        high = level.price if high is None else max(high, level.price)
        colour, y = LINE_COLOURS[level.kind], float(level.price)
        dash = "dot" if level.kind == "order" else "dash"
        shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
                       "line": {"color": colour, "width": 1.4, "dash": dash}})  # fmt: skip
        notes.append({"text": level.label, "xref": "x domain", "x": 0, "xanchor": "left", "yref": "y", "y": y,
                      "yanchor": "bottom", "showarrow": False, "font": {"color": colour, "size": 11}})  # fmt: skip
    if far:
        notes.append({"text": "<br>".join(far), "xref": "paper", "yref": "paper", "x": 0, "y": 1, "showarrow": False,
                      "align": "left", "xanchor": "left", "yanchor": "top", "font": {"size": 11}})  # fmt: skip
    # "allow": plotly otherwise measures every tick label against the page (a forced layout of the whole ticket
    # per axis on each draw, ~40 ms in a Chromium profile); these labels sit inside the margins anyway.
    yaxis: dict = {"tickformat": tick_format, "side": "right", "title": None, "ticklabeloverflow": "allow"}
    if low is not None and high is not None:
        pad = (high - low) * Decimal("0.06") or high * Decimal("0.001")
        yaxis["range"] = [float(low - pad), float(high + pad)]
    xaxis: dict = {
        "rangeslider": {"visible": False},
        "title": {"text": f"Time ({zone_label})", "font": {"size": 11}},
        "ticklabeloverflow": "allow",
    }
    if len(times) > 1:  # empty room left of the first candle: the lines' labels sit there, not over the candles
        step = times[-1] - times[-2]
        xaxis["range"] = [times[0] - (times[-1] - times[0]) * 0.4, times[-1] + step]
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 8, "b": 0},
        xaxis=xaxis,
        yaxis=yaxis,
        showlegend=False,
        hovermode="x",
        shapes=shapes,
        annotations=notes,
    )
    return fig


def tick_format(tick: Decimal | None) -> str:
    """A d3 format showing the symbol's tick precision with thousands separators (",.2f" for 0.01)."""
    if tick is None or tick <= 0:
        return ",.8~f"
    digits = max(0, -tick.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f",.{digits}f"
