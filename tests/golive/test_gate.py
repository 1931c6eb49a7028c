"""Live orders against the local exchange (the real python-binance client): refused while the checklist
fails, allowed by a recorded override or once every item passes, refused again when an item re-opens."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.backup import create_backup
from crbot.config import Settings
from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import InvalidInput
from crbot.exchange.filters import round_price
from crbot.golive.gate import OVERRIDE_SENTENCE, GoLiveLocked, lock_limits, record_override
from crbot.golive.settings import BackupSettings
from crbot.runtime import build_runtime
from tests.integration.rig import KEY, SECRET, Rig, start_rig
from tests.secrets.kit import confirm_live, encrypted_keys

ORDER_POST = ("POST", "/api/v3/order")


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    keys = encrypted_keys(KEY, SECRET)
    confirm_live({"CRBOT_HOME": str(tmp_path / "home"), **keys})  # live's own guard: typed once, keys encrypted
    for name, value in {"CRBOT_GOLIVE_PAPER_DAYS": "0.0001", "CRBOT_GOLIVE_PAPER_ROUND_TRIPS": "1"}.items():
        monkeypatch.setenv(name, value)  # the gate reads its settings from the environment
    monkeypatch.setenv("CRBOT_GOLIVE_MAX_CAPITAL", "20000")  # the local exchange funds 10,000 USDT
    yield from start_rig(tmp_path, monkeypatch, mode="live", **keys)


def _buy(rig: Rig):
    rules = rig.runtime.broker.rules()["BTCUSDT"]
    price = round_price(rules, rig.runtime.broker.last_price("BTCUSDT") * Decimal("0.97"))
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=Decimal("0.001"), price=price)
    return rig.service.place(req, actor="cli:tester", source="test")


def _checklist(rig: Rig):
    return rig.service.golive_gate.checklist()


def test_live_is_refused_before_and_allowed_by_a_recorded_override(live: Rig) -> None:
    with pytest.raises(GoLiveLocked) as refused:
        _buy(live)
    assert refused.value.exit_code == 3
    assert "Testnet / demo verified" in str(refused.value) and "Backups" in str(refused.value)
    assert live.requests.count(*ORDER_POST) == 0  # nothing reached the exchange
    assert live.runtime.journal.orders() == []  # nothing journaled
    denied = [e for e in live.runtime.journal.audit_events() if e.action == "order_denied"]
    assert [e.reason for e in denied] == ["GOLIVE_LOCKED"]

    journal, checklist = live.runtime.journal, _checklist(live)
    with pytest.raises(InvalidInput, match="sentence does not match"):
        record_override(journal, checklist, sentence="yes", reason="need it", actor="cli:tester")
    with pytest.raises(InvalidInput, match="reason is required"):
        record_override(journal, checklist, sentence=OVERRIDE_SENTENCE, reason=" ", actor="cli:tester")
    record_override(journal, checklist, sentence=OVERRIDE_SENTENCE, reason="small test order", actor="cli:tester")
    override = next(e for e in journal.audit_events() if e.action == "golive_override")
    assert (override.action, override.actor, override.reason) == ("golive_override", "cli:tester", "small test order")
    assert "drill" in override.detail  # which items were failing when it was recorded

    placed = _buy(live)
    assert live.requests.count(*ORDER_POST) == 1 and placed.orders[0].status.is_open

    live.clock.advance(25 * 3600)  # the override expires (CRBOT_GOLIVE_OVERRIDE_HOURS, 24)
    with pytest.raises(GoLiveLocked):
        _buy(live)


def test_live_is_allowed_once_every_item_passes_and_refused_when_one_reopens(live: Rig) -> None:
    from crbot.monitor.store import AlertRecord, MonitorStore

    home = live.runtime.settings.home
    settings = Settings.load(
        {"CRBOT_HOME": str(home), "CRBOT_MODE": "paper", "CRBOT_PRICE_FEED": "synthetic", "CRBOT_ACTOR": "t"},
        dotenv=False,
    )
    paper = build_runtime(settings, clock=live.clock, feed=live.feed)
    try:  # paper: one round trip, then STOP (the kill switch exercised, nothing left open)
        for side, qty in ((Side.BUY, "0.001"), (Side.SELL, "0.00099")):
            req = OrderRequest(symbol="BTCUSDT", side=side, type=OrderType.MARKET, quantity=Decimal(qty))
            paper.service.place(req, actor="t", source="test")
            live.clock.advance(10)
        assert paper.service.stop(reason="practice", actor="t").ok
    finally:
        paper.journal.close()
    testnet = Settings.load({"CRBOT_HOME": str(home), "CRBOT_MODE": "testnet"}, dotenv=False)
    from crbot.journal import Journal

    drill_journal = Journal(testnet.database_url, live.clock)  # the drill's record (run_drill: test_checklist)
    drill_journal.audit(actor="cli:t", action="golive_drill", detail="ok mode=testnet: connect; place; ...; flat")
    drill_journal.close()
    create_backup(live.runtime.settings, live.clock, actor="t", conf=BackupSettings.load(live.runtime.settings, {}))
    live.service.save_risk_limits(live.service.risk_limits(), actor="cli:t", reason="final")
    lock_limits(live.runtime.journal, actor="cli:t", reason="reviewed")
    store = MonitorStore(live.runtime.journal)
    now = live.clock.now()
    store.beat(process_id="m", kind="monitor", host="h", pid=1, now=now, detail="")
    store.record_alert(AlertRecord(time=now, kind="test", title="t", target="json://x", ok=True, attempts=1, error=""))

    checklist = _checklist(live)
    assert checklist.ok, [i for i in checklist.items if not i.ok]
    assert checklist.override is None
    _buy(live)
    assert live.requests.count(*ORDER_POST) == 1

    live.clock.advance(1)
    limits = live.service.risk_limits().to_strings()
    live.service.save_risk_limits(
        type(live.service.risk_limits()).from_strings({**limits, "max_open_orders": "4"}), actor="cli:t", reason="x"
    )
    with pytest.raises(GoLiveLocked, match="changed after the lock"):
        _buy(live)
    assert live.requests.count(*ORDER_POST) == 1
