"""In a real Chromium: the Go-live page says what fails, Back up now turns the backups item green, and the
Audit trail page lists the backup and exports CSV."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e
WAIT_MS = 30_000  # a loaded CI machine draws a page slowly


def test_golive_backup_then_audit(page: Page, dashboard: str) -> None:
    page.goto(dashboard)  # the frame first (the runtime is built once), then the page by its URL
    wait_idle(page)
    page.goto(f"{dashboard}/golive")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Go-live checklist")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile(r"\d of 7 items pass\. Live trading is LOCKED"))).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".st-key-golive_item_drill")).to_contain_text("FAIL", timeout=WAIT_MS)
    expect(page.locator(".st-key-stop button").first).to_be_visible(timeout=WAIT_MS)  # the frame with STOP is there

    page.locator(".st-key-golive_backup_now button").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Backup crbot-\d{8}T\d+Z(-\d+)?: \d+ rows, restore verified"))).to_be_visible(
        timeout=WAIT_MS
    )
    expect(page.locator(".st-key-golive_item_backups")).to_contain_text("PASS", timeout=WAIT_MS)

    page.goto(f"{dashboard}/audit")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(re.compile(r"^\d+ entries$"))).to_be_visible(timeout=WAIT_MS)
    with page.expect_download() as download:
        page.locator(".st-key-audit_csv button").click()
    csv_text = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
    assert csv_text.startswith("time,journal,actor") and "backup_create" in csv_text
