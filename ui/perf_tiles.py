"""The Performance page's metric tiles: each figure with its target status.

Green when the guide's target is met, red when missed, amber while the sample is below its minimum
("not yet meaningful", n of N), grey with no data ("—") or no target (informational).
"""

from __future__ import annotations

import streamlit as st

from crbot import metrics

COLUMNS_PER_ROW = 4
STATUS_COLOUR = {"met": "green", "missed": "red", metrics.NOT_MEANINGFUL: "orange"}


def delta(m: metrics.Metric) -> str | None:
    """The line under a figure: its target and status, or how far it is from being judged."""
    parts = [f"target {m.target}"] if m.target else []
    if m.status == metrics.NOT_MEANINGFUL:
        parts.append(f"not yet meaningful ({m.sample:,} of {m.min_sample:,} {m.unit})")
    elif m.status in ("met", "missed"):
        parts.append(m.status)
    elif m.status == "no data" and m.target:
        parts.append("no data yet")
    return " · ".join(parts) or None


def tiles(items: list[metrics.Metric], *, basis_note: str = "") -> None:
    for start in range(0, len(items), COLUMNS_PER_ROW):
        row = st.columns(COLUMNS_PER_ROW)
        for col, m in zip(row, items[start : start + COLUMNS_PER_ROW], strict=False):
            col.metric(
                m.label,
                m.text,
                delta=delta(m),
                delta_color=STATUS_COLOUR.get(m.status, "gray"),
                delta_arrow="off",
                border=True,
                help=f"{m.definition}. Based on {m.sample:,} {m.unit}; definitions in docs/METRICS.md."
                if m.definition
                else None,
            )
    st.caption(
        "**Green** target met · **red** missed · **amber** not yet meaningful · **grey** no data or no target. "
        "— means undefined for the data so far (no trades, no losing trade, flat equity, one day). Figures "
        f"are judged only from {metrics.MIN_TRADES} round trips, {metrics.MIN_DAYS} daily returns, "
        f"{metrics.MIN_FILLS} fills with an expected price or {metrics.MIN_ORDERS} orders with a latency. "
        "Sharpe, Sortino, CAGR and Calmar use the close of each UTC day (the last equity point before "
        f"24:00 UTC), annualised over 365 days.{basis_note}"
    )
