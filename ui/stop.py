"""The big STOP: a button that opens a confirmation dialog, the report of what STOP did, and resume.

Dialog pattern (STREAMLIT_NOTES): the button only sets a session flag; while it is set the dialog is
opened; its confirm button's callback fixes what to do (reason, flatten) in ``RUNNING``; the dialog's
next run shows a progress status and runs ``service.stop`` inside it. The flags are cleared before the
call and the report is stored right after it with no Streamlit element in between (a rerun can only cut
in at the next element; STOP is idempotent anyway). The HALTED state itself lives in the database,
never in the session. The report is compact (a summary line, the order ids under "Details") so the
sidebar keeps Resume in view.
"""

from __future__ import annotations

import logging

import streamlit as st

from crbot.access.page import confirm_password, password_field
from crbot.errors import CrbotError
from crbot.runtime import Runtime
from ui.runtime import actor

logger = logging.getLogger(__name__)

OPEN = "stop_dialog_open"
ALL_WORD = "SELL ALL"  # typed to flatten every balance, not only what CRBOT bought
REPORT = "stop_report"
RUNNING = "stop_running"  # {"reason", "flatten", "everything"} fixed by Confirm, run by the dialog
STOP_CSS = """<style>
.st-key-stop button {min-height: 3.6rem; font-size: 1.5rem; font-weight: 800; letter-spacing: .12em;
  background: #c62828; border-color: #c62828; color: #fff;}
.st-key-stop button:hover {background: #b71c1c; border-color: #fff;}
</style>"""


def button() -> None:
    """The STOP button itself (key ``stop``); pressing it only opens the confirmation."""
    st.html(STOP_CSS)
    st.button(
        "STOP",
        key="stop",
        type="primary",
        icon=":material/dangerous:",
        width="stretch",
        help="Halt all trading, then cancel every open order on every symbol (asks for confirmation).",
        on_click=open_dialog,
    )


def open_dialog() -> None:
    st.session_state[OPEN] = True


def _close() -> None:
    st.session_state[OPEN] = False


def dialog_if_open(rt: Runtime) -> None:
    """Open the confirmation while the flag is set (one dialog per run: only this one is ever opened)."""
    if st.session_state.get(OPEN):
        _dialog(rt)


@st.dialog("STOP trading", width="medium", on_dismiss=_close)
def _dialog(rt: Runtime) -> None:
    if not st.session_state.get(OPEN):  # cancelled in this dialog's callback: close it
        st.rerun()
    params = st.session_state.get(RUNNING)
    if params is not None:
        _run(rt, params)
        st.rerun()
    st.markdown(
        "STOP latches **HALTED** for every dashboard tab, the CLI and bots, then cancels **every open order on "
        "every symbol** and checks with the exchange that nothing is left open. New orders stay blocked until "
        "someone types RESUME."
    )
    st.text_input("Reason (goes to the audit log)", key="stop_reason", placeholder="e.g. market gapping down")
    flatten = st.checkbox(
        "Also flatten CRBOT's positions (sell what CRBOT bought to USDT at market)",
        key="stop_flatten",
        help="Market sells cross the spread and pay taker fees. Coins CRBOT never bought are left alone.",
    )
    everything = False
    if flatten:
        everything = st.checkbox(
            "Sell EVERY coin on the account, not only CRBOT's (long-term holdings too)", key="stop_all_balances"
        )
        if everything:
            st.text_input(f"Type {ALL_WORD} to sell every balance", key="stop_all_word", placeholder=ALL_WORD)
    blocked = everything and (st.session_state.get("stop_all_word") or "").strip() != ALL_WORD
    left, right = st.columns(2)
    left.button(
        "Confirm STOP",
        key="stop_confirm",
        type="primary",
        width="stretch",
        on_click=_confirm,
        args=(rt,),
        disabled=blocked,
        help=f"Type {ALL_WORD} above to sell every balance, or untick that box" if blocked else None,
    )
    right.button("Cancel", key="stop_cancel", width="stretch", on_click=_close)


def _confirm(rt: Runtime) -> None:
    reason = (st.session_state.get("stop_reason") or "").strip() or "STOP pressed in the dashboard"
    flatten = bool(st.session_state.get("stop_flatten"))
    everything = flatten and bool(st.session_state.get("stop_all_balances"))
    if everything and (st.session_state.get("stop_all_word") or "").strip() != ALL_WORD:
        everything = False  # never sell the whole account on anything less than the typed word
    st.session_state[RUNNING] = {"reason": reason, "flatten": flatten, "everything": everything}


def _run(rt: Runtime, params: dict) -> None:
    """STOP inside a progress status; the report is stored before the next element is drawn."""
    try:
        count = len(rt.service.open_orders())
    except Exception:  # a count for the label only: never let it stand between the trader and STOP
        count = None
    orders = f"{count} open order(s)" if count is not None else "every open order"
    with st.status(f"STOP: halting, cancelling {orders}, verifying with the exchange…", expanded=True) as status:
        st.session_state.pop(RUNNING, None)
        st.session_state[OPEN] = False
        _stop(rt, params)
        status.update(label="STOP finished", state="complete")


def _stop(rt: Runtime, params: dict) -> None:
    flatten, everything = params["flatten"], params["everything"]
    try:
        report = rt.service.stop(reason=params["reason"], actor=actor(rt), flatten=flatten, all_balances=everything)
    except CrbotError as err:
        st.session_state[REPORT] = {"ok": False, "lines": [f"STOP failed: {err}"], "failed": True, "details": []}
        return
    except Exception as err:  # the kill switch must always say what happened, whatever broke
        logger.exception("STOP failed")
        st.session_state[REPORT] = {
            "ok": False,
            "failed": True,
            "details": [],
            "lines": [
                f"STOP failed: {type(err).__name__}: {err} — press STOP again; if it keeps failing, "
                "cancel the orders on the exchange directly."
            ],
        }
        return
    lines = [f"State: {report.state}" + (" (was already halted)" if report.already_halted else "")]
    lines.append(f"Canceled: {len(report.canceled)}")
    details = [f"Canceled: {c}" for c in report.canceled]
    if flatten:
        lines.append(f"Flattened: {len(report.flattened)}")
        details += [f"Flattened: {f}" for f in report.flattened] + [f"Kept: {k}" for k in report.kept]
    lines += [f"Error: {e}" for e in report.errors]
    if report.left_open:
        lines.append(f"STILL OPEN: {', '.join(report.left_open)} — press STOP again or cancel them on the exchange.")
    st.session_state[REPORT] = {"ok": report.ok, "lines": lines, "failed": False, "details": details}
    for key in ("stop_reason", "stop_flatten", "stop_all_balances", "stop_all_word"):
        st.session_state.pop(key, None)


def report() -> None:
    """What the last STOP did, until dismissed."""
    rep = st.session_state.get(REPORT)
    if not rep:
        return
    text = " · ".join(rep["lines"])  # one short paragraph: the sidebar must keep Resume in view
    if rep["ok"]:
        st.success(f"**STOP done, nothing left open.**  \n{text}", icon=":material/verified:")
    else:
        st.error(f"**STOP incomplete.**  \n{text}", icon=":material/error:")
    details, dismiss = st.columns([3, 2], vertical_alignment="top")
    if rep.get("details"):
        with details.expander(f"Details ({len(rep['details'])})"):
            st.markdown("  \n".join(f"`{d}`" for d in rep["details"]))
    dismiss.button("Dismiss", key="stop_report_dismiss", on_click=st.session_state.pop, args=(REPORT, None))


def resume_form(rt: Runtime, state: str, *, key: str = "resume") -> None:
    """Back to ACTIVE: an explicit act with the typed word RESUME and a reason (both audited)."""
    # compact (no border, short text, labels as placeholders): under STOP it must stay in view at 900 px
    with st.form(f"{key}_form", enter_to_submit=False, border=False):
        st.markdown(f"Trading is **{state}**: type **RESUME** to trade again.")
        word = st.text_input("Confirmation word", key=f"{key}_word", placeholder="RESUME", label_visibility="collapsed")
        reason = st.text_input(
            "Reason", key=f"{key}_reason", placeholder="Reason: why it is safe again", label_visibility="collapsed"
        )
        asks_password = password_field(rt.settings.home, f"{key}_password")  # only when one is set
        submitted = st.form_submit_button("Resume trading", key=f"{key}_submit", icon=":material/play_arrow:")
    if not submitted:
        return
    if asks_password:  # the password is asked again (and forgotten at once); STOP never asks for it
        problem = confirm_password(rt.settings.home, f"{key}_password", purpose="resume", journal=rt.journal)
        if problem:
            st.error(problem)
            return
    try:
        rt.service.resume(confirmation=word, actor=actor(rt), reason=reason.strip() or "resumed from the dashboard")
    except CrbotError as err:
        st.error(str(err))
        return
    st.session_state.pop(REPORT, None)
    st.rerun()
