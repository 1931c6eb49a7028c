"""The process test_kill9.py kills: it places one order and dies by SIGKILL right after one step of the order path.

    python -m tests.integration.kill9_child place <step> <kind> <symbol> <client id>
    python -m tests.integration.kill9_child race <symbol> <client id prefix> <latency, seconds>
    python -m tests.integration.kill9_child probe

The mode, home and exchange come from the environment (CRBOT_MODE, CRBOT_HOME, ...), as for the CLI.

``place`` builds the runtime, does what the CLI does before an order (``start_up``), wraps the method named
for ``step`` on the runtime's own objects so that it calls ``os.kill(os.getpid(), SIGKILL)`` right after the
real call returned (right before it, for ``exits``), then places the order. Exit 0 means the kill never
fired (a test failure).

``race`` places LIMIT orders far from the market under fresh client ids, back to back (the risk manager's
rate limits lifted), until STOP (another process) latches HALTED; it prints ``ready`` once it is about to place
the first one. Each submit waits ``latency`` seconds before it goes out (a slow network): an order is in
flight (intent journaled, not yet on the exchange) most of the time, so STOP usually latches during one.

``probe`` reads the exchange itself (never the journal's copy of it): every order of the journal's symbols
(``all_orders``: a duplicate under one client id shows twice), every open order on the account; and the
journal's open orders, the positions the service calls unprotected and the trading state. It prints JSON.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any

from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import CrbotError
from crbot.runtime import build_runtime

STEPS = ("intent", "submit", "ack", "exits", "exits_submit")
KINDS = ("limit", "bracket", "market_exits")


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def after(method: Callable[..., Any], when: Callable[[], bool] = lambda: True) -> Callable[..., Any]:
    """``method``, then a SIGKILL (when ``when()`` says so) before its caller sees the result."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if when():
            die()
        return result

    return wrapped


def price(last: Decimal, factor: str) -> Decimal:
    return (last * Decimal(factor)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def request(kind: str, symbol: str, last: Decimal) -> OrderRequest:
    quote = Decimal(50)  # USDT: the same small order on every symbol
    if kind == "limit":
        return OrderRequest(
            symbol=symbol, side=Side.BUY, type=OrderType.LIMIT, quote_amount=quote, price=price(last, "0.97")
        )
    if kind == "bracket":  # a LIMIT bracket: ONE order list (submit_list)
        return OrderRequest(
            symbol=symbol,
            side=Side.BUY,
            type=OrderType.LIMIT,
            quote_amount=quote,
            price=price(last, "0.97"),
            stop_loss=price(last, "0.94"),
            take_profit=price(last, "1.04"),
        )
    return OrderRequest(  # a MARKET entry: its exits are sent once it filled
        symbol=symbol,
        side=Side.BUY,
        type=OrderType.MARKET,
        quote_amount=quote,
        stop_loss=price(last, "0.96"),
        take_profit=price(last, "1.04"),
    )


def arm(rt: Any, step: str) -> None:
    journal, broker, executor = rt.journal, rt.broker, rt.service.executor
    if step == "intent":
        journal.record_intent = after(journal.record_intent)
    elif step == "submit":
        broker.submit = after(broker.submit)
        broker.submit_list = after(broker.submit_list)
    elif step == "ack":
        journal.record_ack = after(journal.record_ack)
    elif step == "exits":
        send_exits = executor.send_exits

        def dying_send_exits(*args: Any, **kwargs: Any) -> Any:
            die()
            return send_exits(*args, **kwargs)

        executor.send_exits = dying_send_exits
    elif step == "exits_submit":  # only the exits' submit: the entry's goes through
        sending_exits = [False]
        send_exits = executor.send_exits

        def flagged_send_exits(*args: Any, **kwargs: Any) -> Any:
            sending_exits[0] = True
            return send_exits(*args, **kwargs)

        executor.send_exits = flagged_send_exits
        broker.submit = after(broker.submit, lambda: sending_exits[0])
        broker.submit_list = after(broker.submit_list, lambda: sending_exits[0])
    else:
        raise SystemExit(f"unknown step {step!r}: one of {STEPS}")


def place(step: str, kind: str, symbol: str, cid: str) -> int:
    if kind not in KINDS:
        raise SystemExit(f"unknown kind {kind!r}: one of {KINDS}")
    rt = build_runtime()
    rt.service.start_up(actor="kill9", full=False)  # what `crbot order create` does before it places
    req = request(kind, symbol, rt.broker.last_price(symbol))
    arm(rt, step)
    rt.service.place(req, client_order_id=cid, source="cli", actor="kill9")
    print(f"{cid} placed: the kill after {step!r} never fired")
    return 0


def race(symbol: str, prefix: str, latency: float) -> int:
    """Place far-from-market LIMITs until HALTED refuses one."""
    rt = build_runtime()
    svc = rt.service
    svc.start_up(actor="race", full=False)
    limits = svc.risk_limits().with_changes(max_orders_per_minute=10_000, max_open_orders=10_000)
    svc.save_risk_limits(limits, actor="race", reason="a placing loop as fast as it goes, for the STOP race")
    last = rt.broker.last_price(symbol)
    req = OrderRequest(
        symbol=symbol, side=Side.BUY, type=OrderType.LIMIT, quote_amount=Decimal(10), price=price(last, "0.97")
    )
    submit = rt.broker.submit

    def slow_submit(*args: Any, **kwargs: Any) -> Any:
        time.sleep(latency)
        return submit(*args, **kwargs)

    rt.broker.submit = slow_submit
    print("ready", flush=True)
    tried, deadline = 0, time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            svc.place(req, client_order_id=f"{prefix}-{tried}", source="cli", actor="race")
        except CrbotError as exc:  # the journal's refusal (intent vs latch) says HALTED too, not only the risk check
            if "HALTED" in str(exc):
                print(f"halted after {tried} orders", flush=True)
                return 0
            print(f"error: {exc}", flush=True)
        tried += 1  # a fresh client id every time, whatever became of the last one
    print(f"never halted ({tried} orders)", flush=True)
    return 1


def probe() -> int:
    rt = build_runtime()
    svc = rt.service
    symbols = sorted({o.symbol for o in rt.journal.orders(limit=10_000)})
    exchange: dict[str, list[str]] = {}  # client order id -> the status of every exchange order under it
    for symbol in symbols:
        for view in rt.broker.all_orders(symbol):
            exchange.setdefault(view.client_order_id, []).append(view.status.value)
    report = {
        "exchange": exchange,
        "open": sorted(v.client_order_id for v in rt.broker.open_orders()),
        "journal_open": sorted(o.client_order_id for o in rt.journal.orders(open_only=True)),
        "unprotected": [str(u) for u in svc.unprotected_positions()],
        "unprotected_events": [e.detail for e in svc.audit_events(1000) if e.action == "position_unprotected"],
        "state": str(svc.trading_state().state),
    }
    print(json.dumps(report))
    return 0


def main(argv: list[str]) -> int:
    match argv:
        case ["place", step, kind, symbol, cid]:
            return place(step, kind, symbol, cid)
        case ["race", symbol, prefix, latency]:
            return race(symbol, prefix, float(latency))
        case ["probe"]:
            return probe()
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
