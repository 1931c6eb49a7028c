"""Paper mode across a restart: a NEW runtime on the same CRBOT_HOME is the same control room.

The journal (orders, trading state, audit) and the paper exchange's book both live in SQLite files under
CRBOT_HOME, so a process that dies and comes back must see exactly what the old one left; and a resting
order the market crossed while nothing ran must be filled, at the time it traded, by catching up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from crbot.clock import ManualClock
from crbot.config import Settings
from crbot.domain import OrderRequest, OrderStatus, OrderType, Side, TradingState
from crbot.errors import Denied
from crbot.market.feed import ManualFeed
from crbot.runtime import Runtime, build_runtime
from tests.conftest import make_env

ACTOR = "restart"
BTC = "BTCUSDT"


class Process:
    """One CRBOT process after another on the same home; the market (clock and feed) carries on between."""

    def __init__(self, home: Path, clock: ManualClock, feed: ManualFeed) -> None:
        self.settings = Settings.load(make_env(home), dotenv=False)
        self.clock, self.feed = clock, feed
        self.current: Runtime | None = None

    def start(self) -> Runtime:
        self.stop()
        self.current = build_runtime(self.settings, clock=self.clock, feed=self.feed)
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current.journal.close()
            self.current.broker.engine.close()  # type: ignore[attr-defined]
            self.current = None


@pytest.fixture
def process(tmp_path: Path, clock: ManualClock, feed: ManualFeed) -> Iterator[Process]:
    p = Process(tmp_path, clock, feed)
    yield p
    p.stop()


def bracket(price: str = "49000", stop: str = "47000", take: str = "52000") -> OrderRequest:
    return OrderRequest(symbol=BTC, side=Side.BUY, quantity="0.002", price=price, stop_loss=stop, take_profit=take)


def snapshot(rt: Runtime) -> dict[str, object]:
    svc = rt.service
    return {
        "orders": svc.orders(),
        "state": svc.trading_state(),
        "audit": svc.audit_events(),
        "balances": rt.broker.balances(),
        "open_on_exchange": sorted(o.client_order_id for o in rt.broker.open_orders()),
        "fills": rt.journal.fills(),
    }


def test_restart_sees_the_same_orders_state_audit_and_balances(process: Process) -> None:
    rt = process.start()
    svc = rt.service
    first = svc.place(bracket(), actor=ACTOR)
    report = svc.stop(reason="restart test", actor=ACTOR)
    assert report.ok and len(report.canceled) == 3
    svc.resume(confirmation="RESUME", actor=ACTOR, reason="back to work")
    second = svc.place(bracket("49500"), actor=ACTOR)
    svc.place(OrderRequest(symbol=BTC, side=Side.BUY, type=OrderType.MARKET, quantity="0.001"), actor=ACTOR)
    before = snapshot(rt)
    assert len(before["fills"]) == 1 and len(before["open_on_exchange"]) == 3  # type: ignore[arg-type]

    after = snapshot(process.start())  # a new process on the same CRBOT_HOME

    assert after == before
    by_cid = {o.client_order_id: o.status for o in after["orders"]}  # type: ignore[attr-defined]
    assert by_cid[first.client_order_id] is OrderStatus.CANCELED
    assert by_cid[second.client_order_id] is OrderStatus.NEW
    assert by_cid[second.client_order_id + "-sl"] is OrderStatus.PENDING_NEW
    assert after["state"].state is TradingState.ACTIVE  # type: ignore[attr-defined]
    audit = [(e.action, e.reason) for e in after["audit"]]  # type: ignore[attr-defined]
    assert audit == [  # newest first: the STOP, what it did, and the resume, each with its reason
        ("trading_state", "back to work"),
        ("stop_completed", "restart test"),
        ("trading_state", "restart test"),
    ]


def test_a_stop_latched_before_a_restart_still_halts_after_it(process: Process) -> None:
    process.start().service.stop(reason="latched", actor=ACTOR)
    svc = process.start().service
    assert svc.trading_state().state is TradingState.HALTED and svc.trading_state().reason == "latched"
    with pytest.raises(Denied, match="TRADING_HALTED"):
        svc.place(bracket(), actor=ACTOR)


def test_a_resting_bracket_crossed_during_downtime_fills_after_restart(process: Process) -> None:
    rt = process.start()
    placed = rt.service.place(bracket("49000", "47000", "52000"), actor=ACTOR)
    entry = placed.client_order_id
    start = process.clock.now()
    process.stop()  # down: nobody watches while the market moves for hours

    path = [(1, "49800"), (2, "48950"), (3, "50200"), (5, "51000")]  # hours after start, price
    for hours, price in path:
        process.feed.move(BTC, price, start + timedelta(hours=hours))
    process.clock.set(start + timedelta(hours=6))

    rt = process.start()
    rt.service.refresh()  # what the dashboard does on its first fragment run

    orders = {o.client_order_id: o for o in rt.service.orders()}
    assert orders[entry].status is OrderStatus.FILLED and orders[entry].executed_qty == D("0.002")
    assert orders[entry + "-sl"].status is OrderStatus.NEW  # the exits went live when the entry filled ...
    assert orders[entry + "-tp"].status is OrderStatus.NEW  # ... and the market never reached either since
    [fill] = rt.journal.fills(symbol=BTC)
    assert fill.time == start + timedelta(hours=2)  # filled when it traded, not when we came back
    assert fill.price <= D("49000") and fill.quantity == D("0.002")
    btc = next(b for b in rt.broker.balances() if b.asset == "BTC")
    assert btc.total == D("0.002") - fill.commission and btc.locked > 0  # held, and locked by the OCO exits
    assert rt.service.reconcile().clean
