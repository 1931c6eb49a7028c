"""Monitoring: what the monitor judged (each figure, its threshold, status and action), who is alive (heartbeats),
where alerts go (masked) and what was delivered. Reads the monitor's journal rows; acts only through crbot.monitor."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from crbot.errors import CrbotError
from crbot.monitor.alerts import Alert, configured_urls, mask, parse_urls, save_urls
from crbot.monitor.cycle import ACTOR
from crbot.monitor.store import CheckState, MonitorStore
from crbot.monitor.thresholds import ACTIONS, DAILY_LOSS, SPEC_BY_NAME, SPECS, validate_rule
from crbot.runtime import Runtime
from ui.fmt import local_time
from ui.monitor_hook import monitor_for
from ui.runtime import actor, get_runtime

MONITOR_FRESH = timedelta(minutes=2)
REMOVING = "monitoring_removing_target"  # index of the target whose removal awaits confirmation
TILES = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "slippage_bps", "reject_rate_pct", "weight_pct",
         "error_streak", "feed_age_s")  # fmt: skip
STATUS = {"ok": "OK", "breach": "BREACH", "no_data": "no data"}
STATUS_MD = {"ok": ":green[**OK**]", "breach": ":red[**BREACH**]", "no_data": ":gray[no data]"}
ACTION_TEXT = {"warn": "warn", "cut": "cut position size", "halt": "HALT trading"}


def render() -> None:
    rt = get_runtime()
    store = MonitorStore(rt.journal)
    st.title("Monitoring")
    _live(rt, store)
    _thresholds(rt, store)
    _alerts(rt, store)


@st.fragment(run_every="5s")
def _live(rt: Runtime, store: MonitorStore) -> None:
    try:
        checks, lease, beats = store.checks(), store.lease(), store.heartbeats(since=rt.clock.now() - timedelta(days=1))
    except Exception as err:  # shown, never raised
        st.error(f"Cannot read the monitor's records: {type(err).__name__}")
        return
    now = rt.clock.now()
    daemon = [b for b in beats if b.kind == "monitor" and b.stopped_at is None and now - b.last_seen < MONITOR_FRESH]
    if daemon:
        st.success(
            f"`python -m crbot monitor` is running ({daemon[0].process_id}, seen {local_time(daemon[0].last_seen)})."
        )
    else:
        st.warning(
            "No `python -m crbot monitor` is running: the checks and kill triggers run only while a dashboard is "
            "open. Run the monitor as a service (README, Monitoring) to watch the account 24/7."
        )
    for check in (c for c in checks.values() if c.status == "breach"):  # first, where a phone shows it
        action = ACTION_TEXT.get(check.action, check.action)
        st.error(f"**{SPEC_BY_NAME[check.name].label}** breached ({action}): {check.detail}", icon=":material/warning:")
    if lease is not None:
        cycle = local_time(lease.last_cycle_at) if lease.last_cycle_at else "never"
        st.caption(f"Acting monitor: {lease.holder} · last cycle {cycle} · lease until {local_time(lease.expires_at)}")
    for row in (TILES[:4], TILES[4:]):  # row by row: a phone stacks them in reading order
        for col, name in zip(st.columns(4), row, strict=True):
            _tile(col, name, checks.get(name))
    st.subheader("Checks")
    st.dataframe(
        [_row(spec.name, checks.get(spec.name)) for spec in SPECS],
        hide_index=True,
        width="stretch",
        key="monitoring_checks",
    )
    st.subheader("Heartbeats")
    if not beats:
        st.info("No process has written a heartbeat in the last 24 hours.")
    else:
        st.dataframe(
            [
                {
                    "Process": b.process_id,
                    "Kind": b.kind,
                    "Last seen": local_time(b.last_seen),
                    "Age (s)": round((now - b.last_seen).total_seconds()),
                    "State": "stopped" if b.stopped_at else "running",
                    "Detail": b.detail,
                }
                for b in beats
            ],
            hide_index=True,
            width="stretch",
            key="monitoring_heartbeats",
        )


def _tile(col, name: str, check: CheckState | None) -> None:
    spec = SPEC_BY_NAME[name]
    places = 0 if spec.unit == "errors" else 1
    value = f"{float(check.value):,.{places}f} {spec.unit}" if check and check.value else "—"
    status = STATUS_MD.get(check.status, "—") if check else "—"
    limit = f"≤ {check.threshold} {spec.unit}" if check else ""
    col.metric(spec.label, value, help=spec.help, border=True)
    col.caption(f"{status} · {limit} · {ACTION_TEXT.get(check.action, '') if check else ''}")


def _row(name: str, check: CheckState | None) -> dict[str, str]:
    spec = SPEC_BY_NAME[name]
    if check is None:
        return {
            "Check": spec.label,
            "Status": "not evaluated yet",
            "Value": "—",
            "Threshold": "",
            "Action": "",
            "Detail": "",
        }
    return {
        "Check": spec.label,
        "Status": STATUS.get(check.status, check.status),
        "Value": f"{float(check.value):,.{0 if spec.unit == 'errors' else 2}f} {spec.unit}" if check.value else "—",
        "Threshold": f"{'≥' if name == DAILY_LOSS else '>'} {check.threshold} {spec.unit}",
        "Action": ACTION_TEXT.get(check.action, check.action),
        "Breached since": local_time(check.since) if check.since else "",
        "Detail": check.detail,
    }


def _thresholds(rt: Runtime, store: MonitorStore) -> None:
    with st.expander("Change a threshold or its action", icon=":material/tune:"):
        names = [s.name for s in SPECS]
        with st.form("monitoring_threshold", enter_to_submit=False):
            name = st.selectbox("Check", names, format_func=lambda n: SPEC_BY_NAME[n].label, key="mon_check")
            threshold = st.text_input(
                "Threshold", key="mon_threshold", help="The daily loss threshold is the Risk page's daily loss limit."
            )
            action = st.selectbox("Action when breached", ACTIONS, format_func=ACTION_TEXT.get, key="mon_action")
            reason = st.text_input("Reason (for the audit log)", key="mon_reason")
            if st.form_submit_button("Save threshold"):
                try:
                    if not reason.strip():
                        raise CrbotError("a reason is required", hint="say why, for the audit log")
                    values = validate_rule(name, threshold or str(SPEC_BY_NAME[name].threshold), action)
                    store.save_settings(values, actor=actor(rt), now=rt.clock.now())
                    rt.journal.audit(
                        actor=actor(rt),
                        action="monitor_thresholds",
                        detail="; ".join(f"{k}={v}" for k, v in values.items()),
                        reason=reason,
                    )
                    st.success(f"Saved: {SPEC_BY_NAME[name].label} → {ACTION_TEXT[action]}")
                except CrbotError as err:
                    st.error(str(err))


def _alerts(rt: Runtime, store: MonitorStore) -> None:
    st.subheader("Alerts")
    saved = [u for u in store.settings().get("alert_urls", "").split(",") if u]
    all_urls = configured_urls(store)
    from_env = [u for u in all_urls if u not in saved]
    if not all_urls:
        st.warning("No alert target: STOP, automatic kills and breaches are only logged. Add one below.")
    for url in from_env:
        st.markdown(f"- `{mask(url)}` · from CRBOT_ALERT_URLS")
    for i, url in enumerate(saved):
        left, right = st.columns([4, 1])
        left.markdown(f"- `{mask(url)}` · set here")
        if st.session_state.get(REMOVING) == i:  # confirmed in a second click: the last target silences alerts
            last = " It is the last target: alerts will only be logged." if len(all_urls) == 1 else ""
            st.warning(f"Remove `{mask(url)}`?{last}")
            yes, no = st.columns(2)
            if yes.button("Yes, remove", key=f"mon_remove_yes_{i}", type="primary"):
                save_urls(store, tuple(u for u in saved if u != url), actor=actor(rt), clock=rt.clock)
                st.session_state.pop(REMOVING, None)
                st.rerun()
            if no.button("Cancel", key=f"mon_remove_no_{i}"):
                st.session_state.pop(REMOVING, None)
                st.rerun()
        elif right.button("Remove", key=f"mon_remove_{i}", icon=":material/delete:"):
            st.session_state[REMOVING] = i
            st.rerun()
    with st.form("monitoring_add_target", enter_to_submit=False, clear_on_submit=True):
        new = st.text_input(
            "Add a target (apprise URL)",
            type="password",
            key="mon_new_url",
            help="tgram://BOT_TOKEN/CHAT_ID, slack://…, discord://WEBHOOK_ID/TOKEN, json://host:port/path. "
            "Stored in the journal; shown masked.",
        )
        if st.form_submit_button("Add target"):
            try:
                save_urls(store, tuple(dict.fromkeys([*saved, *parse_urls(new)])), actor=actor(rt), clock=rt.clock)
                st.rerun()
            except CrbotError as err:
                st.error(str(err))
    if st.button(
        "Send test alert", key="mon_test_alert", icon=":material/notifications_active:", disabled=not all_urls
    ):
        with st.spinner("Sending (a failing target is retried)…"):
            body = f"Test alert from the CRBOT dashboard ({rt.settings.mode.value} mode). Alerts reach this target."
            notifier = monitor_for(rt).notifier
            results = notifier.deliver_now(Alert(kind="test", title="CRBOT test alert", body=body, level="info"))
        for d in results:
            (st.success if d.ok else st.error)(f"{d.target}: {'delivered' if d.ok else 'FAILED: ' + d.error}")
    recent = store.alerts(20)
    if recent:
        st.dataframe(
            [
                {
                    "Time": local_time(a.time),
                    "Kind": a.kind,
                    "Title": a.title,
                    "Target": a.target,
                    "Delivered": "yes" if a.ok else "NO",
                    "Attempts": a.attempts,
                    "Error": a.error,
                }
                for a in recent
            ],
            hide_index=True,
            width="stretch",
            key="monitoring_alert_log",
        )
    st.caption(f"Automatic actions are audited as {ACTOR}; nothing re-arms by itself: resume is the operator's act.")


if __name__ == "__main__":
    st.switch_page("app.py")
