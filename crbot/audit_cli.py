"""``python -m crbot audit [--since 2026-11-01|24h|7d] [--until ...] [--actor TEXT] [--kind KIND] [--csv] [--json]``:
every mode's journal, merged (the go-live lock and override are in the live journal)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from crbot.audit import KINDS, to_csv, trail_all
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.errors import CrbotError, InvalidInput
from crbot.golive.commands import _Parser
from crbot.golive.journals import ModeJournals
from crbot.jsonable import to_jsonable

_AGO = re.compile(r"(\d+)([mhd])")


def parse_when(text: str, now: datetime) -> datetime:
    """An ISO date/time (UTC when no zone is given), or an age: 30m, 24h, 7d."""
    match = _AGO.fullmatch(text.strip())
    if match:
        n, unit = int(match[1]), match[2]
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: n})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a time: use 2026-11-01, 2026-11-01T12:00 or 24h / 7d"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def main(argv: Sequence[str], *, as_json: bool = False) -> int:
    now = SystemClock().now()
    p = _Parser(prog="crbot audit", description="the audit trail: who did what, when, from where")
    p.add_argument("--since", type=lambda t: parse_when(t, now))
    p.add_argument("--until", type=lambda t: parse_when(t, now))
    p.add_argument("--actor", help="part of the actor, e.g. cli: or alice")
    p.add_argument("--kind", action="append", choices=KINDS, help="repeatable")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--csv", action="store_true", help="CSV on stdout")
    try:
        args = p.parse_args(list(argv))
        from crbot.home import open_journal, prepare_home

        settings = Settings.load()
        prepare_home(settings.home)
        clock = SystemClock()
        journal = open_journal(settings, clock)
        journals = ModeJournals(settings, clock, own=journal)
        try:
            filters = {"since": args.since, "until": args.until, "actor": args.actor, "kinds": args.kind}
            entries = trail_all(journals, limit=args.limit, **filters)
        finally:
            journals.close()
            journal.close()
    except SystemExit as exc:
        return int(exc.code or 0)
    except CrbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.csv:
        sys.stdout.write(to_csv(entries))
    elif as_json:
        print(json.dumps(to_jsonable(entries), indent=2))
    elif not entries:
        print("no audit event matches")
    else:
        for e in entries:
            change = f" [{e.before} -> {e.after}]" if e.before or e.after else ""
            reason = f" — {e.reason}" if e.reason else ""
            where = f"{e.journal:<8} {e.origin:<9}"
            print(f"{e.time:%Y-%m-%d %H:%M:%S} {where} {e.actor:<22} {e.action:<18} {e.detail}{change}{reason}")
    return 0


__all__ = ["InvalidInput", "main", "parse_when"]
