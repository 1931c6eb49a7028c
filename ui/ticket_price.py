"""Price context on the ticket: last price, best bid and ask, and a candlestick chart (1m / 5m / 1h / 1d) with the
order being typed (limit, stop-loss, take-profit) and the symbol's open orders drawn as lines.

Cost: a fragment refreshes it every 5 s, asking the service's cached market data (a klines request at most every
15 s per symbol and timeframe, shared by every tab). A full run of the page (the trader typing) draws from the
cache only (``fetch=False``): typing never costs an exchange request; the lines follow the fields at once.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import streamlit as st

from crbot.domain import OrderType
from crbot.errors import InvalidInput
from crbot.runtime import Runtime
from ui.candles import Level, candle_figure, tick_format
from ui.fmt import browser_zone, local_time, parse_decimal, price, zone_name

logger = logging.getLogger(__name__)

TIMEFRAME = "t_timeframe"
TIMEFRAMES = ("1m", "5m", "1h", "1d")
FULL_RUN = "ticket_chart_full_run"  # set by the page body: this run of the fragment is part of a full run
REFRESH = "5s"


def price_panel(rt: Runtime, symbol: str) -> None:
    """Called from the page body (a full run): the fragment then reads caches only."""
    st.session_state[FULL_RUN] = True
    _panel(rt, symbol)


def _typed(key: str) -> Decimal | None:
    try:
        return parse_decimal(st.session_state.get(key), key)
    except InvalidInput:
        return None


def ticket_levels(state, symbol: str, open_orders, tick: Decimal | None) -> list[Level]:
    """The lines to draw: the typed limit (LIMIT only), stop-loss and take-profit, and the symbol's open orders."""
    levels = []
    side = state.get("t_side") or "BUY"
    if state.get("t_type") != OrderType.MARKET.value and (limit := _typed("t_price")) is not None:
        levels.append(Level(price=limit, label=f"{side} limit {price(limit, tick)}", kind="limit"))
    if (sl := _typed("t_sl")) is not None:
        levels.append(Level(price=sl, label=f"Stop-loss {price(sl, tick)}", kind="stop"))
    if (tp := _typed("t_tp")) is not None:
        levels.append(Level(price=tp, label=f"Take-profit {price(tp, tick)}", kind="tp"))
    for o in open_orders:
        at = o.price if o.price is not None else o.stop_price
        if o.symbol == symbol and at is not None:
            levels.append(Level(price=at, label=f"open {o.side.value} {o.type.value} {price(at, tick)}", kind="order"))
    return levels


@st.fragment(run_every=REFRESH)
def _panel(rt: Runtime, symbol: str) -> None:
    fetch = not st.session_state.pop(FULL_RUN, False)  # a timed / in-fragment rerun may refresh the caches
    rules = rt.service.broker.rules().get(symbol)
    tick = rules.tick_size if rules is not None else None
    interval = st.session_state.get(TIMEFRAME) or TIMEFRAMES[0]
    try:
        candles = rt.service.candles(symbol, interval, fetch=fetch) or rt.service.candles(symbol, interval)
        quote = rt.service.quote(symbol, fetch=fetch) or (rt.service.quote(symbol) if fetch else None)
    except Exception as err:  # price context is a help: it never takes the ticket down
        logger.warning("ticket price context: %s", err)
        candles, quote = None, None
    snap = rt.service.snapshot()
    last, as_of = snap.prices.get(symbol), snap.taken_at
    if candles is not None and candles.bars and candles.taken_at >= as_of:  # the fresher of the two
        last, as_of = candles.bars[-1].close, candles.taken_at
    with st.container(key="t_last"):
        if last is None:
            st.caption("Last price: unavailable")
        else:
            book = "bid / ask: no order book (synthetic prices)"
            if quote is not None and quote.bid is not None and quote.ask is not None:
                book = f"bid **{price(quote.bid, tick)}** · ask **{price(quote.ask, tick)}**"
            st.markdown(f"Last **{price(last, tick)}** USDT · {book}")
            st.caption(f"as of {local_time(as_of)} · {rt.service.price_source()}")
    st.segmented_control("Timeframe", TIMEFRAMES, key=TIMEFRAME, default=TIMEFRAMES[0], label_visibility="collapsed")
    if candles is None or (not candles.bars and candles.error):
        st.caption(f"No chart: {candles.error if candles else 'no candles yet'}")
        return
    levels = ticket_levels(st.session_state, symbol, rt.service.open_orders(), tick)
    fig = candle_figure(
        candles.bars, levels, zone=browser_zone(), zone_label=zone_name(), tick_format=tick_format(tick)
    )
    st.plotly_chart(fig, key="t_chart", config={"displayModeBar": False}, width="stretch")
    if candles.error:
        st.caption(f"Candles not refreshed: {candles.error}")
