"""Public endpoints of the local exchange: ping, time, exchangeInfo, tickers, avgPrice, klines.

Prices come from the engine's feed. The paper book has no depth, so the book ticker quotes the last
price on both sides with zero quantity; klines are the feed's bars regrouped into the interval.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crbot.binance.codec import dec
from crbot.binance.query import Params
from crbot.clock import from_ms, to_ms
from crbot.domain import Bar
from crbot.errors import CrbotError, ExchangeRejected
from crbot.localexchange.venue import Reply, Venue

AVG_PRICE_MINUTES = 5
INTERVALS: dict[str, int] = {  # seconds; "1M" is a calendar month
    "1s": 1,
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "4h": 14400,
    "6h": 21600,
    "8h": 28800,
    "12h": 43200,
    "1d": 86400,
    "3d": 259200,
    "1w": 604800,
    "1M": 31 * 86400,
}
_MONDAY_MS = 4 * 86_400_000  # 1970-01-05, the first Monday: weekly klines open on Mondays


def ping(venue: Venue, p: Params) -> Reply:
    return Reply(body={})


def server_time(venue: Venue, p: Params) -> Reply:
    return Reply(body={"serverTime": to_ms(venue.now())})


def exchange_info(venue: Venue, p: Params) -> Reply:
    if p.has("symbol") and p.has("symbols"):
        raise ExchangeRejected("Combination of optional parameters invalid.", code=-1128)
    one = p.symbol(venue.rules, required=False)
    names = [one] if one else p.symbols(venue.rules) or sorted(venue.rules)
    status = p.text("symbolStatus")
    symbols = []
    for name in names:
        info = venue.symbol_rules(name).to_exchange_info()
        if status and info["status"] != status:
            continue
        info["quoteOrderQtyMarketAllowed"] = False  # the paper exchange takes quantities only
        symbols.append(info)
    return Reply(
        body={
            "timezone": "UTC",
            "serverTime": to_ms(venue.now()),
            "rateLimits": venue.limits.exchange_info(),
            "exchangeFilters": [],
            "symbols": symbols,
        }
    )


def ticker_weight(p: Params) -> int:
    return 2 if p.has("symbol") else 4


def ticker_price(venue: Venue, p: Params) -> Reply:
    one = p.symbol(venue.rules, required=False)
    if one:
        return Reply(body={"symbol": one, "price": dec(venue.feed.last(one, venue.now()))})
    rows = []
    for name in _listed(venue, p):
        price = _try_last(venue, name)
        if price is not None:
            rows.append({"symbol": name, "price": dec(price)})
    return Reply(body=rows)


def book_ticker(venue: Venue, p: Params) -> Reply:
    one = p.symbol(venue.rules, required=False)
    if one:
        return Reply(body=_book(one, venue.feed.last(one, venue.now())))
    rows = []
    for name in _listed(venue, p):
        price = _try_last(venue, name)
        if price is not None:
            rows.append(_book(name, price))
    return Reply(body=rows)


def avg_price(venue: Venue, p: Params) -> Reply:
    symbol = p.symbol(venue.rules)
    assert symbol is not None
    now = venue.now()
    return Reply(
        body={"mins": AVG_PRICE_MINUTES, "price": dec(average_price(venue, symbol, now)), "closeTime": to_ms(now)}
    )


def average_price(venue: Venue, symbol: str, now: datetime) -> Decimal:
    """Mean close over the last five minutes of the feed; the last price when the path is empty."""
    bars = venue.feed.bars(symbol, now - timedelta(minutes=AVG_PRICE_MINUTES), now)
    if not bars:
        return venue.feed.last(symbol, now)
    return sum((b.close for b in bars), Decimal(0)) / len(bars)


def klines(venue: Venue, p: Params) -> Reply:
    symbol = p.symbol(venue.rules)
    interval = p.choice("interval", INTERVALS, required=True)
    assert symbol is not None and interval is not None
    limit = p.limit(default=500, maximum=1000)
    start_ms, end_ms = p.long("startTime"), p.long("endTime")
    span = timedelta(seconds=INTERVALS[interval] * limit)
    end = from_ms(end_ms) if end_ms is not None else venue.now()
    start = from_ms(start_ms) if start_ms is not None else end - span
    if start_ms is not None and end_ms is None:
        end = min(venue.now(), start + span)
    # bars() is (start, end]: step back 1 ms so a bar opening exactly at startTime counts
    bars = venue.feed.bars(symbol, start - timedelta(milliseconds=1), end)
    rows = _group(bars, interval, to_ms(start), to_ms(end))
    rows = rows[:limit] if start_ms is not None else rows[-limit:]
    return Reply(body=rows)


def _group(bars: list[Bar], interval: str, start_ms: int, end_ms: int) -> list[list[object]]:
    buckets: dict[int, list[Bar]] = {}
    for bar in bars:
        ms = to_ms(bar.open_time)
        if start_ms <= ms <= end_ms:
            buckets.setdefault(bucket_open(ms, interval), []).append(bar)
    rows: list[list[object]] = []
    for open_ms in sorted(buckets):
        group = sorted(buckets[open_ms], key=lambda b: b.open_time)
        rows.append(
            [
                open_ms,
                dec(group[0].open),
                dec(max(b.high for b in group)),
                dec(min(b.low for b in group)),
                dec(group[-1].close),
                dec(Decimal(0)),  # the feed carries no volume
                bucket_close(open_ms, interval),
                dec(Decimal(0)),
                0,
                dec(Decimal(0)),
                dec(Decimal(0)),
                "0",
            ]
        )
    return rows


def bucket_open(ms: int, interval: str) -> int:
    """Open time (epoch ms) of the kline holding ``ms``."""
    if interval == "1M":
        when = from_ms(ms)
        return to_ms(datetime(when.year, when.month, 1, tzinfo=UTC))
    size = INTERVALS[interval] * 1000
    if interval == "1w":
        return ms - (ms - _MONDAY_MS) % size
    return ms - ms % size


def bucket_close(open_ms: int, interval: str) -> int:
    if interval == "1M":
        when = from_ms(open_ms)
        days = calendar.monthrange(when.year, when.month)[1]
        return open_ms + days * 86_400_000 - 1
    return open_ms + INTERVALS[interval] * 1000 - 1


def _listed(venue: Venue, p: Params) -> list[str]:
    return p.symbols(venue.rules) or sorted(venue.rules)


def _try_last(venue: Venue, symbol: str) -> Decimal | None:
    try:
        return venue.feed.last(symbol, venue.now())
    except CrbotError:  # a symbol without prices is left out of the all-symbols list, as Binance does
        return None


def _book(symbol: str, price: Decimal) -> dict[str, str]:
    zero = dec(Decimal(0))
    return {"symbol": symbol, "bidPrice": dec(price), "bidQty": zero, "askPrice": dec(price), "askQty": zero}
