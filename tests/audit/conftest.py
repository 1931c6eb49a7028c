"""The AppTest fixtures of tests/app (a paper home the dashboard's cached runtime is built on)."""

from __future__ import annotations

import pytest

from crbot.runtime import Runtime
from tests.app.conftest import crbot_home, page  # noqa: F401 (fixtures for the page tests)


@pytest.fixture
def app_runtime(crbot_home) -> Runtime:  # noqa: F811
    from ui.runtime import get_runtime

    return get_runtime()
