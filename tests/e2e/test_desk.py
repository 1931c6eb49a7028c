"""In a real Chromium: after STOP, Resume is on screen at 1280x900 without scrolling; the ticket on a 390 px
phone shows its chart with the order's lines, size buttons in one row, times in the browser's zone."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import WAIT_MS, wait_idle

pytestmark = pytest.mark.e2e


def _resume_if_halted(page: Page) -> None:
    """The server is shared by the session's tests: leave or find it ACTIVE."""
    if page.locator(".st-key-resume_submit button:visible").count():
        page.locator(".st-key-resume_word input:visible").fill("RESUME")
        page.locator(".st-key-resume_reason input:visible").fill("e2e: desk tests")
        page.locator(".st-key-resume_submit button:visible").click()
        wait_idle(page)


def _tab(browser: Browser, width: int, height: int, zone: str = "UTC") -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id=zone)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def test_after_stop_resume_is_above_the_fold_at_1280x900(browser: Browser, dashboard: str) -> None:
    page = _tab(browser, 1280, 900)
    try:
        page.goto(dashboard)
        wait_idle(page)
        expect(page.get_by_test_id("stSidebar")).to_contain_text("Trading:", timeout=WAIT_MS)
        _resume_if_halted(page)
        page.locator(".st-key-stop button").first.click()
        wait_idle(page)
        dialog = page.get_by_test_id("stDialog")
        expect(dialog).to_be_visible(timeout=WAIT_MS)
        page.locator(".st-key-stop_reason input").fill("e2e: resume above the fold")
        page.locator(".st-key-stop_confirm button").click()
        expect(dialog).to_have_count(0, timeout=WAIT_MS)
        wait_idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("HALTED", timeout=WAIT_MS)
        expect(sidebar).to_contain_text("STOP done", timeout=WAIT_MS)

        for key in ("resume_word", "resume_reason"):  # the whole control, not only its top, without scrolling
            expect(page.locator(f".st-key-{key} input")).to_be_in_viewport(ratio=1, timeout=WAIT_MS)
        submit = page.locator(".st-key-resume_submit button")
        expect(submit).to_be_in_viewport(ratio=1, timeout=WAIT_MS)
        assert page.evaluate("document.querySelector('[data-testid=stSidebarContent]').scrollTop") == 0

        page.locator(".st-key-resume_word input").fill("RESUME")
        page.locator(".st-key-resume_reason input").fill("e2e: drill over")
        submit.click()
        wait_idle(page)
        expect(sidebar).to_contain_text("ACTIVE", timeout=WAIT_MS)
    finally:
        page.context.close()


def _settled_boxes(page: Page, keys: tuple[str, ...]) -> list[dict]:
    """The buttons' boxes once a rerun has finished moving them (a fragment's refresh or a rerun may redraw the
    row between two reads): read until two reads in a row agree, at most WAIT_MS."""
    read = lambda: [page.locator(f".st-key-{k} button:visible").first.bounding_box() for k in keys]  # noqa: E731
    deadline = time.monotonic() + WAIT_MS / 1000
    boxes = read()
    while time.monotonic() < deadline:
        wait_idle(page)
        again = read()
        if again == boxes:
            return boxes
        boxes = again
    return boxes


def _scroll_to(element) -> None:
    """Scroll to ``element``; the price fragment redraws it every 5 s, so a copy may go away mid-scroll: the
    locator then finds the new one on the next try."""
    for _ in range(5):
        try:
            element.scroll_into_view_if_needed(timeout=WAIT_MS)
            return
        except PlaywrightError as exc:
            if "not attached" not in str(exc):
                raise
    element.scroll_into_view_if_needed(timeout=WAIT_MS)


def test_the_ticket_on_a_phone(browser: Browser, dashboard: str) -> None:
    page = _tab(browser, 390, 844, zone="America/New_York")
    try:
        page.goto(dashboard)
        wait_idle(page)
        expect(page.locator(".st-key-topbar_stop button:visible").first).to_be_in_viewport(timeout=WAIT_MS)
        _resume_if_halted(page)
        page.goto(f"{dashboard}/ticket")
        wait_idle(page)
        expect(page.locator(".st-key-t_chart").first).to_be_attached(timeout=WAIT_MS)
        expect(page.locator(".st-key-topbar_stop button:visible").first).to_be_in_viewport(timeout=WAIT_MS)

        last_text = page.locator(".st-key-t_last").first.inner_text()
        last = Decimal(re.search(r"Last ([\d,]+\.?\d*)", last_text).group(1).replace(",", ""))
        expect(page.locator(".st-key-t_last").first).to_contain_text(re.compile(r" E[SD]T "), timeout=WAIT_MS)

        sizes = _settled_boxes(page, ("t_pct_10", "t_pct_50", "t_max"))
        assert len({round(box["y"]) for box in sizes}) == 1, sizes  # one row, not stacked
        assert all(box["x"] + box["width"] <= 390 for box in sizes)

        price = (last * Decimal("0.97")).quantize(Decimal("0.01"))
        stop = (last * Decimal("0.95")).quantize(Decimal("0.01"))
        for key, text in (("t_amount", "0.001"), ("t_price", str(price)), ("t_sl", str(stop))):
            field = page.locator(f".st-key-{key} input")
            field.fill(text)
            field.press("Enter")
            wait_idle(page)
        chart = page.locator('.st-key-t_chart[data-stale="false"]').first  # not the copy a rerun retains
        _scroll_to(chart)
        expect(chart).to_contain_text(f"Stop-loss {stop:,.2f}", timeout=WAIT_MS)
        expect(chart).to_contain_text(f"limit {price:,.2f}", timeout=WAIT_MS)
        expect(chart).to_contain_text("America/New_York", timeout=WAIT_MS)
        box = chart.bounding_box()
        assert box["width"] <= 390 and box["height"] > 200
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    finally:
        page.context.close()
