"""Fail closed in the service: a process whose state watch cannot reach the journal refuses new orders with
DATABASE_UNREACHABLE (place and the ticket's preview), while cancels and STOP still work; a STOP pressed while the
journal cannot be written still cancels on the exchange and is latched HALTED when the journal is back."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import OrderRequest, OrderType, Side, TradingState
from crbot.errors import Denied
from crbot.risk import DenialCode
from crbot.runtime import build_runtime
from crbot.statewatch import StateWatch
from tests.conftest import make_env

WAIT_S = 20


def test_service_refuses_new_orders_while_unreachable_but_cancels_and_stop_work(tmp_path: Path, runtime) -> None:
    svc = runtime.service
    limit = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=Decimal("0.001"),
                         price=Decimal("49000"))  # fmt: skip
    placed = svc.place(limit, actor="tester")
    # a watch on a journal this process cannot reach (the file is not there): fails closed at once
    gone = StateWatch(f"sqlite:///{tmp_path / 'gone' / 'journal.db'}", read_state=svc.trading_state, timeout_s=0.5)
    svc.statewatch = gone.start()
    try:
        assert gone.wait_for(lambda w: not w.reachable, WAIT_S)
        with pytest.raises(Denied) as denied:
            svc.place(limit, actor="tester")
        assert denied.value.code == DenialCode.DATABASE_UNREACHABLE
        assert "cannot reach the journal" in str(denied.value)
        preview = svc.preview(limit)
        assert not preview.ok and preview.denial is not None
        assert preview.denial.code is DenialCode.DATABASE_UNREACHABLE
        svc.cancel("BTCUSDT", placed.client_order_id, actor="tester")  # never blocked
        report = svc.stop(reason="test", actor="tester")  # never blocked
        assert report.state is TradingState.HALTED and not report.left_open
    finally:
        gone.stop()


def test_stop_while_postgres_is_unreachable_cancels_and_latches_halted_when_back(tmp_path: Path, relay_url) -> None:
    relay, through = relay_url
    settings = Settings.load(
        make_env(tmp_path, CRBOT_DATABASE_URL=through, CRBOT_DB_HEARTBEAT_TIMEOUT_S="2"), dotenv=False
    )
    rt = build_runtime(settings, clock=SystemClock(), watch_state=True)
    svc, watch = rt.service, rt.watch
    assert watch is not None
    try:
        price = (rt.broker.last_price("BTCUSDT") * Decimal("0.98")).quantize(Decimal("0.01"))
        placed = svc.place(
            OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=Decimal("0.001"), price=price),
            actor="tester",
        )
        relay.cut()  # the database server is gone for this process
        assert watch.wait_for(lambda w: not w.reachable, WAIT_S)
        report = svc.stop(reason="STOP during the outage", actor="tester (dashboard)")  # never raises, never blocked
        assert not report.ok
        assert "HALTED could not be written to the journal" in report.errors[0]
        assert "latched when the journal answers again" in report.errors[0]
        if settings.paper_db_url == settings.database_url:  # the paper book shares the (unreachable) database
            assert any("could not cancel" in e for e in report.errors), report
        else:  # the exchange is reachable: the order is cancelled all the same
            assert report.canceled == (f"BTCUSDT {placed.client_order_id}",), report
        relay.restore()
        assert watch.wait_for(lambda w: w.state is not None and w.state.state is TradingState.HALTED, WAIT_S)
        record = rt.journal.trading_state()
        assert record.state is TradingState.HALTED and record.actor == "tester (dashboard)"
        assert "STOP during the outage" in record.reason and "unreachable" in record.reason
    finally:
        watch.stop()
        rt.journal.close()
