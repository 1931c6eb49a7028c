"""The go-live checklist on a fresh install (everything open), turning green item by item as the work is done."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from crbot.backup import create_backup
from crbot.domain import Mode, OrderRequest, OrderType, Side
from crbot.golive.checklist import evaluate
from crbot.golive.drill import run_drill
from crbot.golive.gate import lock_limits
from crbot.golive.journals import ModeJournals
from crbot.golive.settings import BackupSettings, GoLiveSettings
from crbot.killswitch import RESUME_WORD
from crbot.risk import RiskLimits

CONF_ENV = {"CRBOT_GOLIVE_PAPER_DAYS": "2", "CRBOT_GOLIVE_PAPER_ROUND_TRIPS": "2"}
KEYS = ("drill", "paper", "limits", "monitoring", "backups", "kill_switch", "capital")


def _check(rig, equity: str | None = None):
    settings = rig.runtime.settings
    journals = ModeJournals(settings, rig.clock, own=rig.runtime.journal)
    try:
        live_equity = (lambda: Decimal(equity)) if equity is not None else None
        return evaluate(
            settings, rig.clock, journals=journals, live_equity=live_equity, conf=GoLiveSettings.load(CONF_ENV)
        )
    finally:
        journals.close()


def _passing(checklist) -> set[str]:
    return {i.key for i in checklist.items if i.ok}


def _round_trip(service) -> None:
    for side, qty in ((Side.BUY, "0.001"), (Side.SELL, "0.00099")):  # the buy's fee is paid in BTC
        req = OrderRequest(symbol="BTCUSDT", side=side, type=OrderType.MARKET, quantity=Decimal(qty))
        service.place(req, actor="tester", source="test")


def _heartbeat_and_test_alert(journal, now) -> None:
    from crbot.monitor.store import AlertRecord, MonitorStore

    store = MonitorStore(journal)
    store.beat(process_id="m1", kind="monitor", host="h", pid=1, now=now, detail="cycle")
    store.record_alert(
        AlertRecord(time=now, kind="test", title="test", target="json://127.0.0.1", ok=True, attempts=1, error="")
    )


def test_fresh_install_everything_open_then_green_item_by_item(rig, paper) -> None:
    fresh = _check(rig)
    assert [i.key for i in fresh.items] == list(KEYS)
    assert _passing(fresh) == set() and not fresh.ok and not fresh.live_allowed
    assert all(i.evidence and i.fix for i in fresh.items)  # each says what is missing and where to fix it

    # paper history: 2 round trips over 2 days
    _round_trip(paper.service)
    rig.clock.advance(timedelta(days=2).total_seconds())
    _round_trip(paper.service)
    step = _check(rig)
    assert _passing(step) == {"paper"}, step.items[1]
    assert "2 round trips" in next(i for i in step.items if i.key == "paper").evidence

    # the drill on testnet: place, query, cancel, STOP, verified flat (its STOP exercises the kill switch too)
    report = run_drill(rig.service, actor="cli:tester")
    assert report.ok, report
    assert rig.service.trading_state().state.value == "ACTIVE"  # put back as it was
    assert _passing(_check(rig)) == {"paper", "drill", "kill_switch"}

    # backups
    create_backup(
        rig.runtime.settings,
        rig.clock,
        actor="cli:tester",
        conf=BackupSettings.load(rig.runtime.settings, {}),
        journal=rig.runtime.journal,
    )
    assert "backups" in _passing(_check(rig))

    # risk limits: saved in the live journal, then locked; a change re-opens the item
    live = ModeJournals(rig.runtime.settings, rig.clock, own=rig.runtime.journal).get(Mode.LIVE, create=True)
    limits = RiskLimits.from_strings(live.risk_limits() or RiskLimits().to_strings())
    live.save_risk_limits(limits.to_strings(), actor="cli:tester", reason="final for live")
    assert "limits" not in _passing(_check(rig))
    lock_limits(live, actor="cli:tester", reason="reviewed")
    assert "limits" in _passing(_check(rig))
    rig.clock.advance(1)
    live.save_risk_limits({**limits.to_strings(), "max_open_orders": "3"}, actor="cli:tester", reason="tweak")
    reopened = next(i for i in _check(rig).items if i.key == "limits")
    assert not reopened.ok and "changed after the lock" in reopened.evidence
    rig.clock.advance(1)
    lock_limits(live, actor="cli:tester", reason="reviewed again")

    # monitoring: the monitor's heartbeat and a delivered test alert
    _heartbeat_and_test_alert(live, rig.clock.now())
    assert "monitoring" in _passing(_check(rig))
    rig.clock.advance(timedelta(minutes=10).total_seconds())
    stale = next(i for i in _check(rig).items if i.key == "monitoring")
    assert not stale.ok and "stale" in stale.evidence
    _heartbeat_and_test_alert(live, rig.clock.now())

    # capital: the live equity under the cap (10 USDT by default)
    assert "capital" not in _passing(_check(rig, equity="250"))
    done = _check(rig, equity="9.5")
    assert _passing(done) == set(KEYS) and done.ok and done.live_allowed


def test_a_failed_or_old_drill_does_not_count(rig) -> None:
    rig.service.stop(reason="halted", actor="tester")
    try:
        run_drill(rig.service, actor="cli:tester")
    except Exception as exc:
        assert "resume trading first" in str(exc)
    rig.service.resume(confirmation=RESUME_WORD, actor="tester", reason="go")
    assert run_drill(rig.service, actor="cli:tester").ok
    rig.clock.advance(timedelta(days=31).total_seconds())
    drill = next(i for i in _check(rig).items if i.key == "drill")
    assert not drill.ok and "older than 30 days" in drill.evidence

    report = run_drill(rig.service, actor="cli:tester", symbol="NOPEUSDT")
    assert not report.ok and "unknown symbol" in report.error
    drill = next(i for i in _check(rig).items if i.key == "drill")
    assert not drill.ok and "FAILED" in drill.evidence
