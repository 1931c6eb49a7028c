"""``python -m crbot golive ...`` and ``python -m crbot backup ...``.

golive [--json]                          the checklist; exit 0 when every item passes, 3 when one does not
golive drill [--symbol BTCUSDT]          the testnet/demo round trip, recorded (CRBOT_MODE=testnet|demo)
golive lock --reason TEXT                lock the saved live risk limits
golive override --sentence TEXT --reason TEXT     allow live although items fail (audited, expires)
backup create | list | verify [NAME] | restore [NAME] [--confirm]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.errors import CrbotError, InvalidInput
from crbot.jsonable import to_jsonable

EXIT_OK, EXIT_FAILING = 0, 3


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise InvalidInput(message, hint=f"see `python -m crbot {self.prog.removeprefix('crbot ')} --help`")


def _golive_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="crbot golive", description="the go-live checklist that gates live trading")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    drill = sub.add_parser("drill", help="testnet/demo round trip: place, query, cancel, STOP, verify flat")
    drill.add_argument("--symbol", default="BTCUSDT", type=str.upper)
    sub.add_parser("lock", help="lock the saved live risk limits").add_argument("--reason", required=True)
    override = sub.add_parser("override", help="allow live trading although items fail (typed sentence, audited)")
    override.add_argument("--sentence", required=True, help="the confirmation sentence, typed exactly")
    override.add_argument("--reason", required=True)
    return p


def _backup_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="crbot backup", description="backups of the journals and the paper book")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("create", help="back up now (verified by a restore into a scratch database)")
    sub.add_parser("list", help="backups, newest first")
    sub.add_parser("verify", help="verify a backup (default: the newest)").add_argument("name", nargs="?")
    restore = sub.add_parser("restore", help="put a backup back (default: the newest)")
    restore.add_argument("name", nargs="?")
    restore.add_argument("--confirm", action="store_true", help="overwrite the journals in place (kept beside)")
    return p


def _run(parser: argparse.ArgumentParser, argv: Sequence[str], as_json: bool, handler: Any) -> int:
    try:
        args = parser.parse_args(list(argv))
        return handler(args, as_json)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except CrbotError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}, indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def golive_main(argv: Sequence[str], *, as_json: bool = False) -> int:
    return _run(_golive_parser(), argv, as_json, _golive)


def backup_main(argv: Sequence[str], *, as_json: bool = False) -> int:
    return _run(_backup_parser(), argv, as_json, _backup)


def _golive(args: argparse.Namespace, as_json: bool) -> int:
    from crbot.golive.checklist import evaluate
    from crbot.golive.gate import live_journal, lock_limits, record_override
    from crbot.golive.journals import ModeJournals

    settings, clock = Settings.load(), SystemClock()
    actor = f"cli:{settings.actor}"
    if args.command == "drill":
        return _drill(settings, args, actor, as_json)
    journals = ModeJournals(settings, clock)
    try:
        if args.command == "lock":
            fingerprint = lock_limits(live_journal(journals), actor=actor, reason=args.reason)
            _print({"ok": True, "locked": fingerprint}, as_json, f"live risk limits locked ({fingerprint})")
            return EXIT_OK
        checklist = evaluate(settings, clock, journals=journals)
        if args.command == "override":
            record_override(live_journal(journals), checklist, sentence=args.sentence, reason=args.reason, actor=actor)
            checklist = evaluate(settings, clock, journals=journals)
        if as_json:
            print(
                json.dumps(
                    to_jsonable(checklist) | {"ok": checklist.ok, "live_allowed": checklist.live_allowed}, indent=2
                )
            )
        else:
            print(render_text(checklist))
        return EXIT_OK if checklist.ok else EXIT_FAILING
    finally:
        journals.close()


def render_text(checklist: Any) -> str:
    passed = sum(i.ok for i in checklist.items)
    verdict = "live trading allowed" if checklist.ok else "live trading LOCKED"
    if not checklist.ok and checklist.override is not None:
        o = checklist.override
        verdict = f"live trading allowed by an OVERRIDE of {o.actor} until {o.until:%Y-%m-%d %H:%M} UTC"
    lines = [f"Go-live checklist: {passed} of {len(checklist.items)} pass — {verdict}"]
    for item in checklist.items:
        lines.append(f"[{'PASS' if item.ok else 'FAIL'}] {item.title}: {item.evidence}")
        if not item.ok:
            lines.append(f"       fix: {item.fix}")
    return "\n".join(lines)


def _drill(settings: Settings, args: argparse.Namespace, actor: str, as_json: bool) -> int:
    from crbot.golive.drill import run_drill
    from crbot.runtime import build_runtime

    rt = build_runtime(settings)
    try:
        rt.service.start_up(actor=actor, full=False)
        report = run_drill(rt.service, actor=actor, symbol=args.symbol)
    finally:
        rt.journal.close()
    text = "\n".join([f"go-live drill on {report.mode}: {'OK' if report.ok else 'FAILED'}", *report.steps])
    _print(
        {**to_jsonable(report), "detail": report.detail},
        as_json,
        text + (f"\nerror: {report.error}" if report.error else ""),
    )
    return EXIT_OK if report.ok else EXIT_FAILING


def _backup(args: argparse.Namespace, as_json: bool) -> int:
    from crbot import backup
    from crbot.golive.settings import BackupSettings
    from crbot.home import open_journal, prepare_home

    settings, clock = Settings.load(), SystemClock()
    conf = BackupSettings.load(settings)
    actor = f"cli:{settings.actor}"
    if args.command == "list":
        rows = backup.list_backups(conf)
        if as_json:
            print(json.dumps(to_jsonable(rows), indent=2, default=str))
        elif not rows:
            print(f"no backup yet in {conf.folder}: python -m crbot backup create")
        for b in [] if as_json else rows:
            state = (
                "verified" if b.verified_ok else ("FAILED verification" if b.verified_ok is False else "not verified")
            )
            print(f"{b.name}  {b.created_at:%Y-%m-%d %H:%M:%S} UTC  {len(b.files)} files  {b.rows} rows  {state}")
        return EXIT_OK
    if args.command == "verify":
        found = backup.find_backup(conf, args.name)
        result = backup.verify_backup(found.path, clock)
        text = f"{result.name}: {'verified: restores exactly' if result.ok else 'FAILED'}\n" + "\n".join(
            [*result.checked, *result.problems]
        )
        _print(result, as_json, text)
        return EXIT_OK if result.ok else 1
    if args.command == "restore":
        done = backup.restore_backup(settings, clock, name=args.name, confirm=args.confirm, actor=actor)
        text = (
            f"restored {done.name}: {', '.join(done.restored)}\nreplaced files kept: {', '.join(done.kept) or 'none'}\n"
            "restart the dashboard, monitor and bots: their caches predate the restore"
        )
        _print(done, as_json, text)
        return EXIT_OK
    prepare_home(settings.home)
    journal = open_journal(settings, clock)
    try:
        made = backup.create_backup(settings, clock, actor=actor, conf=conf, journal=journal)
    finally:
        journal.close()
    state = "verified: restores exactly" if made.verified_ok else f"FAILED verification: {'; '.join(made.problems)}"
    text = f"{made.name}: {len(made.files)} files, {made.rows} rows, {state}" + (
        f"\ncopied to {made.s3}" if made.s3 else ""
    )
    _print(made, as_json, text)
    return EXIT_OK if made.verified_ok else 1


def _print(value: Any, as_json: bool, text: str) -> None:
    print(json.dumps(to_jsonable(value), indent=2, default=str) if as_json else text)
