"""Risk & controls: the limits editor (every change needs a reason), trading state controls, audit log."""

from __future__ import annotations

import streamlit as st

from crbot.domain import TradingState
from crbot.errors import CrbotError, InvalidInput
from crbot.risk import RiskLimits, label_of, limit_fields
from crbot.runtime import Runtime
from ui import stop
from ui.fmt import local_time
from ui.runtime import actor, get_runtime
from ui.tables import audit_table

SAVED = "risk_saved"


def render() -> None:
    rt = get_runtime()
    st.title("Risk & controls")
    limits_col, state_col = st.columns([3, 2], gap="large")
    with limits_col:
        _limits_editor(rt)
    with state_col:
        _state_controls(rt)
    st.subheader("Audit log")
    events = rt.service.audit_events(limit=500)
    if events:
        st.dataframe(audit_table(events), hide_index=True, width="stretch", key="audit_table")
    else:
        st.info("No audit events yet.")


def _limits_editor(rt: Runtime) -> None:
    st.subheader("Risk limits")
    message = st.session_state.pop(SAVED, None)
    if message:
        st.success(message)
    current = rt.service.risk_limits().to_strings()
    fields = limit_fields()
    with st.form("risk_limits_form", enter_to_submit=False):
        typed = {}
        for f in fields:
            label = f"{f.label} ({f.unit})" if f.unit else f.label
            typed[f.key] = st.text_input(label, value=current[f.key], help=f.help, key=f"limit_{f.key}")
        reason = st.text_input("Reason for the change (required, audited)", key="limit_reason")
        submitted = st.form_submit_button("Save limits", key="limit_save", type="primary")
    if not submitted:
        return
    changes = {k: v.strip() for k, v in typed.items() if v.strip() != current[k]}
    if not changes:
        st.info("Nothing changed.")
        return
    try:
        if not reason.strip():
            raise InvalidInput("a reason is required to change risk limits", hint="say why, for the audit log")
        limits = RiskLimits.from_strings({**current, **changes})  # validated again by the value itself
        rt.service.save_risk_limits(limits, actor=actor(rt), reason=reason.strip())
    except CrbotError as err:
        st.error(str(err))
        return
    st.session_state[SAVED] = f"Saved: {', '.join(f'{label_of(k)} = {v}' for k, v in changes.items())}."
    st.rerun()


def _state_controls(rt: Runtime) -> None:
    st.subheader("Trading state")
    record = rt.service.trading_state()
    show = {TradingState.ACTIVE: st.success, TradingState.REDUCING: st.warning, TradingState.HALTED: st.error}
    detail = f" since {local_time(record.since)} by {record.actor}: {record.reason}" if record.since else ""
    show[record.state](f"**{record.state.value}**{detail}")
    st.caption(
        "ACTIVE: normal. REDUCING: only orders that shrink a position. HALTED: no new orders "
        "(cancels always work). STOP (sidebar) halts and cancels everything."
    )
    if record.state is TradingState.ACTIVE:
        with st.form("reducing_form", enter_to_submit=False):
            reason = st.text_input("Reason", key="reducing_reason", placeholder="e.g. taking profits, no new risk")
            go = st.form_submit_button("Switch to REDUCING (exits only)", key="reducing_submit")
        if go:
            try:
                if not reason.strip():
                    raise InvalidInput(
                        "a reason is required to change the trading state", hint="say why, for the audit log"
                    )
                rt.service.set_reducing(actor=actor(rt), reason=reason.strip())
            except CrbotError as err:
                st.error(str(err))
            else:
                st.rerun()
    else:
        stop.resume_form(rt, record.state.value, key="risk_resume")


if __name__ == "__main__":
    st.switch_page("app.py")
