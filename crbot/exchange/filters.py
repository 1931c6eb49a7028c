"""Binance symbol filters (filters.md), checked exactly with Decimal.

``round_price`` / ``floor_qty`` normalise a number onto the symbol's grid; ``validate_order`` says
whether one exchange order would pass the exchange's filters, and if not raises ``FilterError`` naming
the filter, with the numbers and what to change. Rules whose value is 0 are off, as on Binance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext

from crbot.domain import OrderSpec, Side
from crbot.errors import FilterError, InvalidInput, fmt
from crbot.exchange.rules import SymbolRules

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
CENT = Decimal("0.01")
# Enough digits that a quotient like 9e12 / 1e-8 never rounds (the default context keeps 28).
_PRECISION = 80


def _on_grid(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """``value`` moved onto a multiple of ``step`` (exact), in the step's plain notation."""
    if step <= ZERO:
        return value
    step = step.normalize()
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        units = (value / step).quantize(Decimal(1), rounding=rounding)  # exponent 0: result keeps the tick's places
        result = units * step
    if result.as_tuple().exponent > 0:  # type: ignore[operator]  # step 10 -> 9E+1; show 90
        result = result.quantize(Decimal(1))
    return result


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    """``value % step == 0`` exactly, whatever the exponents ("0.00002" vs "0.00001000")."""
    if step <= ZERO:
        return True
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return value.normalize() % step.normalize() == ZERO


def round_price(rules: SymbolRules, price: Decimal, *, up: bool | None = None) -> Decimal:
    """``price`` on the tick: nearest (half up) when ``up`` is None, ceiling if True, floor if False."""
    rounding = ROUND_HALF_UP if up is None else ROUND_CEILING if up else ROUND_FLOOR
    return _on_grid(price, rules.tick_size, rounding)


def _lot_step(rules: SymbolRules, market: bool) -> Decimal:
    if market:
        step = rules.value("MARKET_LOT_SIZE", "stepSize")
        if step:  # BTCUSDT's MARKET_LOT_SIZE has stepSize 0: LOT_SIZE's step applies
            return step
    return rules.step_size


def floor_qty(rules: SymbolRules, qty: Decimal, *, market: bool = False) -> Decimal:
    """``qty`` rounded down to the lot step (MARKET_LOT_SIZE's for market orders when it has one)."""
    return _on_grid(qty, _lot_step(rules, market), ROUND_FLOOR)


def _money(value: Decimal, *, rounding: str = ROUND_DOWN) -> str:
    """An order value for a message: cents for >= 1, significant digits below (0.00042 BTC)."""
    if abs(value) >= 1:
        return format(value.quantize(CENT, rounding=rounding), "f")
    with localcontext() as ctx:
        ctx.prec = 6
        ctx.rounding = rounding
        return fmt(+value)


def _neighbours(value: Decimal, step: Decimal) -> str:
    lo = _on_grid(value, step, ROUND_FLOOR)
    hi = _on_grid(value, step, ROUND_CEILING)
    return f"round to a multiple of {fmt(step)} (e.g. {fmt(lo)} or {fmt(hi)})"


def validate_order(
    rules: SymbolRules,
    spec: OrderSpec,
    *,
    avg_price: Decimal,
    open_orders: int,
    adds: int = 1,
    last_price: Decimal | None = None,
    band_pct: Decimal | None = None,
) -> None:
    """Raise ``FilterError`` for the first filter ``spec`` breaks; return None if it would pass.

    ``avg_price`` is the symbol's average price (Binance's avgPriceMins window) used by
    PERCENT_PRICE_BY_SIDE and by NOTIONAL for MARKET orders; ``open_orders`` is how many orders are
    already open on the symbol and ``adds`` how many this request opens (OCO 2, OTOCO 3).
    ``last_price`` and ``band_pct`` (the risk manager's price band) make a percent-price hint propose only
    prices the band accepts too.
    A missing price or stop price is malformed input (``InvalidInput``), not a filter failure.
    """
    kind = str(spec.type)
    _check_symbol(rules, spec, kind)
    _check_shape(spec, kind)
    if spec.price is not None:
        _check_price_filter(rules, spec.price, "price")
    if spec.stop_price is not None:
        _check_price_filter(rules, spec.stop_price, "stop price")
    if spec.price is not None:
        _check_percent_price(rules, spec, spec.price, avg_price, last_price, band_pct)
    market = not spec.type.has_price  # no limit price: valued at the average
    _check_lot(rules, "LOT_SIZE", spec.quantity, market=market)
    if kind == "MARKET":
        _check_lot(rules, "MARKET_LOT_SIZE", spec.quantity, market=True)
    _check_notional(rules, spec, avg_price, market=market)
    _check_max_orders(rules, open_orders, adds)


def _check_symbol(rules: SymbolRules, spec: OrderSpec, kind: str) -> None:
    if spec.symbol != rules.symbol:
        raise FilterError(
            "SYMBOL",
            f"the order is for {spec.symbol} but was checked against the rules of {rules.symbol}",
            hint="this is a bug in the caller: look the rules up by the order's symbol",
        )
    if rules.status != "TRADING":
        raise FilterError(
            "SYMBOL",
            f"{rules.symbol} is not trading (status {rules.status})",
            hint="wait until Binance reopens this market, or trade another symbol",
        )
    if kind not in rules.order_types:
        raise FilterError(
            "SYMBOL",
            f"order type {kind} is not allowed on {rules.symbol}",
            hint=f"use one of: {', '.join(rules.order_types) or 'none listed'}",
        )


def _check_shape(spec: OrderSpec, kind: str) -> None:
    # Binance: -1102 mandatory parameter not sent, -1106 parameter sent when not required.
    if spec.type.has_price and spec.price is None:
        raise InvalidInput(f"a {kind} order needs a price", code=-1102, hint="enter a limit price")
    if not spec.type.has_price and spec.price is not None:
        raise InvalidInput(f"a {kind} order takes no price", code=-1106, hint="leave the limit price empty")
    if spec.type.has_stop and spec.stop_price is None:
        raise InvalidInput(f"a {kind} order needs a stop price", code=-1102, hint="enter the trigger (stop) price")
    if not spec.type.has_stop and spec.stop_price is not None:
        raise InvalidInput(f"a {kind} order takes no stop price", code=-1106, hint="leave the stop price empty")
    for name, value in (("quantity", spec.quantity), ("price", spec.price), ("stop price", spec.stop_price)):
        if value is not None and not value.is_finite():
            raise InvalidInput(
                f"{name} {value} is not a number", code=-1100, hint=f"enter the {name} as a plain decimal"
            )


def _check_price_filter(rules: SymbolRules, price: Decimal, name: str) -> None:
    f = "PRICE_FILTER"
    if f not in rules.filters:
        return
    low = rules.value(f, "minPrice") or ZERO
    high = rules.value(f, "maxPrice") or ZERO
    tick = rules.value(f, "tickSize") or ZERO
    if price <= ZERO:
        raise FilterError(f, f"{name} {fmt(price)} must be above zero", hint="enter a positive price")
    if low and price < low:
        raise FilterError(f, f"{name} {fmt(price)} is below the minimum {fmt(low)}", hint=f"use at least {fmt(low)}")
    if high and price > high:
        raise FilterError(f, f"{name} {fmt(price)} is above the maximum {fmt(high)}", hint=f"use at most {fmt(high)}")
    if not _is_multiple(price, tick):
        raise FilterError(
            f, f"{name} {fmt(price)} is not a multiple of the tick size {fmt(tick)}", hint=_neighbours(price, tick)
        )


def percent_price_limits(rules: SymbolRules, side: Side) -> tuple[str, Decimal | None, Decimal | None] | None:
    """(filter name, multiplier down, multiplier up) of the symbol's percent-price filter for ``side``; None if
    it has none. A multiplier of 0 / missing is no bound."""
    if "PERCENT_PRICE_BY_SIDE" in rules.filters:
        f = "PERCENT_PRICE_BY_SIDE"
        prefix = "bid" if side is Side.BUY else "ask"
        return f, rules.value(f, f"{prefix}MultiplierDown") or None, rules.value(f, f"{prefix}MultiplierUp") or None
    if "PERCENT_PRICE" in rules.filters:  # the older, side-blind form
        f = "PERCENT_PRICE"
        return f, rules.value(f, "multiplierDown") or None, rules.value(f, "multiplierUp") or None
    return None


def accepted_prices(
    rules: SymbolRules, side: Side, *, avg: Decimal, last: Decimal | None = None, band_pct: Decimal | None = None
) -> tuple[Decimal, Decimal] | None:
    """The lowest and highest price on the tick that the exchange's price filters (around the average ``avg``)
    AND the risk manager's band (±``band_pct`` % around ``last``, when given) all accept; None when no price
    passes them all (or nothing is known to bound it)."""
    low = rules.value("PRICE_FILTER", "minPrice") or None
    high = rules.value("PRICE_FILTER", "maxPrice") or None
    bounds = percent_price_limits(rules, side)
    with localcontext() as ctx:
        ctx.prec = _PRECISION  # exact products, so a rounded edge never falls outside
        if bounds is not None and avg.is_finite() and avg > ZERO:
            _, down, up = bounds
            low = _tighter(max, low, avg * down if down else None)
            high = _tighter(min, high, avg * up if up else None)
        if last is not None and band_pct is not None and last.is_finite() and last > ZERO:
            low = _tighter(max, low, last - last * band_pct / 100)
            high = _tighter(min, high, last + last * band_pct / 100)
    if low is None or high is None:
        return None
    low = max(round_price(rules, low, up=True), rules.tick_size if rules.tick_size > ZERO else low)
    high = round_price(rules, high, up=False)
    return (low, high) if ZERO < low <= high else None


def _tighter(pick: Callable[[Decimal, Decimal], Decimal], a: Decimal | None, b: Decimal | None) -> Decimal | None:
    """The tighter of two bounds (``pick`` is max for a floor, min for a ceiling); None = unbounded."""
    return b if a is None else a if b is None else pick(a, b)


def _check_percent_price(
    rules: SymbolRules,
    spec: OrderSpec,
    price: Decimal,
    avg: Decimal,
    last: Decimal | None = None,
    band_pct: Decimal | None = None,
) -> None:
    bounds = percent_price_limits(rules, spec.side)
    if bounds is None:
        return
    f, down, up = bounds
    _need_average(f, rules.symbol, avg)
    lowest = avg * down if down else None
    highest = avg * up if up else None
    avg_text = _money(avg, rounding=ROUND_HALF_UP)
    if lowest is not None and price < lowest:
        where, edge = "below", f"the lowest it accepts is {fmt(round_price(rules, lowest, up=True))}"
    elif highest is not None and price > highest:
        where, edge = "above", f"the highest it accepts is {fmt(round_price(rules, highest, up=False))}"
    else:
        return
    raise FilterError(
        f,
        f"{spec.side} price {fmt(price)} is too far {where} the market for the exchange "
        f"(average price {avg_text}; {edge})",
        hint=_price_hint(rules, spec.side, avg, last, band_pct),
    )


def _price_hint(rules: SymbolRules, side: Side, avg: Decimal, last: Decimal | None, band_pct: Decimal | None) -> str:
    both = accepted_prices(rules, side, avg=avg, last=last, band_pct=band_pct)
    if both is not None:
        return f"use a price between {fmt(both[0])} and {fmt(both[1])}"
    alone = accepted_prices(rules, side, avg=avg)
    if alone is None:
        return "wait for the average price to settle, then use a price close to it"
    return (
        f"the exchange accepts {fmt(alone[0])} to {fmt(alone[1])} but your Price band (±{fmt(band_pct)}% around "
        f"the last price {fmt(last)}) allows none of it: wait for the average price to catch up, "
        "or change the Price band limit"
    )


def _need_average(filter_type: str, symbol: str, avg: Decimal) -> None:
    # Missing data means reject: without an average the band / market value cannot be checked.
    if not avg.is_finite() or avg <= ZERO:
        raise FilterError(
            filter_type,
            f"no average price is known for {symbol}, so the order cannot be checked",
            hint="wait for market data to arrive, then retry",
        )


def _check_lot(rules: SymbolRules, f: str, qty: Decimal, *, market: bool) -> None:
    if qty <= ZERO:
        raise FilterError(f, f"quantity {fmt(qty)} must be above zero", hint="enter a positive quantity")
    if f not in rules.filters:
        return
    low = rules.value(f, "minQty") or ZERO
    high = rules.value(f, "maxQty") or ZERO
    step = rules.value(f, "stepSize") or ZERO
    label = "market order quantity" if f == "MARKET_LOT_SIZE" else "quantity"
    if qty < low:
        raise FilterError(f, f"{label} {fmt(qty)} is below the minimum {fmt(low)}", hint=f"use at least {fmt(low)}")
    if high and qty > high:  # BTCUSDT's MARKET_LOT_SIZE caps at the recent market depth
        raise FilterError(
            f,
            f"{label} {fmt(qty)} is above the maximum {fmt(high)}",
            hint=f"use at most {fmt(high)}" + (", or split it / use a LIMIT order" if market else ""),
        )
    if not _is_multiple(qty, step):
        raise FilterError(
            f, f"{label} {fmt(qty)} is not a multiple of the step {fmt(step)}", hint=_neighbours(qty, step)
        )


def _check_notional(rules: SymbolRules, spec: OrderSpec, avg: Decimal, *, market: bool) -> None:
    quote = rules.quote_asset
    for f, min_key, max_key, apply_min_key, apply_max_key in (
        ("NOTIONAL", "minNotional", "maxNotional", "applyMinToMarket", "applyMaxToMarket"),
        ("MIN_NOTIONAL", "minNotional", None, "applyToMarket", None),
    ):
        raw = rules.filters.get(f)
        if raw is None:
            continue
        minimum = rules.value(f, min_key) or ZERO
        maximum = (rules.value(f, max_key) or ZERO) if max_key else ZERO
        if market:
            # Binance values a MARKET order at the average price, and only if the filter says so.
            minimum = minimum if _flag(raw.get(apply_min_key, False)) else ZERO
            maximum = maximum if apply_max_key and _flag(raw.get(apply_max_key, False)) else ZERO
            if not minimum and not maximum:
                continue
            _need_average(f, rules.symbol, avg)
            price = avg
        else:
            assert spec.price is not None  # priced types were checked in _check_shape
            price = spec.price
        value = price * spec.quantity
        step = _lot_step(rules, market)
        if minimum and value < minimum:
            need = _on_grid(minimum / price, step, ROUND_CEILING) if step else minimum / price
            need = max(need, rules.value("LOT_SIZE", "minQty") or ZERO)
            raise FilterError(
                f,
                f"order value {_money(value)} {quote} is below the minimum {fmt(minimum)} {quote}",
                hint=f"increase the quantity to at least {fmt(need)} at {_money(price, rounding=ROUND_HALF_UP)}",
            )
        if maximum and value > maximum:
            cap = _on_grid(maximum / price, step, ROUND_FLOOR) if step else maximum / price
            raise FilterError(
                f,
                f"order value {_money(value, rounding=ROUND_UP)} {quote} is above the maximum {fmt(maximum)} {quote}",
                hint=f"reduce the quantity to at most {fmt(cap)} at {_money(price, rounding=ROUND_HALF_UP)}",
            )


def _flag(value: object) -> bool:
    """exchangeInfo booleans are JSON booleans; tolerate "true"/"false" strings from hand-written rules."""
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _check_max_orders(rules: SymbolRules, open_orders: int, adds: int) -> None:
    limit = rules.filters.get("MAX_NUM_ORDERS", {}).get("maxNumOrders")
    if limit is None:
        return
    limit = int(limit)
    if open_orders + adds > limit:
        raise FilterError(
            "MAX_NUM_ORDERS",
            f"{open_orders} orders are already open on {rules.symbol}; this request adds {adds}, "
            f"above the limit of {limit} open orders",
            hint="cancel some open orders on this symbol first",
        )
