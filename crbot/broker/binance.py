"""BinanceBroker: the Broker interface over python-binance, for testnet, demo and live.

Orders: our own client order ids always, filters checked before sending, decimals as plain
strings. An order whose outcome is unknown (timeout / 5xx / garbled answer) is looked up by its
client order id: found -> that is the answer; "does not exist" -> resent once; anything else ->
``OutcomeUnknown`` for the journal to reconcile. Live mode refuses to place an order until the
key's permissions pass the audit (``binance_audit``); /sapi is never called in testnet or demo.

Construction touches no network; the clock is synced and exchangeInfo fetched on first use.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from crbot.binance.codec import (
    account_from_json,
    check_client_id,
    fill_from_json,
    fills_from_order_json,
    order_from_json,
    order_list_params,
    order_params,
    orders_from_json,
    weight_limit,
)
from crbot.binance.retry import RetryPolicy
from crbot.broker.base import ConnectionInfo
from crbot.broker.binance_audit import KeyAudit, audit_permissions
from crbot.broker.binance_history import walk
from crbot.broker.binance_status import connection_info
from crbot.broker.binance_transport import ClientFactory, endpoint_for, make_client
from crbot.clock import Clock, SystemClock
from crbot.config import Settings
from crbot.domain import (
    AccountInfo,
    Balance,
    Bar,
    Commissions,
    Fill,
    Mode,
    OrderListSpec,
    OrderSpec,
    OrderStatus,
    OrderView,
)
from crbot.errors import (
    ConfigError,
    CrbotError,
    ExchangeRejected,
    InvalidInput,
    KeyAuditFailed,
    OrderNotFound,
    OutcomeUnknown,
)
from crbot.exchange import filters
from crbot.exchange.rules import SymbolRules
from crbot.market.candles import bars_from_klines
from crbot.secrets.refresh import RefetchingTransport
from crbot.secrets.source import KeySource

logger = logging.getLogger(__name__)

R = TypeVar("R")
AVG_PRICE_TTL = timedelta(seconds=5)  # a 5-minute average: the service's fetch is reused by prevalidation
AUDIT_TTL = timedelta(hours=1)


class BinanceBroker:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        pool_size: int = 20,  # STOP cancels up to 20 symbols in one parallel wave
        client_factory: ClientFactory | None = None,
        prevalidate: bool = True,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = endpoint_for(settings, timeout_s=timeout_s)
        self.mode = settings.mode
        self.name = f"binance-{settings.mode.value}"
        self._clock = clock or SystemClock()
        # The keys are decrypted (or fetched from the secret store) here only, held by the clients only.
        self._keys = KeySource(settings)
        factory = client_factory or (lambda: make_client(self._keys.settings_with_keys(), self.endpoint))
        if client_factory is None and not self._keys.refetchable:
            factory()  # .env keys: fail now on missing / undecryptable keys, not on the first order
        self._t = RefetchingTransport(
            keys=self._keys,
            endpoint=self.endpoint,
            factory=factory,
            clock=self._clock,
            retry=retry or RetryPolicy(),
            sleep=sleep,
            rng=rng or random.Random(),
            pool_size=pool_size,
            wall=wall,
        )
        self._prevalidate = prevalidate
        self._lock = threading.Lock()
        self._rules: dict[str, SymbolRules] | None = None
        self._avg: dict[str, tuple[datetime, Decimal]] = {}
        self._commissions: Commissions | None = None
        self._audit: KeyAudit | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> BinanceBroker:
        return cls(settings, clock=clock)

    def __repr__(self) -> str:
        return f"BinanceBroker({self.endpoint.label})"

    # -- state for the Connection panel -------------------------------------------------------
    @property
    def used_weight(self) -> int | None:
        return self._t.limits.used_weight

    @property
    def weight_limit(self) -> int:
        return self._t.limits.weight_limit

    @property
    def banned_until(self) -> datetime | None:
        return self._t.limits.banned_until

    @property
    def clock_offset_ms(self) -> int | None:
        return self._t.clock_offset_ms

    @property
    def commissions(self) -> Commissions | None:
        """maker/taker from the last account query (None before the first)."""
        with self._lock:
            return self._commissions

    @property
    def last_key_audit(self) -> KeyAudit | None:
        with self._lock:
            return self._audit

    def sync_time(self) -> int:
        return self._t.sync_time()

    # -- market data and account ---------------------------------------------------------------
    def ping(self) -> float:
        started = time.perf_counter()
        self._t.call("ping", lambda c: c.ping(), idempotent=False, signed=False)  # a retried ping mismeasures
        return (time.perf_counter() - started) * 1000

    def price_source(self) -> str:
        return self.endpoint.label

    def rules(self) -> dict[str, SymbolRules]:
        with self._lock:
            if self._rules is not None:
                return self._rules
        info = self._t.call("the exchangeInfo query", lambda c: c.get_exchange_info(), idempotent=True, signed=False)
        rules = {raw["symbol"]: SymbolRules.from_exchange_info(raw) for raw in info.get("symbols", ())}
        self._t.limits.weight_limit = weight_limit(info) or self._t.limits.weight_limit
        with self._lock:
            self._rules = rules
        return rules

    def last_price(self, symbol: str) -> Decimal:
        raw = self._t.call(f"the {symbol} price query", lambda c: c.get_symbol_ticker(symbol=symbol), idempotent=True)
        return Decimal(raw["price"])

    def last_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        """One ticker request for every symbol (weight 4; 2 for a single one)."""
        wanted = sorted(set(symbols))
        if len(wanted) <= 1:
            return {s: self.last_price(s) for s in wanted}
        listed = json.dumps(wanted, separators=(",", ":"))
        raw = self._t.call("the price query", lambda c: c.get_symbol_ticker(symbols=listed), idempotent=True)
        return {row["symbol"]: Decimal(row["price"]) for row in raw}

    def klines(self, symbol: str, interval: str, limit: int) -> list[Bar]:
        """Candles for the ticket's chart (weight 2 up to 100 bars; the caller caches them)."""
        raw = self._t.call(
            f"the {symbol} candles query",
            lambda c: c.get_klines(symbol=symbol, interval=interval, limit=limit),
            idempotent=True,
            signed=False,
        )
        return bars_from_klines(raw)

    def book(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Best bid and ask (bookTicker, weight 2; the caller caches them)."""
        raw = self._t.call(
            f"the {symbol} bid/ask query",
            lambda c: c.get_orderbook_ticker(symbol=symbol),
            idempotent=True,
            signed=False,
        )
        return Decimal(raw["bidPrice"]), Decimal(raw["askPrice"])

    def avg_price(self, symbol: str) -> Decimal:
        now = self._clock.now()
        with self._lock:
            cached = self._avg.get(symbol)
        if cached and now - cached[0] < AVG_PRICE_TTL:
            return cached[1]
        raw = self._t.call(
            f"the {symbol} average price query", lambda c: c.get_avg_price(symbol=symbol), idempotent=True
        )
        price = Decimal(raw["price"])
        with self._lock:
            self._avg[symbol] = (now, price)
        return price

    def account(self) -> AccountInfo:
        """Non-zero balances by asset, commission rates (remembered for the Connection panel), rights."""
        raw = self._t.call("the account query", lambda c: c.get_account(), idempotent=True)
        info = account_from_json(raw, omit_zero=True)
        with self._lock:
            self._commissions = info.commissions
        return info

    def balances(self) -> list[Balance]:
        return list(self.account().balances)

    # -- orders --------------------------------------------------------------------------------
    def submit(self, spec: OrderSpec) -> OrderView:
        params = order_params(spec)
        self._before_placing(spec.symbol, (spec,))
        what = f"{spec.side} {spec.type} {spec.symbol} order {spec.client_order_id}"
        view = self._place(
            what,
            spec.client_order_id,
            send=lambda c: c.create_order(**params),
            parse=lambda raw: replace(  # a FULL answer carries the fills: no trade-history query afterwards
                order_from_json(raw, spec=spec, default_time=self._clock.now()),
                fills=tuple(fills_from_order_json(raw, spec=spec)),
            ),
            lookup=lambda: self.get_order(spec.symbol, spec.client_order_id),
        )
        logger.info("%s accepted: %s order id %d", what, view.status, view.order_id)
        return view

    def submit_list(self, spec: OrderListSpec) -> list[OrderView]:
        kind, params = order_list_params(spec)
        self._before_placing(spec.symbol, spec.orders)
        send = {
            "OCO": lambda c: c.create_oco_order(**params),
            "OTO": lambda c: c.v3_post_order_list_oto(**params),
            "OTOCO": lambda c: c.v3_post_order_list_otoco(**params),
        }[kind]
        first = spec.orders[0].client_order_id
        views = self._place(
            f"{kind} {spec.symbol} order list {spec.list_client_id}",
            first,
            send=send,
            parse=lambda raw: self._list_views(spec, raw),
            lookup=lambda: [self.get_order(spec.symbol, o.client_order_id) for o in spec.orders],
        )
        logger.info(
            "%s %s accepted: %s", kind, spec.list_client_id, ", ".join(f"{v.client_order_id}={v.status}" for v in views)
        )
        return views

    def _list_views(self, spec: OrderListSpec, raw: Any) -> list[OrderView]:
        by_id = {v.client_order_id: v for v in orders_from_json(raw, default_time=self._clock.now())}
        if all(o.client_order_id in by_id for o in spec.orders):
            return [by_id[o.client_order_id] for o in spec.orders]
        return [self.get_order(spec.symbol, o.client_order_id) for o in spec.orders]  # an ACK-only answer

    def _before_placing(self, symbol: str, specs: Sequence[OrderSpec]) -> None:
        for spec in specs:
            check_client_id(spec.client_order_id)
        if self.mode is Mode.LIVE:
            self._ensure_safe_key()
        if not self._prevalidate:
            return
        rules = self.rules().get(symbol)
        if rules is None:
            raise InvalidInput(
                f"{symbol} is not traded on {self.endpoint.label}", code=-1121, hint="pick a listed symbol"
            )
        avg = self.avg_price(symbol)
        for spec in specs:
            # MAX_NUM_ORDERS is left to the exchange (counting open orders would cost a call per order)
            filters.validate_order(rules, spec, avg_price=avg, open_orders=0, adds=len(specs))

    def _place(
        self, what: str, coid: str, *, send: Callable[[Any], Any], parse: Callable[[Any], R], lookup: Callable[[], R]
    ) -> R:
        try:
            return parse(self._t.call(what, send, idempotent=False, placing=coid))
        except OutcomeUnknown as unknown:
            return self._resolve(what, coid, unknown, send=send, parse=parse, lookup=lookup)

    def _resolve(
        self,
        what: str,
        coid: str,
        unknown: OutcomeUnknown,
        *,
        send: Callable[[Any], Any],
        parse: Callable[[Any], R],
        lookup: Callable[[], R],
    ) -> R:
        logger.warning("%s: outcome unknown; looking up client order id %s", what, coid)
        try:
            found = lookup()
        except OrderNotFound:
            logger.warning("%s never reached the exchange; resending it once", what)
        except CrbotError as exc:
            raise unknown from exc  # still unknown: the journal reconciles it later
        else:
            logger.info("%s found at the exchange: not resent", what)
            return found
        try:
            return parse(self._t.call(f"{what} (resent)", send, idempotent=False, placing=coid))
        except ExchangeRejected as exc:
            if exc.code == -2010 and "duplicate" in exc.message.lower():  # the first one landed after all
                return lookup()
            raise

    def cancel(self, symbol: str, client_order_id: str) -> OrderView:
        sent = 0

        def send(client: Any) -> Any:
            nonlocal sent
            sent += 1
            return client.cancel_order(symbol=symbol, origClientOrderId=client_order_id)

        try:
            raw = self._t.call(f"the cancel of {symbol} order {client_order_id}", send, idempotent=True)
        except OrderNotFound:
            if sent < 2:
                raise
            view = self.get_order(symbol, client_order_id)  # a retry: did the lost first attempt cancel it?
            if view.status is not OrderStatus.CANCELED:
                raise
            return view
        views = orders_from_json(raw, default_time=self._clock.now())
        view = next((v for v in views if v.client_order_id == client_order_id), None)
        view = view or self.get_order(symbol, client_order_id)
        logger.info("canceled %s %s: %s", symbol, client_order_id, view.status)
        return view

    def cancel_all(self, symbol: str) -> list[OrderView]:
        try:
            raw = self._t.call(
                f"the cancel of every {symbol} order",
                lambda c: c.cancel_all_open_orders(symbol=symbol),
                idempotent=True,
            )
        except OrderNotFound:  # -2011 "Unknown order sent.": nothing was open
            return []
        views = orders_from_json(raw, default_time=self._clock.now())
        logger.info("canceled %d open order(s) on %s", len(views), symbol)
        return views

    def get_order(self, symbol: str, client_order_id: str) -> OrderView:
        raw = self._t.call(
            f"the query of {symbol} order {client_order_id}",
            lambda c: c.get_order(symbol=symbol, origClientOrderId=client_order_id),
            idempotent=True,
        )
        return order_from_json(raw, default_time=self._clock.now())

    def open_orders(self, symbol: str | None = None) -> list[OrderView]:
        params = {"symbol": symbol} if symbol else {}
        raw = self._t.call(
            f"the open orders query{' for ' + symbol if symbol else ''}",
            lambda c: c.get_open_orders(**params),
            idempotent=True,
        )
        return orders_from_json(raw, default_time=self._clock.now())

    def all_orders(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> list[OrderView]:
        rows = walk(
            self._t, f"the {symbol} order history", lambda c, p: c.get_all_orders(symbol=symbol, **p),
            cursor="orderId", key="orderId", since=since, from_id=from_id,
        )  # fmt: skip
        now = self._clock.now()
        return sorted((order_from_json(r, default_time=now) for r in rows), key=lambda v: (v.time, v.order_id))

    def trades(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> list[Fill]:
        rows = walk(
            self._t, f"the {symbol} trade history", lambda c, p: c.get_my_trades(symbol=symbol, **p),
            cursor="fromId", key="id", since=since, from_id=from_id,
        )  # fmt: skip
        return sorted((fill_from_json(r) for r in rows), key=lambda f: (f.time, f.trade_id))

    # -- key audit and the Connection panel ----------------------------------------------------
    def audit_key(self) -> KeyAudit:
        """Live only: read the key's restrictions and apply the rule (never /sapi in testnet/demo)."""
        if self.mode is not Mode.LIVE:
            raise ConfigError(
                f"the key permission audit is for live mode only (this is {self.mode.value})",
                hint="testnet and demo keys cannot move real funds and Binance has no /sapi for them",
            )
        raw = self._t.call("the API key permission query", lambda c: c.get_account_api_permissions(), idempotent=True)
        audit = audit_permissions(raw, now=self._clock.now())
        with self._lock:
            self._audit = audit
        (logger.info if audit.ok else logger.error)("API key audit: %s", audit.summary)
        return audit

    def require_safe_key(self) -> KeyAudit | None:
        """Raise KeyAuditFailed unless the live key passes; a no-op (None) in testnet/demo."""
        if self.mode is not Mode.LIVE:
            return None
        audit = self.audit_key()
        if not audit.ok:
            raise KeyAuditFailed(
                "the live API key's permissions are unsafe: " + "; ".join(audit.problems),
                hint="change them on Binance, then restart CRBOT",
            )
        return audit

    def _ensure_safe_key(self) -> None:
        with self._lock:
            audit = self._audit
        if audit is None or not audit.ok or self._clock.now() - audit.checked_at > AUDIT_TTL:
            self.require_safe_key()

    def connection_info(self) -> ConnectionInfo:
        """Everything the Connection panel shows; failures are reported in ``error``, never raised."""
        return connection_info(self)
