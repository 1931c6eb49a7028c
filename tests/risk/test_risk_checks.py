from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crbot.domain import Side, TradingState
from crbot.errors import Denied, InvalidInput
from crbot.risk import (
    CHECKS,
    DenialCode,
    IntentKind,
    OrderIntent,
    RiskContext,
    RiskLimits,
    all_denials,
    check,
)

D = Decimal
LIMITS = RiskLimits()


def ctx(**kw: object) -> RiskContext:
    base: dict[str, object] = {
        "state": TradingState.ACTIVE,
        "last_price": D("50000"),
        "position_qty": D("0.01"),
        "position_notional": {"BTCUSDT": D("500"), "ETHUSDT": D("300")},
        "open_buy_notional": D("200"),
        "open_orders": 2,
        "orders_last_minute": 1,
        "daily_pnl": D("-10"),
        "equity": D("10000"),
    }
    base.update(kw)
    return RiskContext(**base)  # type: ignore[arg-type]


def buy(qty: str = "0.01", price: str = "50000", symbol: str = "BTCUSDT", **kw: object) -> OrderIntent:
    return OrderIntent.build(
        symbol=symbol, side=Side.BUY, quantity=D(qty), price=D(price), position_qty=D("0.01"), **kw
    )  # type: ignore[arg-type]


def sell(qty: str = "0.01", price: str = "50000", held: str | None = "0.01", **kw: object) -> OrderIntent:
    return OrderIntent.build(
        symbol="BTCUSDT",
        side=Side.SELL,
        quantity=D(qty),
        price=D(price),
        position_qty=None if held is None else D(held),
        **kw,  # type: ignore[arg-type]
    )


def code_of(intent: OrderIntent, context: RiskContext, limits: RiskLimits = LIMITS) -> str | None:
    denial = check(intent, limits, context)
    return None if denial is None else denial.code


def test_a_normal_buy_passes() -> None:
    assert check(buy(), LIMITS, ctx()) is None


def test_build_works_out_notional_and_reduction() -> None:
    assert buy("0.02", "50000").notional == D("1000.00000")
    assert sell("0.01", held="0.01").reduces_position
    assert not sell("0.02", held="0.01").reduces_position
    assert not sell("0.01", held=None).reduces_position


def test_intent_rejects_non_positive_values() -> None:
    with pytest.raises(InvalidInput, match="quantity"):
        OrderIntent(symbol="BTCUSDT", side=Side.BUY, quantity=D(0), price=D(1), notional=D(1))
    with pytest.raises(InvalidInput, match="price"):
        OrderIntent(symbol="BTCUSDT", side=Side.BUY, quantity=D(1), price=D("NaN"), notional=D(1))


def test_halted_denies_everything_and_names_the_halt() -> None:
    denial = check(sell(), LIMITS, ctx(state=TradingState.HALTED, halt_reason="STOP pressed by alice"))
    assert denial is not None
    assert denial.code == DenialCode.TRADING_HALTED
    assert "STOP pressed by alice" in denial.detail
    assert denial.hint


def test_reducing_allows_only_a_reducing_sell() -> None:
    reducing = ctx(state=TradingState.REDUCING)
    assert check(sell("0.01"), LIMITS, reducing) is None
    assert check(sell("0.005"), LIMITS, reducing) is None
    denial = check(buy(), LIMITS, reducing)
    assert denial is not None and denial.code == DenialCode.TRADING_REDUCING
    assert "BUY 0.01 BTCUSDT" in denial.detail and "held=0.01" in denial.detail
    assert code_of(sell("0.02"), reducing) == DenialCode.TRADING_REDUCING  # larger than the position


def test_reducing_does_not_trust_a_false_claim() -> None:
    claim = OrderIntent(
        symbol="BTCUSDT", side=Side.SELL, quantity=D("1"), price=D("50000"), notional=D("500"), reduces_position=True
    )
    assert code_of(claim, ctx(state=TradingState.REDUCING)) == DenialCode.TRADING_REDUCING  # holds only 0.01
    unknown = ctx(state=TradingState.REDUCING, position_qty=None)
    denial = check(sell(held="0.01"), LIMITS, unknown)
    assert denial is not None and denial.code == DenialCode.TRADING_REDUCING
    assert "held=unknown" in denial.detail


def test_symbol_not_allowed() -> None:
    denial = check(buy(symbol="DOGEUSDT"), LIMITS, ctx(position_notional={}, position_qty=D(0)))
    assert denial is not None and denial.code == DenialCode.SYMBOL_NOT_ALLOWED
    assert "DOGEUSDT is not in your Allowed symbols" in denial.detail and "BTCUSDT" in denial.detail


def test_a_reducing_sell_on_a_symbol_no_longer_allowed_passes() -> None:
    limits = LIMITS.with_changes(allowed_symbols="ETHUSDT")
    assert check(sell(), limits, ctx()) is None
    assert code_of(buy(), ctx(), limits) == DenialCode.SYMBOL_NOT_ALLOWED


def test_price_unknown() -> None:
    for last in (None, D("NaN"), D(0)):
        denial = check(buy(), LIMITS, ctx(last_price=last))
        assert denial is not None and denial.code == DenialCode.PRICE_UNKNOWN
        assert "BTCUSDT" in denial.detail


def test_price_out_of_band_with_the_numbers() -> None:
    denial = check(buy("0.01", "52600"), LIMITS, ctx())
    assert denial is not None and denial.code == DenialCode.PRICE_OUT_OF_BAND
    assert denial.detail == "price 52600 is 5.20% from the last price 50000; your Price band allows ±5%"
    assert check(buy("0.01", "52500"), LIMITS, ctx()) is None  # exactly 5 % is inside
    assert code_of(sell("0.01", "47400"), ctx()) == DenialCode.PRICE_OUT_OF_BAND  # exits too


def test_order_notional_exceeds_max_with_the_numbers() -> None:
    denial = check(buy("0.025"), LIMITS, ctx())
    assert denial is not None
    assert str(denial) == (
        "this order is worth 1250.00 USDT, above your Max order size of 1000 USDT — reduce the quantity "
        "(or split the order), or change the Max order size limit on the Risk page (ORDER_NOTIONAL_EXCEEDS_MAX)"
    )
    assert check(buy("0.02"), LIMITS, ctx(position_notional={"BTCUSDT": D(0)})) is None  # exactly the max


def test_position_exceeds_max() -> None:
    denial = check(buy("0.01"), LIMITS, ctx(position_notional={"BTCUSDT": D("2100")}))
    assert denial is not None and denial.code == DenialCode.POSITION_EXCEEDS_MAX
    assert denial.detail == (
        "you would hold 2600.00 USDT of BTCUSDT (2100.00 USDT held + 500.00 USDT this order), "
        "above your Max position per symbol of 2500 USDT"
    )


def test_exposure_exceeds_max() -> None:
    positions = {"BTCUSDT": D("1000"), "ETHUSDT": D("2000"), "SOLUSDT": D("1400")}
    denial = check(buy("0.01"), LIMITS, ctx(position_notional=positions, open_buy_notional=D("150")))
    assert denial is not None and denial.code == DenialCode.EXPOSURE_EXCEEDS_MAX
    assert denial.detail == (
        "your exposure would be 5050.00 USDT (4400.00 USDT held + 150.00 USDT in open BUY orders "
        "+ 500.00 USDT this order), above your Max total exposure of 5000 USDT"
    )


def test_reducing_sells_skip_the_exposure_checks() -> None:
    positions = {"BTCUSDT": D("9000")}
    assert check(sell(), LIMITS, ctx(position_notional=positions, open_buy_notional=D("9000"))) is None
    assert check(sell(), LIMITS, ctx(position_notional=None, open_buy_notional=None)) is None


def test_too_many_open_orders_counts_a_bracket_as_three() -> None:
    denial = check(buy(), LIMITS, ctx(open_orders=20))
    assert denial is not None and denial.code == DenialCode.TOO_MANY_OPEN_ORDERS
    assert denial.detail == "20 orders are open and this one adds 1, above your Max open orders of 20"
    assert check(buy(), LIMITS, ctx(open_orders=19)) is None
    denial = check(buy(kind=IntentKind.BRACKET), LIMITS, ctx(open_orders=18))
    assert (
        denial is not None
        and denial.detail == "18 orders are open and this one adds 3, above your Max open orders of 20"
    )


def test_order_rate_exceeded() -> None:
    denial = check(buy(), LIMITS, ctx(orders_last_minute=30))
    assert denial is not None and denial.code == DenialCode.ORDER_RATE_EXCEEDED
    assert denial.detail == (
        "30 orders were sent in the last minute and this one adds 1, above your Max orders per minute of 30"
    )
    assert check(sell(), LIMITS, ctx(orders_last_minute=30)) is not None  # a runaway loop of sells too


def test_daily_loss_limit_blocks_entries_but_not_reducing_exits() -> None:
    losing = ctx(daily_pnl=D("-200"))
    denial = check(buy(), LIMITS, losing)
    assert denial is not None and denial.code == DenialCode.DAILY_LOSS_LIMIT
    assert denial.detail == "today's P&L is -200.00 USDT, past your Daily loss limit of 200 USDT"
    assert check(sell(), LIMITS, losing) is None
    assert code_of(sell("0.02"), losing) == DenialCode.DAILY_LOSS_LIMIT  # not reducing
    assert check(buy(), LIMITS, ctx(daily_pnl=D("-199.99"))) is None


@pytest.mark.parametrize(
    ("field", "fragment"),
    [
        ("position_notional", "value of the BTCUSDT position"),
        ("open_buy_notional", "open BUY orders"),
        ("open_orders", "number of open orders"),
        ("orders_last_minute", "last minute"),
        ("daily_pnl", "today's P&L"),
        ("equity", "account equity"),
        ("position_qty", "BTCUSDT quantity held"),
    ],
)
def test_missing_data_denies(field: str, fragment: str) -> None:
    denial = check(buy(), LIMITS, ctx(**{field: None}))
    assert denial is not None
    assert denial.code == DenialCode.DATA_MISSING
    assert fragment in denial.detail


def test_nan_counts_as_missing() -> None:
    assert code_of(buy(), ctx(daily_pnl=D("NaN"))) == DenialCode.DATA_MISSING
    assert code_of(buy(), ctx(position_notional={"BTCUSDT": D("NaN")})) == DenialCode.DATA_MISSING


def test_absent_symbol_is_zero_only_when_nothing_is_held() -> None:
    assert check(buy(), LIMITS, ctx(position_notional={}, position_qty=D(0))) is None
    assert code_of(buy(), ctx(position_notional={}, position_qty=D("0.5"))) == DenialCode.DATA_MISSING


def test_checks_run_in_the_fixed_order() -> None:
    worst = ctx(state=TradingState.HALTED, last_price=None, open_orders=99, daily_pnl=None)
    assert code_of(buy("1", "1", symbol="XRPUSDT"), worst) == DenialCode.TRADING_HALTED
    active = replace(worst, state=TradingState.ACTIVE)
    assert code_of(buy("1", "1", symbol="XRPUSDT"), active) == DenialCode.SYMBOL_NOT_ALLOWED
    assert code_of(buy("1", "1"), active) == DenialCode.PRICE_UNKNOWN
    priced = replace(active, last_price=D("1"))
    assert code_of(buy("1", "1"), priced) == DenialCode.TOO_MANY_OPEN_ORDERS
    codes = [d.code for d in all_denials(buy("1", "1"), LIMITS, priced)]
    assert codes == [DenialCode.TOO_MANY_OPEN_ORDERS, DenialCode.DATA_MISSING]
    assert [c.__name__ for c in CHECKS][-1] == "check_data"


def test_to_error_is_a_denied_with_the_code() -> None:
    denial = check(buy("0.025"), LIMITS, ctx())
    assert denial is not None
    err = denial.to_error()
    assert isinstance(err, Denied)
    assert err.code == "ORDER_NOTIONAL_EXCEEDS_MAX"
    assert err.detail == denial.detail and err.hint == denial.hint
    assert err.exit_code == 3


def test_context_is_not_changed_by_mutating_the_callers_dict() -> None:
    positions = {"BTCUSDT": D("0")}
    context = ctx(position_notional=positions)
    positions["BTCUSDT"] = D("99999")
    assert check(buy(), LIMITS, context) is None


money = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[OrderIntent, RiskLimits, RiskContext]:
    """Mostly plausible orders (price near the last price, small books) so that many are allowed."""
    gaps = draw(st.booleans())  # half the scenarios may have missing data anywhere

    def maybe(values: st.SearchStrategy) -> object:
        return draw(st.one_of(values, st.none(), st.just(D("NaN"))) if gaps else values)

    last = maybe(money)
    anchor = last if last is not None and last.is_finite() else D("100")
    price = (anchor * draw(st.decimals(min_value=D("0.9"), max_value=D("1.1"), places=3))).quantize(D("0.01"))
    price = max(price, D("0.01"))
    qty = draw(st.decimals(min_value=D("0.00001"), max_value=D("20"), places=5))
    # Usually qty × price, sometimes a notional the caller got wrong: the limit must hold either way.
    notional = draw(st.one_of(st.just(qty * price), st.just(qty * price), money))
    held_qty = maybe(st.decimals(min_value=D(0), max_value=D("20"), places=5))
    intent = OrderIntent(
        symbol=draw(st.sampled_from(["BTCUSDT", "ETHUSDT", "XRPUSDT"])),
        side=draw(st.sampled_from(Side)),
        quantity=qty,
        price=price,
        notional=notional,
        kind=draw(st.sampled_from(IntentKind)),
        reduces_position=draw(st.booleans()),
    )
    held = maybe(money)
    context = RiskContext(
        state=draw(
            st.sampled_from([TradingState.ACTIVE, TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED])
        ),
        last_price=last,
        position_qty=held_qty,
        position_notional=None if held is None else {intent.symbol: held},
        open_buy_notional=maybe(money),
        open_orders=draw(st.one_of(st.integers(0, 25), st.none()) if gaps else st.integers(0, 25)),
        orders_last_minute=draw(st.one_of(st.integers(0, 35), st.none()) if gaps else st.integers(0, 35)),
        daily_pnl=maybe(st.decimals(min_value=D("-500"), max_value=D("500"), places=2)),
        equity=maybe(money),
    )
    max_order = draw(st.decimals(min_value=D("1"), max_value=D("100000"), places=2))
    return (
        intent,
        LIMITS.with_changes(max_order_notional=max_order, max_position_notional="1e6", max_total_exposure="1e6"),
        context,
    )


@settings(max_examples=400, deadline=None)  # a pause of the machine is not a failure of the checks
@given(scenarios())
def test_never_allows_an_order_above_max_order_notional(scenario: tuple[OrderIntent, RiskLimits, RiskContext]) -> None:
    intent, limits, context = scenario
    if check(intent, limits, context) is None:
        assert intent.notional <= limits.max_order_notional
        assert context.state is not TradingState.HALTED
        assert context.last_price is not None and context.last_price.is_finite()
        assert intent.symbol in limits.allowed_symbols or intent.reduces_position
