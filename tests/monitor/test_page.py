# ruff: noqa: F811 - the dashboard fixtures imported below are what the tests take as arguments
"""AppTest of the Monitoring page against a real paper runtime (the one the dashboard caches)."""

from __future__ import annotations

from decimal import Decimal

from crbot.monitor.store import MonitorStore
from tests.app.conftest import app, crbot_home, page, runtime  # noqa: F401 - the dashboard's fixtures
from tests.monitor.helpers import order


def _table(at, column: str):
    """The dataframe that has ``column`` (AppTest finds dataframes by position, not key)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _all_text(at) -> str:
    parts = [
        str(e.value)
        for kind in ("markdown", "success", "error", "warning", "info", "caption")
        for e in getattr(at, kind)
    ]
    parts += [str(df.value.to_dict()) for df in at.dataframe]
    return "\n".join(parts)


def test_the_page_shows_every_figure_with_threshold_status_and_action(page, runtime):
    from ui.monitor_hook import monitor_for

    order(runtime.journal, "fast", latency_ms=120.0)
    monitor_for(runtime).cycle()  # what the sidebar's refresh runs every interval
    at = page("monitoring").run()
    assert not at.exception, [e.message for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert labels["Latency p95"] == "120.0 ms" and labels["Price feed age"].endswith(" s")
    checks = _table(at, "Check")
    rows = {r["Check"]: r for r in checks.to_dict("records")}
    assert rows["Daily loss"]["Action"] == "HALT trading" and rows["Daily loss"]["Status"] == "OK"
    assert rows["Latency p95"]["Threshold"] == "> 500 ms" and rows["Fill slippage"]["Action"] == "cut position size"
    beats = _table(at, "Process")
    assert any(p.startswith("dashboard:") for p in beats["Process"])
    assert "No `python -m crbot monitor` is running" in _all_text(at)


def test_a_breach_is_shown_red_with_its_action(page, runtime):
    from ui.monitor_hook import monitor_for

    runtime.journal.snapshot_equity(Decimal("10300"), at=runtime.clock.now().replace(hour=0, minute=0, second=0))
    monitor_for(runtime).cycle()
    rows = {r["Check"]: r for r in _table(page("monitoring").run(), "Check").to_dict("records")}
    assert rows["Daily loss"]["Status"] == "BREACH" and "loss 3" in rows["Daily loss"]["Detail"]
    errors = " ".join(str(e.value) for e in page("monitoring").run().error)
    assert "**Daily loss** breached (HALT trading): Daily loss: loss 3" in errors
    assert runtime.service.trading_state().state.value == "HALTED"


def test_targets_are_masked_and_the_test_alert_is_recorded(page, runtime, receiver, monkeypatch):
    monkeypatch.setenv("CRBOT_ALERT_URLS", receiver.url + "?token=EnvSecret")
    at = page("monitoring").run()
    at.text_input(key="mon_new_url").set_value(receiver.url + "?token=PageSecret")
    at.button(key="FormSubmitter:monitoring_add_target-Add target").click().run()
    assert not at.exception
    text = _all_text(at)
    assert f"json://127.0.0.1:{receiver.port}/…" in text
    assert "EnvSecret" not in text and "PageSecret" not in text
    at.button(key="mon_test_alert").click().run()
    assert [p["title"] for p in receiver.wait_for(2)] == ["CRBOT test alert"] * 2  # both targets
    assert "delivered" in " ".join(str(s.value) for s in at.success)
    assert MonitorStore(runtime.journal).last_alert("test") is not None
    assert "PageSecret" not in _all_text(at)


def test_the_dashboards_refresh_runs_the_monitor_cycle(app, runtime):
    at = app().run()
    assert not at.exception, [e.message for e in at.exception]
    store = MonitorStore(runtime.journal)
    lease = store.lease()
    assert lease is not None and lease.holder.startswith("dashboard:") and lease.last_cycle_at is not None
    assert store.checks()["daily_loss"].status == "ok"
    assert any(h.kind == "dashboard" for h in store.heartbeats())


def test_a_threshold_is_changed_with_a_reason_and_audited(page, runtime):
    at = page("monitoring").run()
    at.selectbox(key="mon_check").set_value("latency_p95_ms")
    at.text_input(key="mon_threshold").set_value("750")
    at.selectbox(key="mon_action").set_value("cut")
    at.button(key="FormSubmitter:monitoring_threshold-Save threshold").click().run()
    assert "a reason is required" in " ".join(str(e.value) for e in at.error)
    assert "threshold.latency_p95_ms" not in MonitorStore(runtime.journal).settings()
    at.text_input(key="mon_reason").set_value("exchange is slower from this host")
    at.button(key="FormSubmitter:monitoring_threshold-Save threshold").click().run()
    settings = MonitorStore(runtime.journal).settings()
    assert settings["threshold.latency_p95_ms"] == "750" and settings["action.latency_p95_ms"] == "cut"
    (event,) = [e for e in runtime.journal.audit_events() if e.action == "monitor_thresholds"]
    assert event.reason == "exchange is slower from this host" and "threshold.latency_p95_ms=750" in event.detail


def test_removing_a_target_is_confirmed(page, runtime, receiver):
    from crbot.monitor.alerts import save_urls

    store = MonitorStore(runtime.journal)
    save_urls(store, (receiver.url + "?token=X1",), actor="t", clock=runtime.clock)
    at = page("monitoring").run()
    at.button(key="mon_remove_0").click().run()
    assert "alert_urls" in store.settings() and store.settings()["alert_urls"]  # not yet
    assert "It is the last target" in " ".join(str(w.value) for w in at.warning)
    at.button(key="mon_remove_yes_0").click().run()
    assert store.settings()["alert_urls"] == ""
    assert not at.exception
