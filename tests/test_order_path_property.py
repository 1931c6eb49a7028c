"""Property: whatever a trader types on the ticket, nothing invalid ever reaches the broker.

Every request either fails before the broker (InvalidInput / FilterError / Denied, and then the journal
holds no order for it) or what the broker receives is exact: on tick and step, inside the exchange filters,
inside the risk limits, with a bracket's exits on the right side of the entry.
"""

from decimal import Decimal as D

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crbot.domain import OrderListSpec, OrderRequest, OrderSpec, OrderType, Side
from crbot.errors import CrbotError, ExchangeRejected
from crbot.exchange import filters

PRICES = {"BTCUSDT": D("50000"), "ETHUSDT": D("3000")}


def around(center: D, spread: str, places: int) -> st.SearchStrategy:
    """Mostly plausible values near ``center``, sometimes fat-fingered, absurd, zero, negative or missing."""
    near = st.decimals(min_value=center * (1 - D(spread)), max_value=center * (1 + D(spread)), places=places)
    absurd = st.sampled_from([D(0), D("-1"), D("1e-12"), D("1e12"), center * 10, center / 10])
    return st.one_of(*[near] * 6, absurd, st.none())


@st.composite
def requests(draw: st.DrawFn) -> OrderRequest:
    symbol = draw(st.sampled_from([*PRICES, *PRICES, "NOPEUSDT"]))
    last = PRICES.get(symbol, D(100))
    side = draw(st.sampled_from([Side.BUY, Side.SELL]))
    sized_in_quote = draw(st.booleans())
    bracket = draw(st.booleans())
    return OrderRequest(
        symbol=draw(st.sampled_from([symbol, symbol.lower(), f" {symbol} "])),
        side=side,
        type=draw(st.sampled_from([OrderType.LIMIT, OrderType.MARKET])),
        quantity=None if sized_in_quote else draw(around(D(300) / last, "0.99", 7)),
        quote_amount=draw(around(D(300), "0.99", 3)) if sized_in_quote else None,
        price=draw(around(last, "0.08", 3)),
        stop_loss=draw(around(last * (D("0.97") if side is Side.BUY else D("1.03")), "0.05", 3)) if bracket else None,
        take_profit=draw(around(last * (D("1.03") if side is Side.BUY else D("0.97")), "0.05", 3)) if bracket else None,
    )


SENT: list[int] = []  # how many examples reached the broker (checked below: the property is not vacuous)


class Recording:
    """Wraps the real paper broker; records every order that reaches it."""

    def __init__(self, broker):
        self._broker = broker
        self.sent: list[OrderSpec] = []

    def submit(self, spec: OrderSpec):
        self.sent.append(spec)
        return self._broker.submit(spec)

    def submit_list(self, spec: OrderListSpec):
        self.sent.extend(spec.orders)
        return self._broker.submit_list(spec)

    def __getattr__(self, name: str):
        return getattr(self._broker, name)


@settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(req=requests())
# Brackets that must get through, so the exit-leg assertions below always run on real sends:
@example(req=OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=D("0.004"), price=D("49500"),
                          stop_loss=D("48000"), take_profit=D("52000")))  # fmt: skip
@example(req=OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, quote_amount=D("200"),
                          stop_loss=D("2900"), take_profit=D("3100")))  # fmt: skip
def test_nothing_invalid_reaches_the_broker(service, clock, req):
    recording = Recording(service.broker)
    service.broker = recording
    try:
        service.place(req, actor="property")
    except ExchangeRejected:
        pass  # the exchange itself said no (e.g. balance): it was still a valid order, checked below
    except CrbotError:
        assert recording.sent == []  # refused before any broker saw it
    finally:
        service.broker = recording._broker
    SENT.append(len(recording.sent))
    limits = service.risk_limits()
    rules = service.broker.rules()
    for spec in recording.sent:
        r = rules[spec.symbol]
        avg = service.broker.avg_price(spec.symbol)
        filters.validate_order(r, spec, avg_price=avg, open_orders=0)  # raises if anything is off
        assert spec.quantity > 0 and spec.quantity % r.step_size == 0
        for price in (spec.price, spec.stop_price):
            assert price is None or (price > 0 and price % r.tick_size == 0)
        if spec.type in (OrderType.LIMIT, OrderType.MARKET):  # the entry
            ref = spec.price or avg
            assert spec.quantity * ref <= limits.max_order_notional
            assert abs(ref - PRICES[spec.symbol]) <= PRICES[spec.symbol] * limits.price_band_pct / 100
    entries = [s for s in recording.sent if s.type in (OrderType.LIMIT, OrderType.MARKET)]
    for exit_leg in (s for s in recording.sent if s not in entries):
        entry = entries[0]
        ref = entry.price or service.broker.avg_price(entry.symbol)
        assert exit_leg.side is entry.side.opposite
        if exit_leg.type is OrderType.LIMIT_MAKER:  # take-profit beyond the entry
            assert (exit_leg.price > ref) if entry.side is Side.BUY else (exit_leg.price < ref)
        else:  # stop-loss on the losing side
            assert (exit_leg.stop_price < ref) if entry.side is Side.BUY else (exit_leg.stop_price > ref)
    for symbol in PRICES:  # keep the book small so later examples are not all denied for open orders
        service.broker.cancel_all(symbol)
    clock.advance(30)  # and under the order-rate limit


def test_the_property_was_not_vacuous():
    """Runs after the property in this file: a good share of the generated tickets were really sent."""
    assert len(SENT) >= 150
    assert sum(1 for n in SENT if n) >= 10, SENT
    assert any(n >= 2 for n in SENT), SENT  # brackets too
