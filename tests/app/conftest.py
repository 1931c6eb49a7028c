"""AppTest fixtures: the dashboard against a real paper runtime on a temporary CRBOT_HOME.

The runtime is the one the app caches (ui.runtime), so a test can act on it and check the journal
behind what the page shows. Caches are cleared around each test: a runtime never leaks between homes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from crbot.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60


def render_page(name: str) -> None:
    """AppTest script for one page on its own (callable pages are not reachable via at.switch_page)."""
    import importlib

    importlib.import_module(f"pages.{name}").render()


@pytest.fixture
def crbot_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in (
        "CRBOT_DATABASE_URL",
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
        "CRBOT_SYMBOLS",
        "CRBOT_BINANCE_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRBOT_HOME", str(tmp_path))
    monkeypatch.setenv("CRBOT_MODE", "paper")
    monkeypatch.setenv("CRBOT_PRICE_FEED", "synthetic")
    monkeypatch.setenv("CRBOT_PAPER_BALANCES", "USDT=10000")
    monkeypatch.setenv("CRBOT_ACTOR", "tester")
    monkeypatch.chdir(tmp_path)  # never read a developer's .env
    monkeypatch.syspath_prepend(str(ROOT))

    # AppTest resets PagesManager.uses_pages_directory each run; with our pages/ folder the second run
    # would route the legacy way and skip app.py (STREAMLIT_NOTES). Keep it off.
    orig = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        orig(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app(crbot_home: Path) -> Callable[[], AppTest]:
    """The whole dashboard (frame + default page)."""
    return lambda: AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)


@pytest.fixture
def page(crbot_home: Path) -> Callable[[str], AppTest]:
    """One page, e.g. ``page("ticket")``."""
    return lambda name: AppTest.from_function(render_page, args=(name,), default_timeout=TIMEOUT_S)


@pytest.fixture
def runtime(crbot_home: Path) -> Runtime:
    """The same cached Runtime the app uses (built on first use)."""
    from ui.runtime import get_runtime

    return get_runtime()
