"""A home with a testnet runtime against the local exchange (tests/integration/rig.py), plus a paper runtime
on the same CRBOT_HOME: the drill runs on the first, paper trading on the second."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crbot.config import Settings
from crbot.runtime import Runtime, build_runtime
from tests.app.conftest import crbot_home, page  # noqa: F401 (fixtures for the page tests)
from tests.integration.rig import Rig, start_rig


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    yield from start_rig(tmp_path, monkeypatch, mode="testnet")


@pytest.fixture
def paper(rig: Rig) -> Iterator[Runtime]:
    home = rig.runtime.settings.home
    settings = Settings.load(
        {"CRBOT_HOME": str(home), "CRBOT_MODE": "paper", "CRBOT_PRICE_FEED": "synthetic", "CRBOT_ACTOR": "tester"},
        dotenv=False,
    )
    runtime = build_runtime(settings, clock=rig.clock, feed=rig.feed)
    yield runtime
    runtime.journal.close()


@pytest.fixture
def app_runtime(crbot_home) -> Runtime:  # noqa: F811
    """The dashboard's cached runtime on the AppTest home."""
    from ui.runtime import get_runtime

    return get_runtime()
