"""A process of its own trading the shared paper account, for tests/paper/test_engine_persistence.py.

Run as ``python -m tests.paper.engine_process trader PATH PREFIX COUNT`` or ``... watcher PATH PRICE SECONDS``
(PATH: a SQLite file, or a database URL);
it prints its result as one line of JSON. Started with ``subprocess`` (never multiprocessing's spawn, which
re-imports the parent's ``__main__``: inside pytest that may be a Streamlit AppTest script of another test).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crbot.clock import ManualClock
from crbot.domain import Side
from crbot.exchange.bundled import load_bundled_rules
from crbot.market.feed import ManualFeed
from crbot.paper.engine import MatchingEngine
from tests.paper.test_engine_kit import FEES, PRICES, START, spec

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # every process's clock starts here


def trader(path: str, prefix: str, count: int) -> list[int]:
    """One process (dashboard, CLI, bot) placing ``count`` orders and canceling every third."""
    engine = MatchingEngine(
        db_url=path if "://" in path else f"sqlite:///{path}",
        feed=ManualFeed(PRICES),
        clock=ManualClock(T0),
        rules=load_bundled_rules(),
        commissions=FEES,
        slippage_bps=Decimal(0),
        starting_balances=START,
    )
    ids = []
    for i in range(count):
        ids.append(engine.new_order(spec(f"{prefix}{i}", Side.BUY, "0.001", "40000")).order_id)
        if i % 3 == 0:
            engine.cancel("BTCUSDT", client_order_id=f"{prefix}{i}")
    engine.close()
    return ids


def watcher(path: str, order_price: str, at_seconds: int) -> list[str]:
    """Another process whose feed saw the market trade at ``order_price``; its calls match everyone's orders."""
    feed = ManualFeed(PRICES)
    feed.move("BTCUSDT", order_price, T0 + timedelta(seconds=at_seconds))
    engine = MatchingEngine(
        db_url=path if "://" in path else f"sqlite:///{path}",
        feed=feed,
        clock=ManualClock(T0 + timedelta(seconds=2 * at_seconds)),
        rules=load_bundled_rules(),
        commissions=FEES,
        slippage_bps=Decimal(0),
        starting_balances={"USDT": Decimal("999")},
    )
    assets = [b.asset for b in engine.balances()]
    engine.close()
    return assets


def main(argv: list[str]) -> int:
    match argv:
        case ["trader", path, prefix, count]:
            result: list[int] | list[str] = trader(path, prefix, int(count))
        case ["watcher", path, price, seconds]:
            result = watcher(path, price, int(seconds))
        case _:
            print(f"usage: python -m tests.paper.engine_process trader|watcher ... (got {argv})", file=sys.stderr)
            return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
