"""Shared rig for the matching engine tests: a paper exchange on a temporary SQLite file or PostgreSQL
database (the ``book`` fixture, tests/paper/conftest.py), a manual clock,
a manual feed, and an independent ledger check that recomputes balances and locks from first principles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.clock import Clock, ManualClock
from crbot.domain import ZERO, Commissions, ListKind, OrderListSpec, OrderSpec, OrderStatus, OrderType, OrderView, Side
from crbot.exchange.bundled import load_bundled_rules
from crbot.exchange.rules import SymbolRules
from crbot.market.feed import ManualFeed
from crbot.paper.factory import PaperMarket
from crbot.paper.factory import paper_market as _paper_market

D = Decimal
BTC = "BTCUSDT"
ETH = "ETHUSDT"
FEES = Commissions(maker=D("0.001"), taker=D("0.001"))
START = {"USDT": D("10000")}
PRICES = {BTC: D("50000"), ETH: D("3000")}


def paper_market(
    path: Path | str,
    *,
    clock: Clock,
    feed: ManualFeed,
    rules: Mapping[str, SymbolRules] | None = None,
    fees: Commissions = FEES,
    slippage: str = "0",
    balances: Mapping[str, Decimal] = START,
) -> PaperMarket:
    """The tests' paper exchange on the SQLite file ``path`` (or a database URL): bundled rules, 0.1% fees, no
    slippage, 10,000 USDT."""
    return _paper_market(
        path if isinstance(path, str) else f"sqlite:///{path}",
        feed=feed,
        clock=clock,
        rules=rules if rules is not None else load_bundled_rules(),
        commissions=fees,
        slippage_bps=D(slippage),
        starting_balances=balances,
    )


class Rig:
    """One paper account: engine + the clock and feed it reads."""

    def __init__(
        self,
        path: Path | str,
        *,
        balances: Mapping[str, Decimal] = START,
        slippage: str = "0",
        fees: Commissions = FEES,
        rules: dict[str, SymbolRules] | None = None,
        clock: ManualClock | None = None,
        feed: ManualFeed | None = None,
    ) -> None:
        self.path = path
        self.clock = clock or ManualClock()
        self.feed = feed or ManualFeed(PRICES)
        self.rules = rules or load_bundled_rules()
        self.start = dict(balances)
        self.fees = fees
        market = paper_market(
            path, clock=self.clock, feed=self.feed, rules=self.rules, fees=fees, slippage=slippage, balances=balances
        )
        self.engine = market.engine

    def move(self, price: str, *, symbol: str = BTC, seconds: float = 1) -> None:
        """The market trades at ``price`` ``seconds`` later (the engine is not called)."""
        self.feed.move(symbol, price, self.clock.advance(seconds))

    def bal(self, asset: str) -> tuple[Decimal, Decimal]:
        for b in self.engine.balances():
            if b.asset == asset:
                return b.free, b.locked
        return ZERO, ZERO


@pytest.fixture
def rig(book: Callable[[str], Path | str]) -> Rig:
    return Rig(book("paper"))


def spec(
    cid: str,
    side: Side,
    qty: str,
    price: str | None = None,
    *,
    type: OrderType = OrderType.LIMIT,
    stop: str | None = None,
    symbol: str = BTC,
) -> OrderSpec:
    return OrderSpec(
        client_order_id=cid,
        symbol=symbol,
        side=side,
        type=type,
        quantity=D(qty),
        price=None if price is None else D(price),
        stop_price=None if stop is None else D(stop),
    )


def tp(cid: str, side: Side, qty: str, price: str) -> OrderSpec:
    return spec(cid, side, qty, price, type=OrderType.LIMIT_MAKER)


def sl(cid: str, side: Side, qty: str, stop: str, price: str) -> OrderSpec:
    return spec(cid, side, qty, price, type=OrderType.STOP_LOSS_LIMIT, stop=stop)


def oco(lid: str, *legs: OrderSpec) -> OrderListSpec:
    return OrderListSpec(list_client_id=lid, symbol=legs[0].symbol, working=None, pending=legs)


def bracket(lid: str, working: OrderSpec, *legs: OrderSpec) -> OrderListSpec:
    return OrderListSpec(list_client_id=lid, symbol=working.symbol, working=working, pending=legs)


def with_max_orders(rules: dict[str, SymbolRules], symbol: str, limit: int) -> dict[str, SymbolRules]:
    filters = dict(rules[symbol].filters)
    filters["MAX_NUM_ORDERS"] = {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": limit}
    return {**rules, symbol: replace(rules[symbol], filters=filters)}


def assert_ledger(rig: Rig) -> None:
    """Balances must equal start + every fill (fees as Binance charges them), and locks must equal exactly
    what the open orders hold (an active OCO pair once, pending legs nothing)."""
    total: dict[str, Decimal] = {a: D(v) for a, v in rig.start.items()}
    locked: dict[str, Decimal] = {}
    for symbol, rules in ((s, rig.rules[s]) for s in (BTC, ETH)):
        base, quote = rules.base_asset, rules.quote_asset
        for f in rig.engine.trades(symbol, limit=1000):
            sign = 1 if f.side is Side.BUY else -1
            total[base] = total.get(base, ZERO) + sign * f.quantity
            total[quote] = total.get(quote, ZERO) - sign * f.quote_qty
            total[f.commission_asset] -= f.commission
            assert f.commission_asset == (base if f.side is Side.BUY else quote)
            rate = rig.fees.maker if f.is_maker else rig.fees.taker
            assert f.commission == ((f.quantity if f.side is Side.BUY else f.quote_qty) * rate).quantize(D("1e-8"))
        paired: set[int] = set()
        for lst in rig.engine.order_lists(symbol=symbol):
            pending = lst.orders if lst.kind is ListKind.OCO else lst.orders[1:]
            active = [x for x in pending if x.status is OrderStatus.NEW]
            if lst.kind is not ListKind.OTO and len(active) == 2:  # an active OCO pair locks once
                paired.update(x.order_id for x in active)
                asset = quote if active[0].side is Side.BUY else base
                locked[asset] = locked.get(asset, ZERO) + max(_holds(x) for x in active)
        for o in rig.engine.open_orders(symbol):
            if o.status is OrderStatus.PENDING_NEW or o.order_id in paired:
                continue  # pending legs lock nothing until placed
            asset = quote if o.side is Side.BUY else base
            locked[asset] = locked.get(asset, ZERO) + _holds(o)
    for b in rig.engine.balances():
        assert b.free >= 0 and b.locked >= 0, b
        assert b.total == total.get(b.asset, ZERO), (b, total.get(b.asset))
        assert b.locked == locked.get(b.asset, ZERO), (b, locked.get(b.asset))


def _holds(o: OrderView) -> Decimal:
    left = o.quantity - o.executed_qty
    return (o.price or ZERO) * left if o.side is Side.BUY else left


def test_a_fresh_account_holds_its_starting_balances(rig: Rig) -> None:
    assert rig.bal("USDT") == (D("10000"), ZERO)
    assert rig.engine.open_orders() == []
    assert_ledger(rig)
