"""The ``Broker`` interface over MetaTrader 5 (the official ``MetaTrader5`` package, Windows only, talking to a
running terminal over IPC).

CRBOT trades an MT5 account as if it were spot, so the risk manager, journal and pages need no change:
long only (a SELL never exceeds the position), paid in full (a BUY never costs more than the free cash, so
leverage is never used), one netting position per symbol shown as a balance of its base currency, the cash
as ``account_info().balance`` minus the positions' cost. Our client order id is the order's ``comment``
(mt5_wire.comment_for) and every order carries ``MAGIC``, so an unknown outcome is looked up, never resent;
``order_check`` runs before every ``order_send``. Brackets ride on one order or on the position as ``sl`` /
``tp`` (mt5_brackets.py). A real account (``trade_mode`` REAL) is only ever traded with CRBOT_MODE=live, a
demo or contest account only with CRBOT_MODE=demo: the live guard rails key on the mode.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crbot.broker import mt5_wire as w
from crbot.broker.base import ConnectionInfo
from crbot.broker.mt5_brackets import Brackets
from crbot.broker.mt5_errors import UNKNOWN_IF_SENT, from_last_error, from_retcode, is_success
from crbot.broker.mt5_lists import LegBook
from crbot.broker.mt5_package import account_mode, load_package
from crbot.clock import Clock
from crbot.domain import (
    ZERO,
    AccountInfo,
    Balance,
    Commissions,
    Fill,
    Mode,
    OrderListSpec,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    Side,
)
from crbot.errors import (
    ConfigError,
    CrbotError,
    ExchangeRejected,
    InsufficientBalance,
    OrderNotFound,
)
from crbot.exchange.rules import SymbolRules

if TYPE_CHECKING:
    from crbot.config import Settings

logger = logging.getLogger(__name__)

HISTORY_START = datetime(2001, 1, 1, tzinfo=UTC)  # "the whole history": MT5 needs a range
SERVER_SLACK = timedelta(days=2)  # server clocks run in the broker's zone, hours ahead of UTC


class MT5Broker:
    name = "mt5"

    def __init__(
        self,
        mt5: Any,
        *,
        login: int,
        password: str,
        server: str,
        mode: Mode,
        clock: Clock,
        symbols: Sequence[str],
        commissions: Commissions,
        legs: LegBook,
        path: str | None = None,
        open_account: Callable[[], tuple[int, str, str]] | None = None,
    ) -> None:
        self.mt5, self.mode, self._clock = mt5, mode, clock
        self._login, self._password, self._server, self._path = login, password, server, path
        # (login, password, server) opened at the first terminal call (a secret store, the master key): STOP
        # starts, and latches HALTED, even when they cannot be opened
        self._open_account = open_account
        self._symbols, self._commissions = tuple(symbols), commissions
        self._lock = threading.RLock()  # one IPC channel to the terminal: the package is not thread-safe
        self._ready = False
        self._currency = ""
        self.brackets = Brackets(self, legs, clock)

    def __repr__(self) -> str:  # never the password
        return f"MT5Broker(login={self._login}, server={self._server!r}, mode={self.mode.value})"

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock, open_account: Callable[[Settings], Settings] | None = None
    ) -> MT5Broker:
        """No terminal call here (STOP must start without it): the package is imported, the mode checked.
        ``open_account(settings)``: the settings with the password in the clear, asked at the first call."""
        mt5 = load_package()
        if settings.mode not in (Mode.DEMO, Mode.LIVE):
            raise ConfigError(
                f"CRBOT_BROKER=mt5 with CRBOT_MODE={settings.mode.value}",
                hint="use CRBOT_MODE=demo for an MT5 demo account, CRBOT_MODE=live for a real one",
            )
        if open_account is None:
            _require_account(settings)
        return cls(
            mt5,
            login=settings.mt5_login,
            password=settings.mt5_password.get(),
            server=settings.mt5_server,
            path=settings.mt5_path or None,
            mode=settings.mode,
            clock=clock,
            symbols=settings.symbols,
            commissions=Commissions(maker=settings.fee_rate, taker=settings.fee_rate),
            legs=LegBook(settings.home / "mt5_lists.db"),
            open_account=None if open_account is None else lambda: _account(open_account(settings)),
        )

    # -- the session -------------------------------------------------------------------------------------------
    def call(self, fn: str, *args: Any, **kwargs: Any) -> Any:
        """One package call, connected first, under the lock; None / False -> the translated last_error."""
        with self._lock:
            self._connect()
            result = getattr(self.mt5, fn)(*args, **kwargs)
            if result is None or result is False:
                raise from_last_error(self.mt5.last_error(), f"MetaTrader 5 {fn}")
            return result

    def _connect(self) -> None:
        if self._ready:
            return
        if self._open_account is not None:
            self._login, self._password, self._server = self._open_account()
            self._open_account = None
        kwargs: dict[str, Any] = {"login": self._login, "password": self._password, "server": self._server}
        ok = self.mt5.initialize(self._path, **kwargs) if self._path else self.mt5.initialize(**kwargs)
        if not ok:
            raise from_last_error(self.mt5.last_error(), "MetaTrader 5 initialize/login")
        info = self.mt5.account_info()
        if info is None:
            raise from_last_error(self.mt5.last_error(), "MetaTrader 5 account_info")
        actual = account_mode(self.mt5, info.trade_mode)
        if actual is not self.mode:
            self.mt5.shutdown()
            kind = "a REAL-money" if actual is Mode.LIVE else "a demo"
            raise ConfigError(
                f"MT5 account {info.login} on {info.server} is {kind} account but CRBOT_MODE={self.mode.value}",
                hint=f"set CRBOT_MODE={actual.value} (live needs the go-live checklist) or log in to another account",
            )
        if info.margin_mode == self.mt5.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING:
            logger.warning("MT5 account %s is a hedging account: CRBOT models netting (one position per symbol)",
                           info.login)  # fmt: skip
        self._currency, self._ready = info.currency, True
        logger.info("MT5 connected: login %s on %s, %s account", info.login, info.server, actual.value)

    def history_range(self) -> tuple[datetime, datetime]:
        return HISTORY_START, self._clock.now() + SERVER_SLACK

    # -- Broker: status ------------------------------------------------------------------------------------------
    def require_safe_key(self) -> None:
        """MT5 has no API-key permissions to audit; the account and mode were checked on connecting."""
        if self.mode is Mode.LIVE:
            self.call("account_info")
        return None

    def ping(self) -> float:
        started = time.perf_counter()
        info = self.call("terminal_info")
        rtt = (time.perf_counter() - started) * 1000
        return info.ping_last / 1000 if getattr(info, "ping_last", 0) else rtt  # terminal <-> server, in µs

    def price_source(self) -> str:
        return f"MetaTrader 5 quotes from {self._server} (the broker's prices)"

    def connection_info(self) -> ConnectionInfo:
        endpoint = f"MetaTrader 5 terminal, login {self._login} on {self._server}"
        fees = self._commissions
        try:
            ping_ms: float | None = self.ping()
        except CrbotError as exc:
            return ConnectionInfo(
                mode=self.mode, endpoint=endpoint, ping_ms=None, maker=None, taker=None, error=str(exc)
            )
        return ConnectionInfo(mode=self.mode, endpoint=endpoint, ping_ms=ping_ms, maker=fees.maker, taker=fees.taker)

    # -- Broker: market data -------------------------------------------------------------------------------------
    def symbol(self, symbol: str) -> Any:
        return self.call("symbol_info", symbol)

    def digits(self, symbol: str) -> tuple[int, int]:
        info = self.symbol(symbol)
        return info.digits, w.volume_digits(info.volume_step)

    def rules(self) -> dict[str, SymbolRules]:
        """CRBOT_SYMBOLS' specifications in exchangeInfo form; a symbol whose lot is not one unit is left out."""
        found = {}
        for name in self._symbols:
            try:
                info = self.symbol(name)
            except CrbotError as exc:
                logger.warning("MT5 symbol %s: %s", name, exc)
                continue
            if w.dec(info.trade_contract_size) != 1:
                logger.warning("MT5 symbol %s left out: 1 lot = %s units", name, info.trade_contract_size)
                continue
            found[name] = w.symbol_rules(self.mt5, info)
        return found

    def last_price(self, symbol: str) -> Decimal:
        tick = self.call("symbol_info_tick", symbol)
        return w.dec(tick.last or tick.bid, self.symbol(symbol).digits)

    def last_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        found = {}
        for symbol in symbols:
            try:
                found[symbol] = self.last_price(symbol)
            except CrbotError as exc:
                logger.warning("no MT5 price for %s: %s", symbol, exc)
        return found

    def avg_price(self, symbol: str) -> Decimal:
        """MT5 has no average-price filter: the last price."""
        return self.last_price(symbol)

    # -- Broker: account -----------------------------------------------------------------------------------------
    def account(self) -> AccountInfo:
        info = self.call("account_info")
        return AccountInfo(
            balances=tuple(self.balances()),
            commissions=self._commissions,
            can_trade=bool(info.trade_allowed and info.trade_expert),
            permissions=("MT5",),
        )

    def balances(self) -> list[Balance]:
        """The spot view: cash = balance - the long positions' cost, locked by pending buys; each long position
        a base-currency balance, locked by pending sells and its stop-loss / take-profit legs."""
        info = self.call("account_info")
        cash, cash_locked, held = w.dec(info.balance), ZERO, {}
        positions = {p.symbol: p for p in self.call("positions_get") if p.type == self.mt5.POSITION_TYPE_BUY}
        for p in positions.values():
            cash -= w.dec(p.volume) * w.dec(p.price_open)
            base = self.symbol(p.symbol).currency_base
            held[base] = (w.dec(p.volume), self.brackets.reserved(p))
        for o in self.call("orders_get"):
            volume = w.dec(o.volume_current)
            if o.type == self.mt5.ORDER_TYPE_BUY_LIMIT:
                cash_locked += volume * w.dec(o.price_open)
            elif o.symbol in positions:
                base = self.symbol(o.symbol).currency_base
                total, locked = held[base]
                held[base] = (total, min(total, locked + volume))
        found = [Balance(asset=a, free=t - lk, locked=lk) for a, (t, lk) in sorted(held.items()) if t]
        if cash or cash_locked:
            found.append(Balance(asset=info.currency, free=cash - cash_locked, locked=cash_locked))
        return found

    def free(self, asset: str) -> Decimal:
        return next((b.free for b in self.balances() if b.asset == asset), ZERO)

    # -- Broker: orders ------------------------------------------------------------------------------------------
    def submit(self, spec: OrderSpec) -> OrderView:
        return self.send(spec)

    def send(self, spec: OrderSpec, *, sl: Decimal | None = None, tp: Decimal | None = None) -> OrderView:
        """Spot guards, no duplicate comment, order_check, then order_send once; unknown -> looked up."""
        info = self.symbol(spec.symbol)
        self.guard(spec, info)
        if self.find(spec.symbol, spec.client_order_id) is not None:
            raise ExchangeRejected(
                f"Duplicate order sent: {spec.client_order_id} is already on the MT5 account",
                hint="every order needs a new client order id",
            )
        req = w.request(self.mt5, spec, filling_mode=info.filling_mode, sl=sl, tp=tp)
        check = self.call("order_check", req)
        if check.retcode not in (0, self.mt5.TRADE_RETCODE_DONE):
            raise from_retcode(check.retcode, check.comment)
        with self._lock:
            result = self.mt5.order_send(req)  # exactly once: what follows never sends it again
            error = self.mt5.last_error() if result is None else None
        cid = spec.client_order_id
        if result is not None and is_success(result.retcode):
            logger.info("MT5 %s %s: retcode %s, order %s", cid, spec.type, result.retcode, result.order)
            return self.get_order(spec.symbol, cid)
        failure = (
            from_last_error(error, "MetaTrader 5 order_send", client_order_id=cid)
            if result is None
            else from_retcode(result.retcode, result.comment, client_order_id=cid)
        )
        if result is None or result.retcode in UNKNOWN_IF_SENT:
            logger.warning("MT5 %s: outcome unknown (%s): looking it up by comment", cid, failure)
            found = self.find(spec.symbol, cid)
            if found is not None:
                return found
        raise failure

    def guard(self, spec: OrderSpec, info: Any) -> None:
        """Spot semantics on a margin account: never short, never leveraged."""
        if spec.side is Side.SELL:
            have = self.free(info.currency_base)
            if spec.quantity > have:
                raise InsufficientBalance(
                    f"SELL {spec.quantity} {spec.symbol}: only {have} {info.currency_base} free to sell",
                    hint="CRBOT trades MT5 long only (as spot): sell at most the free part of the position",
                )
            return
        price = spec.price if spec.type is not OrderType.MARKET else self.last_price(spec.symbol)
        cost, cash = spec.quantity * (price or ZERO), self.free(self._currency or info.currency_profit)
        if cost > cash:
            raise InsufficientBalance(
                f"BUY {spec.quantity} {spec.symbol} costs {cost}, more than the {cash} free",
                hint="CRBOT pays MT5 trades in full (no leverage): trade smaller or deposit",
            )

    def submit_list(self, spec: OrderListSpec) -> list[OrderView]:
        return self.brackets.submit(spec)

    def cancel(self, symbol: str, client_order_id: str) -> OrderView:
        if self.brackets.knows(client_order_id):
            return self.brackets.cancel(symbol, client_order_id)
        o = self.open_order(symbol, client_order_id)
        if o is None:
            raise OrderNotFound(f"no open MT5 order {client_order_id} on {symbol}", hint="refresh: it may have filled")
        self.remove(o.ticket, client_order_id)
        return self.get_order(symbol, client_order_id)

    def remove(self, ticket: int, client_order_id: str) -> None:
        result = self.call("order_send", {"action": self.mt5.TRADE_ACTION_REMOVE, "order": ticket})
        if not is_success(result.retcode):
            raise from_retcode(result.retcode, result.comment)
        logger.info("MT5 %s (order %s) canceled", client_order_id, ticket)

    def cancel_all(self, symbol: str) -> list[OrderView]:
        canceled = self.brackets.cancel_positions(symbol)
        for o in self.call("orders_get", symbol=symbol):
            self.remove(o.ticket, o.comment)
            canceled += [v for v in self.views(symbol, [o.ticket]) if v.status is OrderStatus.CANCELED]
            canceled += self.brackets.after_entry_canceled(o.comment)
        return canceled

    def open_order(self, symbol: str, client_order_id: str) -> Any | None:
        comment = w.comment_for(client_order_id)
        return next((o for o in self.call("orders_get", symbol=symbol) if o.comment == comment), None)

    def find(self, symbol: str, client_order_id: str) -> OrderView | None:
        try:
            return self.get_order(symbol, client_order_id)
        except OrderNotFound:
            return None

    def get_order(self, symbol: str, client_order_id: str) -> OrderView:
        if self.brackets.knows(client_order_id):
            return self.brackets.view(symbol, client_order_id)
        comment = w.comment_for(client_order_id)
        tickets = [o.ticket for o in self.raw_orders(symbol) if o.comment == comment]
        if not tickets:
            raise OrderNotFound(f"MT5 has no order {client_order_id} on {symbol}", hint="it was never accepted")
        (view,) = self.views(symbol, tickets[-1:], names={comment: client_order_id})
        return view

    def open_orders(self, symbol: str | None = None) -> list[OrderView]:
        found = self.call("orders_get", symbol=symbol) if symbol else self.call("orders_get")
        views = []
        for sym in sorted({o.symbol for o in found}):
            views += self.views(sym, [o.ticket for o in found if o.symbol == sym])
        return views + self.brackets.open_legs(symbol)

    def all_orders(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> list[OrderView]:
        raw = [
            o for o in self.raw_orders(symbol) if o.reason not in (self.mt5.ORDER_REASON_SL, self.mt5.ORDER_REASON_TP)
        ]
        views = self.views(symbol, [o.ticket for o in raw]) + self.brackets.all_legs(symbol)
        views = [v for v in views if v.order_id >= (from_id or 0) and (since is None or v.time >= since)]
        return sorted(views, key=lambda v: v.order_id)

    def trades(self, symbol: str, since: datetime | None = None, *, from_id: int | None = None) -> Sequence[Fill]:
        digits, vdigits = self.digits(symbol)
        fills = []
        for d in self.deals(symbol):
            order_id = self.brackets.leg_order_id(d) or d.order
            fills.append(
                w.fill(self.mt5, d, order_id=order_id, currency=self._currency, digits=digits, vdigits=vdigits)
            )
        return [f for f in fills if f.trade_id >= (from_id or 0) and (since is None or f.time >= since)]

    # -- reading orders and deals -------------------------------------------------------------------------------
    def deals(self, symbol: str) -> list[Any]:
        start, end = self.history_range()
        kinds = (self.mt5.DEAL_TYPE_BUY, self.mt5.DEAL_TYPE_SELL)
        found = self.call("history_deals_get", start, end, group=symbol)
        return sorted((d for d in found if d.symbol == symbol and d.type in kinds), key=lambda d: d.ticket)

    def raw_orders(self, symbol: str) -> list[Any]:
        start, end = self.history_range()
        history = [o for o in self.call("history_orders_get", start, end, group=symbol) if o.symbol == symbol]
        return sorted([*history, *self.call("orders_get", symbol=symbol)], key=lambda o: o.ticket)

    def views(self, symbol: str, tickets: Sequence[int], *, names: dict[str, str] | None = None) -> list[OrderView]:
        """Views of these tickets; a filled order's executed quote and fills from its deals."""
        wanted = set(tickets)
        raw = [o for o in self.raw_orders(symbol) if o.ticket in wanted]
        digits, vdigits = self.digits(symbol)
        deals = [d for d in self.deals(symbol) if d.order in wanted]
        views = []
        for o in raw:
            cid = (names or {}).get(o.comment, o.comment)
            view = w.order_view(self.mt5, o, cid, digits=digits, vdigits=vdigits)
            mine = [
                w.fill(self.mt5, d, order_id=o.ticket, currency=self._currency, digits=digits, vdigits=vdigits)
                for d in deals
                if d.order == o.ticket
            ]
            quote = sum((f.quote_qty for f in mine), ZERO)
            executed = sum((f.quantity for f in mine), ZERO) or view.executed_qty
            views.append(self.brackets.decorate(view, executed, quote, tuple(mine)))
        return views


def _require_account(settings: Settings) -> None:
    if not (settings.mt5_login and settings.mt5_password and settings.mt5_server):
        raise ConfigError("CRBOT_BROKER=mt5 needs MT5_LOGIN, MT5_PASSWORD and MT5_SERVER", hint="set them in .env")


def _account(opened: Settings) -> tuple[int, str, str]:
    _require_account(opened)
    return opened.mt5_login, opened.mt5_password.get(), opened.mt5_server
