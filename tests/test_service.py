"""The single order path end to end on a real paper exchange and journal (SQLite files)."""

from decimal import Decimal as D

import pytest

from crbot.domain import OrderRequest, OrderStatus, OrderType, Side, TradingState
from crbot.errors import Denied, FilterError, InvalidInput, OutcomeUnknown

ACTOR = "tester"


def limit_buy(qty="0.01", price="49000", **kw):
    return OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=D(qty), price=D(price), **kw)


def usdt(service):
    return next(b for b in service.broker.balances() if b.asset == "USDT")


def test_limit_order_is_journaled_then_acknowledged(service):
    result = service.place(limit_buy(), actor=ACTOR)
    order = service.journal.get_order(result.client_order_id)
    assert order.status is OrderStatus.NEW and order.order_id > 0
    assert order.latency_ms is not None and order.expected_price == D("50000")
    assert usdt(service).locked == D("490")


def test_same_client_order_id_never_sends_twice(service):
    cid = service.new_client_order_id()
    service.place(limit_buy(), client_order_id=cid, actor=ACTOR)
    again = service.place(limit_buy(), client_order_id=cid, actor=ACTOR)
    assert "already sent" in again.message
    assert len(service.broker.open_orders("BTCUSDT")) == 1


def test_denied_order_leaves_only_an_audit_event(service):
    with pytest.raises(Denied, match="ORDER_NOTIONAL_EXCEEDS_MAX") as err:
        service.place(limit_buy(qty="0.1"), actor=ACTOR)  # 4,900 USDT > 1,000 USDT default
    assert err.value.exit_code == 3
    assert service.journal.orders() == []
    assert service.broker.open_orders() == []
    assert any(e.action == "order_denied" and "Max order size" in e.detail for e in service.audit_events())


def test_filter_failure_changes_nothing(service):
    with pytest.raises(FilterError, match="NOTIONAL"):
        service.place(limit_buy(qty="0.00005"), actor=ACTOR)  # 2.45 USDT < 5 USDT minimum
    assert service.journal.orders() == [] and service.broker.open_orders() == []


def test_preview_shows_rounding_fees_risk_and_loss_at_stop(service):
    p = service.preview(limit_buy(qty="0.012345", price="49000.004", stop_loss="48000", take_profit="51000"))
    assert p.ok and p.denial is None
    assert p.quantity == D("0.01234") and p.price == D("49000.00")
    assert p.notional == D("0.01234") * D("49000.00")
    assert p.fee_estimate == p.notional * D("0.001")
    assert p.loss_at_stop > D("12.34") and p.loss_at_stop_pct > 0  # 1,000 USDT move on 0.01234 BTC, plus fees
    assert p.gain_at_take_profit > 0
    bad = service.preview(limit_buy(qty="0.1"))
    assert not bad.ok and bad.denial.code == "ORDER_NOTIONAL_EXCEEDS_MAX"
    assert not service.preview(limit_buy(price="-1")).ok


def test_bracket_fills_entry_then_take_profit_as_price_moves(service, feed, clock):
    result = service.place(limit_buy(stop_loss="48000", take_profit="51000"), actor=ACTOR)
    legs = result.orders
    assert len(legs) == 3 and {o.status for o in legs} == {OrderStatus.NEW, OrderStatus.PENDING_NEW}
    feed.move("BTCUSDT", "48990", clock.advance(5))  # entry fills
    feed.move("BTCUSDT", "51010", clock.advance(5))  # take-profit fills, stop-loss expires
    service.refresh()
    by_cid = {o.client_order_id: o for o in service.orders()}
    assert by_cid[result.client_order_id].status is OrderStatus.FILLED
    assert by_cid[result.client_order_id + "-tp"].status is OrderStatus.FILLED
    assert by_cid[result.client_order_id + "-sl"].status in (OrderStatus.EXPIRED, OrderStatus.CANCELED)
    assert len(service.journal.fills(symbol="BTCUSDT")) == 2
    assert service.open_orders() == []


def test_market_order_with_exits_is_protected_right_after_the_fill(service):
    req = OrderRequest(
        symbol="BTCUSDT",
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=D("0.01"),
        stop_loss=D("48000"),
        take_profit=D("52000"),
    )
    service.place(req, actor=ACTOR)
    open_legs = service.broker.open_orders("BTCUSDT")
    assert {o.type for o in open_legs} == {OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT}
    assert all(o.quantity == D("0.00999") for o in open_legs)  # net of the 0.1 % fee paid in BTC
    pos = service.positions()
    assert pos[0].symbol == "BTCUSDT" and pos[0].quantity == D("0.00999") and pos[0].avg_entry > D("50000")


def test_halted_refuses_new_orders_but_allows_cancels(service):
    placed = service.place(limit_buy(), actor=ACTOR)
    service.journal.set_trading_state(TradingState.HALTED, actor=ACTOR, reason="test")
    with pytest.raises(Denied, match="TRADING_HALTED"):
        service.place(limit_buy(), actor=ACTOR)
    service.cancel("BTCUSDT", placed.client_order_id, actor=ACTOR)
    assert service.journal.get_order(placed.client_order_id).status is OrderStatus.CANCELED


def test_outcome_unknown_is_reconciled_by_client_order_id(service, monkeypatch):
    real_submit = service.broker.submit

    def accepted_then_timeout(spec):
        real_submit(spec)
        raise OutcomeUnknown("timeout after sending", client_order_id=spec.client_order_id)

    monkeypatch.setattr(service.broker, "submit", accepted_then_timeout)
    cid = service.new_client_order_id()
    result = service.place(limit_buy(), client_order_id=cid, actor=ACTOR)  # the lookup answered: outcome known
    assert [o.status for o in result.orders] == [OrderStatus.NEW]
    assert service.journal.get_order(cid).status is OrderStatus.NEW  # looked up, not resent
    assert len(service.broker.open_orders()) == 1


def test_an_unknown_outcome_is_never_called_rejected(service, monkeypatch):
    def timeout(spec):
        raise OutcomeUnknown("timeout after sending", client_order_id=spec.client_order_id)

    def lookup_fails(symbol, cid):
        raise OutcomeUnknown("the lookup timed out too", client_order_id=cid)

    monkeypatch.setattr(service.broker, "submit", timeout)
    monkeypatch.setattr(service.broker, "get_order", lookup_fails)
    cid = service.new_client_order_id()
    with pytest.raises(OutcomeUnknown):
        service.place(limit_buy(), client_order_id=cid, actor=ACTOR)
    assert service.journal.get_order(cid).status is OrderStatus.UNKNOWN  # reconcile decides, by client order id


def test_crash_between_send_and_ack_loses_nothing(settings, clock, feed, service, monkeypatch):
    from crbot.runtime import build_runtime

    def crash(*_a, **_k):
        raise KeyboardInterrupt("process killed")

    monkeypatch.setattr(service.journal, "record_ack", crash)
    cid = service.new_client_order_id()
    with pytest.raises(KeyboardInterrupt):
        service.place(limit_buy(), client_order_id=cid, actor=ACTOR)
    restarted = build_runtime(settings, clock=clock, feed=feed).service
    assert restarted.journal.get_order(cid).status is OrderStatus.INTENT
    restarted.start_up(actor="restart", full=False)  # the lookup by client order id: found, not resent
    assert restarted.journal.get_order(cid).status is OrderStatus.NEW


def test_resume_needs_the_typed_word(service):
    service.stop(reason="test", actor=ACTOR)
    with pytest.raises(InvalidInput, match="confirmation"):
        service.resume(confirmation="yes", actor=ACTOR)
    assert service.trading_state().state is TradingState.HALTED
    service.resume(confirmation="RESUME", actor=ACTOR)
    assert service.trading_state().state is TradingState.ACTIVE


def test_a_filled_entry_whose_exits_fail_is_reported_unprotected(service, monkeypatch):
    from crbot.errors import ExchangeRejected

    real = service.broker.submit_list

    def refuse(spec):
        raise ExchangeRejected("exchange refused the OCO", code=-2010)

    monkeypatch.setattr(service.broker, "submit_list", refuse)
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D("0.01"),
                       stop_loss=D("48000"), take_profit=D("52000"))  # fmt: skip
    with pytest.raises(ExchangeRejected, match="entry FILLED but its exits were not placed") as err:
        service.place(req, actor=ACTOR)
    assert "stop-loss" in err.value.hint
    assert any(e.action == "position_unprotected" and "0.00999" in e.detail for e in service.audit_events())
    assert service.positions()[0].quantity == D("0.00999")  # the position is real: nothing pretends otherwise
    monkeypatch.setattr(service.broker, "submit_list", real)


def test_a_single_orders_result_is_what_the_journal_holds(service):
    for request in (
        limit_buy(),
        OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D("0.001")),
    ):
        result = service.place(request, actor=ACTOR)
        assert result.orders == tuple(service.journal.get_orders([result.client_order_id]))
        assert result.orders[0].order_id is not None and result.message == "sent"
