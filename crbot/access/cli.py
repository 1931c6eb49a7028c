"""``python -m crbot dashboard set-password``: the dashboard's sign-in password (an Argon2id hash in CRBOT_HOME).

On a terminal the password is asked twice with a hidden prompt; otherwise one line is read from stdin
(scripts, CI). Never taken as an argument (it would sit in the shell history and the process list).
Setting it ends every signed-in session at their next request. Exit codes: 0 set, 2 invalid input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from crbot.errors import CrbotError, InvalidInput

if TYPE_CHECKING:
    from crbot.config import Settings


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New dashboard password: ")
        second = getpass.getpass("Again: ")
        if first != second:
            raise InvalidInput("the two passwords differ", hint="run the command again")
        return first
    line = sys.stdin.readline()
    if not line:
        raise InvalidInput("no password on stdin", hint="pipe one line, or run the command in a terminal")
    return line.rstrip("\r\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crbot dashboard", description="Dashboard access.")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("set-password", help="set or change the sign-in password (ends every signed-in session)")
    sub.add_parser("status", help="whether a password is set")
    return parser


def main(argv: Sequence[str], *, as_json: bool = False) -> int:
    from crbot.access.core import AccessSettings
    from crbot.access.passwords import PasswordStore
    from crbot.config import Settings
    from crbot.home import prepare_home

    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse printed usage or --help
        return int(exc.code or 0)
    try:
        settings = Settings.load()
        prepare_home(settings.home)
        store = PasswordStore(settings.home)
        if args.action == "status":
            is_set = store.is_set()
            print(
                json.dumps({"password_set": is_set})
                if as_json
                else f"dashboard password {'set' if is_set else 'not set'}"
            )
            return 0
        profile = AccessSettings.load().kdf
        store.set(_read_password(), profile)
        _audit(settings)
    except CrbotError as exc:
        print(
            json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}) if as_json else f"error: {exc}",
            file=sys.stderr,
        )
        return exc.exit_code
    message = f"dashboard password set ({store.path}, Argon2id hash, 0600); every signed-in session has ended"
    print(json.dumps({"ok": True, "path": str(store.path)}) if as_json else message)
    return 0


def _audit(settings: Settings) -> None:
    from crbot.clock import SystemClock
    from crbot.home import open_journal

    journal = open_journal(settings, SystemClock())  # a security event: in the audit log
    journal.audit(actor=f"cli:{settings.actor}", action="dashboard_password_set", detail="password changed")
