"""The order path's safety promises (issues 6 and 7), in paper mode on real SQLite files:

* a MARKET entry's exits are journaled WITH the entry, so a crash between fill and exits loses nothing;
* every derived client id is valid before the entry goes out;
* HALTED is read in the transaction that journals an intent, and STOP cancels what was in flight;
* STOP's flatten goes through the one executor (an unknown outcome stays UNKNOWN) and sells only CRBOT's coins.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal as D

import pytest

from crbot.config import Settings
from crbot.domain import OrderRequest, OrderStatus, OrderType, Side, TradingState
from crbot.errors import Denied, InvalidInput, OutcomeUnknown
from crbot.runtime import build_runtime
from tests.conftest import make_env

ACTOR = "tester"


def market_bracket(qty: str = "0.01") -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSDT",
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=D(qty),
        stop_loss=D("48000"),
        take_profit=D("52000"),
    )


def restart(settings, clock, feed):
    return build_runtime(settings, clock=clock, feed=feed).service


def test_a_crash_between_fill_and_exits_is_finished_by_the_next_start_up(settings, clock, feed, service, monkeypatch):
    def killed(entry):
        raise KeyboardInterrupt("kill -9 right after the entry's ack")

    monkeypatch.setattr(service.executor, "send_exits", killed)
    cid = service.new_client_order_id()
    with pytest.raises(KeyboardInterrupt):
        service.place(market_bracket(), client_order_id=cid, actor=ACTOR)
    planned = service.journal.exits_of(cid)
    assert [o.status for o in planned] == [OrderStatus.PLANNED] * 2  # the whole order was intent before sending
    assert {o.stop_price for o in planned} == {D("48000"), None}

    again = restart(settings, clock, feed)
    again.start_up(actor="restart")
    exits = again.journal.exits_of(cid)
    assert {o.status for o in exits} == {OrderStatus.NEW}  # the OCO is on the exchange now
    on_exchange = {o.client_order_id: o for o in again.broker.open_orders("BTCUSDT")}
    assert set(on_exchange) == {f"{cid}-sl", f"{cid}-tp"}
    assert on_exchange[f"{cid}-sl"].quantity == D("0.00999")  # sized net of the base-asset fee
    assert again.unprotected_positions() == []


def test_exits_journaled_as_sent_but_never_sent_are_sent_after_a_crash(settings, clock, feed, service, monkeypatch):
    def killed(spec):
        raise KeyboardInterrupt("kill -9 after the exits' intent, before the request left")

    monkeypatch.setattr(service.broker, "submit_list", killed)
    cid = service.new_client_order_id()
    with pytest.raises(KeyboardInterrupt):
        service.place(market_bracket(), client_order_id=cid, actor=ACTOR)
    assert {o.status for o in service.journal.exits_of(cid)} == {OrderStatus.INTENT}
    monkeypatch.undo()

    again = restart(settings, clock, feed)
    report = again.start_up(actor="restart")
    assert {o.status for o in again.journal.exits_of(cid)} == {OrderStatus.NEW}
    assert len(again.broker.open_orders("BTCUSDT")) == 2 and not report.errors


def test_an_entry_that_never_filled_drops_its_planned_exits(settings, clock, feed, service, monkeypatch):
    def refused(spec):
        raise KeyboardInterrupt("killed before the entry was sent")

    monkeypatch.setattr(service.broker, "submit", refused)
    cid = service.new_client_order_id()
    with pytest.raises(KeyboardInterrupt):
        service.place(market_bracket(), client_order_id=cid, actor=ACTOR)
    monkeypatch.undo()
    again = restart(settings, clock, feed)
    again.start_up(actor="restart")
    assert again.journal.get_order(cid).status is OrderStatus.REJECTED  # never reached the exchange
    assert {o.status for o in again.journal.exits_of(cid)} == {OrderStatus.CANCELED}
    assert again.broker.open_orders() == []


def test_a_client_id_too_long_for_its_exits_is_refused_before_anything_is_sent(service):
    cid = "x" * 34  # valid alone, but "-oco", "-tp" and "-sl" would make it 37-38 characters
    with pytest.raises(InvalidInput, match="not valid for Binance"):
        service.place(market_bracket(), client_order_id=cid, actor=ACTOR)
    assert service.journal.orders() == [] and service.broker.open_orders() == []
    usdt = next(b for b in service.broker.balances() if b.asset == "USDT")
    assert usdt.free == D("10000")  # no position was opened


def test_halted_is_read_in_the_intent_transaction_and_the_denial_names_who_when_why(service):
    service.stop(reason="market gapping", actor="alice")
    entry = market_bracket().symbol
    with pytest.raises(Denied) as denied:
        # straight to the executor: even a caller whose risk check ran before the latch cannot write an intent
        from crbot.domain import OrderSpec

        spec = OrderSpec(
            client_order_id="late-1", symbol=entry, side=Side.BUY, type=OrderType.MARKET, quantity=D("0.01")
        )
        service.executor.send(spec, source="bot", actor="bot", expected_price=None)
    assert "by alice at" in str(denied.value) and "market gapping" in str(denied.value)
    assert service.journal.get_order("late-1") is None


def test_stop_cancels_an_order_that_was_in_flight_when_halted_latched(service, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real_submit = service.broker.submit

    def slow_submit(spec):
        entered.set()
        release.wait(5)  # the request is on the wire while STOP latches
        return real_submit(spec)

    monkeypatch.setattr(service.broker, "submit", slow_submit)
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=D("0.001"), price=D("49000"))
    placing = threading.Thread(target=lambda: service.place(req, client_order_id="in-flight-1", actor="bot"))
    placing.start()
    assert entered.wait(5)
    stopper = threading.Thread(target=lambda: service.stop(reason="race", actor=ACTOR))
    stopper.start()
    threading.Timer(0.2, release.set).start()  # lands after the latch and after STOP's first sweep
    placing.join(10)
    stopper.join(10)
    assert service.trading_state().state is TradingState.HALTED
    assert service.broker.open_orders() == []  # nothing stays open after HALTED
    assert service.journal.get_order("in-flight-1").status is OrderStatus.CANCELED


def test_stop_cancels_an_in_flight_order_acknowledged_while_its_cancel_wave_is_out(
    settings, clock, feed, service, monkeypatch
):
    """Another process's order is on the wire at the latch, reaches the exchange right after STOP's cancel wave
    passed its symbol, and is acknowledged before the wave is over. That process cancels it by itself, but
    later: STOP must cancel it, not report it left open (seen in CI: STOP exited 5)."""
    placer = restart(settings, clock, feed)  # the other process: its own runtime on the same journal and book
    entered, release, stopped = threading.Event(), threading.Event(), threading.Event()
    real_submit, real_cancel, real_cancel_all = placer.broker.submit, placer.broker.cancel, service.broker.cancel_all

    def slow_submit(spec):
        entered.set()
        release.wait(5)
        return real_submit(spec)

    def late_cancel(symbol, cid):  # the placer's own cancel of an order that landed after STOP
        stopped.wait(5)
        return real_cancel(symbol, cid)

    def cancel_then_the_order_lands(symbol):
        canceled = real_cancel_all(symbol)
        release.set()
        deadline = time.monotonic() + 5
        while service.journal.get_order("in-flight-2").status is OrderStatus.INTENT and time.monotonic() < deadline:
            time.sleep(0.01)
        return canceled

    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=D("0.001"), price=D("49000"))
    service.place(req, client_order_id="resting-1", actor="bot")  # gives STOP's cancel wave a symbol to cancel
    monkeypatch.setattr(placer.broker, "submit", slow_submit)
    monkeypatch.setattr(placer.broker, "cancel", late_cancel)
    monkeypatch.setattr(service.broker, "cancel_all", cancel_then_the_order_lands)
    placing = threading.Thread(target=lambda: placer.place(req, client_order_id="in-flight-2", actor="bot"))
    placing.start()
    assert entered.wait(5)
    try:
        report = service.stop(reason="race", actor=ACTOR)
    finally:
        stopped.set()
        placing.join(10)
    assert report.ok and report.left_open == (), report
    assert "BTCUSDT in-flight-2" in report.canceled
    assert service.broker.open_orders() == []


def test_flatten_sells_only_what_crbot_bought(tmp_path, clock, feed):
    settings = Settings.load(make_env(tmp_path, CRBOT_PAPER_BALANCES="USDT=10000,BNB=5"), dotenv=False)
    service = restart(settings, clock, feed)
    service.place(OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D("0.3")), actor=ACTOR)
    report = service.stop(reason="flatten mine", actor=ACTOR, flatten=True)
    assert report.ok and len(report.flattened) == 1 and report.flattened[0].startswith("ETHUSDT sold 0.2997 at ")
    assert any("BNB" in line and "left alone" in line for line in report.kept)
    held = {b.asset: b.total for b in service.broker.balances()}
    assert held["BNB"] == D("5") and held.get("ETH", D(0)) < D("0.0001")

    everything = service.stop(reason="sell it all", actor=ACTOR, flatten=True, all_balances=True)
    assert any(line.startswith("BNBUSDT sold 5") for line in everything.flattened), everything


def test_a_flatten_sell_that_times_out_stays_unknown_until_reconcile_finds_it(service, monkeypatch):
    service.place(OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D("0.3")), actor=ACTOR)
    real_submit = service.broker.submit

    def executed_then_timeout(spec):
        real_submit(spec)
        raise OutcomeUnknown("timeout after sending", client_order_id=spec.client_order_id)

    def lookup_times_out(symbol, cid):
        raise OutcomeUnknown("lookup timed out", client_order_id=cid)

    monkeypatch.setattr(service.broker, "submit", executed_then_timeout)
    monkeypatch.setattr(service.broker, "get_order", lookup_times_out)
    report = service.stop(reason="flatten", actor=ACTOR, flatten=True)
    assert not report.ok and "flatten failed" in report.errors[0]
    (sell,) = [o for o in service.journal.orders() if o.source == "killswitch"]
    assert sell.status is OrderStatus.UNKNOWN  # never called rejected: it did execute
    monkeypatch.undo()
    service.reconcile()
    sell = service.journal.get_order(sell.client_order_id)
    assert sell.status is OrderStatus.FILLED
    assert [f.order_id for f in service.journal.fills(symbol="ETHUSDT")][-1] == sell.order_id  # its fill is linked


def test_stop_racing_an_order_loop_leaves_nothing_open_in_100_trials(service):
    import random

    from crbot.errors import CrbotError
    from crbot.risk import RiskLimits

    roomy = RiskLimits().with_changes(max_open_orders=10000, max_orders_per_minute=100000)
    service.save_risk_limits(roomy, actor=ACTOR, reason="race test")
    rng = random.Random(7)
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=D("0.001"), price=D("49000"))
    real_submit = service.broker.submit

    def on_the_wire(spec):  # network time between the intent and the exchange: the race window
        threading.Event().wait(rng.uniform(0.002, 0.03))
        return real_submit(spec)

    service.broker = _Patched(service.broker, submit=on_the_wire)
    for trial in range(100):
        halted = threading.Event()

        def order_loop(halted: threading.Event = halted) -> None:
            while not halted.is_set():
                try:
                    service.place(req, actor="bot")
                except CrbotError:
                    return  # Denied once HALTED is latched

        loop = threading.Thread(target=order_loop)
        loop.start()
        threading.Event().wait(rng.uniform(0, 0.02))
        report = service.stop(reason=f"race {trial}", actor=ACTOR)
        halted.set()
        loop.join(10)
        assert service.broker.open_orders() == [], (trial, report)
        assert [o for o in service.journal.orders(open_only=True)] == [], trial
        service.resume(confirmation="RESUME", actor=ACTOR, reason="next trial")
    placed = [o for o in service.journal.orders() if o.source == "ticket"]
    assert len(placed) >= 30 and all(o.status is OrderStatus.CANCELED for o in placed)  # the race really ran


class _Patched:
    """The real broker with some methods replaced (the service swaps it in for every part)."""

    def __init__(self, broker, **methods):
        self._broker = broker
        self.__dict__.update(methods)

    def __getattr__(self, name: str):
        return getattr(self._broker, name)
