"""Alerts: targets are secrets (masked everywhere), a failing target is retried with backoff in the background,
and never delays STOP."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from crbot.domain import TradingState
from crbot.errors import InvalidInput
from crbot.monitor import alerts
from crbot.monitor.alerts import Alert, Notifier, configured_urls, mask, parse_urls, save_urls
from crbot.monitor.store import MonitorStore
from tests.monitor.conftest import make_monitor
from tests.monitor.helpers import day_start


def test_mask_keeps_no_token():
    assert mask("tgram://123456:ABCdefSECRET/98765") == "tgram://…"
    assert mask("json://user:pw@127.0.0.1:8080/hook?token=SECRET") == "json://127.0.0.1:8080/…"
    assert mask("slack://TokenA/TokenB/TokenC/#chan") == "slack://…"
    assert mask("not a url") == "?://…"


def test_parse_urls_refuses_an_unknown_scheme_without_quoting_it():
    assert parse_urls(" json://127.0.0.1:1/a ,\njson://127.0.0.1:1/a") == ("json://127.0.0.1:1/a",)
    with pytest.raises(InvalidInput) as err:
        parse_urls("bogus://SECRET@host/x")
    assert "SECRET" not in str(err.value) and "bogus://…" in str(err.value)


def test_targets_from_the_environment_and_the_journal(service, clock):
    store = MonitorStore(service.journal)
    save_urls(store, ("json://127.0.0.1:9/b?t=SECRET",), actor="ana", clock=clock)
    urls = configured_urls(store, {"CRBOT_ALERT_URLS": "json://127.0.0.1:9/a, "})
    assert urls == ("json://127.0.0.1:9/a", "json://127.0.0.1:9/b?t=SECRET")
    audit = [e for e in service.journal.audit_events() if e.action == "alert_targets"]
    assert audit and "SECRET" not in audit[0].detail and "json://127.0.0.1:9/…" in audit[0].detail


def test_a_failing_target_is_retried_and_does_not_delay_stop(service, clock, receiver, caplog):
    receiver.fail_first = 1  # the first attempt answers 500
    receiver.release.clear()  # and every request hangs until the test releases it
    waits: list[float] = []
    service.journal.snapshot_equity(Decimal("10500"), at=day_start(clock))
    monitor = make_monitor(service, (receiver.url + "?token=SECRET",), sleep=waits.append)

    report = monitor.cycle()  # halts while the alert is still stuck on the wire

    assert report.halted_now and service.trading_state().state is TradingState.HALTED
    assert receiver.arrived.wait(10) and receiver.posts == []
    receiver.release.set()
    posts = receiver.wait_for(1)
    assert posts[0]["title"] == "CRBOT HALTED automatically"
    assert monitor.notifier.flush(10)
    assert waits == [alerts.BACKOFF_S[0]]  # one backoff between the failed attempt and the good one
    (record,) = MonitorStore(service.journal).alerts()
    assert record.ok and record.attempts == 2 and record.target == f"json://127.0.0.1:{receiver.port}/…"
    assert "SECRET" not in caplog.text


def test_a_dead_target_gives_up_after_its_attempts_and_is_logged(service, clock, caplog):
    caplog.set_level(logging.WARNING)
    notifier = Notifier(
        store=MonitorStore(service.journal), clock=clock, urls=lambda: ("json://127.0.0.1:9/x",), sleep=lambda s: None
    )
    notifier.send(Alert(kind="breach", title="t", body="b"))
    assert notifier.flush(30)
    (record,) = MonitorStore(service.journal).alerts()
    assert not record.ok and record.attempts == alerts.ATTEMPTS
    assert "NOT delivered to json://127.0.0.1:9/…" in caplog.text


def test_send_never_blocks_even_when_the_queue_is_full(service, clock):
    notifier = Notifier(store=MonitorStore(service.journal), clock=clock, urls=lambda: ())
    for i in range(alerts.QUEUE_MAX + 50):
        notifier.send(Alert(kind="breach", title=f"t{i}", body="b"))  # the surplus is dropped and logged
    assert notifier.flush(30)


class _BannedBroker:
    """The paper broker, reporting a 418 ban as the Binance connector does (``banned_until``)."""

    def __init__(self, inner, until):
        self._inner, self.banned_until = inner, until

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_an_exchange_ban_is_alerted_once(service, clock, receiver):
    from datetime import timedelta

    monitor = make_monitor(service, (receiver.url,))
    service.broker = _BannedBroker(service.broker, clock.now() + timedelta(minutes=2))
    monitor.cycle()
    clock.advance(10)
    monitor.cycle()
    posts = receiver.wait_for(1)
    assert monitor.notifier.flush(10)
    assert [p["title"] for p in receiver.posts] == ["CRBOT: exchange IP ban"]
    assert "banned this IP until" in posts[0]["message"]
