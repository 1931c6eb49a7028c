"""The go-live gate on the live order path, and a verified backup, beside baselines measured in the same run.

* gate: ``LiveGate()`` (the whole checklist from a paper journal of N_TRIPS round trips, the live journal,
  the backup folder) beside ``journal.pretrade_facts`` (the read every order already does).
* backup: ``create_backup`` (online copy + checksums + a verifying restore) of that home beside a plain file
  copy of the same files.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import time
from decimal import Decimal

from bench.common import paper_runtime, pct, temp_home
from crbot.backup import create_backup, sources
from crbot.config import Settings
from crbot.domain import OrderRequest, OrderType, Side
from crbot.golive.gate import GoLiveLocked, LiveGate
from crbot.golive.settings import BackupSettings

N_TRIPS = 500
REPEATS = 30


def _ms(fn, repeats: int = REPEATS) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run() -> None:
    home = temp_home()
    rt, _feed = paper_runtime(home)
    for _ in range(N_TRIPS):
        for side, qty in ((Side.BUY, "0.1"), (Side.SELL, "0.0999")):  # the bench feed prices BTC at 100
            req = OrderRequest(symbol="BTCUSDT", side=side, type=OrderType.MARKET, quantity=Decimal(qty))
            rt.service.place(req, actor="bench", source="bench")
        rt.clock.advance(600)
    conf = BackupSettings.load(rt.settings, {})
    for _ in range(3):
        create_backup(rt.settings, rt.clock, actor="bench", conf=conf, journal=rt.journal)
        rt.clock.advance(1)
    live = Settings.load({"CRBOT_HOME": str(home), "CRBOT_MODE": "live"}, dotenv=False)
    gate = LiveGate(live, rt.clock, journal=rt.journal, equity=lambda: Decimal("9"))

    def gated() -> None:
        with contextlib.suppress(GoLiveLocked):
            gate()

    gated()  # warm: the other modes' journals opened once, kept open
    now = rt.clock.now()
    base = _ms(lambda: rt.journal.pretrade_facts(now, orders_since=now))
    ours = _ms(gated)
    print(f"  paper journal: {2 * N_TRIPS} orders, {N_TRIPS} round trips")
    print(f"  LiveGate() per live order     p50 {statistics.median(ours):7.2f} ms  p95 {pct(ours, 95):7.2f} ms")
    print(f"  baseline pretrade_facts read  p50 {statistics.median(base):7.2f} ms  p95 {pct(base, 95):7.2f} ms")

    files = sources(rt.settings)
    size = sum(f.stat().st_size for f in files) / 1e6
    copy_dir = temp_home()
    plain = _ms(lambda: [shutil.copy(f, copy_dir / f.name) for f in files], repeats=5)
    made = _ms(lambda: create_backup(rt.settings, rt.clock, actor="bench", conf=conf, journal=rt.journal), repeats=5)
    print(f"  backup of {len(files)} files, {size:.1f} MB: create+verify p50 {statistics.median(made):7.1f} ms")
    print(f"  baseline plain file copy                 p50 {statistics.median(plain):7.1f} ms")
    gate.journals.close()
    rt.journal.close()
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(copy_dir, ignore_errors=True)


if __name__ == "__main__":
    run()
