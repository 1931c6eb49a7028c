"""``python -m crbot api ...``: serve the HTTP API, and create / list / revoke its tokens.

    api serve [--host 127.0.0.1] [--port 8002] [--rate 20] [--burst 40]
    api token create --scope read|trade|admin --name NAME     (the token: shown once, alone on the last line)
    api token list
    api token revoke --name NAME

Serving beyond loopback, or in live mode, is refused while no token exists (and every request needs one).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import socket
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from crbot.api.tokens import Scope, TokenStore
from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.errors import ConfigError, CrbotError, InvalidInput

logger = logging.getLogger(__name__)
DEFAULT_PORT = 8002  # the integration guide's


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # one `error:` line, exit 2, like the rest of the CLI
        raise InvalidInput(message, hint=f"see `python -m crbot {self.prog.removeprefix('crbot ')} --help`")


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a port: use 0-65535 (0 picks a free one)")
    return int(text)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} must be a number above 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="crbot api", description="CRBOT's HTTP API (the integration guide's broker endpoints)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = sub.add_parser("serve", help="serve the API (uvicorn) until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--rate", type=_positive, default=20.0, help="requests a second per token (default 20)")
    serve.add_argument("--burst", type=_positive, default=40.0, help="requests in a burst per token (default 40)")
    token = sub.add_parser("token", help="create, list or revoke API tokens")
    tsub = token.add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = tsub.add_parser("create", help="a new token, printed once")
    create.add_argument("--scope", required=True, choices=[s.value for s in Scope])
    create.add_argument("--name", required=True)
    tsub.add_parser("list", help="names, scopes, created, last used (never the tokens)")
    tsub.add_parser("revoke", help="refuse a token from its next request on").add_argument("--name", required=True)
    return p


def main(argv: Sequence[str], *, as_json: bool = False) -> int:
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:  # --help printed
        return int(exc.code or 0)
    except CrbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        if args.command == "serve":
            return serve(args.host, args.port, rate=args.rate, burst=int(args.burst))
        return _token(args, as_json)
    except CrbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _token(args: argparse.Namespace, as_json: bool) -> int:
    from crbot.home import open_journal, prepare_home
    from crbot.jsonable import to_jsonable

    settings = Settings.load()
    prepare_home(settings.home)
    store, clock = TokenStore(settings.home), SystemClock()
    actor = f"cli:{settings.actor}"
    if args.action == "list":
        rows = [t.listed() for t in store.tokens()]
        if as_json:
            print(json.dumps(to_jsonable(rows), indent=2))
        for row in [] if as_json else rows:
            used = row["last_used"].isoformat(timespec="seconds") if row["last_used"] else "never"
            revoked = f"  REVOKED {row['revoked']:%Y-%m-%d %H:%M}" if row.get("revoked") else ""
            created = f"{row['created']:%Y-%m-%d %H:%M}"
            print(f"{row['name']:<24} {row['scope']:<6} created {created}  last used {used}{revoked}")
        if not rows and not as_json:
            print("no API token yet: python -m crbot api token create --scope read --name NAME")
        return 0
    journal = open_journal(settings, clock)  # token changes are security events: in the audit log
    if args.action == "create":
        secret = store.create(args.name, args.scope, now=clock.now())
        journal.audit(actor=actor, action="api_token_create", detail=f"{args.name} scope={args.scope}")
        if as_json:
            print(json.dumps({"name": args.name, "scope": args.scope, "token": secret}, indent=2))
        else:
            print(f"API token {args.name!r} (scope {args.scope}) created. It is shown only now; keep it secret:")
            print(secret)
        return 0
    store.revoke(args.name, now=clock.now())
    journal.audit(actor=actor, action="api_token_revoke", detail=args.name)
    print(json.dumps({"ok": True, "revoked": args.name}) if as_json else f"API token {args.name!r} revoked")
    return 0


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(host: str, port: int, *, rate: float, burst: int) -> int:
    import uvicorn

    from crbot.api.app import create_app
    from crbot.killswitch import start_stop_workers
    from crbot.runtime import build_runtime

    settings = Settings.load()
    store = TokenStore(settings.home)
    if not store.active():
        if not _loopback(host) or settings.mode is Mode.LIVE:
            where = f"on {host}" if not _loopback(host) else "in live mode"
            raise ConfigError(
                f"refusing to serve the API {where} without an API token",
                hint="create one first: python -m crbot api token create --scope read --name NAME",
            )
        print("no API token yet: every request is refused (401) until you create one", file=sys.stderr)
    rt = build_runtime(settings, watch_state=True)  # no network; the watch: STOP from other processes, fail closed
    rt.service.heartbeat.kind = "api"  # this server's row in process_heartbeats (the Monitoring page)
    start_stop_workers()  # STOP's threads are up before a client asks for it
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: without it a keep-alive client waits ~40 ms per answer (Nagle against
    # delayed ACK), since uvicorn given a socket does not set it on the connections itself
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        print(f"error: cannot listen on {host}:{port}: {exc.strerror} — pick another --port", file=sys.stderr)
        return 5
    sock.listen(2048)  # connections wait in the backlog from now on, while uvicorn loads the app
    bound = sock.getsockname()[1]
    url = f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{bound}"
    print(f"CRBOT API ({settings.mode.value} mode) on {url}/api/broker  docs: {url}/docs  Ctrl-C to stop", flush=True)
    app = create_app(rt, store, rate=rate, burst=burst)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
