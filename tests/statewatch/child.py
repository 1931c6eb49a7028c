"""A "dashboard" process for the multi-process STOP tests: the runtime the dashboard builds (with its state watch),
waiting for STOP pressed elsewhere, then asking the service for an order as a ticket would.

    python -m tests.statewatch.child dashboard

Settings come from the environment (CRBOT_HOME, CRBOT_DATABASE_URL, ...). Prints ``{"event": "ready"}``, then one
``{"event": "stopped", "heard": t, "refused": t, "code": ...}`` line (wall-clock seconds) and exits 0; exits 1 if
the order was not refused within 60 s.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from crbot.config import Settings
from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import Denied
from crbot.runtime import build_runtime


def dashboard() -> int:
    rt = build_runtime(Settings.load(), watch_state=True)
    assert rt.watch is not None
    heard: list[float] = []
    rt.watch.subscribe(lambda record: heard.append(time.time()) if record.state == "HALTED" else None)
    print(json.dumps({"event": "ready"}), flush=True)
    rt.watch.wait_for(lambda w: w.denial() is not None, 60)
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quote_amount=Decimal(20))
    try:
        rt.service.place(req, source="ticket", actor="tester (dashboard)")
    except Denied as exc:
        event = {"event": "stopped", "heard": heard[0] if heard else None, "refused": time.time(), "code": exc.code}
        print(json.dumps(event), flush=True)
        return 0
    print(json.dumps({"event": "not refused"}), flush=True)
    return 1


if __name__ == "__main__":
    if sys.argv[1:] != ["dashboard"]:
        raise SystemExit(__doc__)
    sys.exit(dashboard())
