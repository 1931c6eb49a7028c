"""``python -m crbot monitor [--once] [--interval S]`` and ``python -m crbot alert test|list``.

monitor: every interval, one cycle (``crbot.monitor.cycle``) until SIGTERM / Ctrl-C; ``--once`` runs one and exits:
    0 healthy · 1 a threshold is breached (warn / cut) · 2 invalid arguments or settings · 3 trading is HALTED
    · 5 the sync with the exchange failed this cycle · 6 standing by (another monitor holds the lease)
alert test: a test alert to every target, recorded for the go-live checklist; 0 delivered everywhere, 2 no target
    configured, 5 a target failed. alert list: the targets, masked.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from crbot.errors import CrbotError, InvalidInput
from crbot.jsonable import to_jsonable

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_INVALID, EXIT_FAILED = 0, 2, 5
FLUSH_S = 30.0  # how long --once and a stopping monitor wait for queued alerts


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} must be a number of seconds between 1 and 3600")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one `error:` line, exit 2, like the rest of the CLI
        raise InvalidInput(message, hint=f"see `python -m crbot {self.prog.removeprefix('crbot ')} --help`")


def main(argv: Sequence[str], *, as_json: bool = False) -> int:
    p = _Parser(prog="crbot", description="CRBOT monitor and alerts", allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    mon = sub.add_parser("monitor", help="watch the account 24/7: sync, thresholds, kill triggers, alerts")
    mon.add_argument("--once", action="store_true", help="run one cycle and exit (exit code = health)")
    mon.add_argument("--interval", type=_interval, default=10.0, help="seconds between cycles (default 10)")
    alert = sub.add_parser("alert", help="alert targets: test, list")
    alert.add_argument("action", choices=["test", "list"])
    try:
        args = p.parse_args(list(argv))
        if args.command == "monitor":
            return _monitor(args.once, args.interval, as_json)
        return _alert(args.action, as_json)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except CrbotError as exc:
        _emit({"ok": False, "error": type(exc).__name__, "message": str(exc)}, as_json, err=True)
        return exc.exit_code


def _emit(value: Any, as_json: bool, *, err: bool = False) -> None:
    if as_json:
        print(json.dumps(to_jsonable(value), indent=2))
    elif err:
        print(f"error: {value['message']}", file=sys.stderr)
    elif isinstance(value, dict):
        for key, item in value.items():
            if item in (None, "", []):
                continue
            if isinstance(item, list):
                rows = (
                    f"{r['status']:<8} {r['action']:<5} {r['detail']}" if isinstance(r, dict) else str(r) for r in item
                )
                print(f"{key}:\n  " + "\n  ".join(rows))
            else:
                print(f"{key}: {item}")
    else:
        print(value)


def _parts(kind: str):
    from crbot.monitor.alerts import Notifier
    from crbot.monitor.store import MonitorStore
    from crbot.runtime import build_runtime

    rt = build_runtime()
    rt.service.heartbeat.kind = kind
    notifier = Notifier(store=MonitorStore(rt.journal), clock=rt.clock)
    return rt, notifier


def _monitor(once: bool, interval_s: float, as_json: bool) -> int:
    from crbot.monitor.cycle import Monitor

    rt, notifier = _parts("monitor")
    monitor = Monitor(
        service=rt.service,
        notifier=notifier,
        holder=rt.service.heartbeat.process_id,
        interval=timedelta(seconds=interval_s),
    )
    if once:
        report = _safe_cycle(monitor)
        notifier.flush(FLUSH_S)
        monitor.release()
        rt.service.heartbeat.stop()
        _emit(_report(report), as_json)
        return report.exit_code if report else EXIT_FAILED
    from crbot.killswitch import start_stop_workers

    start_stop_workers()  # an automatic kill sweeps the exchange at once, as the dashboard's STOP does
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    logger.warning("monitor %s: every %.0f s on %s", monitor.holder, interval_s, rt.journal.url)
    print(f"monitor {monitor.holder}: a cycle every {interval_s:g} s (Ctrl-C to stop)", flush=True)
    try:
        while not stopping.is_set():
            report = _safe_cycle(monitor)
            if report is not None:
                print(f"{report.at:%Y-%m-%d %H:%M:%S} UTC {report.summary}", flush=True)
            stopping.wait(interval_s)
    finally:
        monitor.release()
        rt.service.heartbeat.stop()
        notifier.flush(FLUSH_S)
    return EXIT_OK


def _safe_cycle(monitor):
    try:
        return monitor.cycle()
    except Exception as exc:  # a journal hiccup: logged, the next cycle tries again (the lease then lapses)
        logger.exception("monitor cycle failed")
        print(f"error: monitor cycle failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return None


def _report(report) -> dict[str, Any]:
    if report is None:
        return {"ok": False, "summary": "the cycle failed (see the error above)"}
    return {
        "ok": report.exit_code == 0,
        "exit_code": report.exit_code,
        "summary": report.summary,
        "trading_state": report.state,
        "halted_now": report.halted_now,
        "actions": list(report.actions),
        "checks": [
            {"check": r.name, "status": r.status, "action": r.action, "detail": r.detail} for r in report.results
        ],
    }


def _alert(action: str, as_json: bool) -> int:
    from crbot.monitor.alerts import Alert, configured_urls, mask

    rt, notifier = _parts("cli")
    urls = configured_urls(notifier.store)
    if action == "list":
        _emit({"targets": [mask(u) for u in urls] or "none configured"}, as_json)
        return EXIT_OK
    if not urls:
        raise InvalidInput(
            "no alert target is configured",
            hint="set CRBOT_ALERT_URLS (comma-separated apprise URLs) or add targets on the Monitoring page",
        )
    body = f"Test alert from CRBOT ({rt.settings.mode.value} mode, {rt.journal.url}). Alerts reach this target."
    deliveries = notifier.deliver_now(Alert(kind="test", title="CRBOT test alert", body=body, level="info"))
    ok = all(d.ok for d in deliveries)
    _emit(
        {"ok": ok, "deliveries": [f"{d.target}: {'delivered' if d.ok else 'FAILED ' + d.error}" for d in deliveries]},
        as_json,
    )
    return EXIT_OK if ok else EXIT_FAILED
