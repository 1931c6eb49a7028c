from decimal import Decimal as D

import pytest

from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import InvalidInput
from crbot.exchange.bundled import load_bundled_rules
from crbot.normalize import new_client_order_id, normalise

RULES = load_bundled_rules()["BTCUSDT"]
FEE = D("0.001")


def norm(**kw):
    req = OrderRequest(symbol="BTCUSDT", side=kw.pop("side", Side.BUY), **kw)
    return normalise(req, RULES, last_price=D("50000"), fee_rate=FEE, client_order_id="crb-1")


def test_limit_rounds_price_to_tick_and_quantity_down_to_step():
    n = norm(quantity=D("0.0012345"), price=D("49999.987"))
    assert n.entry.price == D("49999.99")
    assert n.entry.quantity == D("0.00123")
    assert n.exits is None and n.as_list is None


def test_quote_amount_buys_what_it_can_at_the_reference_price():
    n = norm(type=OrderType.MARKET, quote_amount=D("100"))
    assert n.entry.quantity == D("0.00200")
    assert n.entry.price is None and n.reference_price == D("50000")


def test_limit_bracket_is_one_otoco_list_with_exits_net_of_fees():
    n = norm(quantity=D("0.001"), price=D("49000"), stop_loss=D("48000"), take_profit=D("51000"))
    lst = n.as_list
    assert lst is not None and lst.working == n.entry
    tp, sl = lst.pending
    assert (tp.type, tp.side, tp.price) == (OrderType.LIMIT_MAKER, Side.SELL, D("51000"))
    assert (sl.type, sl.stop_price) == (OrderType.STOP_LOSS_LIMIT, D("48000"))
    assert sl.price < sl.stop_price  # a sell stop's limit sits through the stop so it fills
    # 0.001 BTC bought at 0.1 % leaves 0.000999 BTC: the exits sell what is really held
    assert tp.quantity == sl.quantity == D("0.00099")


def test_market_bracket_places_an_oco_after_the_fill():
    n = norm(type=OrderType.MARKET, quantity=D("0.01"), stop_loss=D("49000"), take_profit=D("52000"))
    assert n.as_list is None
    assert n.exits is not None and n.exits.working is None and len(n.exits.pending) == 2


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"quantity": D("0.001")}, "needs a price"),
        ({"price": D("50000")}, "either a quantity or a quote amount"),
        ({"quantity": D("0.001"), "quote_amount": D("5"), "price": D("1")}, "either a quantity"),
        ({"quantity": D("-1"), "price": D("50000")}, "positive"),
        ({"quantity": D("0.000001"), "price": D("50000")}, r"quantity 0.000001 rounds down to 0 .*\(LOT_SIZE\)"),
        ({"quantity": D("0.001"), "price": D("1E-12")}, r"price 0.000000000001 rounds to 0 .*\(PRICE_FILTER\)"),
        ({"quantity": D("0.001"), "price": D("49000"), "stop_loss": D("49500")}, "stop-loss"),
        ({"quantity": D("0.001"), "price": D("49000"), "take_profit": D("48000")}, "take-profit"),
    ],
)
def test_bad_input_is_refused_with_what_to_fix(kw, words):
    with pytest.raises(InvalidInput, match=words) as err:
        norm(**kw)
    assert err.value.hint


def test_sell_bracket_mirrors_the_geometry():
    n = norm(side=Side.SELL, quantity=D("0.001"), price=D("51000"), stop_loss=D("52000"), take_profit=D("50000"))
    tp, sl = n.as_list.pending
    assert tp.side is Side.BUY and sl.price > sl.stop_price
    assert tp.quantity == D("0.001")  # a BUY exit pays its fee in the base asset it receives


def test_client_order_ids_fit_binance_rules():
    ids = {new_client_order_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) <= 36 and i.replace("-", "").replace("_", "").isalnum() for i in ids)
    assert all(len(i + "-list") <= 36 for i in ids)
