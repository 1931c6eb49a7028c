"""Issue 7, point 8: a real process death (SIGKILL) after each step of the order path, then a restart.

A child process (``tests/integration/kill9_child.py``) places one order and kills itself with SIGKILL right
after one step: the intent journaled, the broker's submit returned (the order is on the exchange, its ack is
not journaled), the ack journaled, and for a MARKET entry with stop-loss/take-profit: the entry filled but
its exits not sent yet, or the exits' submit returned but their ack not journaled. Then the operator
restarts: ``python -m crbot --json reconcile``, and we check, the exchange read by itself (``probe``):
0 orders lost, 0 duplicated (one exchange order per client id at most), the journal agreeing with the
exchange on every order, nothing left INTENT/UNKNOWN/PLANNED, and every filled entry protected.

Both in paper mode (the in-process paper exchange) and live (the real python-binance client against
``python -m crbot sim serve``). Also STOP during a 418 ban, and STOP racing a process that places orders.
Every command is its own process, as an operator types it.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_env
from tests.integration.test_live_acceptance import CLEAN_ENV, KEY, ROOT, SECRET, crbot, start_sim, stop_sim, tick
from tests.secrets.kit import live_env

CHILD = "tests.integration.kill9_child"
MODES = ("paper", "live")

# (step killed after, order kind) -> what the journal and the exchange must both say after the restart,
# per client id suffix; None: never reached the exchange (the journal says so: REJECTED, or CANCELED for the
# exits of an entry that never existed).
FILLED_AND_PROTECTED = {"": "FILLED", "-sl": "NEW", "-tp": "NEW"}
CASES: dict[tuple[str, str], dict[str, str | None]] = {
    ("intent", "market_exits"): {"": None, "-sl": None, "-tp": None},  # its planned exits dropped too
    ("submit", "bracket"): {"": "NEW", "-sl": "PENDING_NEW", "-tp": "PENDING_NEW"},  # submit_list, one list
    ("ack", "limit"): {"": "NEW"},
    ("submit", "market_exits"): FILLED_AND_PROTECTED,  # the entry's ack lost: its exits still sent
    ("exits", "market_exits"): FILLED_AND_PROTECTED,  # filled, exits never sent
    ("exits_submit", "market_exits"): FILLED_AND_PROTECTED,  # exits sent, their ack lost
}
SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")  # one sim account: spread the stop orders out
NEVER_SENT = {"": "REJECTED", "-sl": "CANCELED", "-tp": "CANCELED"}
PENDING = {"INTENT", "UNKNOWN", "PLANNED"}


@dataclass
class Venue:
    mode: str
    url: str = ""  # live: the simulator

    def env(self, home: Path) -> dict[str, str]:
        env = {**CLEAN_ENV, **make_env(home, CRBOT_ACTOR="kill9"), "PYTHONPATH": str(ROOT)}
        if self.mode == "live":
            env |= {
                "CRBOT_MODE": "live",
                "CRBOT_BINANCE_BASE_URL": self.url,
            }
            env = live_env(env, KEY, SECRET)  # encrypted keys and the typed confirmation, as live requires
        return env


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return json.loads(self.out)


def run(venue: Venue, home: Path, *args: str) -> Ran:
    """``python -m <args>`` in ``home`` (cwd: no developer .env), with that venue's environment."""
    proc = subprocess.run(
        [sys.executable, "-m", *args], cwd=home, env=venue.env(home), capture_output=True, text=True, timeout=90
    )
    return Ran(code=proc.returncode, out=proc.stdout, err=proc.stderr)


def cli(venue: Venue, home: Path, *args: str) -> Ran:
    return run(venue, home, "crbot", *args)


def probe(venue: Venue, home: Path) -> dict[str, Any]:
    """The exchange read directly (not through the journal), plus the unprotected positions and the state."""
    seen = run(venue, home, CHILD, "probe")
    assert seen.code == 0, seen.err
    return seen.data


@pytest.fixture(scope="module")
def live_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sim = start_sim(tmp_path_factory.mktemp("kill9-sim"))
    yield sim.url
    stop_sim(sim.process)


def venue_for(mode: str, request: pytest.FixtureRequest) -> Venue:
    return Venue(mode="live", url=request.getfixturevalue("live_sim")) if mode == "live" else Venue(mode="paper")


@pytest.mark.parametrize(("step", "kind"), list(CASES))
@pytest.mark.parametrize("mode", MODES)
def test_kill9_after_a_step_then_a_restart_loses_duplicates_and_leaves_unprotected_nothing(
    mode: str, step: str, kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    venue = venue_for(mode, request)
    symbol = SYMBOLS[list(CASES).index((step, kind)) % len(SYMBOLS)]
    cid = f"k9{mode[0]}-{step.replace('_', '')}-{kind[:3]}"
    died = run(venue, tmp_path, CHILD, "place", step, kind, symbol, cid)
    assert died.code == -signal.SIGKILL, f"the child did not die by SIGKILL: {died.code} {died.out} {died.err}"

    restarted = cli(venue, tmp_path, "--json", "reconcile")  # what the operator runs after a crash
    assert restarted.code == 0, restarted.err
    assert restarted.data["errors"] == []
    journal = cli(venue, tmp_path, "--json", "orders")
    assert journal.code == 0, journal.err
    seen = probe(venue, tmp_path)

    ids = [o["client_order_id"] for o in journal.data]
    assert len(ids) == len(set(ids)), "an order journaled twice"
    assert [o["client_order_id"] for o in journal.data if o["status"] in PENDING] == [], "left unresolved"
    for order in journal.data:  # the journal agrees with the exchange on every order, and none is doubled there
        on_exchange = seen["exchange"].get(order["client_order_id"], [])
        assert len(on_exchange) <= 1, f"{order['client_order_id']} is {len(on_exchange)} times on the exchange"
        if on_exchange:
            assert order["status"] == on_exchange[0], order
        else:
            assert order["status"] in ("REJECTED", "CANCELED") and order["reason"], order

    expected = CASES[(step, kind)]
    mine = {o["client_order_id"]: o for o in journal.data if o["client_order_id"].startswith(cid)}
    assert {c: o["status"] for c, o in mine.items()} == {
        cid + suffix: status or NEVER_SENT[suffix] for suffix, status in expected.items()
    }
    sent = {cid + suffix: [status] for suffix, status in expected.items() if status is not None}
    assert {c: s for c, s in seen["exchange"].items() if c.startswith(cid)} == sent  # once each, or never
    if expected[""] is None:
        assert "exchange" in mine[cid]["reason"], mine[cid]["reason"]  # says it never got there
    if "-sl" in expected and expected["-sl"] is not None:
        assert mine[f"{cid}-sl"]["type"] == "STOP_LOSS_LIMIT"
        assert mine[f"{cid}-sl"]["list_client_id"] == mine[f"{cid}-tp"]["list_client_id"] is not None
    if expected == FILLED_AND_PROTECTED:
        assert {f"{cid}-sl", f"{cid}-tp"} <= set(seen["open"])
    assert seen["unprotected"] == [] and seen["unprotected_events"] == []
    assert seen["state"] == "ACTIVE"


@pytest.mark.parametrize("mode", MODES)
def test_stop_racing_a_process_that_places_orders_leaves_nothing_open(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """5 trials per mode: STOP at a random moment while another process places orders back to back, each
    submit 0.25 s slow (so that STOP mostly latches with an order in flight)."""
    venue = venue_for(mode, request)
    rng = random.Random(f"stop-race-{mode}")
    counts = [race_once(venue, tmp_path / f"trial-{n}", f"race{mode[0]}{n}", rng) for n in range(5)]
    print(f"STOP race ({mode}): orders placed before HALTED, per trial: {counts}")


def race_once(venue: Venue, home: Path, prefix: str, rng: random.Random) -> int:
    home.mkdir(parents=True)
    placing = subprocess.Popen(
        [sys.executable, "-m", CHILD, "race", "BTCUSDT", prefix, "0.25"],
        cwd=home,
        env=venue.env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert placing.stdout is not None
        assert placing.stdout.readline().strip() == "ready", placing.stderr.read() if placing.stderr else ""
        time.sleep(rng.uniform(0, 0.5))  # plus the STOP process's own start-up: it latches 1 to 1.5 s in
        stopped = cli(venue, home, "--json", "stop", "--reason", "race")
        out, err = placing.communicate(timeout=60)
    finally:
        if placing.poll() is None:
            placing.kill()
            placing.wait()
    assert stopped.code == 0, stopped.err
    assert placing.returncode == 0 and "halted after" in out and "error:" not in out, (out, err)
    tried = int(out.split("halted after ")[1].split()[0])
    seen = probe(venue, home)  # the exchange itself, before any command could sweep it again
    assert seen["state"] == "HALTED"
    assert seen["open"] == [], f"{prefix}: {tried} placed, left open after HALTED: {seen['open']}"
    assert seen["journal_open"] == [], f"{prefix}: the journal still has {seen['journal_open']} open"
    mine = {c: s for c, s in seen["exchange"].items() if c.startswith(f"{prefix}-")}  # live: one account
    assert len(mine) == tried and all(s == ["CANCELED"] for s in mine.values()), mine
    return tried


def provoke_ban(url: str) -> None:
    """Spend the IP's request weight (exchangeInfo: 20 each), ignore the 429s: the exchange answers 418."""
    for _ in range(2000):
        try:
            with urllib.request.urlopen(f"{url}/api/v3/exchangeInfo", timeout=10) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 418:
                return
    pytest.fail("the local exchange never banned this IP")


def test_stop_during_a_418_ban_latches_halted_and_the_next_command_after_it_finishes_it(tmp_path: Path) -> None:
    sim_home, home = tmp_path / "sim", tmp_path / "crbot"
    sim_home.mkdir()
    home.mkdir()
    sim = start_sim(sim_home)
    try:
        last = Decimal(crbot(sim, home, "--json", "price", "--symbol", "BTCUSDT").data["price"])
        args = ("--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", tick(last * Decimal("0.97")))
        placed = crbot(sim, home, "--json", "order", "create", *args, "--client-id", "banned-1")
        assert placed.code == 0, placed.err
        provoke_ban(sim.url)  # this machine's IP: the CLI is banned too

        stopped = crbot(sim, home, "--json", "stop", "--reason", "banned")
        assert stopped.code == 5, stopped.err
        assert stopped.data["state"] == "HALTED" and not stopped.data["ok"]
        assert any("banned-1" in line for line in stopped.data["left_open"])
        assert any("banned this IP" in error for error in stopped.data["errors"]), stopped.data["errors"]
    finally:
        stop_sim(sim.process)  # the ban lives in the exchange's memory: a restart is the ban's end

    back = start_sim(sim_home)  # the same book: the order is still open there
    try:
        assert crbot(back, home, "balance").code == 0  # any command sweeps what the last STOP left
        opened = crbot(back, home, "--json", "orders", "--open")
        assert opened.code == 0 and opened.data == []
        order = crbot(back, home, "--json", "order", "status", "--symbol", "BTCUSDT", "--id", "banned-1")
        assert order.data["status"] == "CANCELED"
        denied = crbot(back, home, "order", "create", *args)
        assert denied.code == 3 and "banned" in denied.err
    finally:
        stop_sim(back.process)
