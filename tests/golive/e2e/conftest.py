"""The real-Chromium fixtures of tests/e2e (a `streamlit run app.py` server in paper mode)."""

from tests.e2e.conftest import browser, dashboard, page  # noqa: F401 (fixtures)
