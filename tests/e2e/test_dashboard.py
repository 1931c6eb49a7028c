"""In a real Chromium: open the dashboard, place a LIMIT order from the ticket, STOP, see HALTED.

Set CRBOT_SCREENSHOT=docs/screenshot.png to (re)write the README screenshot from this run.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, wait_idle

pytestmark = pytest.mark.e2e


def _click(page: Page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()
    wait_idle(page)


def _type(page: Page, key: str, text: str) -> None:
    field = page.locator(f".st-key-{key} input")
    field.fill(text)
    field.press("Enter")  # commits the text input (Tab would focus the next help icon and show its tooltip)
    wait_idle(page)


def _maybe_screenshot(page: Page) -> None:
    target = os.environ.get("CRBOT_SCREENSHOT")
    if target:
        path = Path(target) if Path(target).is_absolute() else ROOT / target
        page.mouse.move(0, 0)  # no hover tooltip in the picture
        page.screenshot(path=str(path), full_page=True)


def test_ticket_order_then_stop_shows_halted(page: Page, dashboard: str) -> None:
    page.goto(dashboard)
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("PAPER")
    expect(sidebar).to_contain_text("ACTIVE")
    expect(page.get_by_test_id("stMetric").first).to_be_visible()

    sidebar.get_by_role("link", name="Order ticket").click()
    wait_idle(page)
    last_text = page.locator(".st-key-t_last").inner_text()
    last = Decimal(re.search(r"([\d,]+\.?\d*)", last_text).group(1).replace(",", ""))
    price = (last * Decimal("0.97")).quantize(Decimal("0.01"))  # rests: 3 % under, inside the 5 % band
    _type(page, "t_amount", "0.001")
    _type(page, "t_price", str(price))
    expect(page.get_by_text("Risk check passed")).to_be_visible()
    _maybe_screenshot(page)

    _click(page, "ticket_review")
    expect(page.get_by_text("client order id")).to_be_visible()
    cid = re.search(r"crb-[0-9a-f]+", page.get_by_text("client order id").inner_text()).group(0)
    _click(page, "ticket_send")
    expect(page.get_by_test_id("stAlert").filter(has_text=f"Order {cid} sent")).to_be_visible()

    sidebar.get_by_role("link", name="Positions & orders").click()
    wait_idle(page)
    expect(page.get_by_text("No open orders.")).to_have_count(0)

    _click(page, "stop")
    dialog = page.get_by_test_id("stDialog")
    expect(dialog).to_be_visible()
    _type(page, "stop_reason", "e2e: STOP drill")
    _click(page, "stop_confirm")
    expect(dialog).to_have_count(0)
    expect(sidebar).to_contain_text("HALTED")
    expect(sidebar).to_contain_text("e2e: STOP drill")
    expect(sidebar).to_contain_text("Canceled: 1")
    expect(page.locator(".st-key-resume_word")).to_be_visible()
    page.reload()
    wait_idle(page)
    expect(sidebar).to_contain_text("HALTED")  # latched in the database, not in the session


def test_page_file_run_directly_lands_on_the_frame(page: Page, dashboard: str) -> None:
    """The legacy pages/ bypass: a page URL must never show a page without the sidebar and STOP."""
    page.goto(f"{dashboard}/ticket")
    wait_idle(page)
    expect(page.locator(".st-key-stop button").first).to_be_visible()


def test_on_a_phone_the_mode_the_state_and_stop_are_on_screen(browser, dashboard: str) -> None:
    """390 px wide: the sidebar starts collapsed, so the frame is drawn again at the top of the page."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = context.new_page()
        phone.goto(dashboard)
        wait_idle(phone)
        bar = phone.locator(".st-key-topbar")
        expect(bar).to_be_visible()
        expect(bar).to_contain_text("PAPER")
        expect(bar).to_contain_text("Trading:")
        stop = phone.locator(".st-key-topbar_stop button:visible").first
        expect(stop).to_be_in_viewport()
        stop.click()
        wait_idle(phone)
        expect(phone.get_by_role("dialog")).to_contain_text("STOP latches HALTED")
    finally:
        context.close()


def test_on_a_phone_stop_stays_on_screen_while_the_page_scrolls(browser, dashboard: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = context.new_page()
        phone.goto(f"{dashboard}/ticket")  # a page taller than a phone's screen: form, chart, preview
        wait_idle(phone)
        bar, stop = phone.locator(".st-key-topbar"), phone.locator(".st-key-topbar_stop button:visible").first
        main = phone.locator('[data-testid="stMain"]')
        for _ in range(40):  # to the bottom, again while the page still grows (the chart arrives late)
            main.evaluate("main => main.scrollTo(0, main.scrollHeight)")
            if main.evaluate("main => main.scrollTop > 400"):
                break
            phone.wait_for_timeout(250)
        expect(bar).not_to_be_in_viewport()  # the page did scroll: the mode line went up and away
        expect(stop).to_be_in_viewport()  # STOP stays pinned under the header
        stop.click()
        expect(phone.get_by_role("dialog")).to_contain_text("STOP latches HALTED")
    finally:
        context.close()


def test_on_a_desktop_the_top_bar_is_hidden(page: Page, dashboard: str) -> None:
    page.goto(dashboard)
    wait_idle(page)
    expect(page.locator(".st-key-topbar")).to_be_hidden()  # the sidebar shows the frame there
    expect(page.locator(".st-key-topbar_stop_row")).to_be_hidden()
    expect(page.locator(".st-key-stop button").first).to_be_visible()
