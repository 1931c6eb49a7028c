"""PaperBroker: the Broker interface over the paper exchange, by delegation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.broker import paper as paper_module
from crbot.broker.base import Broker
from crbot.broker.paper import PaperBroker
from crbot.domain import ZERO, Mode, OrderListSpec, OrderStatus, OrderType, Side
from crbot.errors import InsufficientBalance, OrderNotFound
from tests.paper.test_engine_kit import BTC, FEES, Rig, sl, spec, tp

D = Decimal


@pytest.fixture
def setup(tmp_path: Path) -> tuple[PaperBroker, Rig]:
    rig = Rig(tmp_path / "paper.db")
    broker = PaperBroker(rig.engine, feed=rig.feed, clock=rig.clock, rules=rig.rules, commissions=FEES)
    return broker, rig


def test_it_is_a_broker_named_paper_with_the_feeds_label_and_prices(setup: tuple[PaperBroker, Rig]) -> None:
    broker, rig = setup
    as_broker: Broker = broker  # structural: type-checks against the protocol
    assert as_broker.name == "paper"
    assert broker.price_source() == rig.feed.label
    assert broker.last_price(BTC) == broker.avg_price(BTC) == D("50000")
    rig.move("50123.45")
    assert broker.last_price(BTC) == D("50123.45")
    assert set(broker.rules()) == set(rig.rules)
    ping = broker.ping()
    assert isinstance(ping, float) and ping >= 0


def test_connection_info_has_the_paper_books_round_trip_and_fees_and_no_network_facts(
    setup: tuple[PaperBroker, Rig],
) -> None:
    info = setup[0].connection_info()
    assert info.mode is Mode.PAPER and "paper" in info.endpoint and info.error is None
    assert info.ping_ms is not None and (info.maker, info.taker) == (FEES.maker, FEES.taker)
    assert info.weight_limit is None and info.banned_until is None and info.key_audit is None


def test_account_reports_balances_and_commissions(setup: tuple[PaperBroker, Rig]) -> None:
    broker, _ = setup
    account = broker.account()
    assert account.commissions == FEES and account.can_trade
    assert [(b.asset, b.total) for b in account.balances] == [("USDT", D("10000"))]
    assert broker.balances() == list(account.balances)


def test_submit_query_cancel_by_client_order_id(setup: tuple[PaperBroker, Rig]) -> None:
    broker, _ = setup
    ack = broker.submit(spec("c1", Side.BUY, "0.01", "49000"))
    assert ack.status is OrderStatus.NEW and ack.client_order_id == "c1"
    assert broker.get_order(BTC, "c1") == ack
    assert [o.client_order_id for o in broker.open_orders()] == ["c1"]
    assert broker.cancel(BTC, "c1").status is OrderStatus.CANCELED
    assert broker.open_orders(BTC) == []
    with pytest.raises(OrderNotFound) as err:
        broker.get_order(BTC, "never")
    assert err.value.code == -2013
    with pytest.raises(InsufficientBalance):
        broker.submit(spec("big", Side.BUY, "1", "49000"))


def test_submit_list_and_cancel_all(setup: tuple[PaperBroker, Rig]) -> None:
    broker, _ = setup
    views = broker.submit_list(
        OrderListSpec(
            list_client_id="br",
            symbol=BTC,
            working=spec("br-in", Side.BUY, "0.001", "49000"),
            pending=(tp("br-tp", Side.SELL, "0.00099", "51000"), sl("br-sl", Side.SELL, "0.00099", "48000", "47760")),
        )
    )
    assert [v.status for v in views] == [OrderStatus.NEW, OrderStatus.PENDING_NEW, OrderStatus.PENDING_NEW]
    assert len(broker.cancel_all(BTC)) == 3
    assert broker.balances()[0].locked == ZERO


def test_all_orders_and_trades_since_a_time_include_fills_made_while_nobody_watched(
    setup: tuple[PaperBroker, Rig],
) -> None:
    broker, rig = setup
    t0 = rig.clock.now()
    broker.submit(spec("m", Side.BUY, "0.001", type=OrderType.MARKET))
    rig.clock.advance(60)
    broker.submit(spec("l", Side.BUY, "0.001", "49000"))
    rig.move("48000", seconds=60)
    assert [o.client_order_id for o in broker.all_orders(BTC, since=t0)] == ["m", "l"]
    assert [o.client_order_id for o in broker.all_orders(BTC, since=t0 + timedelta(seconds=30))] == ["l"]
    fills = broker.trades(BTC, since=t0 + timedelta(seconds=1))
    assert [(f.price, f.is_maker) for f in fills] == [(D("49000"), True)]


def test_trades_pages_through_more_fills_than_one_page(
    setup: tuple[PaperBroker, Rig], monkeypatch: pytest.MonkeyPatch
) -> None:
    broker, rig = setup
    monkeypatch.setattr(paper_module, "MAX_LIMIT", 2)
    for i in range(5):
        broker.submit(spec(f"m{i}", Side.BUY, "0.001", type=OrderType.MARKET))
        rig.clock.advance(1)
    assert [f.trade_id for f in broker.trades(BTC)] == [1, 2, 3, 4, 5]


def test_the_runtime_builds_a_paper_broker_over_this_engine(request: pytest.FixtureRequest) -> None:
    runtime = request.getfixturevalue("runtime")
    assert isinstance(runtime.broker, PaperBroker)
    assert runtime.broker.name == "paper"
    assert [b.asset for b in runtime.broker.balances()] == ["USDT"]
