"""Settings of the go-live checklist and of backups (environment / ``.env``; documented in README)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from crbot.config import Settings, _read_dotenv
from crbot.errors import ConfigError


def environment(env: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """``env`` (tests), else ``.env`` overlaid by the process environment, as ``Settings.load`` reads it."""
    if env is not None:
        return env
    merged = _read_dotenv(Path(".env"))
    merged.update(os.environ)
    return merged


def _number(env: Mapping[str, str], name: str, default: str, *, upper: Decimal) -> Decimal:
    text = env.get(name) or default
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ConfigError(f"{name}={text!r} is not a number", hint="fix it in .env or the environment") from None
    if not value.is_finite() or not Decimal(0) < value <= upper:
        raise ConfigError(f"{name}={text} is out of range", hint=f"use a number above 0, at most {upper}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class GoLiveSettings:
    drill_max_age: timedelta  # CRBOT_GOLIVE_DRILL_MAX_AGE_DAYS (30)
    paper_days: Decimal  # CRBOT_GOLIVE_PAPER_DAYS (30)
    paper_round_trips: int  # CRBOT_GOLIVE_PAPER_ROUND_TRIPS (10)
    heartbeat_max_age: timedelta  # CRBOT_GOLIVE_HEARTBEAT_MAX_AGE_S (300)
    backup_max_age: timedelta  # CRBOT_GOLIVE_BACKUP_MAX_AGE_HOURS (48)
    max_capital: Decimal  # CRBOT_GOLIVE_MAX_CAPITAL (10 USDT)
    override_for: timedelta  # CRBOT_GOLIVE_OVERRIDE_HOURS (24)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> GoLiveSettings:
        e = environment(env)
        return cls(
            drill_max_age=timedelta(
                days=float(_number(e, "CRBOT_GOLIVE_DRILL_MAX_AGE_DAYS", "30", upper=Decimal(3650)))
            ),
            paper_days=_number(e, "CRBOT_GOLIVE_PAPER_DAYS", "30", upper=Decimal(3650)),
            paper_round_trips=int(_number(e, "CRBOT_GOLIVE_PAPER_ROUND_TRIPS", "10", upper=Decimal(100000))),
            heartbeat_max_age=timedelta(
                seconds=float(_number(e, "CRBOT_GOLIVE_HEARTBEAT_MAX_AGE_S", "300", upper=Decimal(86400)))
            ),
            backup_max_age=timedelta(
                hours=float(_number(e, "CRBOT_GOLIVE_BACKUP_MAX_AGE_HOURS", "48", upper=Decimal(8760)))
            ),
            max_capital=_number(e, "CRBOT_GOLIVE_MAX_CAPITAL", "10", upper=Decimal("1e12")),
            override_for=timedelta(hours=float(_number(e, "CRBOT_GOLIVE_OVERRIDE_HOURS", "24", upper=Decimal(720)))),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupSettings:
    folder: Path  # CRBOT_BACKUP_DIR (CRBOT_HOME/backups)
    keep: int  # CRBOT_BACKUP_KEEP (7)
    every: timedelta  # CRBOT_BACKUP_EVERY_HOURS (24)
    s3_bucket: str  # CRBOT_BACKUP_S3_BUCKET ("" = no copy to S3)
    s3_prefix: str  # CRBOT_BACKUP_S3_PREFIX ("crbot-backups/")
    aws_endpoint_url: str  # CRBOT_AWS_ENDPOINT_URL ("" = AWS itself)

    @classmethod
    def load(cls, settings: Settings, env: Mapping[str, str] | None = None) -> BackupSettings:
        e = environment(env)
        folder = e.get("CRBOT_BACKUP_DIR") or str(settings.home / "backups")
        return cls(
            folder=Path(folder).expanduser().resolve(),
            keep=int(_number(e, "CRBOT_BACKUP_KEEP", "7", upper=Decimal(10000))),
            every=timedelta(hours=float(_number(e, "CRBOT_BACKUP_EVERY_HOURS", "24", upper=Decimal(8760)))),
            s3_bucket=(e.get("CRBOT_BACKUP_S3_BUCKET") or "").strip(),
            s3_prefix=(e.get("CRBOT_BACKUP_S3_PREFIX") or "crbot-backups/").strip(),
            aws_endpoint_url=(e.get("CRBOT_AWS_ENDPOINT_URL") or "").strip(),
        )
