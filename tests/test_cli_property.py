"""Property: whatever is typed, ``main(argv)`` answers with an exit code, and nothing invalid gets through.

Every command that takes input is driven with values mixing valid numbers, the malformed shapes a tester
found (exponents, huge amounts, non-ASCII digits, '_', signs) and random text; one paper home is shared by
all examples and never reset, so orders, STOP and resume interact as they would for an operator.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crbot.binance.fields import CLIENT_ID
from crbot.cli import main
from crbot.clock import SystemClock
from crbot.exchange.public import load_rules
from crbot.journal import Journal
from tests.conftest import make_env

KNOWN = frozenset(load_rules("bundled")[0])  # the paper exchange's symbols with a synthetic feed

BAD_NUMBERS = ["1e100", "1e400", "9" * 5000, "1" * 21, "0." + "1" * 21, "١٢", "１２", "1_000", "-1", "+1", " 1"]
BAD_NUMBERS += ["", "NaN", "Infinity", "0", "0.0", ".5", "5.", "1,5", "0x10", "1 000", "--qty"]
QUANTITIES = ["0.001", "0.0005", "0.00012", "1", "100000000000000000000"]


def _numbers(near: list[str]) -> st.SearchStrategy[str]:
    valid = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1e12"), places=8).map(
        lambda d: format(d, "f")
    )
    return st.one_of(st.sampled_from(near + QUANTITIES), valid, st.sampled_from(BAD_NUMBERS), st.text(max_size=30))


SYMBOLS = st.one_of(
    st.sampled_from(["BTCUSDT", "ETHUSDT", "btcusdt", " BTCUSDT ", "FOOUSDT", "", "BTC/USDT", "🚀", "ßUSDT"]),
    st.text(max_size=25),
)
CLIENT_IDS = st.one_of(
    st.sampled_from(["prop-1", "prop_2", "x" * 37, "a b", "id.dot", ""]),
    st.from_regex(r"[A-Za-z0-9_-]{1,36}", fullmatch=True),
    st.text(max_size=40),
)


def _option(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), values.map(lambda v: [name, v]))


def _commands(near: list[str]) -> st.SearchStrategy[list[str]]:
    numbers = _numbers(near)
    create = st.tuples(
        _option("--symbol", SYMBOLS),
        _option("--side", st.one_of(st.sampled_from(["BUY", "SELL", "buy", "HOLD"]), st.text(max_size=5))),
        _option("--type", st.sampled_from(["LIMIT", "MARKET", "market", "STOP"])),
        _option("--qty", numbers),
        _option("--quote", numbers),
        _option("--price", numbers),
        _option("--stop-loss", numbers),
        _option("--take-profit", numbers),
        _option("--client-id", CLIENT_IDS),
    ).map(lambda parts: ["order", "create", *(token for part in parts for token in part)])
    # Mostly valid orders with now and then one bad value: these reach the risk checks and the exchange.
    one_of_these = st.sampled_from(["--qty", "--quote", "--price", "--stop-loss", "--take-profit", "--client-id"])
    plausible = st.tuples(
        st.sampled_from([["--symbol", "BTCUSDT"], ["--symbol", "btcusdt "]]),
        st.sampled_from([["--side", "BUY"], ["--side", "BUY"], ["--side", "SELL"]]),
        st.sampled_from([[], ["--type", "MARKET"]]),
        st.one_of(
            st.sampled_from(["0.001", "0.0005", "0.0002"]).map(lambda q: ["--qty", q]),
            st.sampled_from(["20", "50"]).map(lambda q: ["--quote", q]),
        ),
        st.sampled_from([[], *(["--price", p] for p in near[1:3])]),
        _option("--stop-loss", st.sampled_from(near[:2])),
        _option("--take-profit", st.sampled_from(near[3:])),
        _option("--client-id", CLIENT_IDS),
        st.one_of(st.just([]), st.tuples(one_of_these, st.one_of(numbers, CLIENT_IDS)).map(list)),  # last wins
    ).map(lambda parts: ["order", "create", *(token for part in parts for token in part)])
    lookup = st.tuples(st.sampled_from(["status", "cancel"]), _option("--symbol", SYMBOLS), _option("--id", CLIENT_IDS))
    return st.one_of(
        _option("--symbol", SYMBOLS).map(lambda o: ["price", *o]),
        create,
        plausible,
        plausible,  # the command with the most inputs gets the most examples
        lookup.map(lambda t: ["order", t[0], *t[1], *t[2]]),
        st.tuples(_option("--reason", st.text(max_size=40)), st.booleans()).map(
            lambda t: ["stop", *t[0], *(["--flatten"] if t[1] else [])]
        ),
        st.sampled_from([["resume", "--confirm"], ["resume", "--confirm"], ["resume"], ["resume", "--confirm", "x"]]),
    )


def _check_journal(home: Path) -> int:
    journal = Journal(f"sqlite:///{home}/journal.db", SystemClock())
    try:
        orders = journal.orders()
    finally:
        journal.close()
    for order in orders:
        assert CLIENT_ID.fullmatch(order.client_order_id), order
        assert order.quantity > 0, order
        assert order.symbol in KNOWN, order
    return len(orders)


def test_no_input_escapes_the_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for key, value in make_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["--json", "price", "--symbol", "BTCUSDT"]) == 0
    price = Decimal(json.loads(capsys.readouterr().out)["price"])
    # Prices the risk band and PERCENT_PRICE accept, so some orders really are placed (and some fill).
    near = [str((price * Decimal(k)).quantize(Decimal("0.01"))) for k in ("0.97", "0.98", "0.99", "1.02", "1.03")]
    outcomes: dict[int, int] = {}

    @settings(
        max_examples=150,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(_commands(near), min_size=1, max_size=3), st.booleans())
    def run(argvs: list[list[str]], as_json: bool) -> None:
        for argv in argvs:
            code = main([*(["--json"] if as_json else []), *argv])  # must not raise
            out, err = capsys.readouterr()
            outcomes[code] = outcomes.get(code, 0) + 1
            assert code in {0, 2, 3, 4}, (argv, code, out, err)
            assert "Traceback" not in out + err, (argv, err)
            if code and as_json:
                assert json.loads(out)["ok"] is False, (argv, out)
            elif code:
                errors = [line for line in err.splitlines() if line.startswith("error: ")]
                assert len(errors) == 1, (argv, err)
        _check_journal(tmp_path)

    run()
    assert main(["reconcile"]) == 0  # anything that reached the paper exchange is now in the journal too
    capsys.readouterr()
    placed = _check_journal(tmp_path)
    # The mix exercises every path: refusals, denials and orders that went through.
    assert outcomes.get(0) and outcomes.get(2) and placed, (outcomes, placed)
