"""Wiring: settings -> clock, journal, broker, service. One ``Runtime`` per process (the dashboard caches it).

Building touches no network: ``service.start_up()`` is the step that needs the exchange.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from crbot.broker.base import Broker
from crbot.clock import Clock, SystemClock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.errors import CrbotError, Denied
from crbot.home import open_journal, prepare_home
from crbot.journal import Journal
from crbot.market.feed import PriceFeed
from crbot.secrets.redact import install as install_redaction
from crbot.service import TradingService
from crbot.statewatch import StateWatch

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    settings: Settings
    clock: Clock
    journal: Journal
    broker: Broker
    service: TradingService
    watch: StateWatch | None = None  # long-running processes: the trading state pushed, fail closed
    guard_per_order: bool = False  # live, dashboard: the guard is asked per order and by the frame, not at start

    def live_refusal(self) -> str | None:
        """Why live mode's guard refuses to trade now (orders are denied; STOP works), or None."""
        if not self.guard_per_order:
            return None
        try:
            _live_guard(self.settings, self.journal, close=False)
        except CrbotError as exc:
            return str(exc)
        return None


def build_runtime(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    feed: PriceFeed | None = None,
    watch_state: bool = False,
    live_guard: bool = True,
    live_refusal_denies_orders: bool = False,
) -> Runtime:
    """``watch_state``: start a ``StateWatch`` (a thread with its own database connection) so this process hears
    STOP within a second and refuses orders while the journal is unreachable; for processes that stay up
    (dashboard, API server, monitor, bots). A one-shot CLI command reads the state per order and needs none.
    ``live_guard=False`` only for STOP and cancels: halting never waits for live mode's guard rails.
    ``live_refusal_denies_orders``: when the guard refuses live mode, build anyway and deny every order with its
    reason (the dashboard: its frame and STOP must draw whatever state the account is in)."""
    settings = settings or Settings.load()
    clock = clock or SystemClock()
    prepare_home(settings.home)  # 0700, writable, or a clear error
    install_redaction()  # every log line of this process: no key, secret, signature or token
    journal = open_journal(settings, clock)  # HALTED at once if it replaces a lost journal
    per_order = live_guard and live_refusal_denies_orders and settings.mode is Mode.LIVE
    if live_guard and not per_order:
        _live_guard(settings, journal)  # live: encrypted keys (or a store) and the typed confirmation
    if settings.broker == "mt5":
        broker = _mt5_broker(settings, clock)
    elif settings.mode is Mode.PAPER:
        broker = _paper_broker(settings, clock, feed)
    else:
        broker = _binance_broker(settings, clock)
    service = TradingService(
        broker=broker,
        journal=journal,
        clock=clock,
        mode=settings.mode,
        fee_rate=settings.fee_rate,
        watched=settings.symbols,
    )
    if settings.mode is Mode.LIVE:  # live orders wait for the go-live checklist (crbot.golive)
        from crbot.golive.gate import LiveGate

        service.golive_gate = LiveGate(settings, clock, journal=journal, equity=service.equity)
        if per_order:
            service.golive_gate = _guarded(settings, journal, service.golive_gate)
    logger.info(
        "CRBOT %s mode, journal %s, prices: %s", settings.mode.value, settings.database_url, broker.price_source()
    )
    watch = None
    if watch_state:
        from crbot.statewatch import attach

        watch = attach(service, settings)
    return Runtime(
        settings=settings,
        clock=clock,
        journal=journal,
        broker=broker,
        service=service,
        watch=watch,
        guard_per_order=per_order,
    )


def _guarded(settings: Settings, journal: Journal, gate: Callable[[], None]) -> Callable[[], None]:
    """The go-live gate behind live mode's guard rails, asked per order (confirming in the CLI takes effect)."""

    def check() -> None:
        try:
            _live_guard(settings, journal, close=False)
        except CrbotError as exc:
            raise Denied("LIVE_REFUSED", exc.message, hint=exc.hint) from exc
        gate()

    return check


def _live_guard(settings: Settings, journal: Journal, *, close: bool = True) -> None:
    if settings.mode is not Mode.LIVE:
        return
    from crbot.secrets import live

    try:
        live.check(settings, journal)
    except BaseException:
        if close:  # refused at start: nothing else will use this journal
            journal.close()
        raise


def _paper_broker(settings: Settings, clock: Clock, feed: PriceFeed | None) -> Broker:
    """Paper mode never loads API keys: an in-process exchange on its own SQLite file."""
    from crbot.binance.public import PublicClient
    from crbot.broker.paper import PaperBroker
    from crbot.exchange.public import load_rules
    from crbot.market.select import make_feed
    from crbot.paper.factory import paper_market_for

    public = PublicClient()  # one rate-limit / ban state for the feed and the rules: a 418 keeps both away
    feed = feed or make_feed(settings, client=public)
    # Binance's public exchangeInfo when reachable, else the bundled snapshot (never with a synthetic feed:
    # that choice means "offline", so nothing is fetched).
    rules, rules_label = load_rules("bundled" if settings.price_feed == "synthetic" else "auto", client=public)
    logger.info("paper exchange rules: %s", rules_label)
    market = paper_market_for(settings, db_url=settings.paper_db_url, feed=feed, clock=clock, rules=rules)
    return PaperBroker(market.engine, feed=feed, clock=clock, rules=rules, commissions=market.commissions)


def _binance_broker(settings: Settings, clock: Clock) -> Broker:
    from crbot.broker.binance import BinanceBroker

    # No network here: STOP must work with the exchange down. The live key audit runs in service.start_up()
    # (and again before every live order), so live still refuses to trade on a key that may withdraw.
    return BinanceBroker.from_settings(settings, clock=clock)


def _mt5_broker(settings: Settings, clock: Clock) -> Broker:
    from crbot.broker.mt5 import MT5Broker
    from crbot.secrets.source import with_mt5_password

    # Imports the package (a clear ConfigError off Windows) but calls no terminal: it connects on first use.
    # The password is opened at the first terminal call (enc: MT5_PASSWORD decrypted, or read from AWS / Vault:
    # exit 8 / 9 / 10 then), so STOP starts and latches HALTED without the store or the master key.
    return MT5Broker.from_settings(settings, clock=clock, open_account=with_mt5_password)
