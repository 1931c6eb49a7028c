"""The account as pages, previews and risk checks read it: one snapshot, refreshed on a cadence and after every
action, so typing on the ticket or redrawing a page costs no exchange request.

A snapshot is the account's balances valued at the last prices of the held and watched symbols (two requests:
the account, and one ticker call for every symbol). Open orders come from the journal, which sync keeps
current. ``place`` does not trust a snapshot for its own symbol: it re-reads that symbol's open orders and
price right before sending.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from crbot.broker.base import Broker
from crbot.clock import Clock
from crbot.domain import QUOTE_ASSET, Position
from crbot.errors import CrbotError
from crbot.journal import Journal
from crbot.portfolio import BalanceRow, average_entries, equity, positions, symbol_for, value_balances

logger = logging.getLogger(__name__)

SNAPSHOT_MAX_AGE = timedelta(seconds=30)  # account (20) + tickers (4) twice a minute: 48 of 6,000 weight
# The order path accepts a snapshot this young even right after an action: a bot placing orders in a loop must
# not spend the request weight STOP needs (24 per snapshot: at most ~290 a minute however fast it trades).
ORDER_PATH_MAX_AGE = timedelta(seconds=5)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSnapshot:
    taken_at: datetime
    balances: tuple[BalanceRow, ...]
    prices: dict[str, Decimal]  # last price by symbol: held and watched symbols (a missing one is left out)

    @property
    def equity(self) -> Decimal | None:
        return equity(self.balances)

    def age(self, now: datetime) -> timedelta:
        return now - self.taken_at


class Account:
    """The read model: one snapshot per process, shared by every dashboard session (thread-safe)."""

    def __init__(
        self, *, broker: Callable[[], Broker], journal: Journal, clock: Clock, watched: tuple[str, ...] = ()
    ) -> None:
        self._broker = broker  # a getter: the service may swap its broker (tests wrap it)
        self.journal = journal
        self.clock = clock
        self.watched = watched
        self._lock = threading.Lock()
        self._snapshot: AccountSnapshot | None = None
        self._stale = False
        # Average entries by journal data version: every page refresh asks, a FIFO pass runs once per new fill.
        self._entries: tuple[tuple[int, int], dict[str, Decimal]] | None = None

    def snapshot(self, max_age: timedelta = SNAPSHOT_MAX_AGE, *, for_order: bool = False) -> AccountSnapshot:
        """The current snapshot, taken anew when older than ``max_age`` or after an action (pages show what an
        action did at once). ``for_order``: the order path keeps one younger than ORDER_PATH_MAX_AGE even after
        an action (the exchange refuses what the balance cannot cover; the risk limits see it 5 s later)."""
        with self._lock:
            current, stale = self._snapshot, self._stale
        if current is not None:
            age = current.age(self.clock.now())
            if (for_order and age < ORDER_PATH_MAX_AGE) or (not stale and age < max_age):
                return current
        return self.refresh()

    def refresh(self) -> AccountSnapshot:
        broker = self._broker()
        raw = broker.balances()
        listed = broker.rules()
        held = {symbol_for(b.asset) for b in raw if b.total and b.asset != QUOTE_ASSET}
        wanted = (held | set(self.watched)) & set(listed)
        prices = self.prices(wanted)
        snapshot = AccountSnapshot(
            taken_at=self.clock.now(), balances=tuple(value_balances(raw, prices)), prices=prices
        )
        with self._lock:
            self._snapshot, self._stale = snapshot, False
        return snapshot

    def prices(self, symbols: set[str]) -> dict[str, Decimal]:
        """Last prices of these symbols in one request (a missing price is left out, never zero)."""
        if not symbols:
            return {}
        try:
            return dict(self._broker().last_prices(symbols))
        except CrbotError as exc:
            logger.warning("no prices for %s: %s", ", ".join(sorted(symbols)), exc)
            return {}

    def invalidate(self) -> None:
        """An action changed the account: the next page read takes a new snapshot."""
        with self._lock:
            self._stale = True

    def positions(self) -> list[Position]:
        snap = self.snapshot()
        prices = {symbol_for(r.asset): r.price for r in snap.balances if r.price is not None}
        held = {symbol_for(r.asset) for r in snap.balances if r.asset != QUOTE_ASSET}
        return positions(list(snap.balances), self.average_entries() if held else {}, prices)

    def average_entries(self) -> dict[str, Decimal]:
        """``portfolio.average_entries`` of the journal's fills, recomputed only when a fill was journaled."""
        version = self.journal.data_version()
        cached = self._entries
        if cached is not None and cached[0] == version:
            return cached[1]
        entries = average_entries(self.journal.fills_frame())
        self._entries = (version, entries)  # one tuple assignment: readers see the old pair or the new one
        return entries
