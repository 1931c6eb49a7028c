"""``python -m crbot sim serve``: run the local Binance-compatible exchange until Ctrl-C.

It keeps its own book (SQLite in ``--home``, default ``$CRBOT_HOME/sim``), uses the bundled trading
rules and the configured price feed, and binds loopback only unless ``--allow-remote`` is given.
Without ``--api-key`` / ``--api-secret`` a throwaway key pair is generated and printed: these are
credentials for this simulator only, never real Binance keys.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import secrets
import string
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from crbot.clock import SystemClock
from crbot.config import Settings
from crbot.errors import ConfigError, CrbotError

_ALNUM = string.ascii_letters + string.digits


class UsageError(Exception):
    """A bad command line: printed as one ``error:`` line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print the usage block and sys.exit
        raise UsageError(f"{message} — see python -m crbot sim serve --help")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use 0-65535 (0 picks a free one)")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m crbot sim serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--api-key", default="", help="the key clients must send (default: generated)")
    parser.add_argument("--api-secret", default="", help="HMAC secret of that key (default: generated)")
    parser.add_argument("--ed25519-public-key", type=Path, help="PEM file: accept Ed25519 signatures of this key")
    parser.add_argument("--restrictions", type=Path, help="JSON file: apiRestrictions fields over the safe default")
    parser.add_argument("--home", type=Path, help="where the simulator keeps its book (default $CRBOT_HOME/sim)")
    parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    return parser


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set, for tests). Returns the exit status."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        _check_host(args.host, allow_remote=args.allow_remote)
        exchange, key, generated_secret = _build(args)
    except CrbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        base_url = exchange.start(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror} — pick another --port", file=sys.stderr)
        return 5
    try:  # from the first line on: a client may read the url and press Ctrl-C before the last line is out
        print(f"local exchange: {base_url}  (api: {base_url}/api, sapi: {base_url}/sapi)", flush=True)
        print(f"api key: {key}", flush=True)
        if generated_secret:
            print(f"api secret (generated, simulator only): {generated_secret}", flush=True)
        print("Ctrl-C to stop", flush=True)
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        exchange.stop()
    return 0


def _check_host(host: str, *, allow_remote: bool) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not allow_remote:
        raise ConfigError(
            f"refusing to serve the simulator on {host}: anyone who can reach it could trade on it",
            hint="bind 127.0.0.1, or pass --allow-remote if you really mean it",
        )


def _build(args: argparse.Namespace) -> tuple[Any, str, str]:
    from crbot.exchange.bundled import load_bundled_rules
    from crbot.localexchange.server import LocalExchange
    from crbot.market.select import make_feed
    from crbot.paper.factory import paper_market_for

    settings = Settings.load()
    home = (args.home or settings.home / "sim").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    market = paper_market_for(
        settings,
        db_url=f"sqlite:///{home / 'exchange.db'}",
        feed=make_feed(settings),
        clock=SystemClock(),
        rules=load_bundled_rules(),
    )
    key = args.api_key or "".join(secrets.choice(_ALNUM) for _ in range(64))
    generated = "" if args.api_secret or args.ed25519_public_key else "".join(secrets.choice(_ALNUM) for _ in range(64))
    exchange = LocalExchange.over(
        market,
        api_key=key,
        api_secret=args.api_secret or generated or None,
        ed25519_public_key=_read(args.ed25519_public_key) if args.ed25519_public_key else None,
        restrictions=_restrictions(args.restrictions),
    )
    return exchange, key, generated


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc


def _restrictions(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})", hint="fix the file") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object", hint='e.g. {"enableWithdrawals": true}')
    return data
