"""The audit trail: append-only in the database itself, every action kind read back with who/where/before/after."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DatabaseError

from crbot.audit import before_after, kind_of, origin_of, to_csv, trail
from crbot.cli import main
from crbot.domain import OrderRequest, OrderType, Side
from crbot.journal import Journal
from crbot.journal.models import AuditRow
from crbot.killswitch import RESUME_WORD
from crbot.risk import RiskLimits


def _journal_file(journal: Journal):
    return journal._db.url_path


def test_audit_rows_cannot_be_updated_or_deleted(runtime) -> None:
    journal = runtime.journal
    journal.audit(actor="cli:alice", action="order_cancel", detail="BTCUSDT x: NEW -> CANCELED")
    db = journal._db
    with pytest.raises(DatabaseError, match="append-only"), db.write() as session:
        session.execute(update(AuditRow).values(actor="mallory"))
    with pytest.raises(DatabaseError, match="append-only"), db.write() as session:
        session.execute(delete(AuditRow))
    raw = sqlite3.connect(_journal_file(journal))  # a hand-typed statement outside CRBOT is refused as well
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE audit_events SET detail = 'nothing happened'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM audit_events")
    finally:
        raw.close()
    events = journal.audit_events()
    assert [e.actor for e in events] == ["cli:alice"] and events[0].detail == "BTCUSDT x: NEW -> CANCELED"


def test_an_existing_journal_without_the_triggers_gets_them_on_open(tmp_path, clock) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    first = Journal(url, clock)
    first.audit(actor="cli:bob", action="risk_limits", detail="a: 1 -> 2")
    first.close()
    raw = sqlite3.connect(tmp_path / "old.db")
    raw.execute("DROP TRIGGER audit_events_no_update")
    raw.execute("DROP TRIGGER audit_events_no_delete")
    raw.commit()
    raw.execute("UPDATE audit_events SET detail = 'rewritten'")  # an older CRBOT's journal: nothing stopped it
    raw.commit()
    raw.close()
    Journal(url, clock).close()  # opening it again puts the triggers back
    raw = sqlite3.connect(tmp_path / "old.db")
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM audit_events")
    finally:
        raw.close()


def test_origin_kind_and_before_after_are_read_from_the_row() -> None:
    assert origin_of("cli:alice") == "cli"
    assert origin_of("alice (dashboard)") == "dashboard"
    assert origin_of("monitor:daily-loss") == "monitor"
    assert origin_of("bot:grid") == "bot"
    assert origin_of("crbot") == "crbot"
    assert kind_of("trading_state") == kind_of("stop_completed") == "trading_state"
    assert kind_of("order_cancel_all") == "order" and kind_of("golive_override") == "golive"
    assert kind_of("backup_restore") == "backup" and kind_of("login_failed") == "login"
    assert before_after("ACTIVE -> HALTED") == ("ACTIVE", "HALTED")
    assert before_after("a: 1 -> 2; b: 3 -> 4") == ("", "")  # several changes stay in the detail


def test_trail_shows_every_action_of_a_session_and_filters(runtime, service, clock) -> None:
    start = clock.now()
    service.save_risk_limits(
        RiskLimits.from_strings({**service.risk_limits().to_strings(), "max_open_orders": "7"}),
        actor="alice (dashboard)",
        reason="tighter",
    )
    last = runtime.broker.last_price("BTCUSDT")
    req = OrderRequest(
        symbol="BTCUSDT",
        side=Side.BUY,
        type=OrderType.LIMIT,
        quantity=Decimal("0.001"),
        price=(last * Decimal("0.97")).quantize(Decimal("0.01")),
    )
    clock.advance(1)
    placed = service.place(req, actor="cli:alice")
    clock.advance(1)
    service.cancel("BTCUSDT", placed.client_order_id, actor="cli:alice")
    clock.advance(1)
    service.stop(reason="drill", actor="alice (dashboard)")
    clock.advance(1)
    service.resume(confirmation=RESUME_WORD, actor="cli:alice", reason="done")

    entries = trail(runtime.journal)
    actions = [e.action for e in entries]
    for expected in ("risk_limits", "order_place", "order_cancel", "trading_state", "stop_completed"):
        assert expected in actions, actions
    assert entries == sorted(entries, key=lambda e: e.time, reverse=True)
    resumed = next(e for e in entries if e.action == "trading_state" and e.after == "ACTIVE")
    assert (resumed.before, resumed.origin, resumed.reason) == ("HALTED", "cli", "done")
    limits = next(e for e in entries if e.action == "risk_limits")
    assert "max_open_orders" in limits.detail and limits.origin == "dashboard" and limits.kind == "risk_limits"
    cancel = next(e for e in entries if e.action == "order_cancel")
    assert (cancel.before.endswith("NEW"), cancel.after) == (True, "CANCELED")
    place = next(e for e in entries if e.action == "order_place")
    assert placed.client_order_id in place.detail and place.actor == "cli:alice" and place.kind == "order"

    assert {e.kind for e in trail(runtime.journal, kinds={"order"})} == {"order"}
    assert all("dashboard" in e.actor for e in trail(runtime.journal, actor="DASHBOARD"))
    late = trail(runtime.journal, since=start + timedelta(seconds=3, milliseconds=500))
    assert [e.action for e in late] == ["trading_state"]  # only the resume is that late
    assert trail(runtime.journal, until=start - timedelta(seconds=1)) == []

    rows = list(csv.DictReader(io.StringIO(to_csv(entries))))
    assert len(rows) == len(entries) and rows[0]["action"] == entries[0].action
    assert set(rows[0]) >= {"time", "actor", "origin", "kind", "before", "after", "detail", "reason"}


def test_cli_audit_json_since_and_csv(tmp_path, monkeypatch, capsys) -> None:
    for name, value in {"CRBOT_HOME": str(tmp_path), "CRBOT_MODE": "paper", "CRBOT_ACTOR": "tester"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRBOT_DATABASE_URL", raising=False)
    from crbot.clock import SystemClock

    journal = Journal(f"sqlite:///{tmp_path / 'journal.db'}", SystemClock())
    journal.audit(actor="cli:tester", action="api_token_create", detail="ci scope=read")
    journal.set_trading_state("HALTED", actor="monitor:loss", reason="daily loss")
    journal.close()
    assert main(["audit", "--json", "--since", "1h"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["action"] for d in data] == ["trading_state", "api_token_create"]
    assert data[0]["origin"] == "monitor" and data[0]["after"] == "HALTED"
    assert main(["audit", "--kind", "api", "--csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("time,journal,actor") and len(out) == 2 and "api_token_create" in out[1]
    assert main(["audit", "--since", "yesterday-ish"]) == 2
    assert "is not a time" in capsys.readouterr().err
