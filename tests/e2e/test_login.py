"""In a real Chromium against a dashboard with a password: only the login page answers, a wrong password
is refused, the right one opens the page asked for; a paper order, STOP (no password asked), sign out.

Screenshots (login page at desktop and phone width) go to /tmp/shots/access/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from crbot.access.passwords import PROFILES, PasswordStore
from tests.access.serve import dashboard
from tests.e2e.conftest import WAIT_MS, _require_chromium, wait_idle

pytestmark = pytest.mark.e2e
PASSWORD = "e2e dashboard password"
SHOTS = Path("/tmp/shots/access")


@pytest.fixture(scope="module")
def locked_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    home = tmp_path_factory.mktemp("crbot-e2e-login")
    PasswordStore(home).set(PASSWORD, PROFILES["cheap"])
    with dashboard(home) as url:
        yield url


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


def _click(page: Page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()
    wait_idle(page)


def _type(page: Page, key: str, text: str) -> None:
    field = page.locator(f".st-key-{key} input")
    field.fill(text)
    field.press("Enter")
    wait_idle(page)


def _sign_in(page: Page, password: str) -> None:
    page.get_by_label("Dashboard password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_login_wrong_password_login_order_stop_sign_out(tab: Page, locked_dashboard: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.goto(f"{locked_dashboard}/ticket")
    expect(tab).to_have_url(re.compile(r"/login\?next=%2Fticket$"))
    expect(tab.get_by_role("heading", name="CRBOT control room")).to_be_visible()
    expect(tab.get_by_test_id("stApp")).to_have_count(0)  # no Streamlit app on the login page
    tab.screenshot(path=str(SHOTS / "login-desktop.png"))

    _sign_in(tab, "not the password")
    expect(tab.get_by_role("alert")).to_have_text("Wrong password.")
    expect(tab).to_have_url(re.compile(r"/login$"))

    with tab.expect_response(re.compile(r"/ticket$")) as landed:  # back to the page asked for
        _sign_in(tab, PASSWORD)
    assert landed.value.status == 200
    wait_idle(tab)
    sidebar = tab.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("PAPER", timeout=WAIT_MS)  # the first run builds the runtime
    expect(sidebar.get_by_role("link", name="Sign out")).to_be_visible(timeout=WAIT_MS)
    # The page asked for, although this is the server's first session (it once fell back to Balance).
    expect(tab.get_by_test_id("stMain").get_by_role("heading", name="Order ticket", exact=True)).to_be_visible()
    expect(tab).to_have_url(re.compile(r"/ticket$"))

    last_text = tab.locator(".st-key-t_last").inner_text()
    last = Decimal(re.search(r"([\d,]+\.?\d*)", last_text).group(1).replace(",", ""))
    price = (last * Decimal("0.97")).quantize(Decimal("0.01"))  # rests: 3 % under, inside the 5 % band
    _type(tab, "t_amount", "0.001")
    _type(tab, "t_price", str(price))
    expect(tab.get_by_text("Risk check passed")).to_be_visible()
    _click(tab, "ticket_review")
    cid = re.search(r"crb-[0-9a-f]+", tab.get_by_text("client order id").inner_text()).group(0)
    expect(tab.locator(".st-key-ticket_live_password")).to_have_count(0)  # paper: no password asked again
    _click(tab, "ticket_send")
    expect(tab.get_by_test_id("stAlert").filter(has_text=f"Order {cid} sent")).to_be_visible()

    _click(tab, "stop")  # STOP: the confirmation dialog, never a password
    dialog = tab.get_by_test_id("stDialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Dashboard password")).to_have_count(0)
    _type(tab, "stop_reason", "e2e: STOP behind the login")
    _click(tab, "stop_confirm")
    expect(dialog).to_have_count(0)
    expect(sidebar).to_contain_text("HALTED")
    expect(sidebar).to_contain_text("Canceled: 1")
    expect(tab.locator(".st-key-resume_password input")).to_be_visible()  # resuming asks for it again

    tab.screenshot(path=str(SHOTS / "halted-signed-in-desktop.png"))

    other = tab.context.new_page()  # a second tab of the same browser: the same session
    other.goto(locked_dashboard)
    wait_idle(other)
    other.get_by_test_id("stSidebar").get_by_role("link", name="Sign out").click()
    expect(other.get_by_role("alert")).to_have_text("Signed out.")
    # The first tab's websocket is still open: the gate closes it at its next message (the sidebar refreshes
    # every 3 s, a click would do too), and reconnecting is refused: nothing reaches the app any more.
    app = tab.get_by_test_id("stApp")
    expect(app).not_to_have_attribute("data-test-connection-state", "CONNECTED", timeout=WAIT_MS)
    tab.screenshot(path=str(SHOTS / "signed-out-elsewhere-desktop.png"))
    tab.goto(locked_dashboard)
    expect(tab).to_have_url(re.compile(r"/login\?next=%2F$"))


def test_login_page_on_a_phone(browser: Browser, locked_dashboard: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(WAIT_MS)
    phone = context.new_page()
    try:
        phone.goto(locked_dashboard)
        field = phone.get_by_label("Dashboard password")
        expect(field).to_be_in_viewport()
        expect(phone.get_by_role("button", name="Sign in")).to_be_in_viewport()
        phone.screenshot(path=str(SHOTS / "login-phone.png"))
        _sign_in(phone, PASSWORD)
        wait_idle(phone)
        expect(phone.locator(".st-key-topbar_stop button:visible").first).to_be_in_viewport()
    finally:
        context.close()


def test_the_pages_refuse_to_draw_when_served_without_the_gate(tab: Page, tmp_path: Path) -> None:
    """Another entry point serving app.py's pages with no middleware gets an error, not the dashboard."""
    from tests.access.serve import ROOT

    _require_chromium()
    launcher = tmp_path / "bypass.py"
    launcher.write_text(f"import streamlit as st\n\napp = st.App({str(ROOT / 'app.py')!r})\n")
    with dashboard(tmp_path, None, script=launcher) as url:
        tab.goto(url)
        expect(tab.get_by_text("started without CRBOT's login gate")).to_be_visible(timeout=WAIT_MS)
        expect(tab.locator(".st-key-stop")).to_have_count(0)
        expect(tab.get_by_test_id("stSidebar")).not_to_contain_text("PAPER")
