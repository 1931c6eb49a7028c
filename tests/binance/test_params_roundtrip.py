"""One format, both directions: what the connector sends (order_params / order_list_params) the local
exchange's reader (parse_order / parse_order_list over query.Params) reads back as the same order."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.binance.params import order_list_params, order_params, parse_order, parse_order_list
from crbot.binance.query import Params
from crbot.domain import OrderListSpec, OrderSpec, OrderType, Side
from crbot.errors import ExchangeRejected

D = Decimal
BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET, MAKER = OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER
SLL, TPL = OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT


def order(cid: str, side: Side, type_: OrderType, qty: str, price: str | None = None, stop: str | None = None):
    return OrderSpec(
        client_order_id=cid,
        symbol="BTCUSDT",
        side=side,
        type=type_,
        quantity=D(qty),
        price=D(price) if price else None,
        stop_price=D(stop) if stop else None,
    )


def received(params: dict[str, str], *, in_body: bool = False) -> Params:
    """The parameters as the server gets them: urlencoded, in the query string or the form body."""
    raw = urlencode(params)
    p = Params("", raw) if in_body else Params(raw, "")
    p.check()
    return p


ORDERS = [
    order("c-limit", BUY, LIMIT, "0.00001", price="50000.5"),
    order("c-market", SELL, MARKET, "0.00000001"),
    order("c-maker", SELL, MAKER, "1E-3", price="5.1E+4"),  # exponents in, plain text on the wire, equal back
    order("c-sl", SELL, SLL, "0.5", price="48900", stop="49000"),
    order("c-tp_1", BUY, TPL, "12345678.12345678", price="0.00000001", stop="0.00000002"),
]

LISTS = [
    # OCO exit of a long: take-profit above, stop below (the pair comes back as (above, below))
    OrderListSpec(
        list_client_id="oco-sell",
        symbol="BTCUSDT",
        working=None,
        pending=(order("tp", SELL, MAKER, "0.01", price="52000"), order("sl", SELL, SLL, "0.01", "48900", "49000")),
    ),
    # OCO exit of a short: mirrored, the stop is the leg above
    OrderListSpec(
        list_client_id="oco-buy",
        symbol="BTCUSDT",
        working=None,
        pending=(order("sl", BUY, SLL, "2", "51100", "51000"), order("tp", BUY, TPL, "2", "47000", "47100")),
    ),
    OrderListSpec(
        list_client_id="oto",
        symbol="BTCUSDT",
        working=order("entry", BUY, LIMIT, "0.002", price="50000"),
        pending=(order("exit", SELL, MAKER, "0.002", price="53000"),),
    ),
    OrderListSpec(
        list_client_id="oto-stop",
        symbol="BTCUSDT",
        working=order("entry", SELL, MAKER, "0.3", price="50500"),
        pending=(order("stop", BUY, SLL, "0.3", price="52100", stop="52000"),),
    ),
    OrderListSpec(
        list_client_id="otoco",
        symbol="BTCUSDT",
        working=order("entry", BUY, LIMIT, "0.001", price="50000"),
        pending=(order("tp", SELL, TPL, "0.001", "52000", "51900"), order("sl", SELL, SLL, "0.001", "48900", "49000")),
    ),
]


@pytest.mark.parametrize("in_body", [False, True])
@pytest.mark.parametrize("spec", ORDERS, ids=lambda s: s.client_order_id)
def test_an_order_reads_back_as_itself(spec: OrderSpec, in_body: bool) -> None:
    sent = order_params(spec)
    p = received(sent, in_body=in_body)
    back = parse_order(p, p.symbol({"BTCUSDT"}) or "")
    assert back == spec
    assert order_params(back) == sent  # and the text is stable


@pytest.mark.parametrize("spec", LISTS, ids=lambda s: s.list_client_id)
def test_an_order_list_reads_back_as_itself(spec: OrderListSpec) -> None:
    kind, sent = order_list_params(spec)
    back = parse_order_list(kind, received(sent), spec.symbol)
    assert back == spec
    assert order_list_params(back) == (kind, sent)


def test_the_kinds_are_the_ones_the_endpoints_name() -> None:
    assert [order_list_params(s)[0] for s in LISTS] == ["OCO", "OCO", "OTO", "OTO", "OTOCO"]


@settings(deadline=None)  # a pause of the machine is not a failure of the codec
@given(
    qty=st.decimals(min_value=D("0.00000001"), max_value=D("99999999"), places=8),
    price=st.decimals(min_value=D("0.00000001"), max_value=D("9999999"), places=8),
    side=st.sampled_from(Side),
    type_=st.sampled_from([LIMIT, MARKET, MAKER]),
)
def test_any_decimal_survives_the_wire(qty: Decimal, price: Decimal, side: Side, type_: OrderType) -> None:
    spec = OrderSpec(
        client_order_id="c-prop",
        symbol="ETHUSDT",
        side=side,
        type=type_,
        quantity=qty,
        price=price if type_.has_price else None,
    )
    assert parse_order(received(order_params(spec)), "ETHUSDT") == spec


def test_what_the_connector_never_sends_is_refused_as_binance_does() -> None:
    sent = order_params(ORDERS[0]) | {"timeInForce": "IOC"}  # OrderSpec carries GTC only
    with pytest.raises(ExchangeRejected) as info:
        parse_order(received(sent), "BTCUSDT")
    assert info.value.code == -1014
    sent = order_params(ORDERS[1]) | {"price": "1"}  # a price on a MARKET order
    with pytest.raises(ExchangeRejected) as info:
        parse_order(received(sent), "BTCUSDT")
    assert info.value.code == -1106
