"""Finding the official ``MetaTrader5`` package (Windows only) and what its account says about CRBOT's mode."""

from __future__ import annotations

import importlib
import platform
from types import ModuleType
from typing import Any

from crbot.domain import Mode
from crbot.errors import ConfigError


def load_package() -> ModuleType:
    """The official package, imported only when MT5 is chosen; elsewhere a one-line ConfigError saying why."""
    try:
        return importlib.import_module("MetaTrader5")
    except ImportError:
        system = platform.system() or "this system"
        where = "" if system == "Windows" else f" and exists only for Windows (this is {system})"
        raise ConfigError(
            f"CRBOT_BROKER=mt5: the MetaTrader5 package is not installed{where}; it talks to a running MetaTrader 5"
            " terminal on the same Windows machine",
            hint="run CRBOT on a Windows host with the terminal (pip install MetaTrader5; README, MetaTrader 5),"
            " or meanwhile use CRBOT's paper mode (CRBOT_BROKER=binance CRBOT_MODE=paper)",
        ) from None


def account_mode(mt5: Any, trade_mode: int) -> Mode:
    """ACCOUNT_TRADE_MODE_REAL is real money: live for every guard rail. DEMO and CONTEST are demo."""
    return Mode.LIVE if trade_mode == mt5.ACCOUNT_TRADE_MODE_REAL else Mode.DEMO
