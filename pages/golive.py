"""Go-live: the checklist that gates live trading, its evidence, where each item is fixed; backups; lock; override."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crbot import backup
from crbot.domain import Mode
from crbot.errors import CrbotError
from crbot.golive.checklist import Checklist, evaluate
from crbot.golive.gate import OVERRIDE_SENTENCE, live_journal, lock_limits, record_override
from crbot.golive.journals import ModeJournals
from crbot.golive.settings import BackupSettings
from crbot.runtime import Runtime
from ui.fmt import local_time
from ui.runtime import actor, get_runtime

DONE = "golive_done"


def render() -> None:
    rt = get_runtime()
    st.title("Go-live checklist")
    message = st.session_state.pop(DONE, None)
    if message:
        st.success(message)
    journals = ModeJournals(rt.settings, rt.clock, own=rt.journal)
    try:
        equity = rt.service.equity if rt.settings.mode is Mode.LIVE else None
        checklist = evaluate(rt.settings, rt.clock, journals=journals, live_equity=equity)
        _verdict(checklist)
        _items(checklist)
        _backups(rt)
        _actions(rt, journals, checklist)
    except CrbotError as err:
        st.error(f"The checklist could not be evaluated: {err}")
    finally:
        journals.close()


def _verdict(checklist: Checklist) -> None:
    passed = sum(i.ok for i in checklist.items)
    if checklist.ok:
        st.success(f"All {passed} items pass: live trading is allowed.", icon=":material/verified:")
    elif checklist.override is not None:
        o = checklist.override
        st.warning(
            f"{passed} of {len(checklist.items)} items pass. Live trading is allowed by the OVERRIDE of {o.actor}"
            f" until {local_time(o.until)} ({o.reason}).",
            icon=":material/warning:",
        )
    else:
        failing = ", ".join(i.title for i in checklist.failing)
        st.error(
            f"{passed} of {len(checklist.items)} items pass. Live trading is LOCKED: live orders are refused"
            f" until these pass: {failing}.",
            icon=":material/lock:",
        )


def _items(checklist: Checklist) -> None:
    for item in checklist.items:
        with st.container(border=True, key=f"golive_item_{item.key}"):
            mark = ":green[:material/check_circle: PASS]" if item.ok else ":red[:material/cancel: FAIL]"
            st.markdown(f"**{mark} · {item.title}**")
            st.markdown(f"Evidence: {item.evidence}")
            if not item.ok:
                where = f" (page: {item.page})" if item.page else ""
                st.caption(f"Fix: {item.fix}{where}")


def _backups(rt: Runtime) -> None:
    st.subheader("Backups")
    conf = BackupSettings.load(rt.settings)
    rows = backup.list_backups(conf)
    if rows:
        st.dataframe(
            pd.DataFrame(
                {
                    "Backup": [b.name for b in rows],
                    "Taken": [local_time(b.created_at) for b in rows],
                    "Files": [", ".join(f.name for f in b.files) for b in rows],
                    "Rows": [b.rows for b in rows],
                    "Restore verified": [
                        "yes" if b.verified_ok else ("FAILED" if b.verified_ok is False else "no") for b in rows
                    ],
                    "S3": [b.s3 for b in rows],
                }
            ),
            hide_index=True,
            width="stretch",
            key="golive_backups",
        )
    else:
        st.info(f"No backup yet in {conf.folder}.")
    st.caption(
        f"Every {conf.every.total_seconds() / 3600:g} h while the dashboard runs, keeping {conf.keep};"
        " restore with `python -m crbot backup restore` (the journals in use are replaced only with --confirm)."
    )
    if st.button("Back up now", key="golive_backup_now", icon=":material/backup:"):
        with st.status("Backing up and verifying the restore…", expanded=False) as status:
            try:
                made = backup.create_backup(rt.settings, rt.clock, actor=actor(rt), conf=conf, journal=rt.journal)
            except CrbotError as err:
                status.update(label="Backup failed", state="error")
                st.error(f"Backup failed: {err}")
                return
            status.update(label="Backup done", state="complete")
        verdict = "restore verified" if made.verified_ok else f"verification FAILED: {'; '.join(made.problems)}"
        st.session_state[DONE] = f"Backup {made.name}: {made.rows} rows, {verdict}."
        st.rerun()


def _actions(rt: Runtime, journals: ModeJournals, checklist: Checklist) -> None:
    st.subheader("Lock the risk limits")
    with st.form("golive_lock", enter_to_submit=False):
        st.caption("Locks the live journal's saved limits as final; any change afterwards re-opens the item.")
        reason = st.text_input("Reason (required, audited)", key="golive_lock_reason")
        if st.form_submit_button("Lock limits", key="golive_lock_submit", icon=":material/lock:"):
            try:
                fingerprint = lock_limits(live_journal(journals), actor=actor(rt), reason=reason)
            except CrbotError as err:
                st.error(str(err))
            else:
                st.session_state[DONE] = f"Live risk limits locked ({fingerprint})."
                st.rerun()
    if rt.settings.mode in (Mode.TESTNET, Mode.DEMO):
        _drill(rt)
    if checklist.ok:
        return
    with st.expander("Override the checklist (dangerous)", icon=":material/warning:"):
        st.markdown(
            "Allows live orders although items fail, for a limited time. It is written to the audit trail with"
            f" your name and reason. Type this sentence exactly:\n\n> {OVERRIDE_SENTENCE}"
        )
        with st.form("golive_override", enter_to_submit=False):
            sentence = st.text_input("Confirmation sentence", key="golive_override_sentence")
            why = st.text_input("Reason (required, audited)", key="golive_override_reason")
            if st.form_submit_button("Record the override", key="golive_override_submit", type="primary"):
                try:
                    record_override(live_journal(journals), checklist, sentence=sentence, reason=why, actor=actor(rt))
                except CrbotError as err:
                    st.error(str(err))
                else:
                    st.session_state[DONE] = "Override recorded in the audit trail."
                    st.rerun()


def _drill(rt: Runtime) -> None:
    from crbot.golive.drill import run_drill

    st.subheader(f"Drill on {rt.settings.mode.value}")
    st.caption("Places a tiny LIMIT BUY 3 % under the market, queries it, cancels it, presses STOP and verifies flat.")
    confirm = st.checkbox("I understand this places and cancels an order on this account", key="golive_drill_ok")
    if st.button("Run the drill", key="golive_drill", disabled=not confirm):
        with st.status("Running the drill…") as status:
            try:
                report = run_drill(rt.service, actor=actor(rt))
            except CrbotError as err:
                status.update(label="Drill refused", state="error")
                st.error(str(err))
                return
            status.update(
                label="Drill done" if report.ok else "Drill FAILED", state="complete" if report.ok else "error"
            )
        st.session_state[DONE] = f"Drill {'OK' if report.ok else 'FAILED'}: {report.detail}"
        st.rerun()
