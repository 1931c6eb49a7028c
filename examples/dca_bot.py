"""An example bot: dollar-cost averaging on CRBOT's paper account, through the same order path as the dashboard.

    CRBOT_MODE=paper python -m examples.dca_bot --symbol BTCUSDT --interval 60 --max-orders 10 --quote 20

Every ``--interval`` seconds it buys ``--quote`` USDT of ``--symbol`` at market, until ``--max-orders`` orders were
placed. ``--flip`` sells what each buy brought in with the next order (the account stays about flat: the load
benchmark's traffic). Every order goes through ``crbot.bot`` -> ``TradingService.place``: the risk manager, the
journal and the kill switch apply exactly as to an order from the dashboard.

It stops by itself, with a message, when trading is HALTED (STOP pressed anywhere reaches it within a second) or
when it cannot reach the journal (fail closed). ``--json`` prints one JSON object per line instead of text.

Exit codes: 0 done (max orders placed), 3 stopped: trading HALTED or journal unreachable, 2 bad settings or
arguments, 1 too many errors in a row.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from typing import Any

from crbot.bot import Bot, connect
from crbot.domain import OrderRequest, OrderType, Side, TradingState
from crbot.errors import CrbotError, Denied
from crbot.exchange import filters
from crbot.risk import DenialCode

STOPPING = {DenialCode.TRADING_HALTED.value, DenialCode.DATABASE_UNREACHABLE.value}
MAX_ERRORS_IN_A_ROW = 10
EXIT_DONE, EXIT_ERRORS, EXIT_BAD_INPUT, EXIT_STOPPED = 0, 1, 2, 3


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbol", default="BTCUSDT", help="symbol to buy (default BTCUSDT)")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between orders (default 60)")
    parser.add_argument("--max-orders", type=int, default=10, help="stop after this many orders (default 10)")
    parser.add_argument("--quote", type=Decimal, default=Decimal(20), help="USDT per order (default 20)")
    parser.add_argument("--flip", action="store_true", help="alternate buy and sell (keeps the account flat)")
    parser.add_argument("--name", default="dca", help="the bot's name in the audit log (default dca)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    args = parser.parse_args(argv)
    if args.interval < 0 or args.max_orders < 1 or not args.quote > 0:
        parser.error("--interval must be >= 0, --max-orders >= 1 and --quote > 0")
    return args


class Out:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def __call__(self, event: str, text: str, **fields: Any) -> None:
        if self.as_json:
            print(json.dumps({"event": event, "time": time.time(), "message": text, **fields}), flush=True)
        else:
            print(text, flush=True)


def request(bot: Bot, args: argparse.Namespace, bought: Decimal) -> OrderRequest:
    """A MARKET buy of ``--quote`` USDT; with ``--flip`` and something ``bought``, the sale of it instead."""
    if args.flip and bought > 0:  # what the buy brought in, less its fee (paid in the base asset), to the lot step
        rules = bot.service.broker.rules()[args.symbol.upper()]
        qty = filters.floor_qty(rules, bought * (1 - bot.service.fee_rate), market=True)
        return OrderRequest(symbol=args.symbol, side=Side.SELL, type=OrderType.MARKET, quantity=qty)
    return OrderRequest(symbol=args.symbol, side=Side.BUY, type=OrderType.MARKET, quote_amount=args.quote)


def run(bot: Bot, args: argparse.Namespace, out: Out) -> int:
    heard: list[float] = []  # when this process heard HALTED (the watch thread calls back)
    bot.watch.subscribe(lambda record: heard.append(time.time()) if record.state is TradingState.HALTED else None)
    out("ready", f"{bot.actor}: {args.symbol} every {args.interval:g} s, up to {args.max_orders} orders")
    placed = errors = 0
    bought = Decimal(0)  # --flip: the base asset the last buy brought in, sold by the next order
    due = time.monotonic()
    while placed < args.max_orders:
        try:  # always through the service, even when the watch already says HALTED: the refusal is the real one
            result = bot.place(request(bot, args, bought))
        except Denied as exc:
            if exc.code in STOPPING:
                why = "trading is HALTED" if exc.code == DenialCode.TRADING_HALTED else "the journal is unreachable"
                out(
                    "stopped",
                    f"{bot.actor}: stopping by itself, {why} ({exc.detail}) after {placed} orders",
                    code=exc.code,
                    heard=heard[0] if heard else None,
                    refused=time.time(),
                    placed=placed,
                )
                return EXIT_STOPPED
            errors += 1
            out("denied", f"order refused: {exc}", code=exc.code)
        except CrbotError as exc:
            errors += 1
            out("error", f"order failed: {exc}")
        except Exception as exc:  # e.g. the journal's file vanished mid-order: the watch says so within its timeout
            errors += 1
            out("error", f"order failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        else:
            errors = 0
            placed += 1
            order = result.orders[0] if result.orders else None
            if args.flip:
                bought = order.executed_qty if order is not None and order.side is Side.BUY else Decimal(0)
            out(
                "order",
                f"{result.client_order_id}: {order.side if order else ''} {order.status if order else result.message}",
                client_order_id=result.client_order_id,
                status=str(order.status) if order else "",
            )
        if errors >= MAX_ERRORS_IN_A_ROW:
            out("gave_up", f"{bot.actor}: {errors} errors in a row, stopping")
            return EXIT_ERRORS
        if placed < args.max_orders:  # every --interval from the start, not after each order: a steady pace
            due = max(due + args.interval, time.monotonic())
            bot.sleep(due - time.monotonic())  # wakes at once on HALTED: the next place() is refused, the loop ends
    out("done", f"{bot.actor}: {placed} orders placed")
    return EXIT_DONE


def main(argv: list[str]) -> int:
    args = parse(argv)
    out = Out(args.json)
    try:
        bot = connect(args.name)
    except CrbotError as exc:
        out("error", f"cannot start: {exc}")
        return getattr(exc, "exit_code", EXIT_BAD_INPUT)
    with bot:
        return run(bot, args, out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
