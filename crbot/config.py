"""Settings from the environment (and ``.env``), validated once, frozen afterwards.

Every setting is documented in README.md with its default. Secrets are held as ``SecretStr`` so
they never show up in a repr, a log line or a Streamlit page.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import dotenv_values

from crbot.domain import Mode
from crbot.errors import ConfigError
from crbot.secrets.value import SecretStr

if TYPE_CHECKING:
    from crbot.secrets.settings import SecretsConfig

DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")
PRICE_FEEDS = ("auto", "binance", "synthetic")
# one journal per mode, so paper results never mix with real money (paper keeps the historic name)
JOURNAL_FILES = {
    Mode.PAPER: "journal.db",
    Mode.TESTNET: "journal-testnet.db",
    Mode.DEMO: "journal-demo.db",
    Mode.LIVE: "journal-live.db",
}
BROKERS = ("binance", "mt5")  # the venue of demo / live modes (paper mode is always CRBOT's own exchange)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    home: Path
    mode: Mode
    database_url: str
    price_feed: str
    paper_balances: Mapping[str, Decimal]
    fee_rate: Decimal
    slippage_bps: Decimal
    symbols: tuple[str, ...]
    synthetic_seed: int
    binance_base_url: str
    recv_window_ms: int
    api_key: SecretStr
    api_secret: SecretStr
    actor: str
    broker: str = "binance"
    mt5_login: int = 0
    mt5_password: SecretStr = field(default_factory=lambda: SecretStr(""))
    mt5_server: str = ""
    mt5_path: str = ""
    db_heartbeat_timeout_s: float = 3.0  # no journal round trip for this long: refuse new orders (statewatch)
    secrets: SecretsConfig = field(default_factory=lambda: _secrets_config(lambda _name: None, "paper"))

    @property
    def paper_db_url(self) -> str:
        """The paper exchange keeps its own book, apart from our journal (as a real one would). When the journal
        is on PostgreSQL the book's ``sim_*`` tables live in the same database, so every machine sharing that
        journal shares one paper account too."""
        if self.database_url.startswith(("postgresql:", "postgresql+", "postgres:")):
            return self.database_url
        return f"sqlite:///{self.home / 'paper_exchange.db'}"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Read settings: explicit ``env`` (tests) or ``.env`` overlaid by the process environment."""
        if env is None:
            merged = _read_dotenv(Path(".env")) if dotenv else {}
            merged.update(os.environ)
            env = merged
        get = env.get
        home = Path(get("CRBOT_HOME", "./data")).expanduser().resolve()
        mode = _choice("CRBOT_MODE", get("CRBOT_MODE", "paper").lower(), [m.value for m in Mode])
        feed = _choice("CRBOT_PRICE_FEED", get("CRBOT_PRICE_FEED", "auto").lower(), PRICE_FEEDS)
        symbols = tuple(
            s.strip().upper() for s in get("CRBOT_SYMBOLS", ",".join(DEFAULT_SYMBOLS)).split(",") if s.strip()
        )
        recv = _int("CRBOT_RECV_WINDOW_MS", get("CRBOT_RECV_WINDOW_MS", "5000"))
        if not 1 <= recv <= 60000:
            raise ConfigError(f"CRBOT_RECV_WINDOW_MS={recv} is out of range", hint="use 1..60000 (Binance's limit)")
        return cls(
            home=home,
            mode=Mode(mode),
            database_url=get("CRBOT_DATABASE_URL") or f"sqlite:///{home / JOURNAL_FILES[Mode(mode)]}",
            price_feed=feed,
            paper_balances=_balances(get("CRBOT_PAPER_BALANCES", "USDT=10000")),
            fee_rate=_decimal("CRBOT_FEE_RATE", get("CRBOT_FEE_RATE", "0.001"), upper=Decimal("0.1")),
            slippage_bps=_decimal("CRBOT_SLIPPAGE_BPS", get("CRBOT_SLIPPAGE_BPS", "5"), upper=Decimal(1000)),
            symbols=symbols or DEFAULT_SYMBOLS,
            synthetic_seed=_int("CRBOT_SYNTHETIC_SEED", get("CRBOT_SYNTHETIC_SEED", "42")),
            binance_base_url=get("CRBOT_BINANCE_BASE_URL", "").rstrip("/"),
            recv_window_ms=recv,
            api_key=SecretStr(get("BINANCE_API_KEY", "")),
            api_secret=SecretStr(get("BINANCE_API_SECRET", "")),
            actor=get("CRBOT_ACTOR") or _whoami(),
            broker=_choice("CRBOT_BROKER", get("CRBOT_BROKER", "binance").lower(), BROKERS),
            mt5_login=_int("MT5_LOGIN", get("MT5_LOGIN") or "0"),
            mt5_password=SecretStr(get("MT5_PASSWORD", "")),
            mt5_server=get("MT5_SERVER", ""),
            mt5_path=get("MT5_PATH", ""),
            db_heartbeat_timeout_s=float(
                _decimal("CRBOT_DB_HEARTBEAT_TIMEOUT_S", get("CRBOT_DB_HEARTBEAT_TIMEOUT_S", "3"), upper=Decimal(300))
            ),
            secrets=_secrets_config(get, mode),  # references only: keys are decrypted in the connector
        )


def _secrets_config(get: object, mode: str) -> SecretsConfig:
    from crbot.secrets.settings import SecretsConfig  # imported late: it builds on SecretStr above

    return SecretsConfig.from_env(get, mode)  # type: ignore[arg-type]


def _read_dotenv(path: Path) -> dict[str, str]:
    """``path``'s settings ({} when there is none); a ConfigError when it cannot be read as UTF-8 text."""
    try:
        return {k: v for k, v in dotenv_values(path, encoding="utf-8").items() if v is not None}
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.resolve()} is not a text file (byte {exc.start} is not UTF-8)",
            hint="fix it or move it aside: .env holds KEY=value lines (see README, Settings)",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path.resolve()}: {exc.strerror or exc}", hint="fix its permissions or move it aside"
        ) from None


def _whoami() -> str:
    try:
        return getpass.getuser()
    except OSError:
        return "operator"


def _choice(name: str, value: str, allowed: tuple[str, ...] | list[str]) -> str:
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not valid", hint=f"use one of: {', '.join(allowed)}")
    return value


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number", hint="fix it in .env or the environment") from None


def _decimal(name: str, value: str, *, upper: Decimal) -> Decimal:
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        raise ConfigError(f"{name}={value!r} is not a number", hint="fix it in .env or the environment") from None
    if not result.is_finite() or not Decimal(0) <= result <= upper:
        raise ConfigError(f"{name}={value} is out of range", hint=f"use a number between 0 and {upper}")
    return result


def _balances(value: str) -> dict[str, Decimal]:
    """``USDT=10000,BTC=0.5`` -> {"USDT": Decimal("10000"), "BTC": Decimal("0.5")}."""
    result: dict[str, Decimal] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        asset, sep, amount = item.partition("=")
        if not sep:
            raise ConfigError(
                f"CRBOT_PAPER_BALANCES item {item!r} has no '='", hint="write ASSET=AMOUNT, e.g. USDT=10000"
            )
        result[asset.strip().upper()] = _decimal("CRBOT_PAPER_BALANCES", amount, upper=Decimal("1e12"))
    return result
