"""Trading state latch, audit trail and risk limits: each change and its audit event in one transaction."""

from __future__ import annotations

import pytest

from crbot.clock import ManualClock
from crbot.domain import TradingState
from crbot.journal import Journal
from crbot.journal import control as control_module
from tests.journal.conftest import START


def test_default_state_is_active_and_never_set(journal: Journal) -> None:
    record = journal.trading_state()
    assert record.state is TradingState.ACTIVE and record.since is None
    assert journal.set_trading_state(TradingState.ACTIVE, actor="bob", reason="noop") is False
    assert journal.audit_events() == []


def test_state_latch_writes_one_audit_event_per_change(journal: Journal, clock: ManualClock) -> None:
    assert journal.set_trading_state(TradingState.HALTED, actor="alice", reason="STOP pressed") is True
    clock.advance(5)
    assert journal.set_trading_state(TradingState.HALTED, actor="alice", reason="pressed again") is False
    record = journal.trading_state()
    assert (record.state, record.since, record.actor, record.reason) == (
        TradingState.HALTED,
        START,
        "alice",
        "STOP pressed",
    )
    (event,) = journal.audit_events()
    assert (event.action, event.detail, event.actor, event.reason) == (
        "trading_state",
        "ACTIVE -> HALTED",
        "alice",
        "STOP pressed",
    )
    journal.set_trading_state(TradingState.REDUCING, actor="bob", reason="resume carefully")
    assert [e.detail for e in journal.audit_events()] == ["HALTED -> REDUCING", "ACTIVE -> HALTED"]


def test_state_survives_a_new_journal_on_the_same_file(db_url: str, clock: ManualClock) -> None:
    first = Journal(db_url, clock)
    first.set_trading_state(TradingState.HALTED, actor="alice", reason="daily loss")
    first.close()
    again = Journal(db_url, clock)
    assert again.trading_state().state is TradingState.HALTED
    assert again.audit_events()[0].reason == "daily loss"
    again.close()


def test_state_and_audit_are_one_transaction(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while writing the audit event")

    monkeypatch.setattr(control_module, "_add_audit", broken_audit)
    with pytest.raises(RuntimeError):
        journal.set_trading_state(TradingState.HALTED, actor="alice", reason="x")
    assert journal.trading_state().state is TradingState.ACTIVE  # rolled back with the audit event
    monkeypatch.undo()
    assert journal.set_trading_state(TradingState.HALTED, actor="alice", reason="x") is True


def test_audit_events_newest_first_with_limit(journal: Journal, clock: ManualClock) -> None:
    for i in range(5):
        journal.audit(actor="cli", action="order_denied", detail=f"#{i}", reason="limit")
        clock.advance(1)
    events = journal.audit_events(limit=3)
    assert [e.detail for e in events] == ["#4", "#3", "#2"]
    assert events[0].time == START.replace(second=4) and events[0].reason == "limit"


def test_risk_limits_save_with_an_audit_diff(journal: Journal) -> None:
    assert journal.risk_limits() == {}
    journal.save_risk_limits({"max_order_notional": "1000", "daily_loss": "200"}, actor="alice", reason="setup")
    journal.save_risk_limits({"max_order_notional": "500", "daily_loss": "200"}, actor="bob", reason="tighter")
    journal.save_risk_limits({"daily_loss": "200"}, actor="bob", reason="nothing changes")
    assert journal.risk_limits() == {"daily_loss": "200", "max_order_notional": "500"}
    events = [e for e in journal.audit_events() if e.action == "risk_limits"]
    assert [e.detail for e in events] == [
        "max_order_notional: 1000 -> 500",
        "daily_loss: (unset) -> 200; max_order_notional: (unset) -> 1000",
    ]
    assert (events[0].actor, events[0].reason) == ("bob", "tighter")


def test_risk_limits_and_audit_are_one_transaction(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    journal.save_risk_limits({"daily_loss": "200"}, actor="alice", reason="setup")

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(control_module, "_add_audit", broken_audit)
    with pytest.raises(RuntimeError):
        journal.save_risk_limits({"daily_loss": "900"}, actor="mallory", reason="x")
    assert journal.risk_limits() == {"daily_loss": "200"}


def test_pretrade_facts_read_state_limits_day_start_and_rate_together(journal: Journal, clock: ManualClock) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from crbot.domain import OrderSpec, OrderType, Side

    empty = journal.pretrade_facts(clock.now(), orders_since=clock.now() - timedelta(minutes=1))
    assert (empty.state.state, empty.limits, empty.day_start_equity, empty.orders_since) == (
        TradingState.ACTIVE, {}, None, 0,
    )  # fmt: skip
    journal.snapshot_equity(Decimal("1000"), at=clock.now())
    journal.save_risk_limits({"max_open_orders": "7"}, actor="t", reason="r")
    journal.set_trading_state(TradingState.REDUCING, actor="t", reason="r")
    spec = OrderSpec(client_order_id="a", symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT,
                     quantity=Decimal("1"), price=Decimal("1"))  # fmt: skip
    journal.record_intent([spec], list_client_id=None, source="t", mode="paper", expected_price=None, actor="t")
    clock.advance(120)
    spec2 = OrderSpec(client_order_id="b", symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT,
                      quantity=Decimal("1"), price=Decimal("1"))  # fmt: skip
    journal.record_intent([spec2], list_client_id=None, source="t", mode="paper", expected_price=None, actor="t")
    facts = journal.pretrade_facts(clock.now(), orders_since=clock.now() - timedelta(minutes=1))
    assert facts.state.state is TradingState.REDUCING
    assert facts.limits == {"max_open_orders": "7"}
    assert facts.day_start_equity == Decimal("1000")
    assert facts.orders_since == 1  # "a" is older than a minute
