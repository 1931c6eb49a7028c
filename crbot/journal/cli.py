"""``python -m crbot db current | upgrade``: where the journal's schema stands, and bringing it up to date.

    python -m crbot db current            # the journal of CRBOT_DATABASE_URL (or CRBOT_HOME's)
    python -m crbot db upgrade [--url URL]

``upgrade`` first copies a SQLite journal that will change beside itself (``journal.db.before-<head>-<time>``).
Exit codes: 0 up to date (``current``) or upgraded (``upgrade``); 11 ``current`` found the schema behind or
ahead of this CRBOT (``upgrade`` fixes behind; ahead needs a newer CRBOT); 2 bad URL or unreachable database.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crbot.clock import SystemClock
from crbot.errors import CrbotError
from crbot.journal.database import Database
from crbot.journal.schema import UPGRADE_COMMAND, SchemaMismatch, SchemaStatus

EXIT_OK = 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m crbot db", description="the journal's schema (Alembic migrations)")
    sub = p.add_subparsers(dest="action", required=True)
    for name, help_ in (
        ("current", "where the journal's schema stands against this CRBOT's (exit 11 when it differs)"),
        ("upgrade", f"migrate the journal to this CRBOT's schema, in place (what `{UPGRADE_COMMAND}` runs)"),
    ):
        sub.add_parser(name, help=help_).add_argument(
            "--url", help="the journal's database URL (default: CRBOT_DATABASE_URL, else CRBOT_HOME's journal)"
        )
    return p


def main(argv: Sequence[str], *, as_json: bool = False) -> int:
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:  # --help, or argparse's own usage error (exit 2)
        return int(exc.code or 0)
    try:
        url = args.url or _settings_url()
        db = Database(url, SystemClock(), check_schema=False)
        try:
            if args.action == "current":
                found = db.schema_status()
                _emit(_report(db.safe_url, found), as_json)
                return EXIT_OK if found.state in ("current", "empty") else SchemaMismatch.exit_code
            copy = _backup_first(db)
            before, after = db.migrate()
            report = _report(db.safe_url, after)
            if copy is not None:
                report["backup"] = str(copy)
            report["from"] = before.revision or _legacy(before)
            report["upgraded"] = before.revision != after.revision
            _emit(report, as_json)
            return EXIT_OK
        finally:
            db.dispose()
    except CrbotError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}, indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _backup_first(db: Database) -> Path | None:
    """A SQLite journal that will change is copied beside itself first (online backup): the way back if
    anything about the new schema is wrong. PostgreSQL: the operator's pg_dump (the README says so)."""
    found = db.schema_status()
    if not db.is_sqlite or db.url_path is None or found.state != "behind":
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return db.backup(db.url_path.with_name(f"{db.url_path.name}.before-{found.head}-{stamp}"))


def _settings_url() -> str:
    from crbot.config import Settings

    return Settings.load().database_url


def _legacy(found: SchemaStatus) -> str | None:
    return None if found.legacy_version is None else f"schema_version {found.legacy_version} (before migrations)"


def _report(url: str, found: SchemaStatus) -> dict[str, Any]:
    return {
        "journal": url,
        "revision": found.revision,
        "head": found.head,
        "state": found.state,
        "status": found.describe(),
    }


def _emit(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    print(f"journal:  {report['journal']}")
    if report.get("backup"):
        print(f"backup:   {report['backup']} (the journal as it was)")
    if "from" in report:
        was = report["from"] or "empty"
        print(f"upgraded: {was} -> {report['revision']}" if report["upgraded"] else f"no change: at {was}")
    print(f"revision: {report['revision'] or '-'} (this CRBOT's head: {report['head']})")
    print(f"status:   {report['status']}")
