"""The CLI's human output: one formatting per kind of quantity; --json stays exact (issue #9, point 7)."""

import json
import os
import re
import subprocess
import sys
from decimal import Decimal as D

import pytest

from tests.conftest import make_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RAW_FLOAT = re.compile(r"\d\.\d{9,}")  # more than 8 decimals: a raw float, not a formatted figure


@pytest.fixture
def crbot(tmp_path):
    env = {**os.environ, **make_env(tmp_path)}

    def run(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "crbot", *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    return run


def row(out: str, first: str) -> list[str]:
    found = [line.split() for line in out.splitlines() if line.split()[:1] == [first]]
    assert found, f"no {first!r} row in:\n{out}"
    return found[0]


def test_empty_account_reads_plainly(crbot):
    balance = crbot("balance")
    assert row(balance, "USDT")[1:4] == ["10,000.00", "0.00", "10,000.00"]
    assert "equity_usdt: 10,000.00" in balance
    assert crbot("orders", "--open").strip() == "no open orders"
    assert crbot("orders").strip() == "no orders"
    assert crbot("positions").strip() == "no open positions"
    metrics = crbot("metrics")
    assert re.search(r"^trades\s+Round trips\s+0\s*$", metrics, re.M), metrics
    assert "0.0" not in row(metrics, "trades")


def test_each_kind_formatted_after_trades_json_exact(crbot):
    price = D(json.loads(crbot("--json", "price", "--symbol", "BTCUSDT"))["price"])
    assert re.fullmatch(r"price: \d{1,3}(,\d{3})*\.\d{2}", crbot("price", "--symbol", "BTCUSDT").splitlines()[1])
    crbot("order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.00734", "--type", "MARKET")
    crbot("order", "create", "--symbol", "BTCUSDT", "--side", "SELL", "--qty", "0.003", "--type", "MARKET")
    limit = str((price * D("0.97")).quantize(D("0.01")))
    crbot("order", "create", "--symbol", "BTCUSDT", "--side", "BUY", "--qty", "0.001", "--price", limit)

    exact = json.loads(crbot("--json", "positions"))[0]
    shown = row(crbot("positions"), "BTCUSDT")
    qty, avg, market, pnl = shown[1:5]
    assert re.fullmatch(r"0\.\d{5}", qty) and exact["quantity"].startswith(qty)  # the lot step, rounded down
    assert len(exact["quantity"]) > len(qty)  # the fee in BTC left more decimals than the step: --json keeps them
    for figure in (avg, market):
        assert re.fullmatch(r"\d{2,3},\d{3}\.\d{2}", figure), figure  # the tick, thousands separated
    assert re.fullmatch(r"-?\d+\.\d{2}", pnl), pnl  # quote: 2 decimals

    balance = crbot("balance")
    assert not RAW_FLOAT.search(balance), balance
    usdt, btc = row(balance, "USDT"), row(balance, "BTC")
    exact_usdt = next(b for b in json.loads(crbot("--json", "balance"))["balances"] if b["asset"] == "USDT")
    assert re.fullmatch(r"\d,\d{3}\.\d{2}", usdt[1]) and D(usdt[1].replace(",", "")) <= D(exact_usdt["free"])
    assert re.fullmatch(r"0\.\d{5}", btc[1]), btc
    assert re.search(r"equity_usdt: \d,\d{3}\.\d{2}$", balance, re.M)

    opened = crbot("orders", "--open")
    assert row(opened, "client_order_id") and f"{D(limit):,.2f}" in opened and "0.00100" in opened

    bought = next(o for o in json.loads(crbot("--json", "orders")) if o["type"] == "MARKET" and o["side"] == "BUY")
    status = crbot("order", "status", "--symbol", "BTCUSDT", "--id", bought["client_order_id"])
    assert re.search(r"^cumulative_quote: \d{3}\.\d{2}$", status, re.M) and not RAW_FLOAT.search(status), status
    assert re.search(r"^expected_price: \d{2,3},\d{3}\.\d{2}$", status, re.M), status
    assert row(crbot("account"), "BTC")[1] == btc[1]  # the same coin amount as `balance`, to the lot step

    metrics = crbot("metrics")
    assert not RAW_FLOAT.search(metrics), metrics
    assert row(metrics, "trades")[-1] == "1"  # a count, not "1.0"
    assert re.search(r"Median holding time\s+(\d+ m )?\d+ s\b", metrics), metrics
    assert re.search(r"Net P&L \(realised\)\s+-?\d+\.\d{2} USDT", metrics), metrics
