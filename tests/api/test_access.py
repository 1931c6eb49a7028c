"""No token, no answer; scopes; revoked tokens; the token file; the rate limit; who may listen where."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from crbot.api import cli as api_cli
from crbot.api.routes import PREFIX
from crbot.api.tokens import Scope, TokenStore
from crbot.clock import ManualClock
from tests.api.conftest import Server, serve
from tests.conftest import make_env

B = PREFIX
ORDER = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": "49900"}
ROUTES = [
    ("GET", "/ping"),
    ("GET", "/balance"),
    ("GET", "/positions"),
    ("POST", "/order/create"),
    ("POST", "/order/cancel"),
    ("GET", "/order/some-id"),
    ("GET", "/account/info"),
    ("GET", "/orders"),
    ("POST", "/stop"),
    ("POST", "/resume"),
    ("GET", "/status"),
    ("GET", "/metrics"),
    ("GET", "/limits"),
    ("POST", "/limits"),
]


def test_every_route_is_listed_here(api: Server) -> None:
    paths = api.call("GET", "/openapi.json", None).json()["paths"]
    served = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    listed = {(m, B + p.replace("some-id", "{client_order_id}")) for m, p in ROUTES}
    assert served == listed


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("token", [None, "crbot_not-a-token", ""])
def test_no_valid_token_no_answer(api: Server, method: str, path: str, token: str | None) -> None:
    reply = api.call(method, B + path, token, json={"reason": "x"} if method == "POST" else None)
    assert reply.status_code == 401, reply.text
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert reply.json()["ok"] is False and reply.json()["error"] == "Unauthorized"


def test_another_scheme_is_refused(api: Server) -> None:
    reply = api.call("GET", f"{B}/balance", None, headers={"Authorization": f"Basic {api.tokens['admin']}"})
    assert reply.status_code == 401


@pytest.mark.parametrize(
    ("scope", "method", "path", "body"),
    [
        ("read", "POST", "/order/create", ORDER),
        ("read", "POST", "/order/cancel", {"symbol": "BTCUSDT", "client_order_id": "x"}),
        ("read", "POST", "/stop", {"reason": "x"}),
        ("read", "POST", "/resume", {"confirmation": "RESUME"}),
        ("trade", "POST", "/resume", {"confirmation": "RESUME"}),
        ("trade", "POST", "/limits", {"changes": {"max_open_orders": 5}, "reason": "x"}),
    ],
)
def test_a_scope_cannot_do_more_than_it_says(api: Server, scope: str, method: str, path: str, body: dict) -> None:
    before = len(api.rt.journal.orders())
    state = api.rt.journal.trading_state().state
    reply = api.call(method, B + path, scope, json=body)
    assert reply.status_code == 403 and reply.json()["error"] == "ScopeTooSmall"
    assert len(api.rt.journal.orders()) == before and api.rt.journal.trading_state().state == state
    assert api.rt.journal.risk_limits().get("max_open_orders") != "5"


def test_scopes_are_ordered() -> None:
    assert Scope.ADMIN.allows(Scope.TRADE) and Scope.TRADE.allows(Scope.READ)
    assert not Scope.READ.allows(Scope.TRADE) and not Scope.TRADE.allows(Scope.ADMIN)


def test_a_revoked_token_is_refused_by_the_next_request(api: Server) -> None:
    secret = api.store.create("short-lived", "read", now=api.rt.clock.now())  # created while serving
    assert api.call("GET", f"{B}/balance", secret).status_code == 200
    api.store.revoke("short-lived", now=api.rt.clock.now())
    reply = api.call("GET", f"{B}/balance", secret)
    assert reply.status_code == 401 and "revoked" in reply.json()["message"]


def test_the_token_file_is_private_and_holds_no_secret(api: Server) -> None:
    path = api.home / "api_tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert all(secret not in text for secret in api.tokens.values())
    rows = json.loads(text)["tokens"]
    assert {r["name"] for r in rows} >= {"read-bot", "trade-bot", "admin-bot"}
    assert next(r for r in rows if r["name"] == "read-bot")["last_used"] is not None  # the server recorded it


def test_token_names_and_duplicates(tmp_path: Path) -> None:
    store, now = TokenStore(tmp_path), ManualClock().now()
    first = store.create("bot", "trade", now=now)
    assert first.startswith("crbot_") and len(first) > 40
    with pytest.raises(Exception, match="already exists"):
        store.create("bot", "read", now=now)
    with pytest.raises(Exception, match="not valid"):
        store.create("bad name!", "read", now=now)
    with pytest.raises(Exception, match="unknown scope"):
        store.create("other", "root", now=now)
    store.revoke("bot", now=now)
    assert store.verify(first, now=now) is None
    second = store.create("bot", "read", now=now)  # a revoked name may be used again, with a new secret
    assert store.verify(second, now=now).scope is Scope.READ and store.verify(first, now=now) is None


def test_rate_limit_per_token_answers_429_with_retry_after(tmp_path: Path) -> None:
    server = serve(tmp_path, rate=0.2, burst=3)
    try:
        codes = [server.call("GET", f"{B}/ping", "read").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        limited = server.call("GET", f"{B}/ping", "read")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert server.call("GET", f"{B}/ping", "trade").status_code == 200  # another token has its own bucket
    finally:
        server.stop()


@pytest.mark.parametrize(("host", "mode"), [("0.0.0.0", "paper"), ("127.0.0.1", "live")])
def test_serving_exposed_or_live_without_a_token_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str, mode: str
) -> None:
    for key, value in make_env(tmp_path, CRBOT_MODE=mode, BINANCE_API_KEY="k", BINANCE_API_SECRET="s").items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)  # no .env of the repository
    assert api_cli.main(["serve", "--host", host, "--port", "0"]) == 2
    assert "without an API token" in capsys.readouterr().err
