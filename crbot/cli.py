"""``python -m crbot``: the operator's and scripts' door to the same core the dashboard uses.

Exit codes: 0 ok, 2 invalid input, 3 denied (risk manager / trading state), 4 rejected by the exchange,
5 connectivity. ``--json`` (before or after the command) prints machine-readable output, decimals as strings.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from crbot import numfmt
from crbot.binance.params import check_client_id
from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import CrbotError, InvalidInput, StopIncomplete
from crbot.jsonable import to_jsonable

EXIT_OK, EXIT_INVALID = 0, 2

# Binance's DECIMAL parameter (^([0-9]{1,20})(\.[0-9]{1,20})?$): Python's Decimal() also takes exponents, signs,
# '_', NaN and non-ASCII digits, none of which Binance (or a trader) means.
_NUMBER = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")
# Binance's symbol rule ^[A-Z0-9-_.]{1,20}$, checked before upper-casing ('ß'.upper() is 'SS').
_SYMBOL = re.compile(r"[A-Za-z0-9_.\-]{1,20}")
_SHOWN_MAX = 40  # characters of a bad value quoted back in an error message
_ERROR_MAX = 300  # characters of a usage error: one readable line, whatever was typed


class _ParserExit(Exception):
    """argparse finished by itself (``--help`` printed): ``main`` returns ``status`` instead of exiting."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _ArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--stop 58000` must not silently mean --stop-loss
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # argparse exits 2 too; keep our wording, on one line
        command = " ".join(["python -m crbot", *self.prog.split()[1:]])
        raise InvalidInput(_one_line(message, _ERROR_MAX), hint=f"see `{command} --help`")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._print_message(message, sys.stderr)
        raise _ParserExit(status)  # main() returns it: callers in-process never see SystemExit


def _one_line(text: str, limit: int | None = None) -> str:
    """Control characters escaped (and absurd lengths cut): an error is one line a terminal shows whole."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return flat if limit is None or len(flat) <= limit else f"{flat[:limit]}… ({len(flat)} characters)"


def _shown(text: str) -> str:
    """A bad value quoted back to the operator: escaped, and cut when absurdly long."""
    if len(text) <= _SHOWN_MAX:
        return repr(text)
    return f"{text[:_SHOWN_MAX]!r}… ({len(text)} characters)"


def _decimal(text: str) -> Decimal:
    """A positive amount in Binance's DECIMAL format; argparse names the option in the error."""
    if not _NUMBER.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not a plain decimal number: use ASCII digits with at most one dot, e.g. 0.001 "
            "(no sign, exponent, '_' or spaces; at most 20 digits before and 20 after the dot)"
        )
    try:
        value = Decimal(text)
    except InvalidOperation:  # unreachable after the pattern; kept so no traceback can escape
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{_shown(text)} must be greater than zero")
    return value


def _symbol(text: str) -> str:
    symbol = text.strip()
    if not _SYMBOL.fullmatch(symbol):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not a symbol: use 1-20 characters from A-Z 0-9 - _ . (e.g. BTCUSDT)"
        )
    return symbol.upper()


def _client_id(text: str) -> str:
    try:
        check_client_id(text)
    except InvalidInput:
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not a valid client order id: use 1-36 characters from A-Z a-z 0-9 _ -"
        ) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    p = _ArgumentParser(prog="crbot", description="CRBOT trading control room (CLI)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_ArgumentParser)
    sub.add_parser("ping", help="test the connection to the broker")
    sub.add_parser("status", help="mode, price source, trading state")
    sub.add_parser("price", help="last price").add_argument("--symbol", required=True, type=_symbol)
    sub.add_parser("balance", help="balances free / locked and equity")
    sub.add_parser("positions", help="open positions with unrealised P&L")
    sub.add_parser("orders", help="orders from the journal").add_argument("--open", action="store_true")
    sub.add_parser("account", help="account info: balances, commissions")
    sub.add_parser("metrics", help="performance metrics against the targets")
    sub.add_parser("reconcile", help="sync the journal with the exchange")
    stop = sub.add_parser("stop", help="KILL SWITCH: halt trading, cancel every open order")
    stop.add_argument("--reason", required=True)
    stop.add_argument("--flatten", action="store_true", help="also sell CRBOT's own positions to USDT at market")
    stop.add_argument(
        "--all-balances", action="store_true", help="with --flatten: sell EVERY coin on the account, not only CRBOT's"
    )
    sub.add_parser("resume", help="resume trading after a STOP").add_argument("--confirm", action="store_true")
    order = sub.add_parser("order", help="create / cancel / query an order")
    osub = order.add_subparsers(
        dest="action", required=True, parser_class=_ArgumentParser, metavar="{create,status,cancel}"
    )
    create = osub.add_parser("create")
    create.add_argument("--symbol", required=True, type=_symbol)
    create.add_argument("--side", required=True, type=str.upper, choices=["BUY", "SELL"])
    create.add_argument("--qty", type=_decimal)
    create.add_argument("--quote", type=_decimal, help="quote amount (USDT) instead of --qty")
    create.add_argument("--type", default="LIMIT", type=str.upper, choices=["LIMIT", "MARKET"])
    create.add_argument("--price", type=_decimal)
    create.add_argument("--stop-loss", type=_decimal)
    create.add_argument("--take-profit", type=_decimal)
    create.add_argument("--client-id", type=_client_id, help="your own client order id (idempotent retries)")
    for name in ("cancel", "status"):
        q = osub.add_parser(name)
        q.add_argument("--symbol", required=True, type=_symbol)
        q.add_argument("--id", required=True, type=_client_id, help="client order id")
    sub.add_parser("api", help="the HTTP API: serve, token create/list/revoke").add_argument(
        "api_args", nargs=argparse.REMAINDER
    )
    sub.add_parser("keys", help="exchange keys: set, show, rotate, check (encrypted)").add_argument(
        "keys_args", nargs=argparse.REMAINDER
    )
    sub.add_parser("live", help="live mode: confirm (typed, once)").add_argument("live_args", nargs=argparse.REMAINDER)
    sub.add_parser("golive", help="the go-live checklist: drill, lock, override (exit 3 while an item fails)")
    sub.add_parser("backup", help="backups: create, list, verify, restore")
    sub.add_parser("audit", help="the audit trail (--since, --actor, --kind, --csv)")
    sub.add_parser("limits", help="risk limits: show; set NAME VALUE --reason TEXT (audited)").add_argument(
        "limits_args", nargs=argparse.REMAINDER
    )
    sub.add_parser("db", help="the journal's schema: current, upgrade").add_argument("db", nargs=argparse.REMAINDER)
    # listed for --help; main() routes them to crbot/monitor/cli.py before parsing
    sub.add_parser("monitor", help="the 24/7 monitor: sync, thresholds, kill triggers, alerts [--once] [--interval S]")
    sub.add_parser("alert", help="alert targets: test (sends one), list (masked)")
    sim = sub.add_parser("sim", help="the local Binance-compatible exchange")
    sim.add_argument("sim_args", nargs=argparse.REMAINDER)
    return p


# Columns shown for lists of records in human output (--json always has every field).
_COLUMNS = tuple(
    [
        "asset",
        "free",
        "locked",
        "value_usdt",
        "client_order_id",
        "symbol",
        "side",
        "type",
        "status",
        "quantity",
        "executed_qty",
        "price",
        "stop_price",
        "avg_entry",
        "market_price",
        "unrealized_pnl",
        "key",
        "label",
        "value",
        "target",
        "ok",
        "reason",
    ]
)


# Each column's kind of quantity in human output (crbot/numfmt.py); --json stays exact.
_QUOTE_COLUMNS = {
    "value_usdt",
    "unrealized_pnl",
    "equity_usdt",
    "notional",
    "fee_usdt",
    "realized_pnl",
    "cumulative_quote",
}
_PRICE_COLUMNS = {"price", "stop_price", "avg_entry", "market_price", "avg_price", "last_price", "expected_price"}
_QTY_COLUMNS = {"free", "locked", "quantity", "executed_qty"}
_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD")  # quote assets: amounts in 2 decimals
# What an empty list means, per command (a blank line says nothing).
_EMPTY = {"orders": "no orders", "positions": "no open positions"}
_FORMATTED = ("balance", "positions", "orders", "order", "price", "account")  # numbers shown by tick and step


def _human(value: Any, rules: dict[str, Any] | None = None, empty: str = "") -> str:
    data = to_jsonable(value)
    if isinstance(data, list):
        if not data:
            return empty
        return _table(data, rules=rules) if all(isinstance(v, dict) for v in data) else "\n".join(map(str, data))
    if isinstance(data, dict):
        lines = []
        for key, item in data.items():
            if item in (None, "", [], {}):
                continue
            if isinstance(item, list) and item and isinstance(item[0], dict):
                lines.append(f"{key}:\n{_table(item, indent='  ', rules=rules)}")
            elif isinstance(item, list):
                lines.append(f"{key}: {', '.join(map(str, item))}")
            else:
                lines.append(f"{key}: {_cell(key, item, data, rules)}")
        return "\n".join(lines)
    return str(data)


def _short(value: Any) -> str:
    """A value of no known kind (ids, counts, ports...): as it is, floats cut to 8 decimals (JSON stays exact)."""
    if value is None:
        return ""
    text = str(value)
    whole, dot, frac = text.partition(".")
    if dot and len(frac) > 8 and whole.lstrip("-").isdigit() and frac.isdigit():
        return format(Decimal(text).quantize(Decimal("1e-8")).normalize(), "f")
    return text


def _increments(row: dict[str, Any], rules: dict[str, Any] | None) -> tuple[Any, Any]:
    """(tick, lot step) of the row's symbol (or of ASSET+USDT for a balance row); (None, None) if unknown."""
    symbol = row.get("symbol") or (f"{row['asset']}USDT" if row.get("asset") else None)
    found = (rules or {}).get(symbol) if symbol else None
    return (getattr(found, "tick_size", None), getattr(found, "step_size", None))


def _cell(column: str, value: Any, row: dict[str, Any], rules: dict[str, Any] | None) -> str:
    if value is None or value == "":
        return ""
    if column == "value" and "fmt" in row:  # a metric: its own template ("{:.1%}", "{:,.0f}" for counts)
        if str(row.get("key", "")).endswith("holding_h"):  # hours: "1 m 17 s" reads better than "0.0 h"
            return numfmt.duration(float(value) * 3600)
        try:
            return str(row["fmt"]).format(float(value))
        except (TypeError, ValueError):
            return _short(value)
    tick, step = _increments(row, rules)
    if column in ("free", "locked") and row.get("asset") in _QUOTES:  # held: rounded down, as a quantity
        return numfmt.qty(numfmt.to_decimal(value), Decimal("0.01"))
    if column in _QUOTE_COLUMNS:
        return numfmt.quote(numfmt.to_decimal(value))
    if column == "latency_ms":
        return f"{float(value):,.1f}"
    if column in _PRICE_COLUMNS:
        return numfmt.price(numfmt.to_decimal(value), tick)
    if column in _QTY_COLUMNS:
        return numfmt.qty(numfmt.to_decimal(value), step)
    return _short(value)


def _table(rows: list[dict[str, Any]], indent: str = "", rules: dict[str, Any] | None = None) -> str:
    columns = [c for c in _COLUMNS if any(r.get(c) not in (None, "") for r in rows)]
    cells = [[_cell(c, r.get(c), r, rules) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda values: indent + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(columns), *map(line, cells)])


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args_in
    args_in = [a for a in args_in if a != "--json"]
    # Errors reach the operator once, as the `error:` line; -v shows the warnings behind them.
    verbose = "-v" in args_in
    args_in = [a for a in args_in if a != "-v"]
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    from crbot.secrets.redact import install as redact_logs

    redact_logs()  # no key, secret, signature or token in any log line
    if args_in[:2] == ["sim", "serve"]:
        from crbot.localexchange.cli import main as serve_main

        return serve_main(args_in[2:])
    if args_in[:1] == ["api"]:  # the HTTP API and its tokens: crbot/api/cli.py
        from crbot.api.cli import main as api_main

        return api_main(args_in[1:], as_json=as_json)
    if args_in[:1] == ["dashboard"]:  # the dashboard's sign-in password: crbot/access/cli.py
        from crbot.access.cli import main as dashboard_main

        return dashboard_main(args_in[1:], as_json=as_json)
    if args_in[:1] in (["keys"], ["live"]):  # exchange keys and live confirmation: crbot/secrets/cli.py
        from crbot.secrets.cli import main as keys_main

        return keys_main(args_in, as_json=as_json)
    if args_in[:1] in (["monitor"], ["alert"]):  # the 24/7 monitor and alert targets: crbot/monitor/cli.py
        from crbot.monitor.cli import main as monitor_main

        return monitor_main(args_in, as_json=as_json)
    if args_in[:1] in (["golive"], ["backup"], ["audit"]):  # go-live checklist, backups, audit trail
        from crbot.audit_cli import main as audit_main
        from crbot.golive.commands import backup_main, golive_main

        routed = {"golive": golive_main, "backup": backup_main, "audit": audit_main}[args_in[0]]
        return routed(args_in[1:], as_json=as_json)
    if args_in[:1] == ["limits"]:  # risk limits: show, set NAME VALUE --reason (audited): crbot/limits_cli.py
        from crbot.limits_cli import main as limits_main

        return limits_main(args_in[1:], as_json=as_json)
    if args_in[:1] == ["db"]:  # the journal's schema (Alembic): crbot/journal/cli.py
        from crbot.journal.cli import main as db_main

        return db_main(args_in[1:], as_json=as_json)
    if args_in[:1] == ["sim"]:  # `serve` is the only sim command
        what = f"unknown sim command {args_in[1]!r}" if len(args_in) > 1 else "sim needs a command"
        print(f"error: {what}: use `python -m crbot sim serve`", file=sys.stderr)
        return EXIT_INVALID
    try:
        args = build_parser().parse_args(args_in)
        _check_args(args)  # what the options say together, before start-up touches the exchange or journal
        result = _dispatch(args)
    except _ParserExit as exc:  # --help was printed
        return exc.status
    except CrbotError as exc:
        _hint_for_cli(exc)
        error = {"ok": False, "error": type(exc).__name__, "message": str(exc)}
        report = getattr(exc, "report", None)  # STOP acted: what it did comes with the error
        if report is not None and not as_json:
            _emit(report, as_json)
        _emit(error if report is None or not as_json else {**report, **error}, as_json, err=True)
        return exc.exit_code
    empty = "no open orders" if args.command == "orders" and args.open else _EMPTY.get(args.command, "")
    rules = getattr(args, "rules", None)
    _emit(result, as_json, rules=rules() if rules is not None and result and not as_json else None, empty=empty)
    return EXIT_OK


def _hint_for_cli(exc: CrbotError) -> None:
    """A risk denial's "change it on the Risk page" becomes the `limits set` command that does it here."""
    limit = getattr(exc, "limit", "")
    if limit:
        from crbot.risk import for_cli

        exc.hint = for_cli(exc.hint, limit)


def _emit(value: Any, as_json: bool, *, err: bool = False, rules: Any = None, empty: str = "") -> None:
    stream = sys.stderr if err and not as_json else sys.stdout
    if as_json:
        print(json.dumps(to_jsonable(value), indent=2), file=stream)
    elif err:
        print(f"error: {_one_line(str(value['message']))}", file=stream)
    else:
        print(_human(value, rules, empty), file=stream)


def _acts_first(args: argparse.Namespace) -> bool:
    """STOP, cancel and resume act before anything else: they must work while the exchange is down or slow."""
    return args.command in ("stop", "resume") or (args.command == "order" and args.action == "cancel")


def _dispatch(args: argparse.Namespace) -> Any:
    from crbot.runtime import build_runtime

    halting = args.command == "stop" or (args.command == "order" and args.action == "cancel")
    rt = build_runtime(live_guard=not halting)  # no network: the exchange is first called below
    _warn_plain_text(rt.settings)
    svc, actor = rt.service, f"cli:{rt.settings.actor}"
    svc.heartbeat.kind = "cli"  # this process in process_heartbeats (written after the command acted)
    if not _acts_first(args) and args.command not in ("ping", "status", "price", "reconcile"):
        svc.start_up(actor=actor, full=False)  # key audit, STOP sweep, unanswered orders, unsent exits
    handlers: dict[str, Callable[[], Any]] = {
        "ping": lambda: {"ok": True, "broker": rt.broker.name, "latency_ms": round(rt.broker.ping(), 3)},
        "status": lambda: _status(rt),
        "price": lambda: {"symbol": args.symbol, "price": rt.broker.last_price(_known(rt.broker, args.symbol))},
        "balance": lambda: {"balances": svc.balances(), "equity_usdt": svc.equity()},
        "positions": lambda: [_position(p) for p in svc.positions()],
        "orders": lambda: svc.open_orders() if args.open else svc.orders(),
        "account": lambda: rt.broker.account(),
        "metrics": lambda: svc.metrics(),
        "reconcile": lambda: {**to_jsonable(report := svc.start_up(actor=actor)), "clean": report.clean},
        "stop": lambda: _stop(svc, args, actor),
        "resume": lambda: _resume(svc, args.confirm, actor),
        "order": lambda: _order(svc, args, actor),
    }
    result = handlers[args.command]()
    # only human output with something to show needs the rules (exchangeInfo, weight 20 live): fetched then
    args.rules = (lambda: _rules(rt)) if args.command in _FORMATTED else None
    svc.heartbeat.beat(f"cli {args.command}")
    if _acts_first(args):
        try:  # then catch up with the exchange (the journal's symbols only); the action itself has happened
            svc.sync(discover=False)
        except CrbotError as exc:
            logging.getLogger(__name__).warning("journal not synced after %s: %s", args.command, exc)
    return result


def _rules(rt: Any) -> dict[str, Any] | None:
    """Ticks and lot steps for human output (cached by the broker); without them numbers show as they are."""
    try:
        return rt.broker.rules()
    except CrbotError as exc:
        logging.getLogger(__name__).info("no symbol rules for the output: %s", exc)
        return None


def _warn_plain_text(settings: Any) -> None:
    from crbot.secrets.cli import plain_text_warning

    warning = plain_text_warning(settings)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def _check_args(args: argparse.Namespace) -> None:
    """Options that parse one by one but not together: refused before anything is journaled or sent."""
    if args.command == "order" and args.action == "create" and args.type == "MARKET" and args.price is not None:
        raise InvalidInput(
            "--price does not apply to a MARKET order (it fills at the market price)",
            hint="drop --price, or use --type LIMIT to buy or sell at that price",
        )


def _known(broker: Any, symbol: str) -> str:
    """A symbol the exchange lists (paper mode: the bundled or public rules); the price feed would invent one."""
    if symbol not in broker.rules():
        raise InvalidInput(f"unknown symbol {symbol}", hint="use a symbol the exchange lists, e.g. BTCUSDT")
    return symbol


def _stop(svc: Any, args: argparse.Namespace, actor: str) -> dict[str, Any]:
    if args.all_balances and not args.flatten:
        raise InvalidInput(
            "--all-balances only makes sense with --flatten", hint="add --flatten, or drop --all-balances"
        )
    report = svc.stop(reason=args.reason, actor=actor, flatten=args.flatten, all_balances=args.all_balances)
    result = {**to_jsonable(report), "ok": report.ok}
    if not report.ok:  # HALTED is latched; what is still open is listed and swept again by the next command
        raise StopIncomplete(result)
    return result


def _status(rt: Any) -> dict[str, Any]:
    state = rt.service.trading_state()
    return {
        "mode": rt.settings.mode,
        "broker": rt.broker.name,
        "price_source": rt.broker.price_source(),
        "trading_state": state.state,
        "since": state.since,
        "by": state.actor,
        "reason": state.reason,
        "home": str(rt.settings.home),
    }


def _position(p: Any) -> dict[str, Any]:
    return {**to_jsonable(p), "unrealized_pnl": to_jsonable(p.unrealized_pnl)}


def _resume(svc: Any, confirm: bool, actor: str) -> dict[str, Any]:
    if not confirm:
        raise InvalidInput("resume needs --confirm", hint="run `python -m crbot resume --confirm` to resume trading")
    svc.resume(confirmation="RESUME", actor=actor, reason="resumed from the CLI")
    return {"ok": True, "trading_state": svc.trading_state().state}


def _order(svc: Any, args: argparse.Namespace, actor: str) -> Any:
    # Cancel acts first: an order the journal holds on this symbol needs no exchangeInfo round trip.
    journaled = svc.journal.get_order(args.id) if args.action != "create" else None
    on_record = journaled is not None and journaled.symbol == args.symbol
    symbol = args.symbol if on_record else _known(svc.broker, args.symbol)
    if args.action == "create":
        request = OrderRequest(
            symbol=symbol,
            side=Side(args.side),
            type=OrderType(args.type),
            quantity=args.qty,
            quote_amount=args.quote,
            price=args.price,
            stop_loss=args.stop_loss,
            take_profit=args.take_profit,
        )
        result = svc.place(request, client_order_id=args.client_id, source="cli", actor=actor)
        return {"client_order_id": result.client_order_id, "message": result.message, "orders": result.orders}
    if args.action == "cancel":
        return svc.cancel(symbol, args.id, actor=actor)
    return journaled if journaled is not None else svc.broker.get_order(symbol, args.id)
