"""In a real Chromium: a page URL opened as the very first request of a fresh server shows that page.

It once landed on Balance (URL "/"): until some session had run st.navigation, Streamlit routed the legacy
way through pages/, ran pages/ticket.py on its own, and that file's guard switched to app.py's default page.
Later deep links worked, so only a server nobody has visited yet shows it: each test starts its own.
Also here: the ticket starts loading plotly.js as it loads, other pages do not (ui/preload.py), checked in the
browser itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.access.serve import dashboard
from tests.e2e.conftest import WAIT_MS, _require_chromium, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture
def fresh_dashboard(tmp_path: Path) -> Iterator[str]:
    """A server no browser has visited yet (paper mode, loopback: no login)."""
    _require_chromium()
    with dashboard(tmp_path) as url:
        yield url


def _first_visit(browser: Browser, url: str, *, width: int, height: int) -> tuple[Page, BrowserContext]:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.goto(url)
    wait_idle(tab)
    return tab, context


@pytest.mark.parametrize(("path", "title"), [("ticket", "Order ticket"), ("positions", "Positions & orders")])
def test_first_request_to_a_page_url_opens_that_page(
    browser: Browser, fresh_dashboard: str, path: str, title: str
) -> None:
    tab, context = _first_visit(browser, f"{fresh_dashboard}/{path}", width=1400, height=900)
    try:
        main = tab.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(tab).to_have_url(re.compile(rf"/{path}$"))
        expect(main.get_by_role("heading", name="Balance", exact=True)).to_have_count(0)
        expect(tab.locator(".st-key-stop button").first).to_be_visible()  # inside the frame, STOP at hand
    finally:
        context.close()


def test_first_request_on_a_phone_opens_the_ticket(browser: Browser, fresh_dashboard: str) -> None:
    tab, context = _first_visit(browser, f"{fresh_dashboard}/ticket", width=390, height=844)
    try:
        expect(tab.get_by_test_id("stMain").get_by_role("heading", name="Order ticket", exact=True)).to_be_visible()
        expect(tab).to_have_url(re.compile(r"/ticket$"))
        expect(tab.locator(".st-key-topbar_stop button:visible").first).to_be_in_viewport()
    finally:
        context.close()


def test_only_the_chart_page_loads_plotly_with_the_page(page: Page, dashboard: str) -> None:
    """ui/preload.py's import reaches the browser on the ticket (it once did not: Streamlit gzips page HTML), and
    a page without a chart does not pay for plotly.js while it loads."""
    loaded = "() => performance.getEntriesByType('resource').some(r => /PlotlyChart\\.[^/]*\\.js$/.test(r.name))"
    page.goto(f"{dashboard}/risk")
    wait_idle(page)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    page.wait_for_timeout(2000)  # past the preload's idle deadline (1.5 s)
    assert page.evaluate(loaded) is False
    ours = "() => [...document.scripts].some(s => s.textContent.includes('PlotlyChart'))"  # the preload's tag
    assert page.evaluate(ours) is False
    page.goto(f"{dashboard}/ticket")
    assert page.evaluate(ours) is True
    page.wait_for_function(loaded)
    wait_idle(page)
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
