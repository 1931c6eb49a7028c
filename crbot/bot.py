"""Trading from your own script through CRBOT: the dashboard's service, risk manager, journal and kill switch.

    from decimal import Decimal
    from crbot.bot import connect
    from crbot.domain import OrderRequest, OrderType, Side
    from crbot.errors import Denied

    with connect("dca") as bot:                 # settings from the environment / .env, exactly as the CLI
        while not bot.stopped:                  # True within a second of STOP pressed anywhere
            try:
                bot.place(OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET,
                                       quote_amount=Decimal("20")))
            except Denied as exc:               # a risk limit, TRADING_HALTED, DATABASE_UNREACHABLE
                print(exc)
            bot.sleep(60)                       # returns at once when trading is halted

There is no second order path: ``bot.place`` is ``TradingService.place`` with the bot's actor (``bot:<name>@<host>``,
named in the audit log) and source ``bot``; ``bot.service`` is that service for everything else (prices,
balances, cancels, ``stop``). The bot's process watches the trading state (``crbot.statewatch``): STOP pressed in
the dashboard, the CLI, the monitor or another bot reaches it within a second, and it refuses new orders by
itself when it cannot reach the journal for longer than ``CRBOT_DB_HEARTBEAT_TIMEOUT_S``. It also writes a
heartbeat to the journal (``process_heartbeats``, shown by the monitor) on every ``sleep``.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import OrderRequest, TradingState
from crbot.market.feed import PriceFeed
from crbot.risk import Denial
from crbot.runtime import Runtime, build_runtime
from crbot.service import PlaceResult, TradingService
from crbot.statewatch import StateWatch

logger = logging.getLogger(__name__)

SOURCE = "bot"  # the journal's order source for every order a bot places


@dataclass(slots=True)
class Bot:
    """One script's handle on CRBOT (build it with ``connect``). Thread-safe like the service it wraps."""

    name: str
    actor: str
    runtime: Runtime
    watch: StateWatch
    _beater: Any = field(default=None, repr=False)

    @property
    def service(self) -> TradingService:
        return self.runtime.service

    def place(self, req: OrderRequest, *, client_order_id: str | None = None) -> PlaceResult:
        """The one order path (normalise, risk, intent journaled, send); raises ``Denied`` when refused."""
        return self.service.place(req, client_order_id=client_order_id, source=SOURCE, actor=self.actor)

    def cancel_all(self, symbol: str) -> None:
        """Cancel this symbol's open orders (never blocked by the trading state)."""
        self.service.cancel_all(symbol, actor=self.actor)

    def denial(self) -> Denial | None:
        """Why an order would be refused right now before any journal read (HALTED as last heard, or the journal
        unreachable); None when the order path will decide (it re-reads the state itself)."""
        return self.watch.denial()

    @property
    def stopped(self) -> bool:
        """True once trading is HALTED or the journal is unreachable: the signal for a loop to end."""
        return self.denial() is not None

    @property
    def state(self) -> TradingState | None:
        record = self.watch.state
        return None if record is None else record.state

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``, waking at once when trading is halted or the journal becomes unreachable; beats the
        heartbeat first. True when it woke because the bot must stop."""
        self.heartbeat()
        return self.watch.wait_for(lambda w: w.denial() is not None, seconds)

    def heartbeat(self, detail: str = "") -> None:
        """Tell the monitor this bot is alive (at most one small write per 15 s; never raises)."""
        if self._beater is not None:
            self._beater.beat(detail or f"{self.name}: {self.state or 'state unknown'}")

    def close(self) -> None:
        """Stop watching, mark the heartbeat stopped and release the journal's connections."""
        self.watch.stop()
        if self._beater is not None:
            self._beater.stop()
        self.runtime.journal.close()

    def __enter__(self) -> Bot:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def connect(
    name: str = "bot",
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    feed: PriceFeed | None = None,
    start_up: bool = True,
) -> Bot:
    """Build this process's runtime with a state watch and return the bot's handle.

    ``start_up`` does what ``crbot order create`` does before its first order (finish an incomplete STOP, bring the
    journal up to date with the exchange); it needs the exchange. Raises ``ConfigError`` for bad settings."""
    settings = settings or Settings.load()
    rt = build_runtime(settings, clock=clock, feed=feed, watch_state=True)
    assert rt.watch is not None  # watch_state=True always starts one
    actor = f"bot:{name}@{socket.gethostname()}"
    bot = Bot(name=name, actor=actor, runtime=rt, watch=rt.watch, _beater=_beater(rt))
    try:
        if start_up:
            rt.service.start_up(actor=actor, full=False)
    except BaseException:
        bot.close()
        raise
    bot.heartbeat(f"{name}: started")
    logger.info("bot %s connected: %s mode, journal %s", actor, settings.mode.value, rt.journal.url)
    return bot


def _beater(rt: Runtime) -> Any:
    """The service's heartbeat writer (``process_heartbeats``), named as a bot's; None if this CRBOT has none."""
    beater = getattr(rt.service, "heartbeat", None)
    if beater is not None:
        beater.kind = "bot"
    return beater
