"""``python -m crbot keys ...`` and ``python -m crbot live confirm``.

    keys set      the key, then the secret: hidden prompts on a terminal, two lines from stdin otherwise;
                  written encrypted (enc:...) to ./.env, every other line kept. Never as arguments.
    keys set-mt5  MT5_PASSWORD the same way (CRBOT_BROKER=mt5)
    keys show     where the keys come from, masked
    keys rotate   a new master key; every enc: value in .env re-encrypted; the old key removed
    keys check    decrypt / fetch, call the exchange's account endpoint, run the live key permission audit
    live confirm  type the sentence once before live mode starts (recorded in the live journal's audit trail)

Exit codes: 0 ok, 2 invalid input / setting, 3 live refused, 4 rejected by the exchange (incl. an unsafe
key), 5 exchange unreachable, 6 master key missing / wrong / unsafe, 7 damaged value, 8 secret missing,
9 secret store unreachable, 10 secret store refused the token / credentials.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from crbot.config import Settings
from crbot.errors import CrbotError, InvalidInput
from crbot.secrets import envfile, masterkey
from crbot.secrets.errors import MasterKeyError
from crbot.secrets.source import MT5_PASSWORD, NAMES, KeySource, plain_text_names

ENV_FILE = Path(".env")
USAGE = "use: python -m crbot keys set|set-mt5|show|rotate|check, or python -m crbot live confirm"
BACKUP = (
    "BACK IT UP NOW (a password manager or an offline copy, never the repository): "
    "without it the encrypted keys in .env cannot be read"
)


def plain_text_warning(settings: Settings) -> str | None:
    names = plain_text_names(settings)
    if not names:
        return None
    return (
        f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} stored in plain text: "
        "encrypt them with `python -m crbot keys set` (live mode refuses plain-text keys)"
    )


def main(argv: Sequence[str], *, as_json: bool = False) -> int:
    from crbot.secrets.redact import install

    install()
    commands: dict[tuple[str, ...], Callable[[], Any]] = {
        ("keys", "set"): _set,
        ("keys", "set-mt5"): _set_mt5,
        ("keys", "show"): _show,
        ("keys", "rotate"): _rotate,
        ("keys", "check"): _check,
        ("live", "confirm"): _confirm,
    }
    try:
        command = commands.get(tuple(argv))
        if command is None and tuple(argv[:2]) in commands:  # never echoed: they may be keys
            raise InvalidInput(
                f"`{' '.join(argv[:2])}` takes no arguments ({len(argv) - 2} given, not shown)",
                hint="keys are read from a hidden prompt or stdin, never from arguments (shell history keeps those)",
            )
        if command is None:
            known = {c for _, c in commands}
            what = argv[1] if len(argv) > 1 and argv[1] in known else "(not shown: it may be a key)"
            raise InvalidInput(f"unknown {argv[0] if argv else ''} command {what}", hint=USAGE)
        result = command()
    except CrbotError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}, indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(result, indent=2) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _key_beside_values() -> None:
    """A master key in the same .env as the values it protects protects nothing."""
    if envfile.read(ENV_FILE).get("CRBOT_MASTER_KEY"):
        _note(
            f"warning: CRBOT_MASTER_KEY is in {ENV_FILE.resolve()}, beside the values it encrypts: move it out "
            "(the key file, or the environment of the process)"
        )


def _read_two() -> tuple[str, str]:
    """The key, then the secret: an HMAC secret on one line, or an Ed25519 / RSA private key's PEM block (stdin)."""
    if sys.stdin.isatty():
        key, secret = getpass.getpass("Binance API key: "), getpass.getpass("Binance API secret: ")
    else:
        key, secret = sys.stdin.readline(), sys.stdin.readline()
        if secret.startswith("-----BEGIN"):  # a private key signs instead of the HMAC secret
            lines = [secret]
            while not lines[-1].startswith("-----END") and (line := sys.stdin.readline()):
                lines.append(line)
            secret = "".join(lines)
    values = (key.strip(), secret.strip())
    for name, value in zip(NAMES, values, strict=True):
        if not value:
            raise InvalidInput(
                f"{name} is empty; nothing was written", hint="give the key, then the secret (two lines)"
            )
        pem = value.startswith("-----BEGIN") and value.rstrip().endswith("-----")
        if len(value) > 4096 or (not pem and (len(value) > 512 or not value.isprintable() or " " in value)):
            raise InvalidInput(f"{name} does not look like a Binance key; nothing was written", hint="paste it again")
    return values


def _set() -> dict[str, Any]:
    settings = Settings.load()
    config = settings.secrets
    if config.store != "env":
        raise InvalidInput(
            f"the keys are read from {config.label}, not .env", hint="store them there, or unset the store"
        )
    key, secret = _read_two()  # before the master key: a typo costs nothing
    master, created = masterkey.load(config, create=True)
    if created:
        _note(f"Created a new master key at {config.master_key_file} (permissions 0600). {BACKUP}.")
    envfile.update(ENV_FILE, {NAMES[0]: master.encrypt(key), NAMES[1]: master.encrypt(secret)})
    _key_beside_values()
    for name in NAMES:
        if os.environ.get(name) and not masterkey.is_encrypted(os.environ[name]):
            _note(f"warning: {name} is also set in the environment, which overrides .env: unset it")
    _audit(settings, "keys_set", f"{' and '.join(NAMES)} encrypted in {ENV_FILE.resolve()} ({settings.mode.value})")
    return {
        "ok": True,
        "stored": f"{' and '.join(NAMES)} encrypted in {ENV_FILE.resolve()}",
        "master_key": master.source,
        "next": "python -m crbot keys check",
    }


def _audit(settings: Settings, action: str, detail: str, *, reason: str = "") -> None:
    """Key changes are security events: in the audit trail (the key ids, never a key)."""
    from crbot.clock import SystemClock
    from crbot.home import open_journal, prepare_home

    prepare_home(settings.home)
    journal = open_journal(settings, SystemClock())
    try:
        journal.audit(actor=f"cli:{settings.actor}", action=action, detail=detail, reason=reason)
    finally:
        journal.close()


def _set_mt5() -> dict[str, Any]:
    settings = Settings.load()
    tty = sys.stdin.isatty()
    password = (getpass.getpass("MT5 trading password: ") if tty else sys.stdin.readline()).strip()
    if not password or len(password) > 256 or not password.isprintable():
        raise InvalidInput("MT5_PASSWORD is empty or not a password; nothing was written", hint="type it again")
    master, created = masterkey.load(settings.secrets, create=True)
    if created:
        _note(f"Created a new master key at {settings.secrets.master_key_file} (permissions 0600). {BACKUP}.")
    envfile.update(ENV_FILE, {MT5_PASSWORD: master.encrypt(password)})
    _key_beside_values()
    return {"ok": True, "stored": f"{MT5_PASSWORD} encrypted in {ENV_FILE.resolve()}", "master_key": master.source}


def _masked(value: str, *, secret: bool) -> str:
    if secret or len(value) < 12:
        return f"{'*' * 8} ({len(value)} characters)"
    return f"{value[:4]}…{value[-4:]} ({len(value)} characters)"


def _show() -> dict[str, Any]:
    from crbot.secrets.source import with_mt5_password

    settings = Settings.load()
    _key_beside_values()
    creds = KeySource(settings).current() if settings.broker != "mt5" else None  # what is missing, first
    plain = plain_text_names(settings)
    if settings.secrets.store != "env":  # the Binance keys, or the MT5 password (its line below), from the store
        how = settings.secrets.mt5_label if settings.broker == "mt5" else settings.secrets.label
    elif plain:
        how = f"PLAIN TEXT: {', '.join(plain)} (encrypt: python -m crbot keys set / set-mt5)"
    else:
        how = f"encrypted in .env (master key: {masterkey.load(settings.secrets)[0].source})"
    shown: dict[str, Any] = {"mode": settings.mode.value, "broker": settings.broker, "source": how}
    if settings.broker == "mt5":
        opened = with_mt5_password(settings)  # from the store, or decrypted: what the connector will use
        password = opened.mt5_password.get()
        shown[MT5_PASSWORD] = _masked(password, secret=True) if password else "(not set)"
        shown["MT5_LOGIN"], shown["MT5_SERVER"] = opened.mt5_login or "(not set)", opened.mt5_server or "(not set)"
        return shown
    if creds is not None:
        shown[NAMES[0]] = _masked(creds.api_key, secret=False)
        shown[NAMES[1]] = _masked(creds.api_secret, secret=True)
    return shown


def _rotate() -> dict[str, Any]:
    settings = Settings.load()
    config = settings.secrets
    if config.master_key:
        raise MasterKeyError(
            "the master key comes from CRBOT_MASTER_KEY, which CRBOT cannot rewrite",
            hint="unset CRBOT_MASTER_KEY to use the key file, or replace the variable's key yourself",
        )
    old, _ = masterkey.load(config)
    values = {n: v for n, v in envfile.read(ENV_FILE).items() if masterkey.is_encrypted(v)}
    new = masterkey.MasterKey((masterkey.new_key(),), str(config.master_key_file))
    rotated = {n: old.reencrypt(v, name=n, new=new) for n, v in values.items()}  # every error before a write
    path = config.master_key_file
    # both keys while .env changes, so a crash between the two writes never strands a value
    masterkey.write_key_file(path, (*new.keys, *old.keys))
    if rotated:
        envfile.update(ENV_FILE, rotated)
    masterkey.write_key_file(path, new.keys)
    for name, value in rotated.items():  # the new file opens what was written
        masterkey.load(config)[0].decrypt(value, name=name)
    _note(f"New master key at {path}. {BACKUP}; destroy every backup of the old key.")
    ids = f"{', '.join(old.ids)} -> {new.ids[0]}"
    _audit(settings, "master_key_rotate", ids, reason=f"re-encrypted {len(rotated)} value(s)")
    return {
        "ok": True,
        "re_encrypted": ", ".join(rotated) or "nothing (no enc: value in .env)",
        "new_key_id": new.ids[0],
        "old_key_ids": ", ".join(old.ids),
        "old_key": f"removed from {path} (replaced atomically; no copy kept): it opens nothing CRBOT stores",
    }


def _check() -> dict[str, Any]:
    from crbot.broker.binance import BinanceBroker
    from crbot.domain import Mode

    settings = Settings.load()
    if settings.mode is Mode.PAPER:
        raise InvalidInput(
            "keys check talks to the exchange; paper mode uses no keys", hint="set CRBOT_MODE=testnet, demo or live"
        )
    if settings.broker == "mt5":
        return _check_mt5(settings)
    broker = BinanceBroker(settings)
    account = broker.account()
    result: dict[str, Any] = {
        "ok": True,
        "mode": settings.mode.value,
        "source": settings.secrets.label,
        "exchange": broker.endpoint.label,
        "can_trade": account.can_trade,
        "balances": len(account.balances),
    }
    if settings.mode is Mode.LIVE:
        audit = broker.require_safe_key()  # KeyAuditFailed (exit 4) lists every box to change
        result["key_audit"] = audit.summary if audit else ""
    else:
        result["key_audit"] = "live only (testnet and demo keys cannot move real funds)"
    warning = plain_text_warning(settings)
    if warning:
        _note(f"warning: {warning}")
    return result


def _check_mt5(settings: Settings) -> dict[str, Any]:
    """Log in to the terminal with the password from where it is kept (the password itself is never shown)."""
    from crbot.broker.mt5 import MT5Broker
    from crbot.clock import SystemClock
    from crbot.home import prepare_home
    from crbot.secrets.source import mt5_password_source, with_mt5_password

    opened = with_mt5_password(settings)
    prepare_home(settings.home)  # the adapter keeps its bracket legs there
    broker = MT5Broker.from_settings(opened, clock=SystemClock())
    try:
        account = broker.account()
    finally:
        broker.mt5.shutdown()  # this one-shot command's terminal session ends here
    warning = plain_text_warning(settings)
    if warning:
        _note(f"warning: {warning}")
    return {
        "ok": True,
        "mode": settings.mode.value,
        "broker": "mt5",
        "source": f"{MT5_PASSWORD}: {mt5_password_source(settings)}",
        MT5_PASSWORD: _masked(opened.mt5_password.get(), secret=True),
        "login": opened.mt5_login,
        "server": opened.mt5_server,
        "can_trade": account.can_trade,
        "balances": len(account.balances),
    }


def _confirm() -> dict[str, Any]:
    from crbot.clock import SystemClock
    from crbot.home import open_journal, prepare_home
    from crbot.secrets import live

    settings = Settings.load()
    live.check_keys(settings)
    if sys.stdin.isatty():
        typed = input(f"Live mode trades REAL MONEY. Type exactly: {live.SENTENCE}\n> ")
    else:
        typed = sys.stdin.readline()
    prepare_home(settings.home)
    journal = open_journal(settings, SystemClock())
    try:
        new = live.confirm(settings, journal, typed, actor=f"cli:{settings.actor}")
    finally:
        journal.close()
    return {
        "ok": True,
        "live": "confirmed and recorded in the audit trail" if new else "was already confirmed",
        "journal": settings.database_url,
    }
