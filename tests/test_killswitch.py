"""STOP: HALTED latched first, everything cancelled, optionally flattened, verified; safe twice; durable."""

from decimal import Decimal as D

import pytest

from crbot.config import Settings
from crbot.domain import OrderRequest, OrderType, Side, TradingState
from crbot.errors import Denied, ExchangeRejected
from crbot.runtime import build_runtime
from tests.conftest import make_env

ACTOR = "tester"


@pytest.fixture
def settings(tmp_path, journal_url) -> Settings:
    """Every STOP test on a SQLite journal and on PostgreSQL (journal and paper book in one database)."""
    return Settings.load(make_env(tmp_path, CRBOT_DATABASE_URL=journal_url), dotenv=False)


def buy(symbol, qty, price, **kw):
    return OrderRequest(symbol=symbol, side=Side.BUY, quantity=D(qty), price=D(price), **kw)


def place_some(service):
    service.place(buy("BTCUSDT", "0.01", "49000", stop_loss="48000", take_profit="51000"), actor=ACTOR)
    service.place(buy("ETHUSDT", "0.1", "2950"), actor=ACTOR)
    service.place(buy("SOLUSDT", "1", "149"), actor=ACTOR)


def test_stop_halts_cancels_everything_and_verifies(service):
    place_some(service)
    report = service.stop(reason="looks wrong", actor=ACTOR)
    assert report.ok and report.state is TradingState.HALTED and not report.already_halted
    assert len(report.canceled) >= 3 and report.left_open == ()
    assert service.broker.open_orders() == [] and service.open_orders() == []
    usdt = next(b for b in service.broker.balances() if b.asset == "USDT")
    assert usdt.locked == 0 and usdt.free == D("10000")
    state = service.trading_state()
    assert (state.state, state.actor, state.reason) == (TradingState.HALTED, ACTOR, "looks wrong")
    assert any(e.action == "stop_completed" for e in service.audit_events())


def test_pressing_stop_twice_is_safe(service):
    place_some(service)
    service.stop(reason="first", actor=ACTOR)
    again = service.stop(reason="second", actor=ACTOR)
    assert again.ok and again.already_halted and again.canceled == ()


def test_stop_state_survives_restart_and_binds_every_process(settings, clock, feed, service):
    service.stop(reason="halt all", actor=ACTOR)
    other = build_runtime(settings, clock=clock, feed=feed).service  # a second process on the same home
    assert other.trading_state().state is TradingState.HALTED
    with pytest.raises(Denied, match="TRADING_HALTED"):
        other.place(buy("BTCUSDT", "0.001", "49000"), actor="bot")


def test_stop_with_flatten_sells_positions_to_usdt(service):
    service.place(OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D("0.3")), actor=ACTOR)
    report = service.stop(reason="flatten", actor=ACTOR, flatten=True)
    assert report.ok and report.flattened and report.flattened[0].startswith("ETHUSDT")
    eth = [b for b in service.broker.balances() if b.asset == "ETH"]
    assert not eth or eth[0].total < D("0.0001")  # only dust below the step is left


def test_stop_reports_what_it_could_not_cancel(service, monkeypatch):
    place_some(service)

    def refuse(symbol):
        raise ExchangeRejected("exchange refused", code=-2011)

    monkeypatch.setattr(service.broker, "cancel_all", refuse)
    report = service.stop(reason="partial", actor=ACTOR)
    assert not report.ok and report.errors and len(report.left_open) >= 3
    assert service.trading_state().state is TradingState.HALTED  # latched even though cancels failed
    assert any(e.action == "stop_incomplete" for e in service.audit_events())


def test_stop_workers_are_started_ahead_of_the_press_once_per_process() -> None:
    import threading
    import time

    from crbot.killswitch import MAX_PARALLEL, start_stop_workers, stop_workers

    start_stop_workers()
    start_stop_workers()  # a second start (another cached runtime) adds no threads
    deadline = time.monotonic() + 10
    names = lambda: [t.name for t in threading.enumerate() if t.name.startswith("crbot-stop")]  # noqa: E731
    while len(names()) < MAX_PARALLEL + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(names()) == MAX_PARALLEL + 1
    assert stop_workers() is stop_workers()
