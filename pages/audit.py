"""Audit trail: every recorded action, who, when, from where, before and after; filters and CSV export."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from crbot.audit import KINDS, AuditEntry, to_csv, trail_all
from crbot.golive.journals import ModeJournals
from ui.fmt import local_time
from ui.runtime import get_runtime

DEFAULT_DAYS = 7


def render() -> None:
    rt = get_runtime()
    st.title("Audit trail")
    st.caption("Append-only: CRBOT never changes or deletes an entry, and the database refuses it.")
    today = rt.clock.now().date()
    left, mid, right = st.columns([2, 2, 3])
    picked = left.date_input(
        "From – to (UTC days)", value=(today - timedelta(days=DEFAULT_DAYS), today), key="audit_dates"
    )
    days = tuple(picked) if isinstance(picked, tuple | list) else (picked,)  # one day while the range is picked
    start = days[0] if days else None
    end = days[1] if len(days) > 1 else start
    actor = mid.text_input("Actor contains", key="audit_actor", placeholder="e.g. cli: or alice")
    kinds = right.multiselect("Kinds", KINDS, key="audit_kinds", placeholder="every kind")
    since = datetime.combine(start, time.min, tzinfo=UTC) if start else None
    until = datetime.combine(end, time.max, tzinfo=UTC) if end else None
    journals = ModeJournals(rt.settings, rt.clock, own=rt.journal)
    try:  # every mode's journal: the go-live lock and override are in the live one
        entries = trail_all(journals, since=since, until=until, actor=actor or None, kinds=kinds or None)
    finally:
        journals.close()
    st.markdown(f"**{len(entries)}** entries")
    if not entries:
        st.info("No audit event matches these filters.")
        return
    st.dataframe(_frame(entries), hide_index=True, width="stretch", key="audit_trail_table")
    st.download_button(
        "Export CSV",
        data=to_csv(entries),
        file_name=f"crbot-audit-{today:%Y%m%d}.csv",
        mime="text/csv",
        key="audit_csv",
        icon=":material/download:",
    )


def _frame(entries: list[AuditEntry]) -> pd.DataFrame:
    return pd.DataFrame(  # what happened first: on a phone the first columns are what shows
        {
            "Time": [local_time(e.time) for e in entries],
            "Action": [e.action for e in entries],
            "Who": [e.actor for e in entries],
            "Before": [e.before for e in entries],
            "After": [e.after for e in entries],
            "Detail": [e.detail for e in entries],
            "Reason": [e.reason for e in entries],
            "From": [e.origin for e in entries],
            "Kind": [e.kind for e in entries],
            "Journal": [e.journal for e in entries],
        }
    )
