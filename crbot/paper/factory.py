"""One way to set up a paper exchange: the MatchingEngine together with the feed, clock, rules and fees it
reads, so what is built on it (PaperBroker; crbot.localexchange's LocalExchange.over) is given the very
same ones.

    with paper_market(db_url, feed=feed, clock=clock, rules=rules, commissions=fees,
                      starting_balances={"USDT": Decimal("10000")}) as market:
        broker = PaperBroker(market.engine, ...)

``paper_market_for`` takes the fee rate, slippage and starting balances from the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import ZERO, Commissions
from crbot.errors import ConfigError
from crbot.exchange.rules import SymbolRules
from crbot.market.feed import PriceFeed
from crbot.paper.engine import MatchingEngine


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperMarket:
    """A paper MatchingEngine and what it reads. Closing it (or leaving its ``with``) closes the engine."""

    engine: MatchingEngine
    feed: PriceFeed
    clock: Clock
    rules: Mapping[str, SymbolRules]
    commissions: Commissions

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> PaperMarket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def paper_market(
    db_url: str,
    *,
    feed: PriceFeed,
    clock: Clock,
    rules: Mapping[str, SymbolRules],
    commissions: Commissions,
    starting_balances: Mapping[str, Decimal],
    slippage_bps: Decimal = ZERO,
) -> PaperMarket:
    """A paper engine on ``db_url`` (an existing book continues; a new one is funded with ``starting_balances``).

    A book SQLite cannot read is a ConfigError that says what to do, not a traceback.
    """
    try:
        engine = MatchingEngine(
            db_url=db_url,
            feed=feed,
            clock=clock,
            rules=rules,
            commissions=commissions,
            slippage_bps=slippage_bps,
            starting_balances=starting_balances,
        )
    except OperationalError as exc:  # locked past the busy timeout, no permission, ...
        raise ConfigError(
            f"cannot open the paper exchange's book {_where(db_url)}: {exc.orig}",
            hint="check that its folder is writable and that no other program locks the file",
        ) from exc
    except DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        raise ConfigError(
            f"the paper exchange's book {_where(db_url)} is unreadable ({exc.orig}): it is damaged",
            hint="restore it from a backup; or move it aside to open a new paper account"
            " (funded with CRBOT_PAPER_BALANCES)",
        ) from exc
    return PaperMarket(engine=engine, feed=feed, clock=clock, rules=rules, commissions=commissions)


def _where(db_url: str) -> str:
    return make_url(db_url).database or db_url


def paper_market_for(
    settings: Settings, *, db_url: str, feed: PriceFeed, clock: Clock, rules: Mapping[str, SymbolRules]
) -> PaperMarket:
    """The paper engine the settings describe: their fee rate (maker and taker), slippage and starting balances."""
    return paper_market(
        db_url,
        feed=feed,
        clock=clock,
        rules=rules,
        commissions=Commissions(maker=settings.fee_rate, taker=settings.fee_rate),
        slippage_bps=settings.slippage_bps,
        starting_balances=settings.paper_balances,
    )
