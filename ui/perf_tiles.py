"""The Performance page's metric tiles: each figure with its target status.

Green when the guide's target is met, red when missed, amber while the sample is below its minimum
("not yet meaningful", n of N), grey with no data ("—") or no target (informational).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from crbot import metrics
from ui.fmt import duration

STATUS_COLOUR = {"met": "green", "missed": "red", metrics.NOT_MEANINGFUL: "orange"}


def delta(m: metrics.Metric) -> str | None:
    """The line under a figure: its target and status, or how far it is from being judged."""
    parts = [f"target {m.target}"] if m.target else []
    if m.status == metrics.NOT_MEANINGFUL:
        parts.append(f"not yet meaningful ({m.sample:,}/{m.min_sample:,})")  # short: it must fit a phone tile
    elif m.status in ("met", "missed"):
        parts.append(m.status)
    elif m.status == "no data" and m.target:
        parts.append("no data yet")
    return " · ".join(parts) or None


GROUPS = (
    ("Trades", ("trades", "net_pnl", "win_rate", "profit_factor", "expectancy", "expectancy_ratio", "sqn",
                "median_holding_h"), 4),
    ("Equity curve", ("max_drawdown", "sharpe", "sortino", "cagr", "calmar"), 5),
    ("Execution", ("slippage_bps", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"), 4),
)  # fmt: skip


def shown(m: metrics.Metric) -> str:
    """The tile's value; a holding time in hours reads as a duration ("1 m 17 s", not "0.0 h")."""
    if m.key.endswith("holding_h") and m.text != "—":
        return duration(float(m.value) * 3600) if m.value is not None else "—"
    return m.text


def _tile(col: DeltaGenerator, m: metrics.Metric) -> None:
    col.metric(
        m.label,
        shown(m),
        delta=delta(m),
        delta_color=STATUS_COLOUR.get(m.status, "gray"),
        delta_arrow="off",
        border=True,
        height="stretch",  # a row's tiles line up whether or not they carry a status line
        help=f"{m.definition}. Based on {m.sample:,} {m.unit}; definitions in docs/METRICS.md."
        if m.definition
        else None,
    )


def tiles(items: list[metrics.Metric], *, basis_note: str = "") -> None:
    """The figures in three groups (trades, equity curve, execution); a figure no group names goes last."""
    by_key = {m.key: m for m in items}
    placed = {key for _, keys, _ in GROUPS for key in keys}
    for index, (title, keys, per_row) in enumerate(GROUPS):
        group = [by_key[k] for k in keys if k in by_key]
        if index == len(GROUPS) - 1:
            group += [m for m in items if m.key not in placed]
        if not group:
            continue
        st.markdown(f"**{title}**")
        for start in range(0, len(group), per_row):
            row = st.columns(per_row)
            for col, m in zip(row, group[start : start + per_row], strict=False):
                _tile(col, m)
    st.caption(
        "**Green** target met · **red** missed · **amber** not yet meaningful · **grey** no data or no target. "
        "— means undefined for the data so far (no trades, no losing trade, flat equity, one day). Figures "
        f"are judged only from {metrics.MIN_TRADES} round trips, {metrics.MIN_DAYS} daily returns, "
        f"{metrics.MIN_FILLS} fills with an expected price or {metrics.MIN_ORDERS} orders with a latency. "
        "Sharpe, Sortino, CAGR and Calmar use the close of each UTC day (the last equity point before "
        f"24:00 UTC), annualised over 365 days.{basis_note}"
    )
