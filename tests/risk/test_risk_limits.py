from decimal import Decimal

import pytest

from crbot.errors import InvalidInput
from crbot.risk import RiskLimits, label_of, limit_fields


def test_defaults_suit_a_small_account() -> None:
    limits = RiskLimits()
    assert limits.max_order_notional == Decimal("1000")
    assert limits.max_position_notional == Decimal("2500")
    assert limits.max_total_exposure == Decimal("5000")
    assert limits.max_open_orders == 20
    assert limits.price_band_pct == Decimal("5")
    assert limits.allowed_symbols == ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")
    assert limits.max_orders_per_minute == 30
    assert limits.daily_loss_limit == Decimal("200")


def test_values_are_converted_to_decimal_and_int() -> None:
    limits = RiskLimits(max_order_notional="12.5", price_band_pct=2, max_open_orders="7", daily_loss_limit=0.1)
    assert limits.max_order_notional == Decimal("12.5")
    assert isinstance(limits.price_band_pct, Decimal)
    assert limits.max_open_orders == 7
    assert limits.daily_loss_limit == Decimal("0.1")  # from the float's repr, not its binary expansion


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("max_order_notional", "0", "must be above 0"),
        ("max_position_notional", "-5", "must be above 0"),
        ("max_total_exposure", "abc", "is not a number"),
        ("daily_loss_limit", "NaN", "not a finite number"),
        ("price_band_pct", "150", "above 100"),
        ("max_open_orders", "0", "must be above 0"),
        ("max_orders_per_minute", "2.5", "not a whole number"),
        ("max_open_orders", True, "not a whole number"),
        ("allowed_symbols", "", "is empty"),
        ("allowed_symbols", "BTC-USDT", "invalid symbol"),
    ],
)
def test_invalid_values_raise_invalid_input_naming_the_limit(key: str, value: object, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        RiskLimits(**{key: value})
    assert label_of(key) in str(err.value)  # named as on the Risk page
    assert fragment in str(err.value)
    assert err.value.hint


def test_strings_round_trip() -> None:
    limits = RiskLimits(max_order_notional="250.50", allowed_symbols=("btcusdt", "ETHUSDT"))
    text = limits.to_strings()
    assert text["max_order_notional"] == "250.5"
    assert text["allowed_symbols"] == "BTCUSDT,ETHUSDT"
    assert all(isinstance(v, str) for v in text.values())
    assert RiskLimits.from_strings(text) == limits


def test_from_strings_ignores_unknown_and_defaults_missing() -> None:
    limits = RiskLimits.from_strings({"max_open_orders": "5", "legacy_key": "whatever"})
    assert limits.max_open_orders == 5
    assert limits.max_order_notional == Decimal("1000")


def test_from_strings_rejects_invalid_values_clearly() -> None:
    with pytest.raises(InvalidInput, match=r"Max order size 'lots' is not a number"):
        RiskLimits.from_strings({"max_order_notional": "lots"})


def test_symbols_from_a_comma_separated_string() -> None:
    limits = RiskLimits(allowed_symbols=" btcusdt, SOLUSDT ,,BTCUSDT")
    assert limits.allowed_symbols == ("BTCUSDT", "SOLUSDT")


def test_with_changes_validates_again() -> None:
    limits = RiskLimits()
    changed = limits.with_changes(max_order_notional="50", max_open_orders=3)
    assert changed.max_order_notional == Decimal("50")
    assert changed.max_open_orders == 3
    assert limits.max_order_notional == Decimal("1000")  # original untouched
    with pytest.raises(InvalidInput, match="must be above 0"):
        limits.with_changes(max_total_exposure="0")
    with pytest.raises(InvalidInput, match="unknown risk limit"):
        limits.with_changes(max_leverage="3")


def test_limit_fields_cover_every_limit_once() -> None:
    fields = limit_fields()
    keys = [f.key for f in fields]
    assert sorted(keys) == sorted(RiskLimits().to_strings())
    assert len(set(keys)) == len(keys)
    for f in fields:
        assert f.label and f.help
    units = {f.key: f.unit for f in fields}
    assert units["max_order_notional"] == "USDT"
    assert units["price_band_pct"] == "%"
