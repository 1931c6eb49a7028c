"""Every page renders without an exception against a real paper runtime."""

from __future__ import annotations

import pytest

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
