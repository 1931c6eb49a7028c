"""The paper account is durable and shared: a restart continues it, and several engines (threads, processes)
on the same file interleave without losing, duplicating or double-filling anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from crbot.clock import ManualClock
from crbot.domain import ZERO, OrderStatus, Side
from tests.paper.conftest import Book
from tests.paper.engine_process import T0
from tests.paper.test_engine_kit import BTC, Rig, assert_ledger, oco, sl, spec, tp

D = Decimal
ROOT = Path(__file__).resolve().parents[2]


def test_a_restart_continues_the_same_account_and_catches_up(book: Book) -> None:
    path = book("paper")
    first = Rig(path)
    first.engine.new_order(spec("b1", Side.BUY, "0.01", "49000"))
    first.engine.new_order(spec("b2", Side.BUY, "0.01", "30000"))
    first.engine.close()
    first.move("48900", seconds=300)  # the market moves while no process runs
    first.clock.advance(300)

    # a second start must not fund the account again, whatever starting balances it is given
    again = Rig(path, clock=first.clock, feed=first.feed, balances={"USDT": D("1"), "BNB": D("5")})
    again.start = first.start
    assert again.engine.get_order(BTC, client_order_id="b1").status is OrderStatus.FILLED
    assert [o.client_order_id for o in again.engine.open_orders()] == ["b2"]
    (fill,) = again.engine.trades(BTC)
    assert fill.time == T0 + timedelta(seconds=300)
    assert again.bal("USDT") == (D("10000") - D("490") - D("300"), D("300"))
    assert again.bal("BNB") == (ZERO, ZERO)
    assert again.engine.new_order(spec("b3", Side.BUY, "0.001", "30000")).order_id == 3
    assert_ledger(again)


def test_two_engines_on_one_file_see_each_others_orders_and_fill_once(book: Book) -> None:
    path = book("paper")
    a = Rig(path)
    b = Rig(path, clock=a.clock, feed=a.feed)  # e.g. the dashboard and the CLI
    a.engine.new_order(spec("x", Side.BUY, "0.01", "49000"))
    assert [o.client_order_id for o in b.engine.open_orders()] == ["x"]
    b.engine.cancel(BTC, client_order_id="x")
    assert a.engine.get_order(BTC, client_order_id="x").status is OrderStatus.CANCELED
    assert a.bal("USDT") == (D("10000"), ZERO)

    a.engine.new_order(spec("y", Side.BUY, "0.01", "49000"))
    a.move("48000")
    b.engine.advance()  # b matches a's order
    a.engine.advance()
    b.engine.advance()
    assert len(a.engine.trades(BTC)) == 1
    assert a.engine.get_order(BTC, client_order_id="y").status is OrderStatus.FILLED
    assert_ledger(a)
    assert_ledger(b)


def test_threads_sharing_one_engine_keep_the_ledger_exact(book: Book) -> None:
    rig = Rig(book("paper"), balances={"USDT": D("100000"), "BTC": D("10")})
    errors: list[BaseException] = []

    def trader(n: int) -> None:
        try:
            for i in range(15):
                cid = f"t{n}-{i}"
                if i % 4 == 3:
                    rig.engine.new_order_list(
                        oco(
                            cid,
                            tp(f"{cid}-tp", Side.SELL, "0.01", "52000"),
                            sl(f"{cid}-sl", Side.SELL, "0.01", "48000", "47900"),
                        )
                    )
                else:
                    rig.engine.new_order(spec(cid, Side.BUY, "0.01", str(45000 + n * 100 + i)))
                if i % 3 == 0:
                    rig.engine.cancel(BTC, client_order_id=cid if i % 4 != 3 else f"{cid}-tp")
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=trader, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    views = rig.engine.all_orders(BTC, limit=1000)
    assert len(views) == 4 * (12 + 3 * 2) and len({v.order_id for v in views}) == len(views)
    assert_ledger(rig)
    rig.move("45000")  # every BUY fills; every OCO's stop triggers but rests below its limit
    assert_ledger(rig)
    rig.move("47950")  # ... and now fills
    assert rig.engine.open_orders() == []
    assert_ledger(rig)


def _run(*commands: list[str]) -> list[list]:
    """Start one child per command at once (a fresh ``python -m``, nothing inherited from this process's
    ``__main__``), wait for all, and return what each printed (JSON)."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.paper.engine_process", *command],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results.append(json.loads(out))
    return results


def test_two_processes_share_one_paper_account(book: Book) -> None:
    path = book("paper")
    # both start on a fresh file at once: schema and funding must happen exactly once
    ids = [i for result in _run(*(["trader", str(path), p, "30"] for p in ("p", "q"))) for i in result]
    assert len(set(ids)) == 60

    rig = Rig(path, clock=ManualClock(T0))
    opened = [o for o in rig.engine.open_orders(BTC)]
    assert len(opened) == 40  # every third of each process's 30 was canceled
    assert rig.bal("USDT") == (D("10000") - 40 * D("40"), 40 * D("40"))
    assert_ledger(rig)

    # an order placed here fills when another process, whose feed saw the price, calls the engine
    rig.engine.new_order(spec("mine", Side.BUY, "0.001", "45000"))
    assert _run(["watcher", str(path), "44000", "30"]) == [["BTC", "USDT"]]
    rig.clock.advance(60)
    mine = rig.engine.get_order(BTC, client_order_id="mine")
    assert mine.status is OrderStatus.FILLED and mine.cumulative_quote == D("45")
    (fill,) = rig.engine.trades(BTC)
    assert fill.time == T0 + timedelta(seconds=30)
    assert_ledger(rig)
