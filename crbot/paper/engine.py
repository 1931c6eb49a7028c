"""The paper exchange: a matching engine with Binance spot semantics over its own book (SQLite or PostgreSQL).

Every public call is ONE ``BEGIN IMMEDIATE`` transaction (plus an in-process lock) that first matches
everything the price path did since the last call (``advance``), then does its work on state read fresh
from the database. So several processes (dashboard, CLI, bots) can share one paper account, a resting
order fills even while nobody watched, and a refused request changes nothing (the transaction rolls back).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Table, and_, insert, select

from crbot.clock import Clock
from crbot.domain import (
    ZERO,
    Balance,
    Commissions,
    Fill,
    ListKind,
    ListStatusType,
    OrderListSpec,
    OrderListView,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    Side,
)
from crbot.errors import CrbotError, InsufficientBalance, InvalidInput, OrderNotFound, fmt
from crbot.exchange.rules import SymbolRules
from crbot.market.feed import PriceFeed
from crbot.paper import checks, store
from crbot.paper.book import Book
from crbot.paper.matching import Matcher
from crbot.paper.queries import Statements
from crbot.paper.rows import OrderRow, view_from_raw

logger = logging.getLogger(__name__)

MAX_LIMIT = 1000  # Binance's largest page for allOrders / myTrades
INSUFFICIENT = "Account has insufficient balance for requested action."


class MatchingEngine:
    """The paper account's exchange; errors carry Binance's codes in ``.code``."""

    def __init__(
        self,
        *,
        db_url: str,
        feed: PriceFeed,
        clock: Clock,
        rules: Mapping[str, SymbolRules],
        commissions: Commissions,
        slippage_bps: Decimal,
        starting_balances: Mapping[str, Decimal],
    ) -> None:
        self._db = store.open_database(db_url)
        self._feed = feed
        self._clock = clock
        self._rules = dict(rules)
        self._matcher = Matcher(rules=self._rules, commissions=commissions, slippage_bps=slippage_bps)
        self._lock = threading.RLock()
        self._statements = Statements(self._db.dialect.name)
        self._open_views: dict[tuple, OrderView] = {}  # the last open-orders listing, by its stored row
        self._initialise(starting_balances)

    def _initialise(self, starting_balances: Mapping[str, Decimal]) -> None:
        """Create the tables and fund the account once; a restart continues the same account."""
        with self._lock, self._db.begin() as conn:
            store.create_schema(conn)
            done = conn.execute(select(store.meta.c.value).where(store.meta.c.key == "initialised_at")).scalar()
            if done is not None:
                return
            now = self._clock.now()
            rows = [
                {"asset": a, "free": Decimal(v), "locked": Decimal(0)} for a, v in sorted(starting_balances.items())
            ]
            if rows:
                conn.execute(insert(store.balances), rows)
            conn.execute(insert(store.meta).values(key="initialised_at", value=now.isoformat()))
            logger.info("paper account opened with %s", {a: fmt(Decimal(v)) for a, v in starting_balances.items()})

    def close(self) -> None:
        self._db.dispose()

    @contextmanager
    def _txn(self) -> Iterator[Book]:
        with self._lock, self._db.begin() as conn:
            book = Book(conn, self._clock.now(), self._statements)
            self._advance(book)
            yield book
            book.flush()

    # ---- the price path -----------------------------------------------------------------------------
    def advance(self) -> None:
        """Match everything the price path did up to clock.now()."""
        with self._txn():
            pass

    def _advance(self, book: Book) -> None:
        now = book.now
        for symbol, start in sorted(book.active_cursors().items()):
            if start is not None and start >= now:
                continue  # another process (or a clock ahead of ours) already matched this far
            if start is None:  # cannot happen through this engine; never match the past blindly
                book.set_cursor(symbol, now)
                continue
            try:
                bars = self._feed.bars(symbol, start, now)
            except CrbotError as exc:  # no prices: match later; cancels and queries must still work
                logger.warning("paper exchange cannot match %s now (%s); will catch up later", symbol, exc)
                continue
            if bars:  # no bars: nothing happened, and (start, now] will be asked again with the next window
                self._matcher.run(book, symbol, bars, after=start)
                book.set_cursor(symbol, now)

    def _last(self, book: Book, symbol: str) -> Decimal:
        """The price at this call's instant (the one its matching ran up to)."""
        return self._feed.last(symbol, book.now)

    # ---- new orders ---------------------------------------------------------------------------------
    def new_order(self, spec: OrderSpec) -> OrderView:
        rules = checks.symbol_rules(self._rules, spec.symbol)
        checks.check_shape(spec, spec.symbol)
        with self._txn() as book:
            last = self._last(book, spec.symbol)
            open_ids = book.open_client_ids(spec.symbol)
            checks.check_filters(rules, [spec], avg_price=last, open_orders=len(open_ids))
            checks.check_duplicates(open_ids, [spec])
            checks.check_against_market(spec, last)
            market = spec.type is OrderType.MARKET
            price = self._matcher.market_price(spec.symbol, spec.side, last) if market else None
            cost = self._cost(spec, price)
            self._need(book, spec, cost)
            order = self._insert(book, spec, lock=ZERO if market else cost)
            self._start(book, order, last, market_price=price)
            book.set_cursor(spec.symbol, book.now)
            view = order.view()
            if not view.executed_qty:
                return view
            own = and_(store.trades.c.symbol == spec.symbol, store.trades.c.order_id == view.order_id)
            return replace(view, fills=tuple(book.query_trades(own, newest_first=False, limit=MAX_LIMIT)))

    def new_order_list(self, spec: OrderListSpec) -> list[OrderView]:
        """An OCO, OTO or OTOCO, all or nothing; views in the order of ``spec.orders``."""
        rules = checks.symbol_rules(self._rules, spec.symbol)
        kind = checks.list_kind(spec)
        for order_spec in spec.orders:
            checks.check_shape(order_spec, spec.symbol)
        if spec.working is not None and spec.working.type not in checks.WORKING_TYPES:
            raise InvalidInput(
                f"the working order of an {kind} must be LIMIT or LIMIT_MAKER, not {spec.working.type}",
                code=-1102,
                hint="use a LIMIT entry",
            )
        if any(o.type is OrderType.MARKET for o in spec.pending) and kind is not ListKind.OTO:
            raise InvalidInput("Order type not supported in OCO.", code=-1158, hint="OCO legs cannot be MARKET")
        with self._txn() as book:
            last = self._last(book, spec.symbol)
            open_ids = book.open_client_ids(spec.symbol)
            checks.check_filters(rules, spec.orders, avg_price=last, open_orders=len(open_ids))
            taken = book.open_list_exists(spec.symbol, spec.list_client_id)
            checks.check_duplicates(open_ids, spec.orders, list_client_id=spec.list_client_id, list_open=taken)
            if spec.working is None:
                checks.check_oco_pair(spec.pending, last, against="last price")
                lock = max(self._cost(leg, None) for leg in spec.pending)
                self._need(book, spec.pending[0], lock)
            else:
                entry = spec.working.price
                assert entry is not None
                checks.check_against_market(spec.working, last)
                if kind is ListKind.OTOCO:
                    checks.check_oco_pair(spec.pending, entry, against="entry price")
                else:
                    checks.check_against_market(spec.pending[0], entry, against="entry price")
                self._need(book, spec.working, self._cost(spec.working, None))
            row = book.insert_list(list_client_id=spec.list_client_id, symbol=spec.symbol, kind=kind)
            lid = row.order_list_id
            if spec.working is None:
                first, second = spec.pending  # the pair shares one lock, held by the first leg
                legs = [
                    self._insert(book, first, list_id=lid, role="pending", lock=lock),
                    self._insert(book, second, list_id=lid, role="pending"),
                ]
            else:
                cost = self._cost(spec.working, None)
                working = self._insert(book, spec.working, list_id=lid, role="working", lock=cost)
                pending = [
                    self._insert(book, leg, list_id=lid, role="pending", status=OrderStatus.PENDING_NEW)
                    for leg in spec.pending
                ]
                legs = [working, *pending]
                self._start(book, working, last, market_price=None)
            book.set_cursor(spec.symbol, book.now)
            logger.info("paper list %s %s %s placed", kind, spec.symbol, spec.list_client_id)
            return [leg.view() for leg in legs]

    def _cost(self, spec: OrderSpec, market_price: Decimal | None) -> Decimal:
        """What placing ``spec`` needs free: quote for a BUY (price x qty), base for a SELL (qty)."""
        if spec.side is Side.SELL:
            return spec.quantity
        price = market_price if spec.type is OrderType.MARKET else spec.price
        assert price is not None
        return price * spec.quantity

    def _need(self, book: Book, spec: OrderSpec, amount: Decimal) -> None:
        rules = self._rules[spec.symbol]
        asset = rules.quote_asset if spec.side is Side.BUY else rules.base_asset
        free = book.free(asset)
        if free < amount:
            raise InsufficientBalance(
                INSUFFICIENT,
                code=-2010,
                hint=f"{spec.side} {fmt(spec.quantity)} {spec.symbol} needs {fmt(amount)} {asset}, "
                f"{fmt(free)} is free; trade smaller or cancel orders that lock {asset}",
            )

    def _insert(
        self,
        book: Book,
        spec: OrderSpec,
        *,
        list_id: int = -1,
        role: str = "",
        status: OrderStatus = OrderStatus.NEW,
        lock: Decimal = ZERO,
    ) -> OrderRow:
        """Insert the order already holding ``lock`` (BUY: quote, SELL: base), taken from the free balance."""
        if lock:
            rules = self._rules[spec.symbol]
            book.adjust(rules.quote_asset if spec.side is Side.BUY else rules.base_asset, free=-lock, locked=lock)
        return book.insert_order(
            locked=lock,
            client_order_id=spec.client_order_id,
            symbol=spec.symbol,
            side=spec.side,
            type=spec.type,
            status=status,
            quantity=spec.quantity,
            price=spec.price,
            stop_price=spec.stop_price,
            order_list_id=list_id,
            role=role,
        )

    def _start(self, book: Book, order: OrderRow, last: Decimal, *, market_price: Decimal | None) -> None:
        """A new order meets the market: MARKET fills now; a crossing LIMIT takes; anything else rests."""
        now = book.now
        if order.type is OrderType.MARKET:
            assert market_price is not None
            self._matcher.fill(book, order, market_price, maker=False, at=now)
            return
        logger.info(
            "paper order %s %s %s %s %s", order.symbol, order.client_order_id, order.side, order.type, order.status
        )
        if order.type is OrderType.LIMIT:
            assert order.price is not None
            if order.side is Side.BUY and last <= order.price:
                self._matcher.fill(book, order, min(order.price, last), maker=False, at=now)
            elif order.side is Side.SELL and last >= order.price:
                self._matcher.fill(book, order, max(order.price, last), maker=False, at=now)

    # ---- cancels ------------------------------------------------------------------------------------
    def cancel(self, symbol: str, *, client_order_id: str | None = None, order_id: int | None = None) -> OrderView:
        """Cancel one open order; a leg of a list cancels the whole list. Unknown -> OrderNotFound(-2011)."""
        _need_id(order_id, client_order_id)
        checks.symbol_rules(self._rules, symbol)
        with self._txn() as book:
            order = book.find_order(symbol, order_id=order_id, client_order_id=client_order_id)
            if order is None or not order.status.is_open:
                raise OrderNotFound(
                    "Unknown order sent.",
                    code=-2011,
                    hint=f"no open order {client_order_id or order_id} on {symbol}: filled or canceled already?",
                )
            self._matcher.cancel(book, order)
            return order.view()

    def cancel_all(self, symbol: str) -> list[OrderView]:
        """Cancel every open order on ``symbol``, order lists included; [] when nothing was open."""
        checks.symbol_rules(self._rules, symbol)
        with self._txn() as book:
            open_now = book.open_orders(symbol)
            for order in open_now:
                if order.status.is_open:  # a list canceled by an earlier leg is already done
                    self._matcher.cancel(book, order)
            canceled = [o.view() for o in open_now if o.status is OrderStatus.CANCELED]
            logger.info("paper cancel_all %s: %d orders", symbol, len(canceled))
            return canceled

    def cancel_list(
        self, symbol: str, *, list_id: int | None = None, list_client_id: str | None = None
    ) -> list[OrderView]:
        checks.symbol_rules(self._rules, symbol)
        if list_id is None and list_client_id is None:
            raise InvalidInput(
                "Either orderListId or listClientOrderId must be provided.",
                code=-1102,
                hint="give the order list id or its client id",
            )
        with self._txn() as book:
            row = book.find_list(symbol, list_id=list_id, list_client_id=list_client_id)
            if row is None or row.status is ListStatusType.ALL_DONE:
                raise OrderNotFound(
                    "Unknown order sent.",
                    code=-2011,
                    hint=f"no open order list {list_client_id or list_id} on {symbol}: it may be done already",
                )
            return [leg.view() for leg in self._matcher.cancel_list(book, row)]

    # ---- queries ------------------------------------------------------------------------------------
    def get_order(self, symbol: str, *, client_order_id: str | None = None, order_id: int | None = None) -> OrderView:
        _need_id(order_id, client_order_id)
        checks.symbol_rules(self._rules, symbol)
        with self._txn() as book:
            order = book.find_order(symbol, order_id=order_id, client_order_id=client_order_id)
            if order is None:
                raise OrderNotFound(
                    "Order does not exist.",
                    code=-2013,
                    hint=f"the paper exchange never accepted {client_order_id or order_id} on {symbol}",
                )
            return order.view()

    def open_orders(self, symbol: str | None = None) -> list[OrderView]:
        if symbol is not None:
            checks.symbol_rules(self._rules, symbol)
        with self._txn() as book:
            # an unchanged stored row is the same view: convert only what changed since the last listing
            known, self._open_views = self._open_views, {}
            for raw in book.open_view_rows(symbol):
                self._open_views[raw] = known.get(raw) or view_from_raw(raw)
            return list(self._open_views.values())

    def all_orders(
        self,
        symbol: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        from_id: int | None = None,
        limit: int = 500,
    ) -> list[OrderView]:
        """Orders placed in [start, end], oldest first: the first ``limit`` from order id ``from_id`` on, else
        the newest ``limit`` (Binance allOrders: ``orderId`` pages forward through all history)."""
        checks.symbol_rules(self._rules, symbol)
        conds = _symbol_between(store.orders, symbol, start, end)
        if from_id is not None:
            conds.append(store.orders.c.order_id >= from_id)
        with self._txn() as book:
            found = book.query_orders(and_(*conds), newest_first=from_id is None, limit=_page(limit))
            return [o.view() for o in found]

    def trades(
        self,
        symbol: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        from_id: int | None = None,
        order_id: int | None = None,
        limit: int = 500,
    ) -> list[Fill]:
        """Our fills (of order ``order_id`` only, if given), oldest first: from ``from_id`` on, else the newest
        ``limit`` in [start, end]."""
        checks.symbol_rules(self._rules, symbol)
        conds = _symbol_between(store.trades, symbol, start, end)
        if from_id is not None:
            conds.append(store.trades.c.trade_id >= from_id)
        if order_id is not None:
            conds.append(store.trades.c.order_id == order_id)
        with self._txn() as book:
            return book.query_trades(and_(*conds), newest_first=from_id is None, limit=_page(limit))

    def order_lists(self, *, open_only: bool = False, symbol: str | None = None) -> list[OrderListView]:
        with self._txn() as book:
            rows = book.lists(open_only=open_only, symbol=symbol)
            legs = book.legs_of([r.order_list_id for r in rows])
            return [r.view(legs[r.order_list_id]) for r in rows]

    def balances(self) -> list[Balance]:
        with self._txn() as book:
            return book.balances()

    def ping(self) -> None:
        """A trivial round trip to the book (no matching): what the paper broker's ping() times."""
        with self._lock, self._db.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()


def _need_id(order_id: int | None, client_order_id: str | None) -> None:
    if order_id is None and client_order_id is None:
        raise InvalidInput(
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            code=-1102,
            hint="give the order id or the client order id",
        )


def _symbol_between(
    table: Table, symbol: str, start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    """Conditions for ``table`` rows of ``symbol`` whose time is in [start, end]; a None end is open."""
    c = table.c
    conds: list[ColumnElement[bool]] = [c.symbol == symbol]
    if start is not None:
        conds.append(c.time >= start)
    if end is not None:
        conds.append(c.time <= end)
    return conds


def _page(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range", code=-1100, hint=f"use 1..{MAX_LIMIT}")
    return limit
