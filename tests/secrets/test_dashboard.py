"""The dashboard's frame (AppTest, the real app.py) against a local exchange: the plain-text warning on every
page, the red LIVE banner, live refused until confirmed; no key or secret in what is drawn or in the
session state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crbot.secrets import live
from tests.app.conftest import app, crbot_home  # noqa: F401 - the dashboard fixtures, asked for by name
from tests.app.helpers import texts
from tests.secrets.conftest import KEY1, SECRET1, Exchange
from tests.secrets.kit import confirm_live, encrypted_keys


def use(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def drawn(at: AppTest) -> str:
    kinds = ("markdown", "warning", "error", "info", "success", "caption", "title", "header", "subheader")
    return " ".join(t for kind in kinds for t in texts(at, kind)) + " ".join(texts(at.sidebar, "markdown"))


def no_secret_anywhere(at: AppTest) -> None:
    shown = drawn(at) + repr(at.session_state.to_dict())
    for secret in (KEY1, SECRET1):
        assert secret not in shown


def test_plain_text_keys_are_warned_about_on_every_page(
    request: pytest.FixtureRequest, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    start: Callable[[], AppTest] = request.getfixturevalue("app")
    use(monkeypatch, {"CRBOT_MODE": "testnet", "CRBOT_BINANCE_BASE_URL": exchange.url})
    use(monkeypatch, {"BINANCE_API_KEY": KEY1, "BINANCE_API_SECRET": SECRET1})
    at = start().run()
    assert not at.exception, at.exception
    # the frame (sidebar + top bar) is drawn by app.py around every page, before the page itself runs
    warned = [t for t in texts(at.sidebar, "warning") if "Keys in plain text" in t]
    assert warned and "BINANCE_API_KEY and BINANCE_API_SECRET" in warned[0] and "keys set" in warned[0]
    main = [t for t in texts(at, "warning") if "Keys in plain text" in t]
    assert len(main) == 2  # the sidebar's and the phone's top bar's
    assert not any("LIVE — REAL MONEY" in e.proto.body for e in at.get("html"))
    no_secret_anywhere(at)


def test_encrypted_keys_draw_no_warning_and_no_secret(
    request: pytest.FixtureRequest, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    start: Callable[[], AppTest] = request.getfixturevalue("app")
    use(monkeypatch, {"CRBOT_MODE": "testnet", "CRBOT_BINANCE_BASE_URL": exchange.url})
    use(monkeypatch, encrypted_keys(KEY1, SECRET1))
    at = start().run()
    assert not at.exception, at.exception
    assert not [t for t in texts(at, "warning") if "plain text" in t]
    assert "USDT" in drawn(at)  # the balance really came from the exchange, through the decrypted keys
    no_secret_anywhere(at)


def test_live_is_refused_until_confirmed_then_shows_the_red_banner(
    request: pytest.FixtureRequest, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    start: Callable[[], AppTest] = request.getfixturevalue("app")
    home: Path = request.getfixturevalue("crbot_home")
    env = {"CRBOT_MODE": "live", "CRBOT_BINANCE_BASE_URL": exchange.url, **encrypted_keys(KEY1, SECRET1)}
    use(monkeypatch, env)
    at = start().run()
    assert not at.exception, at.exception
    # the frame and STOP draw (orders placed before may still be open); trading is refused, saying what to run
    assert at.button(key="stop").label == "STOP"
    refused = drawn(at).split("live trading refused")[1:]
    assert refused and "live confirm" in refused[0] and live.SENTENCE in refused[0]
    confirm_live({**env, "CRBOT_HOME": str(home)})
    at = start().run()  # the same runtime (cached): the confirmation counts without a restart
    assert not at.exception, at.exception
    assert "live trading refused" not in drawn(at)
    assert any("LIVE — REAL MONEY" in e.proto.body for e in at.get("html"))
    no_secret_anywhere(at)
