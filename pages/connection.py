"""Connection: where orders go and how healthy the link is (endpoint, ping, clock offset, weight, key audit)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import make_url

from crbot.errors import CrbotError
from crbot.runtime import Runtime
from ui.runtime import get_runtime, start_up_problem


def render() -> None:
    rt = get_runtime()
    st.title("Connection")
    problem = start_up_problem(rt)  # the start-up reconcile's report is shown below
    if problem:
        st.error(f"CRBOT runs degraded: {problem}")
    st.button("Check again", key="connection_check", icon=":material/refresh:")
    try:
        info = rt.service.connection_info()
    except CrbotError as err:
        st.error(f"Connection check failed: {err}")
        return
    st.dataframe(
        [{"Item": key, "Value": value} for key, value in info.items()],
        hide_index=True,
        width="stretch",
        key="connection_table",
    )
    _reconciliation(rt)
    journal = make_url(rt.settings.database_url).render_as_string(hide_password=True)
    st.caption(f"Journal: {journal} · settings come from the environment / .env (see README); keys are never shown.")


def _reconciliation(rt: Runtime) -> None:
    """Journal vs exchange: every difference is shown with the action that fixes it, applied on demand."""
    st.subheader("Journal vs exchange")
    left, right = st.columns(2)
    if left.button("Compare now", key="reconcile_check", icon=":material/compare_arrows:"):
        _run(rt, apply=False)
    report = rt.service.last_reconcile
    pending = report is not None and not report.applied and bool(report.differences)
    if right.button("Apply these fixes to the journal", key="reconcile_apply", disabled=not pending):
        _run(rt, apply=True)
        report = rt.service.last_reconcile
    if report is None:
        st.caption("Not compared yet in this process.")
        return
    for error in report.errors:
        st.error(error)
    if report.clean:
        st.success("The journal agrees with the exchange.")
        return
    verb = "fixed" if report.applied else "found (nothing changed yet)"
    st.warning(f"{len(report.differences)} difference(s) {verb}.")
    st.dataframe(
        [
            {"Symbol": d.symbol, "Client order id": d.client_order_id, "Journal": d.journal,
             "Exchange": d.exchange, "Action": d.action.value}
            for d in report.differences
        ],
        hide_index=True,
        width="stretch",
        key="reconcile_table",
    )  # fmt: skip


def _run(rt: Runtime, *, apply: bool) -> None:
    try:
        with st.spinner("Comparing the journal with the exchange…"):
            rt.service.reconcile(apply=apply)
    except CrbotError as err:
        st.error(f"Reconciliation failed: {err}")


if __name__ == "__main__":
    st.switch_page("app.py")
