"""The dashboard's live runtime when live mode's guard refuses (not confirmed yet): it still builds, so the
frame and STOP draw and work; every order is denied with the guard's reason until it is fixed, and fixing it
in the CLI counts without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from crbot.config import Settings
from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import Denied
from crbot.golive.gate import GoLiveLocked
from crbot.runtime import Runtime, build_runtime
from tests.integration.rig import KEY, SECRET, Rig, start_rig
from tests.secrets.kit import confirm_live, encrypted_keys

ORDER_POST = ("POST", "/api/v3/order")


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    yield from start_rig(tmp_path, monkeypatch, mode="testnet")


@pytest.fixture
def env(rig: Rig) -> dict[str, str]:
    return {
        "CRBOT_HOME": str(rig.runtime.settings.home),
        "CRBOT_MODE": "live",
        "CRBOT_BINANCE_BASE_URL": rig.runtime.settings.binance_base_url,
        "CRBOT_ACTOR": "tester",
        **encrypted_keys(KEY, SECRET),
    }


@pytest.fixture
def dashboard(rig: Rig, env: dict[str, str]) -> Iterator[Runtime]:
    runtime = build_runtime(Settings.load(env, dotenv=False), clock=rig.clock, live_refusal_denies_orders=True)
    yield runtime
    runtime.journal.close()


def _buy(runtime: Runtime):
    price = (runtime.broker.last_price("BTCUSDT") * Decimal("0.97")).quantize(Decimal("0.01"))
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=Decimal("0.001"), price=price)
    return runtime.service.place(req, actor="tester (dashboard)", source="test")


def test_unconfirmed_live_denies_orders_but_stops_and_confirming_counts_at_once(
    rig: Rig, env: dict[str, str], dashboard: Runtime
) -> None:
    with pytest.raises(Exception, match="live mode has not been confirmed"):
        build_runtime(Settings.load(env, dotenv=False), clock=rig.clock)  # the CLI's way: refused at start
    refusal = dashboard.live_refusal()
    assert refusal is not None and "live confirm" in refusal

    with pytest.raises(Denied) as denied:
        _buy(dashboard)
    assert denied.value.code == "LIVE_REFUSED" and "live confirm" in str(denied.value)
    assert rig.requests.count(*ORDER_POST) == 0 and dashboard.journal.orders() == []
    assert [e.reason for e in dashboard.journal.audit_events() if e.action == "order_denied"] == ["LIVE_REFUSED"]

    report = dashboard.service.stop(reason="checking STOP", actor="tester (dashboard)")
    assert report.ok and report.left_open == ()

    confirm_live(env)
    assert dashboard.live_refusal() is None
    with pytest.raises(GoLiveLocked):  # the next gate in line: the go-live checklist
        _buy(dashboard)
    assert rig.requests.count(*ORDER_POST) == 0
