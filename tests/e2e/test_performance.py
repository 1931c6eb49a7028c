"""In a real Chromium: the Performance page of a journal with round trips shows every figure and chart, and
redraws by itself when another process journals a fill (no reload, no click).

Screenshots (desktop and phone width) go to /tmp/shots/perf/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from crbot.config import Settings
from crbot.domain import Side
from crbot.runtime import Runtime, build_runtime
from tests.access.serve import dashboard
from tests.app.test_performance import CHART_KEYS, fill, seed_history
from tests.e2e.conftest import WAIT_MS, _require_chromium, wait_idle

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/perf")
TRIPS = 60
SLOW = 60_000  # ms: the charts' JavaScript loads lazily, and CI machines are busy


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def journal(home: Path) -> Iterator[Runtime]:
    """A paper home with 60 round trips over 40 days, written from this process (the dashboard is another)."""
    _require_chromium()
    settings = Settings.load(
        {"CRBOT_HOME": str(home), "CRBOT_PRICE_FEED": "synthetic", "CRBOT_PAPER_BALANCES": "USDT=10000"},
        dotenv=False,
    )
    rt = build_runtime(settings)
    seed_history(rt, n_trips=TRIPS, days=40)
    yield rt
    close = getattr(rt, "close", None)
    if close is not None:
        close()


def _open(browser: Browser, url: str, width: int, height: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(2 * WAIT_MS)  # a journal to read on a busy 2-core machine
    tab = context.new_page()
    tab.goto(url)
    wait_idle(tab)
    tab.goto(f"{url}/performance")
    wait_idle(tab)
    return tab


def _tile(page: Page, label: str) -> Locator:
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


@pytest.mark.timeout(600)  # two pages of a seeded journal in a real browser; the default 120 s is tight on a busy host
def test_the_page_shows_every_chart_and_redraws_after_a_fill_from_elsewhere(
    browser: Browser, home: Path, journal: Runtime
) -> None:
    with dashboard(home) as url:
        tab = _open(browser, url, 1440, 4800)
        expect(_tile(tab, "Round trips")).to_have_text(str(TRIPS), timeout=SLOW)
        expect(tab.locator('[data-testid="stPlotlyChart"]')).to_have_count(CHART_KEYS, timeout=SLOW)
        expect(tab.locator('[data-testid="stException"]')).to_have_count(0)
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / "e2e_performance_1440.png"))

        now = journal.clock.now()
        journal.journal.record_fills(
            [
                fill(9_000_001, "ETHUSDT", Side.BUY, "3000", "0.1", now - timedelta(minutes=2)),
                fill(9_000_002, "ETHUSDT", Side.SELL, "3150", "0.1", now - timedelta(minutes=1)),
            ]
        )
        # The page polls the journal's data version every 5 s and redraws itself: no reload, no click (the
        # wait allows for a loaded machine; on a quiet one it takes 5 s at most).
        expect(_tile(tab, "Round trips")).to_have_text(str(TRIPS + 1), timeout=SLOW)
        tab.context.close()

        phone = _open(browser, url, 390, 12_000)
        expect(_tile(phone, "Round trips")).to_have_text(str(TRIPS + 1), timeout=SLOW)
        expect(phone.locator('[data-testid="stPlotlyChart"]')).to_have_count(CHART_KEYS, timeout=SLOW)
        overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than a phone"
        phone.screenshot(path=str(SHOTS / "e2e_performance_390.png"))
        phone.context.close()
