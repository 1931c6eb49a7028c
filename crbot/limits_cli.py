"""``python -m crbot limits``: the risk limits from the command line, as the Risk page shows them.

    limits [show]                            each limit: key, label, value, unit (``--json`` too)
    limits set NAME VALUE --reason TEXT      change one limit; audited with the reason, like the Risk page

NAME is the key ``limits`` lists beside the label (e.g. ``daily_loss_limit``). A bad name or value changes
nothing and says which names / values are valid. Changing limits is allowed in every trading state, so a
HALTED account can tighten them before resuming. Exit codes: 0 ok, 2 invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from crbot.errors import CrbotError, InvalidInput
from crbot.jsonable import to_jsonable
from crbot.risk import RiskLimits, limit_fields

SHOW = "python -m crbot limits"
SET = "python -m crbot limits set NAME VALUE --reason TEXT"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise InvalidInput(message, hint=f"see `{SHOW} --help` or `python -m crbot limits set --help`")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="crbot limits", description="show the risk limits, or change one (audited with a reason)")
    sub = p.add_subparsers(dest="action", parser_class=_Parser, metavar="{show,set}")
    sub.add_parser("show", help="each limit: label, key, value, unit (the default)")
    names = ", ".join(f.key for f in limit_fields())
    change = sub.add_parser("set", help="change one limit", description=f"NAME is one of: {names}")
    change.add_argument("name", metavar="NAME", help=f"the limit's key: {names}")
    change.add_argument("value", metavar="VALUE", help="the new value, e.g. 150 (symbols: BTCUSDT,ETHUSDT)")
    change.add_argument("--reason", required=True, help="why (kept in the audit log)")
    return p


def rows(limits: RiskLimits) -> list[dict[str, str]]:
    """Each limit in the Risk page's order: key, label, value, unit."""
    values = limits.to_strings()
    return [{"key": f.key, "label": f.label, "value": values[f.key], "unit": f.unit} for f in limit_fields()]


def changed(limits: RiskLimits, name: str, value: str) -> RiskLimits:
    """``limits`` with ``name`` set to ``value``, validated; ``InvalidInput`` naming the valid names otherwise."""
    fields = {f.key: f for f in limit_fields()}
    key = name.strip()
    if key not in fields:
        raise InvalidInput(
            f"there is no risk limit called {name[:40]!r}",
            hint=f"use one of: {', '.join(fields)} (see `{SHOW}`)",
        )
    field = fields[key]
    try:
        return limits.with_changes(**{key: value.strip()})
    except InvalidInput as exc:
        unit = f" in {field.unit}" if field.unit else ""
        raise InvalidInput(exc.message, hint=f"{exc.hint}; {field.label} ({key}){unit}: {field.help}") from None


def main(argv: Sequence[str], *, as_json: bool = False) -> int:
    try:
        args = build_parser().parse_args(list(argv))
        result = _run(args)
    except SystemExit as exc:  # --help was printed
        return int(exc.code or 0)
    except CrbotError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}, indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if as_json:
        print(json.dumps(to_jsonable(result), indent=2))
    else:
        print(_human(result))
    return 0


def _run(args: argparse.Namespace) -> Any:
    from crbot.runtime import build_runtime

    if args.action == "set" and not args.reason.strip():
        raise InvalidInput("a reason is required to change a risk limit", hint="add --reason TEXT, for the audit log")
    # No order is sent: the live guard (keys, typed confirmation) is not needed to read or tighten limits.
    rt = build_runtime(live_guard=False)
    try:
        svc = rt.service
        current = svc.risk_limits()
        if args.action != "set":
            return rows(current)
        new = changed(current, args.name, args.value)  # before anything is written
        key = args.name.strip()
        before, after = current.to_strings()[key], new.to_strings()[key]
        if before != after:
            svc.save_risk_limits(new, actor=f"cli:{rt.settings.actor}", reason=args.reason.strip())
        label = next(f.label for f in limit_fields() if f.key == key)
        return {"ok": True, "key": key, "label": label, "before": before, "after": after, "changed": before != after}
    finally:
        rt.journal.close()


def _human(result: Any) -> str:
    if isinstance(result, list):
        width = max(len(r["label"]) for r in result)
        kw = max(len(r["key"]) for r in result)
        return (
            "\n".join(f"{r['label']:<{width}}  {r['key']:<{kw}}  {r['value']} {r['unit']}".rstrip() for r in result)
            + f"\n\nchange one with `{SET}`"
        )
    if not result["changed"]:
        return f"{result['label']} ({result['key']}) is already {result['after']}: nothing changed"
    return f"{result['label']} ({result['key']}): {result['before']} -> {result['after']} (saved, audited)"
