"""Every page renders without an exception against a real paper runtime."""

from __future__ import annotations

import pytest

from crbot.exchange.filters import round_price

PAGES = ("balance", "positions", "ticket", "performance", "risk", "connection")


@pytest.mark.parametrize("name", PAGES)
def test_page_renders(page, name: str) -> None:
    at = page(name).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title, f"{name} drew no title"


def test_balance_shows_equity(page) -> None:
    at = page("balance").run()
    equity = next(m for m in at.metric if m.label == "Total equity (USDT)")
    assert equity.value == "10,000.00"


def test_connection_lists_the_mode(page) -> None:
    at = page("connection").run()
    table = at.dataframe[0].value
    assert "paper" in " ".join(map(str, table["Value"])).lower()


def test_connection_compares_then_applies_the_journal_fix(page, runtime) -> None:
    from decimal import Decimal

    from crbot.domain import OrderSpec, OrderType, Side

    at = page("connection").run()
    assert any("agrees with the exchange" in str(s.value) for s in at.success)  # start-up reconcile was clean
    outside = OrderSpec(client_order_id="placed-on-binance-web", symbol="BTCUSDT", side=Side.BUY,
                        type=OrderType.LIMIT, quantity=Decimal("0.001"),
                        price=round_price(runtime.broker.rules()["BTCUSDT"],
                                          runtime.broker.last_price("BTCUSDT") * Decimal("0.97")))  # fmt: skip
    runtime.broker.submit(outside)  # an order the journal has never seen
    at.button(key="reconcile_check").click().run()
    table = at.dataframe[1].value  # after the connection table
    assert list(table["Client order id"]) == ["placed-on-binance-web"]
    assert runtime.journal.get_order("placed-on-binance-web") is None  # comparing changes nothing
    at.button(key="reconcile_apply").click().run()
    assert runtime.journal.get_order("placed-on-binance-web") is not None
    assert any("fixed" in str(w.value) for w in at.warning)
