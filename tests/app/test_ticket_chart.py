"""The ticket's price context and sizing: a candlestick chart whose lines follow the fields as they are typed,
bid/ask, timeframes, percent buttons giving step-rounded sizes, and times in the browser's zone."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from crbot.domain import OrderRequest, OrderType, Side
from crbot.exchange import filters
from tests.app.helpers import place_resting_buy, resting_price


class Counting:
    """Wraps the real paper broker and counts every call the page makes on it (rules are cached by brokers)."""

    def __init__(self, broker) -> None:
        self._broker = broker
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str):
        real = getattr(self._broker, name)
        if not callable(real) or name in ("rules", "price_source"):
            return real

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return real(*args, **kwargs)

        return counted


def _chart(at) -> dict:
    charts = at.get("plotly_chart")
    assert charts, "no chart on the ticket"
    return json.loads(charts[0].proto.spec)


def _lines(at) -> dict[str, float]:
    """The horizontal lines on the chart: {annotation text: y}."""
    spec = _chart(at)
    ys = [s["y0"] for s in spec["layout"].get("shapes", [])]
    texts = [a["text"] for a in spec["layout"].get("annotations", []) if a.get("yref") != "paper"]
    return dict(zip(texts, ys, strict=True))


def test_the_chart_shows_candles_and_the_lines_follow_the_fields(page, runtime) -> None:
    price = resting_price(runtime)
    sl, tp = (price * Decimal("0.98")).quantize(Decimal("0.01")), (price * Decimal("1.03")).quantize(Decimal("0.01"))
    at = page("ticket").run()
    spec = _chart(at)
    candles = spec["data"][0]
    assert candles["type"] == "candlestick" and len(candles["x"]) >= 100
    assert _lines(at) == {}  # nothing typed: no line

    at.text_input(key="t_price").input(str(price)).run()
    assert list(_lines(at).values()) == [float(price)]
    at.text_input(key="t_sl").input(str(sl)).run()
    at.text_input(key="t_tp").input(str(tp)).run()
    lines = _lines(at)
    assert sorted(lines.values()) == sorted([float(price), float(sl), float(tp)])
    assert any(t.startswith("Stop-loss") for t in lines) and any(t.startswith("Take-profit") for t in lines)

    moved = price - Decimal("25")
    at.text_input(key="t_price").input(str(moved)).run()  # the line moves with the field
    assert float(moved) in _lines(at).values() and float(price) not in _lines(at).values()
    at.button_group(key="t_type").set_value("MARKET").run()  # a MARKET order has no limit line
    assert float(moved) not in _lines(at).values()


def test_open_orders_of_the_symbol_are_marked(page, runtime) -> None:
    place_resting_buy(runtime)
    order = runtime.service.open_orders()[0]
    at = page("ticket").run()
    assert any(t.startswith("open BUY LIMIT") and y == float(order.price) for t, y in _lines(at).items())


def test_typing_costs_no_exchange_request(page, runtime) -> None:
    price = resting_price(runtime)
    at = page("ticket").run()  # the first paint fills the chart's cache
    counting = Counting(runtime.service.broker)
    runtime.service.broker = counting
    market = runtime.service.market
    for key, text in (
        ("t_amount", "0.001"),
        ("t_amount", "0.0025"),
        ("t_price", str(price)),
        ("t_sl", str(price - 900)),
    ):
        for cache in (market._candles, market._quotes):  # as if the trader typed slowly: every cache expired
            for k, v in cache.items():
                cache[k] = replace(v, taken_at=v.taken_at - timedelta(hours=1))
        at.text_input(key=key).input(text).run()
    assert not at.exception
    assert sum(counting.calls.values()) == 0, counting.calls
    assert len(_lines(at)) == 2


def test_timeframes_switch_the_candles(page, runtime) -> None:
    at = page("ticket").run()
    one_minute = _chart(at)["data"][0]["x"]
    at.button_group(key="t_timeframe").set_value("1h").run()
    hourly = _chart(at)["data"][0]["x"]
    assert not at.exception
    assert hourly != one_minute and hourly[1][:13] != hourly[0][:13]  # one candle per hour


def test_bid_ask_line_says_what_the_venue_offers(page, runtime) -> None:
    at = page("ticket").run()
    text = " ".join(str(m.value) for m in at.markdown)
    assert "Last **" in text and "no order book (synthetic prices)" in text


def test_percent_of_equity_buttons_give_step_rounded_sizes(page, runtime) -> None:
    price = resting_price(runtime)
    rules = runtime.broker.rules()["BTCUSDT"]
    at = page("ticket").run()
    at.text_input(key="t_price").input(str(price)).run()
    equity = runtime.service.equity()
    assert equity == Decimal("10000")  # USDT only: the equity is the free quote
    for pct in (10, 25, 50):
        at.button(key=f"t_pct_{pct}").click().run()
        qty = Decimal(at.text_input(key="t_amount").value)
        worth = equity * pct / 100  # an order worth pct % of the equity, not of what is free
        assert qty == filters.floor_qty(rules, worth / price, market=False), pct
        assert qty % rules.step_size == 0 and qty * price <= worth < (qty + rules.step_size) * price
        assert not at.warning, pct  # well under what is free: not capped

    at.radio(key="t_size_in").set_value("USDT amount").run()
    at.button(key="t_pct_25").click().run()
    assert at.text_input(key="t_amount").value == "2500"  # 25 % of 10,000 USDT

    at.button_group(key="t_side").set_value("SELL").run()
    at.button(key="t_pct_50").click().run()
    assert any("Nothing free to sell" in str(w.value) for w in at.warning)


def test_percent_of_equity_is_capped_by_what_is_free_and_says_so(page, runtime) -> None:
    bought = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.002"))
    runtime.service.place(bought, client_order_id=runtime.service.new_client_order_id(), source="test", actor="t")
    held = next(b.free for b in runtime.service.balances() if b.asset == "BTC")
    rules = runtime.broker.rules()["BTCUSDT"]
    at = page("ticket").run()
    at.button_group(key="t_side").set_value("SELL").run()
    at.text_input(key="t_price").input(str(filters.round_price(rules, runtime.broker.last_price("BTCUSDT")))).run()
    at.button(key="t_pct_25").click().run()  # 25 % of ~10,000 USDT is far more than 0.002 BTC
    assert Decimal(at.text_input(key="t_amount").value) == filters.floor_qty(rules, held, market=False)
    notice = " ".join(str(w.value) for w in at.warning)
    assert "25 % of equity" in notice and "free BTC" in notice and "sized to what is free" in notice


def test_times_are_in_the_browsers_zone_with_the_zone_named(page, runtime) -> None:
    at = page("ticket")
    at.context = {"timezone": "America/New_York"}
    at.run()
    caption = " ".join(str(c.value) for c in at.caption)
    assert " EST" in caption or " EDT" in caption, caption
    assert "America/New_York" in _chart(at)["layout"]["xaxis"]["title"]["text"]

    utc = page("ticket").run()  # a browser that names no zone: UTC, never the server's zone
    assert " UTC" in " ".join(str(c.value) for c in utc.caption)


def test_the_equity_curve_is_drawn_in_the_browsers_zone(page, runtime) -> None:
    from datetime import UTC, datetime

    for hour, value in ((14, "10000"), (15, "10010")):
        runtime.journal.snapshot_equity(Decimal(value), at=datetime(2026, 1, 15, hour, 0, tzinfo=UTC))
    at = page("balance")
    at.context = {"timezone": "America/New_York"}
    at.run()
    spec = _chart(at)
    assert spec["layout"]["xaxis"]["title"]["text"] == "Time (America/New_York)"
    shown = [x[:19] for x in spec["data"][0]["x"][:2]]
    assert shown == ["2026-01-15T09:00:00", "2026-01-15T10:00:00"]  # 14:00 UTC is 09:00 EST
