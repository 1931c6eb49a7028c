"""Issue 7's "Done when": STOP works when the exchange does not.

With the local exchange stopped, `python -m crbot stop` in live mode writes HALTED, says which orders could
not be cancelled yet and exits 5; once the exchange answers again, the next command sweeps them without a
second STOP. Every command is its own process, as an operator types it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.integration.test_live_acceptance import crbot, start_sim, stop_sim, tick


def test_stop_with_the_exchange_down_latches_halted_and_the_next_command_finishes_it(tmp_path: Path) -> None:
    sim_home, home = tmp_path / "sim", tmp_path / "crbot"
    sim_home.mkdir()
    home.mkdir()
    sim = start_sim(sim_home)
    try:
        last = Decimal(crbot(sim, home, "--json", "price", "--symbol", "BTCUSDT").data["price"])
        args = ("--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", tick(last * Decimal("0.97")))
        placed = crbot(sim, home, "--json", "order", "create", *args, "--client-id", "resting-1")
        assert placed.code == 0, placed.err
    finally:
        stop_sim(sim.process)  # the exchange is gone (or banned us): nothing answers on that port

    stopped = crbot(sim, home, "--json", "stop", "--reason", "exchange unreachable")
    assert stopped.code == 5, stopped.err
    assert stopped.data["state"] == "HALTED" and not stopped.data["ok"]
    assert any("resting-1" in line for line in stopped.data["left_open"])  # says what may still be open
    status = crbot(sim, home, "--json", "status")  # needs no exchange either
    assert status.code == 0 and status.data["trading_state"] == "HALTED" and status.data["by"] == "cli:acceptance"

    back = start_sim(sim_home)  # the same book: the order is still open there
    try:
        assert crbot(back, home, "balance").code == 0  # any command sweeps what the last STOP left
        opened = crbot(back, home, "--json", "orders", "--open")
        assert opened.code == 0 and opened.data == []
        order = crbot(back, home, "--json", "order", "status", "--symbol", "BTCUSDT", "--id", "resting-1")
        assert order.data["status"] == "CANCELED"
        denied = crbot(back, home, "order", "create", *args)
        assert denied.code == 3 and "by cli:acceptance" in denied.err and "exchange unreachable" in denied.err
    finally:
        stop_sim(back.process)
