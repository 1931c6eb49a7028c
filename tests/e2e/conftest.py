"""End-to-end harness: a real ``streamlit run app.py`` on a free loopback port, driven by Debian's Chromium.

Chromium comes from the system (``/usr/bin/chromium``), launched through the ``playwright`` package;
``playwright install`` is never used. Without Chromium the tests skip, unless CRBOT_REQUIRE_E2E=1
(CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.access.serve import free_port, healthy  # one way to start and poll a dashboard

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CRBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 60
WAIT_MS = 30_000


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package (never 'playwright install')"
    if os.environ.get("CRBOT_REQUIRE_E2E") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard's base URL. Paper mode, synthetic prices, its own CRBOT_HOME; the committed
    .streamlit/config.toml applies (copied next to the working directory, where Streamlit reads it)."""
    _require_chromium()
    home = tmp_path_factory.mktemp("crbot-e2e")
    (home / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", home / ".streamlit" / "config.toml")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    env.update(
        CRBOT_HOME=str(home),
        CRBOT_MODE="paper",
        CRBOT_PRICE_FEED="synthetic",
        CRBOT_PAPER_BALANCES="USDT=10000",
        CRBOT_ACTOR="e2e",
    )
    log = (home / "streamlit.log").open("wb")
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port)]
    # cwd=home: Streamlit reads .streamlit/config.toml from there, and no developer .env is picked up.
    proc = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not become healthy:\n{(home / 'streamlit.log').read_text()[-3000:]}")
            time.sleep(0.2)  # polling a starting server; no test logic depends on time
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        server_log = (home / "streamlit.log").read_text()
        if "Traceback" in server_log:
            print(f"--- streamlit server log ---\n{server_log[-5000:]}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _require_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, dashboard: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def wait_idle(page: Page) -> None:
    """Wait like Streamlit's own e2e suite: connected, then no script running."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
