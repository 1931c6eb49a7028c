"""Request weight: what CRBOT asks of the exchange, counted by the local exchange's own meter (issue 6).

(a) one live order through ``service.place`` (testnet mode, the real python-binance Client): LIMIT resting,
    LIMIT filled at once, MARKET, LIMIT bracket (one OTOCO), MARKET with exits (entry, then an OCO).
    Target: its send plus symbol-scoped checks, <= 20 weight. The snapshot it invalidates is counted apart.
(b) one idle dashboard session on the Order ticket for a simulated minute: the sidebar's fragment every 3 s
    (``refresh``) and the ticket's last-price line; then the same minute while typing (a preview every 0.5 s).
    Target: <= 60 weight a minute idle (1 % of Binance's 6,000).
(c) each CLI command as an operator runs it (a fresh runtime per command, in-process).

Baseline in the same run for (a): the raw python-binance call that places the same order, alone.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from decimal import Decimal
from io import StringIO

from bench.common import temp_home
from bench.connector import FEES, KEY, SECRET, UNLIMITED, testnet_settings
from crbot.broker.binance_transport import endpoint_for, make_client
from crbot.clock import ManualClock, SystemClock
from crbot.domain import OrderRequest, OrderType, Side
from crbot.exchange.bundled import load_bundled_rules
from crbot.localexchange.server import LocalExchange
from crbot.market.feed import ManualFeed
from crbot.paper.factory import paper_market
from crbot.risk import RiskLimits
from crbot.runtime import build_runtime

PRICES = {"BTCUSDT": Decimal("50000"), "ETHUSDT": Decimal("3000"), "BNBUSDT": Decimal("600"), "SOLUSDT": Decimal("150")}


class Meter:
    """Weight and requests the exchange charged, by endpoint."""

    def __init__(self, exchange: LocalExchange) -> None:
        self.weight = 0
        self.requests: Counter[str] = Counter()
        charge, handle = exchange.meter.charge, exchange.handle

        def counted_charge(ip: str, weight: int):
            self.weight += weight
            return charge(ip, weight)

        def counted_handle(req):
            self.requests[f"{req.method} {req.path.removeprefix('/api/v3/')}"] += 1
            return handle(req)

        exchange.meter.charge = counted_charge  # type: ignore[method-assign]
        exchange.handle = counted_handle  # type: ignore[method-assign]

    @contextmanager
    def measure(self) -> Iterator[dict]:
        start, before = self.weight, Counter(self.requests)
        out: dict = {}
        yield out
        out["weight"] = self.weight - start
        out["requests"] = self.requests - before


def _summary(requests: Counter[str]) -> str:
    return ", ".join(f"{n}x {what}" for what, n in requests.most_common())


@contextmanager
def _rig() -> Iterator[tuple[object, Meter, ManualClock]]:
    home = temp_home()
    rules = load_bundled_rules()
    feed = ManualFeed(
        {s: PRICES.get(s, Decimal(100) if r.tick_size >= Decimal("0.01") else Decimal(1)) for s, r in rules.items()}
    )
    with (
        paper_market(
            f"sqlite:///{home / 'exchange.db'}",
            feed=feed,
            clock=SystemClock(),  # python-binance stamps requests with time.time()
            rules=rules,
            commissions=FEES,
            starting_balances={"USDT": Decimal("100000")},
        ) as market,
        LocalExchange.over(market, api_key=KEY, api_secret=SECRET, limits=UNLIMITED) as exchange,
    ):
        meter = Meter(exchange)
        clock = ManualClock()
        rt = build_runtime(testnet_settings(exchange.base_url, home), clock=clock)
        limits = RiskLimits().with_changes(max_open_orders=1000, max_orders_per_minute=1000)
        rt.service.save_risk_limits(limits, actor="bench", reason="benchmark")
        rt.service.start_up(actor="bench")  # the dashboard's one full reconcile, not counted below
        yield rt, meter, clock


def per_order() -> list[str]:
    orders: dict[str, OrderRequest] = {
        "LIMIT resting": OrderRequest(
            symbol="BTCUSDT", side=Side.BUY, quantity=Decimal("0.001"), price=Decimal("49000")
        ),
        "LIMIT filled at once": OrderRequest(
            symbol="BTCUSDT", side=Side.BUY, quantity=Decimal("0.001"), price=Decimal("50100")
        ),
        "MARKET": OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=Decimal("0.01")),
        "LIMIT bracket (OTOCO)": OrderRequest(
            symbol="BTCUSDT",
            side=Side.BUY,
            quantity=Decimal("0.001"),
            price=Decimal("49000"),
            stop_loss=Decimal("48000"),
            take_profit=Decimal("52000"),
        ),
        "MARKET with exits (OCO after fill)": OrderRequest(
            symbol="ETHUSDT",
            side=Side.BUY,
            type=OrderType.MARKET,
            quantity=Decimal("0.01"),
            stop_loss=Decimal("2900"),
            take_profit=Decimal("3100"),
        ),
    }
    lines = []
    with _rig() as (rt, meter, _clock):
        svc = rt.service
        for name, request in orders.items():
            svc.snapshot()  # warm, as the dashboard's refresh keeps it
            with meter.measure() as placed:
                svc.place(request, actor="bench")
            with meter.measure() as after:
                svc.snapshot()  # the snapshot the action invalidated (shared by every page)
            lines.append(
                f"{'order weight: ' + name:<52} weight={placed['weight']:>3}  requests: {_summary(placed['requests'])}"
                f"   (+ snapshot after the action: {after['weight']})   target <= 20"
            )
        client = make_client(rt.settings, endpoint_for(rt.settings, timeout_s=10.0))
        with meter.measure() as raw:  # the baseline: the same MARKET order through the raw client alone
            client.order_market(symbol="ETHUSDT", side="BUY", quantity="0.01")
        lines.append(f"{'baseline: that MARKET order through the raw client':<52} weight={raw['weight']:>3}")
    for line in lines:
        print(line, flush=True)
    return lines


def idle_minute() -> list[str]:
    lines = []
    with _rig() as (rt, meter, clock):
        svc = rt.service
        request = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=Decimal("0.001"), price=Decimal("49500"))
        svc.refresh()
        clock.advance(60)
        svc.refresh()  # the first minute (discovery and first snapshot) is behind us

        def minute(step_s: float, each: Callable[[int], None]) -> dict:
            with meter.measure() as used:
                for i in range(round(60 / step_s)):
                    clock.advance(step_s)
                    each(i)
            return used

        idle = minute(3, lambda i: (svc.refresh(), svc.prices({"BTCUSDT"})))
        typing = minute(0.5, lambda i: (svc.refresh() if i % 6 == 0 else None, svc.preview(request)))
        ten_minutes = {"weight": 0, "requests": Counter()}
        for _ in range(10):
            used = minute(3, lambda i: svc.refresh())
            ten_minutes["weight"] += used["weight"]
            ten_minutes["requests"] += used["requests"]
        for name, used, target in (
            ("idle dashboard session, one minute", idle, "<= 60"),
            ("typing an order (a preview every 0.5 s), one minute", typing, ""),
            ("idle, ten minutes (incl. one all-symbol discovery)", ten_minutes, "<= 600"),
        ):
            line = f"{name:<52} weight={used['weight']:>4}  requests: {_summary(used['requests'])}"
            lines.append(line + (f"   target {target}" if target else ""))
    for line in lines:
        print(line, flush=True)
    return lines


def cli_commands() -> list[str]:
    from crbot import cli

    lines = []
    with _rig() as (rt, meter, _clock):
        env = {"CRBOT_HOME": str(rt.settings.home), "CRBOT_MODE": "testnet",
               "CRBOT_BINANCE_BASE_URL": rt.settings.binance_base_url, "BINANCE_API_KEY": KEY,
               "BINANCE_API_SECRET": SECRET, "CRBOT_ACTOR": "bench"}  # fmt: skip
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            for argv in (
                ["status"],
                ["price", "--symbol", "BTCUSDT"],
                ["balance"],
                ["orders", "--open"],
                ["order", "create", "--symbol", "ETHUSDT", "--side", "BUY", "--type", "MARKET", "--qty", "0.01"],
                ["stop", "--reason", "bench"],
                ["resume", "--confirm"],
            ):
                with meter.measure() as used, redirect_stdout(StringIO()):
                    code = cli.main(["--json", *argv])
                line = f"{'CLI: ' + ' '.join(argv[:3]):<52} weight={used['weight']:>4}  exit {code}"
                lines.append(line + f"  requests: {_summary(used['requests'])}")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    for line in lines:
        print(line, flush=True)
    return lines


def run() -> list[str]:
    return [*per_order(), *idle_minute(), *cli_commands()]
