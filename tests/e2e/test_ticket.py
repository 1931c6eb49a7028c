"""In a real Chromium: the order ticket sends exactly what it shows (issue 9)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e


def _open_ticket(page: Page, dashboard: str) -> Decimal:
    page.goto(dashboard)
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Trading:")
    if "HALTED" in sidebar.inner_text():  # another test of this server pressed STOP
        page.locator(".st-key-resume_word input").fill("RESUME")
        page.locator(".st-key-resume_reason input").fill("e2e: ticket tests")
        page.locator(".st-key-resume_submit button").click()
        wait_idle(page)
        expect(sidebar).to_contain_text("ACTIVE")
    sidebar.get_by_role("link", name="Order ticket").click()
    wait_idle(page)
    last_text = page.locator(".st-key-t_last").inner_text()
    return Decimal(re.search(r"([\d,]+\.?\d*)", last_text).group(1).replace(",", ""))


def _plain(value: Decimal) -> str:
    """As the ticket prints a price (no trailing zeros)."""
    return format(value.normalize(), "f")


def _type(page: Page, key: str, text: str, *, commit: bool = True) -> None:
    field = page.locator(f".st-key-{key} input")
    field.fill(text)
    if commit:
        field.press("Enter")
        wait_idle(page)


def test_the_field_typed_last_is_in_the_review(page: Page, dashboard: str) -> None:
    """Typing the take-profit and clicking Review at once once gave a review without it."""
    last = _open_ticket(page, dashboard)
    price = (last * Decimal("0.97")).quantize(Decimal("0.01"))
    tp = (last * Decimal("1.02")).quantize(Decimal("0.01"))
    _type(page, "t_amount", "0.001")
    _type(page, "t_price", str(price))
    expect(page.get_by_text("Risk check passed")).to_be_visible()
    _type(page, "t_tp", str(tp), commit=False)  # no Enter, no blur: straight to the button
    page.locator(".st-key-ticket_review button").click()
    wait_idle(page)

    review = page.get_by_text("client order id")
    expect(review).to_contain_text(f"take-profit {_plain(tp)}")
    expect(page.locator(".st-key-t_tp input")).to_have_value(str(tp))
    expect(page.locator(".st-key-ticket_send button")).to_be_enabled()
    expect(page.get_by_text("changed since you reviewed")).to_have_count(0)


def test_a_reviewed_ticket_cannot_be_edited_and_back_unlocks_it(page: Page, dashboard: str) -> None:
    """An edit typed after Review once went out at the reviewed price: while reviewing, nothing is editable."""
    last = _open_ticket(page, dashboard)
    reviewed = (last * Decimal("0.97")).quantize(Decimal("0.01"))
    _type(page, "t_amount", "0.001")
    _type(page, "t_price", str(reviewed))
    page.locator(".st-key-ticket_review button").click()
    wait_idle(page)
    for key in ("t_amount", "t_price", "t_sl", "t_tp"):
        expect(page.locator(f".st-key-{key} input")).to_be_disabled()

    page.locator(".st-key-ticket_back button").click()
    wait_idle(page)
    edited = reviewed - Decimal("5")
    _type(page, "t_price", str(edited))
    page.locator(".st-key-ticket_review button").click()
    wait_idle(page)
    page.locator(".st-key-ticket_send button").click()
    wait_idle(page)
    sent = page.get_by_test_id("stAlert").filter(has_text="sent")
    expect(sent).to_contain_text(f"limit {_plain(edited)}")
    expect(page.locator(".st-key-t_price input")).to_have_value("")  # a fresh ticket after a send
