"""Exchange filters: exact Decimal grid arithmetic and the checks of filters.md, with the numbers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.domain import OrderSpec, OrderType, Side
from crbot.errors import FilterError, InvalidInput
from crbot.exchange.bundled import load_bundled_rules
from crbot.exchange.filters import floor_qty, round_price, validate_order
from crbot.exchange.rules import SymbolRules

RULES = load_bundled_rules()
BTC = RULES["BTCUSDT"]
D = Decimal


def spec(**kw: object) -> OrderSpec:
    base: dict[str, object] = {
        "client_order_id": "t1",
        "symbol": "BTCUSDT",
        "side": Side.BUY,
        "type": OrderType.LIMIT,
        "quantity": D("0.001"),
        "price": D("90000"),
    }
    base.update(kw)
    return OrderSpec(**base)  # type: ignore[arg-type]


def check(rules: SymbolRules = BTC, avg: str = "90000", open_orders: int = 0, adds: int = 1, **kw: object) -> None:
    validate_order(rules, spec(**kw), avg_price=D(avg), open_orders=open_orders, adds=adds)


def failure(**kw: object) -> FilterError:
    with pytest.raises(FilterError) as info:
        check(**kw)
    return info.value


def with_filter(rules: SymbolRules, filter_type: str, **values: object) -> SymbolRules:
    filters = {k: dict(v) for k, v in rules.filters.items()}
    filters.setdefault(filter_type, {"filterType": filter_type}).update(values)
    return replace(rules, filters=filters)


def without(rules: SymbolRules, *filter_types: str) -> SymbolRules:
    return replace(rules, filters={k: v for k, v in rules.filters.items() if k not in filter_types})


# --- rounding ----------------------------------------------------------------------------------


def test_round_price_nearest_ceil_floor() -> None:
    assert round_price(BTC, D("90000.004")) == D("90000.00")
    assert round_price(BTC, D("90000.005")) == D("90000.01")  # half up
    assert round_price(BTC, D("90000.001"), up=True) == D("90000.01")
    assert round_price(BTC, D("90000.009"), up=False) == D("90000.00")
    assert round_price(BTC, D("90000.01"), up=True) == D("90000.01")  # already on tick: unchanged


def test_round_price_keeps_the_tick_notation() -> None:
    assert str(round_price(BTC, D("90000"))) == "90000.00"
    assert str(round_price(RULES["SHIBUSDT"], D("0.0000123456"))) == "0.00001235"


def test_round_price_non_decimal_ticks() -> None:
    five = with_filter(BTC, "PRICE_FILTER", tickSize="0.05000000")
    assert round_price(five, D("1.02")) == D("1.00")
    assert round_price(five, D("1.03")) == D("1.05")
    ten = with_filter(BTC, "PRICE_FILTER", tickSize="10")
    assert format(round_price(ten, D("94"), up=False), "f") == "90"


def test_tick_zero_means_no_rounding() -> None:
    free = with_filter(BTC, "PRICE_FILTER", tickSize="0")
    assert round_price(free, D("1.23456789")) == D("1.23456789")


def test_floor_qty_uses_lot_size_and_market_lot_size_when_it_has_a_step() -> None:
    assert floor_qty(BTC, D("0.123456789")) == D("0.12345")
    # BTCUSDT's MARKET_LOT_SIZE stepSize is 0: LOT_SIZE's step applies to market orders too
    assert floor_qty(BTC, D("0.123456789"), market=True) == D("0.12345")
    coarse = with_filter(BTC, "MARKET_LOT_SIZE", stepSize="0.01000000")
    assert floor_qty(coarse, D("0.123456789"), market=True) == D("0.12")
    assert floor_qty(coarse, D("0.123456789")) == D("0.12345")


def test_floor_qty_of_huge_and_tiny_numbers_is_exact() -> None:
    assert floor_qty(BTC, D("123456789012345.123456789")) == D("123456789012345.12345")
    assert floor_qty(BTC, D("0.000009")) == 0
    assert floor_qty(RULES["DOGEUSDT"], D("1234.9")) == D("1234")


# --- validate_order: each filter ---------------------------------------------------------------


def test_a_valid_order_passes() -> None:
    check()
    check(type=OrderType.MARKET, price=None)
    check(type=OrderType.LIMIT_MAKER)
    check(type=OrderType.STOP_LOSS_LIMIT, side=Side.SELL, price=D("85000"), stop_price=D("85100"))


def test_lot_size_step_message_has_the_numbers_and_the_neighbours() -> None:
    err = failure(quantity=D("0.000015"))
    assert err.filter_type == "LOT_SIZE"
    assert err.message == "quantity 0.000015 is not a multiple of the step 0.00001"
    assert err.hint == "round to a multiple of 0.00001 (e.g. 0.00001 or 0.00002)"


def test_lot_size_min_and_max() -> None:
    assert "below the minimum 0.00001" in failure(quantity=D("0.000001"), price=D("90000")).message
    err = failure(quantity=D("9000.00001"), price=D("0.01"), avg="0.01")
    assert err.filter_type == "LOT_SIZE" and "above the maximum 9000" in err.message


def test_zero_or_negative_quantity_is_a_lot_size_failure() -> None:
    assert failure(quantity=D(0)).filter_type == "LOT_SIZE"
    assert failure(quantity=D("-1")).filter_type == "LOT_SIZE"


def test_market_lot_size_caps_market_orders_only() -> None:
    big = D("80")  # above BTCUSDT's MARKET_LOT_SIZE maxQty (71.43...), below LOT_SIZE's 9000
    err = failure(type=OrderType.MARKET, price=None, quantity=big)
    assert err.filter_type == "MARKET_LOT_SIZE"
    assert "LIMIT" in err.hint
    check(quantity=big)  # a LIMIT order of the same size is fine


def test_price_filter_tick_min_max() -> None:
    err = failure(price=D("90000.001"))
    assert err.filter_type == "PRICE_FILTER"
    assert err.message == "price 90000.001 is not a multiple of the tick size 0.01"
    assert err.hint == "round to a multiple of 0.01 (e.g. 90000 or 90000.01)"
    err = failure(price=D("0.001"), quantity=D("9000"), avg="0.001")
    assert "below the minimum 0.01" in err.message
    assert "above the maximum 1000000" in failure(price=D("1000000.01"), avg="1000000").message


def test_price_filter_checks_the_stop_price() -> None:
    err = failure(type=OrderType.STOP_LOSS_LIMIT, side=Side.SELL, price=D("85000"), stop_price=D("85000.005"))
    assert err.filter_type == "PRICE_FILTER"
    assert "stop price 85000.005" in err.message


def test_price_filter_rules_are_off_when_zero() -> None:
    loose = with_filter(BTC, "PRICE_FILTER", minPrice="0", maxPrice="0", tickSize="0")
    check(rules=loose, price=D("90000.123456"), quantity=D("0.001"))


def test_trailing_zeros_and_exponents_do_not_fool_the_remainder() -> None:
    check(quantity=D("0.00100000"), price=D("90000.0000"))
    check(quantity=D("1E-3"), price=D("9.000E+4"))
    odd = with_filter(BTC, "LOT_SIZE", stepSize="0.00001000", minQty="0.00001000")
    check(rules=odd, quantity=D("0.00102"))


def test_notional_minimum_message() -> None:
    err = failure(quantity=D("0.00005"), price=D("84000"))
    assert err.filter_type == "NOTIONAL"
    assert err.message == "order value 4.20 USDT is below the minimum 5 USDT"
    assert err.hint.startswith("increase the quantity to at least 0.00006")
    check(quantity=D("0.00006"), price=D("84000"))  # the suggested quantity passes


def test_notional_maximum() -> None:
    err = failure(quantity=D("101"), price=D("90000"))
    assert err.filter_type == "NOTIONAL" and "above the maximum 9000000 USDT" in err.message
    assert "at most 100" in err.hint


def test_notional_for_market_orders_uses_the_average_price_and_the_apply_flags() -> None:
    err = failure(type=OrderType.MARKET, price=None, quantity=D("0.00005"), avg="84000")
    assert err.filter_type == "NOTIONAL"
    assert "4.20 USDT" in err.message
    # applyMaxToMarket is false on BTCUSDT: a huge market order (within MARKET_LOT_SIZE) is not capped
    check(type=OrderType.MARKET, price=None, quantity=D("70"), avg="200000")
    off = with_filter(BTC, "NOTIONAL", applyMinToMarket=False)
    check(rules=off, type=OrderType.MARKET, price=None, quantity=D("0.00001"))


def test_market_order_without_an_average_price_is_rejected() -> None:
    err = failure(type=OrderType.MARKET, price=None, quantity=D("0.001"), avg="0")
    assert err.filter_type == "NOTIONAL" and "no average price" in err.message


def test_legacy_min_notional() -> None:
    legacy = with_filter(
        without(BTC, "NOTIONAL"), "MIN_NOTIONAL", minNotional="10.00000000", applyToMarket=True, avgPriceMins=5
    )
    err = failure(rules=legacy, quantity=D("0.0001"), price=D("90000"))  # 9 USDT
    assert err.filter_type == "MIN_NOTIONAL" and "below the minimum 10 USDT" in err.message
    check(rules=legacy, quantity=D("0.00012"), price=D("90000"))
    assert failure(rules=legacy, type=OrderType.MARKET, price=None, quantity=D("0.0001")).filter_type == "MIN_NOTIONAL"


def test_percent_price_by_side() -> None:
    err = failure(price=D("17999.99"), quantity=D("0.01"))
    assert err.filter_type == "PERCENT_PRICE_BY_SIDE"
    assert "BUY price 17999.99 is too far below the market for the exchange (average price 90000.00" in err.message
    assert err.hint == "use a price between 18000 and 450000"
    check(price=D("18000"), quantity=D("0.001"))
    tight = with_filter(BTC, "PERCENT_PRICE_BY_SIDE", askMultiplierUp="1.05", askMultiplierDown="0.95")
    check(rules=tight, price=D("120000"))  # the ask band does not apply to a BUY
    err = failure(rules=tight, side=Side.SELL, price=D("94500.01"))
    assert "too far above" in err.message and "94500" in err.message
    check(rules=tight, side=Side.SELL, price=D("94500"))


def test_percent_price_needs_an_average() -> None:
    assert "no average price" in failure(avg="0").message


def test_legacy_percent_price() -> None:
    legacy = with_filter(
        without(BTC, "PERCENT_PRICE_BY_SIDE"), "PERCENT_PRICE", multiplierUp="1.1", multiplierDown="0.9"
    )
    assert failure(rules=legacy, price=D("80999.99")).filter_type == "PERCENT_PRICE"
    check(rules=legacy, price=D("81000"))


def test_max_num_orders_counts_what_the_request_adds() -> None:
    check(open_orders=199)
    err = failure(open_orders=200)
    assert err.filter_type == "MAX_NUM_ORDERS" and "limit of 200" in err.message
    check(open_orders=197, adds=3)  # an OTOCO adds 3
    assert failure(open_orders=198, adds=3).filter_type == "MAX_NUM_ORDERS"


def test_symbol_status_and_order_types() -> None:
    halted = replace(BTC, status="BREAK")
    err = failure(rules=halted)
    assert err.filter_type == "SYMBOL" and "status BREAK" in err.message
    no_maker = replace(BTC, order_types=("LIMIT", "MARKET"))
    err = failure(rules=no_maker, type=OrderType.LIMIT_MAKER)
    assert err.filter_type == "SYMBOL" and "LIMIT_MAKER is not allowed" in err.message
    assert failure(symbol="ETHUSDT").filter_type == "SYMBOL"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"price": None}, -1102),
        ({"type": OrderType.MARKET}, -1106),
        ({"type": OrderType.STOP_LOSS_LIMIT, "side": Side.SELL, "price": D("85000")}, -1102),
        ({"stop_price": D("85000")}, -1106),
        ({"quantity": D("NaN")}, -1100),
    ],
)
def test_malformed_orders_are_invalid_input_not_filter_failures(kw: dict[str, object], code: int) -> None:
    with pytest.raises(InvalidInput) as info:
        check(**kw)
    assert not isinstance(info.value, FilterError)
    assert info.value.code == code


def test_every_bundled_symbol_accepts_a_sane_order() -> None:
    for rules in RULES.values():
        price = D(rules.filters["PRICE_FILTER"]["tickSize"]) * 1000
        qty = floor_qty(rules, D(10) / price) + rules.step_size
        qty = max(qty, floor_qty(rules, D(6) / price, market=False) + rules.step_size)
        validate_order(
            rules,
            spec(symbol=rules.symbol, price=price, quantity=qty),
            avg_price=price,
            open_orders=0,
        )


# --- properties ---------------------------------------------------------------------------------

SYMBOLS = sorted(RULES)
prices = st.decimals(min_value=D("0.00000001"), max_value=D("999999"), places=9, allow_nan=False)
quantities = st.decimals(min_value=D(0), max_value=D("100000"), places=9, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(symbol=st.sampled_from(SYMBOLS), price=prices, up=st.sampled_from([None, True, False]))
def test_round_price_lands_on_the_tick_in_the_right_direction(symbol: str, price: Decimal, up: bool | None) -> None:
    rules = RULES[symbol]
    tick = rules.tick_size
    rounded = round_price(rules, price, up=up)
    assert rounded % tick == 0
    assert abs(rounded - price) < tick if up is not None else abs(rounded - price) <= tick / 2
    if up is True:
        assert rounded >= price
    if up is False:
        assert rounded <= price


@settings(max_examples=300, deadline=None)
@given(symbol=st.sampled_from(SYMBOLS), qty=quantities, market=st.booleans())
def test_floored_qty_above_min_always_passes_lot_size(symbol: str, qty: Decimal, market: bool) -> None:
    rules = RULES[symbol]
    floored = floor_qty(rules, qty, market=market)
    assert D(0) <= qty - floored < rules.step_size
    lot_min = rules.value("LOT_SIZE", "minQty") or D(0)
    lot_max = rules.value("LOT_SIZE", "maxQty") or D(0)
    if floored < lot_min or floored > lot_max:
        return
    price = round_price(rules, D(100))
    try:
        validate_order(rules, spec(symbol=symbol, quantity=floored, price=price), avg_price=price, open_orders=0)
    except FilterError as exc:
        assert exc.filter_type not in ("LOT_SIZE", "MARKET_LOT_SIZE"), exc


@settings(max_examples=300, deadline=None)
@given(symbol=st.sampled_from(SYMBOLS), price=prices)
def test_validate_never_accepts_an_off_tick_price(symbol: str, price: Decimal) -> None:
    rules = RULES[symbol]
    order = spec(symbol=symbol, price=price, quantity=rules.step_size)
    if price % rules.tick_size == 0:
        return
    with pytest.raises(FilterError) as info:
        validate_order(rules, order, avg_price=price, open_orders=0)
    assert info.value.filter_type == "PRICE_FILTER"


@settings(max_examples=200, deadline=None)
@given(
    symbol=st.sampled_from(SYMBOLS),
    price=st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4),
    qty=st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3),
)
def test_notional_failures_are_exactly_below_min_or_above_max(symbol: str, price: Decimal, qty: Decimal) -> None:
    rules = RULES[symbol]
    price = round_price(rules, price)
    qty = floor_qty(rules, qty)
    if price <= 0 or qty < (rules.value("LOT_SIZE", "minQty") or 0):
        return
    value = price * qty
    try:
        validate_order(rules, spec(symbol=symbol, price=price, quantity=qty), avg_price=price, open_orders=0)
    except FilterError as exc:
        if exc.filter_type == "NOTIONAL":
            assert value < 5 or value > 9000000
        return
    assert 5 <= value <= 9000000
