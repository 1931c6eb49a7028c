"""History has no horizon (issue 7, point 4), through the real BinanceBroker and python-binance Client against
the local exchange: 10 days alone, then every fill is journaled, paged within Binance's limits (myTrades and
allOrders by ``fromId`` / ``orderId``, 1000 a page, never a time window), and a later reconcile asks for
nothing but the trades after the journal's last one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from crbot.domain import OrderRequest, OrderSpec, OrderType, Side
from crbot.localexchange.server import Request, Response
from crbot.reconcile import Action
from tests.integration.rig import Rig, start_rig
from tests.test_reconcile_history import BTC, ETH, assert_all_four_journaled, leave_two_brackets_alone_for_ten_days

HISTORY = ("/api/v3/myTrades", "/api/v3/allOrders")


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    # pages of 1000 rows: the fault tests' 0.3 s client timeout is too short for them on a busy machine
    monkeypatch.setattr("tests.integration.rig.CLIENT_TIMEOUT_S", 10.0)
    yield from start_rig(tmp_path, monkeypatch)


def history_params(rig: Rig) -> list[tuple[str, dict[str, str]]]:
    """Every history request the exchange receives from now on: (path, its parameters)."""
    seen: list[tuple[str, dict[str, str]]] = []
    handle = rig.exchange.handle

    def logged(req: Request) -> Response:
        if req.path in HISTORY:
            params = {k: v[-1] for k, v in parse_qs(req.raw_query).items()}
            seen.append((req.path, {k: v for k, v in params.items() if k not in ("timestamp", "signature")}))
        return handle(req)

    rig.exchange.handle = logged  # type: ignore[method-assign]
    return seen


def test_ten_days_alone_reconcile_journals_every_fill_by_id(rig: Rig) -> None:
    seen = history_params(rig)
    leave_two_brackets_alone_for_ten_days(rig.service, rig.feed, rig.clock)
    seen.clear()

    dry = rig.service.reconcile(apply=False)
    assert not dry.clean and not dry.errors
    records = {d.symbol: d.exchange for d in dry.differences if d.action is Action.RECORD_FILLS}
    assert records == {BTC: "2 new fills", ETH: "2 new fills"}
    assert rig.service.journal.fills() == []
    rig.service.reconcile()
    for path, params in seen:  # the journal knew no fill: each symbol's history from its first trade
        assert path == "/api/v3/myTrades" and params["fromId"] == "0" and params["limit"] == "1000", params
        assert not {"startTime", "endTime"} & set(params)
    assert_all_four_journaled(rig.service)

    seen.clear()
    assert rig.service.reconcile().clean
    cursors = {p["symbol"]: p["fromId"] for _, p in seen}
    newest = {s: max(f.trade_id for f in rig.service.journal.fills(symbol=s)) for s in (BTC, ETH)}
    assert cursors == {s: str(newest[s] + 1) for s in (BTC, ETH)}  # one call per symbol, after the last known


def test_ten_days_alone_sync_journals_every_fill(rig: Rig) -> None:
    leave_two_brackets_alone_for_ten_days(rig.service, rig.feed, rig.clock)
    rig.service.sync()
    assert_all_four_journaled(rig.service)


def test_more_than_a_page_of_outside_history_is_paged_by_id(rig: Rig) -> None:
    """1,100 orders filled outside CRBOT on a symbol the journal knows, 10 days ago: two pages of trades
    (fromId) and two of orders (orderId) on the local exchange, all imported and journaled."""
    seen = history_params(rig)
    rig.service.place(OrderRequest(symbol=BTC, side=Side.BUY, quantity="0.001", price="48000"), actor="tester")
    market = OrderSpec(
        client_order_id="x", symbol=BTC, side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.0001")
    )
    for i in range(1100):
        rig.engine.new_order(replace(market, client_order_id=f"web-{i}"))
    rig.clock.advance(10 * 86400)
    seen.clear()

    report = rig.service.reconcile()

    assert not report.errors
    assert sum(d.action is Action.IMPORT for d in report.differences) == 1100
    assert len(rig.service.journal.fills(symbol=BTC)) == 1100
    trades = [p.get("fromId") for path, p in seen if path == "/api/v3/myTrades" and p["symbol"] == BTC]
    orders = [p.get("orderId") for path, p in seen if path == "/api/v3/allOrders"]
    # the pages asked, in order (a page asked again after a dropped keep-alive connection is a retry, not paging)
    assert list(dict.fromkeys(trades)) == ["0", "1001"] and list(dict.fromkeys(orders)) == ["2", "1002"]
    assert rig.service.reconcile().clean
