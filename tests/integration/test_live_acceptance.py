"""Issue #3's "Done when", as a user would do it: a simulator process, then the live CLI against it.

    python -m crbot sim serve --port <free> --api-key K --api-secret S --home <tmp>
    CRBOT_MODE=live CRBOT_BINANCE_BASE_URL=http://127.0.0.1:<port> BINANCE_API_KEY=K BINANCE_API_SECRET=S \
        CRBOT_HOME=<another tmp> python -m crbot balance | order create ... | orders --open | order cancel | stop

Every command is a fresh process, exactly what an operator types; nothing is patched. Live mode runs the
key permission audit first, so every command below also proves that a safe key passes it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pytest

from crbot.config import Settings
from crbot.errors import KeyAuditFailed
from tests.ctrl_c import popen_with_ctrl_c
from tests.secrets.kit import live_env

ROOT = Path(__file__).resolve().parents[2]
KEY = "Lv9aB8cD7eF6gH5iJ4kL3mN2oP1qR0sT9uV8wX7yZ6aB5cD4eF3gH2iJ1kL0mN9o"
SECRET = "live-acceptance-secret-0123456789abcdefghijklmnopqrstuvwxyzABCD"
OTHER_KEY = "Zz" + KEY[2:]
MARKET_BUY = ("--symbol", "BTCUSDT", "--side", "BUY", "--type", "MARKET")
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sim:
    url: str
    process: subprocess.Popen[str]


def start_sim(home: Path, *extra: str) -> Sim:
    port = free_port()
    args = ["--port", str(port), "--api-key", KEY, "--api-secret", SECRET, "--home", str(home / "book"), *extra]
    env = {**CLEAN_ENV, "CRBOT_HOME": str(home), "CRBOT_PRICE_FEED": "synthetic", "PYTHONPATH": str(ROOT)}
    proc = popen_with_ctrl_c(  # stop_sim's Ctrl-C must stop it at once, not after a 20 s wait and a kill
        [sys.executable, "-m", "crbot", "sim", "serve", *args],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # printed once the socket listens: the wait for the server
    if f"local exchange: http://127.0.0.1:{port}" not in first:
        stop_sim(proc)
        pytest.fail(f"the simulator did not start: {first!r} {proc.stderr.read() if proc.stderr else ''}")
    return Sim(url=f"http://127.0.0.1:{port}", process=proc)


def stop_sim(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as an operator stops it
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    s = start_sim(tmp_path_factory.mktemp("sim"))
    yield s
    stop_sim(s.process)


@pytest.fixture(scope="module")
def unsafe_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """A simulator whose key may withdraw: what a careless key on Binance looks like."""
    home = tmp_path_factory.mktemp("unsafe-sim")
    restrictions = home / "restrictions.json"
    restrictions.write_text(json.dumps({"enableWithdrawals": True}))
    s = start_sim(home, "--restrictions", str(restrictions))
    yield s
    stop_sim(s.process)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return json.loads(self.out)


def crbot(sim: Sim, home: Path, *args: str, key: str = KEY, secret: str = SECRET) -> Result:
    """One CLI command in live mode against the simulator, as its own process (cwd: no developer .env)."""
    env = {
        **CLEAN_ENV,
        "CRBOT_MODE": "live",
        "CRBOT_BINANCE_BASE_URL": sim.url,
        "BINANCE_API_KEY": key,
        "BINANCE_API_SECRET": secret,
        "CRBOT_HOME": str(home),
        "CRBOT_ACTOR": "acceptance",
        "PYTHONPATH": str(ROOT),
    }
    env = live_env(env, key, secret)  # live refuses plain-text keys and wants its typed confirmation once
    proc = subprocess.run(
        [sys.executable, "-m", "crbot", *args], cwd=home, env=env, capture_output=True, text=True, timeout=60
    )
    return Result(code=proc.returncode, out=proc.stdout, err=proc.stderr)


def tick(price: Decimal) -> str:
    return str(price.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def test_live_cli_balance_bracket_cancel_and_stop(sim: Sim, tmp_path: Path) -> None:
    balance = crbot(sim, tmp_path, "balance")
    assert balance.code == 0, balance.err
    assert re.search(r"USDT\s+10,000\.00\s+0\.00\s", balance.out), balance.out  # asset, free, locked (quote: 2 dp)
    assert "equity_usdt: 10,000.00" in balance.out

    price = crbot(sim, tmp_path, "--json", "price", "--symbol", "BTCUSDT")
    assert price.code == 0, price.err
    last = Decimal(price.data["price"])
    entry, stop, take = tick(last * Decimal("0.98")), tick(last * Decimal("0.95")), tick(last * Decimal("1.05"))
    args = ["--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", entry]
    created = crbot(sim, tmp_path, "--json", "order", "create", *args, "--stop-loss", stop, "--take-profit", take)
    assert created.code == 0, created.err
    cid = created.data["client_order_id"]
    assert created.data["message"] == "sent"

    listed = crbot(sim, tmp_path, "--json", "orders", "--open")
    assert listed.code == 0, listed.err
    legs = {o["client_order_id"]: (o["type"], o["status"], Decimal(o["stop_price"] or o["price"])) for o in listed.data}
    assert legs == {
        cid: ("LIMIT", "NEW", Decimal(entry)),
        f"{cid}-sl": ("STOP_LOSS_LIMIT", "PENDING_NEW", Decimal(stop)),
        f"{cid}-tp": ("LIMIT_MAKER", "PENDING_NEW", Decimal(take)),
    }
    assert len({o["list_client_id"] for o in listed.data}) == 1  # ONE exchange order list, not a watcher

    canceled = crbot(sim, tmp_path, "--json", "order", "cancel", "--symbol", "BTCUSDT", "--id", cid)
    assert canceled.code == 0, canceled.err
    assert canceled.data["status"] == "CANCELED"
    assert crbot(sim, tmp_path, "--json", "orders", "--open").data == []  # the whole list went with it

    resting = crbot(sim, tmp_path, "--json", "order", "create", *args)
    assert resting.code == 0, resting.err
    halted = crbot(sim, tmp_path, "--json", "stop", "--reason", "acceptance test")
    assert halted.code == 0, halted.err
    assert halted.data["ok"] and halted.data["state"] == "HALTED"
    assert halted.data["canceled"] == [f"BTCUSDT {resting.data['client_order_id']}"]
    status = crbot(sim, tmp_path, "--json", "status")
    assert (status.data["mode"], status.data["trading_state"]) == ("live", "HALTED")
    refused = crbot(sim, tmp_path, "order", "create", *args)
    assert refused.code == 3 and "TRADING_HALTED" in refused.err


def test_a_wrong_secret_is_exit_4_naming_the_secret_to_fix(sim: Sim, tmp_path: Path) -> None:
    wrong = crbot(sim, tmp_path, "balance", secret="not-the-secret-of-this-key")
    assert wrong.code == 4
    message = wrong.err.splitlines()[-1]
    assert message.startswith("error: the request signature is not valid")
    assert "BINANCE_API_SECRET" in message and "copy the secret that belongs to this key" in message
    assert "not-the-secret" not in wrong.err + wrong.out  # the secret itself is never printed


def test_an_unknown_key_is_exit_4_naming_the_key_to_fix(sim: Sim, tmp_path: Path) -> None:
    wrong = crbot(sim, tmp_path, "balance", key=OTHER_KEY)
    assert wrong.code == 4
    message = wrong.err.splitlines()[-1]
    assert "Invalid API key" in message and "BINANCE_API_KEY" in message and "API Management" in message


def test_a_too_small_quantity_names_the_notional_filter(sim: Sim, tmp_path: Path) -> None:
    small = crbot(sim, tmp_path, "order", "create", *MARKET_BUY, "--qty", "0.00001")
    assert small.code == 2
    assert "NOTIONAL" in small.err and "increase the quantity" in small.err
    listed = crbot(sim, tmp_path, "--json", "orders").data  # (other tests' open orders are imported: same account)
    assert [o for o in listed if Decimal(o["quantity"]) < Decimal("0.0001")] == []  # nothing journaled or sent


def test_a_quantity_below_the_step_names_the_lot_size_filter(sim: Sim, tmp_path: Path) -> None:
    tiny = crbot(sim, tmp_path, "order", "create", *MARKET_BUY, "--qty", "0.000001")
    assert tiny.code == 2 and "0.000001" in tiny.err  # refused for its quantity ...
    assert "LOT_SIZE" in tiny.err  # ... naming the filter


def test_live_cli_refuses_a_key_that_may_withdraw(unsafe_sim: Sim, tmp_path: Path) -> None:
    for command in (["balance"], ["order", "create", *MARKET_BUY, "--qty", "0.001"]):
        refused = crbot(unsafe_sim, tmp_path, *command)
        assert refused.code == 4, refused.err
        message = refused.err.splitlines()[-1]
        assert "Untick 'Enable Withdrawals' in Binance > API Management > Edit restrictions" in message


def test_dashboard_runtime_refuses_live_mode_on_a_key_that_may_withdraw(unsafe_sim: Sim, tmp_path: Path) -> None:
    from crbot.runtime import build_runtime

    env = {"CRBOT_HOME": str(tmp_path), "CRBOT_MODE": "live", "CRBOT_BINANCE_BASE_URL": unsafe_sim.url}
    settings = Settings.load(live_env(env, KEY, SECRET), dotenv=False)
    runtime = build_runtime(settings)  # building needs no exchange: STOP must always be possible
    with pytest.raises(KeyAuditFailed, match="Untick 'Enable Withdrawals'") as refused:
        runtime.service.start_up(actor="tester")
    assert refused.value.exit_code == 4 and "restart CRBOT" in str(refused.value)
