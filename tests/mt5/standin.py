"""A stand-in for the ``MetaTrader5`` package: its functions over a small netting-account model, so the MT5
adapter (crbot/broker/mt5.py) runs on Linux. Installed as ``sys.modules["MetaTrader5"]`` (see ``install``).

What it models: one netting account (one position per symbol, averaged; a reducing deal realises profit into
the balance), market orders filled at the tick (ask to buy, bid to sell), BUY_LIMIT / SELL_LIMIT filled at
their price when the tick crosses them, a position's sl / tp closing it at the bid/ask when touched (a
server-made order and deal with reason SL / TP), commission per deal in the account currency, order_check /
order_send validation (volume min/max/step, price on tick, limit side, stops distance, filling mode from the
symbol's bitmask, margin at the account's leverage), the Algo Trading button, login, demo vs real.
Prices come from a callable (a ManualFeed) read on every call: matching happens on the next call, like
CRBOT's paper engine. Faults are injected with ``fail_next_send``.

What it does not: hedging accounts, partial fills, stop / stop-limit orders, expirations, swaps, requotes
in execution (only injected), server time zones (times are UTC here; a real server's are often not),
symbols with a contract size other than 1.
"""

from __future__ import annotations

import fnmatch
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.mt5 import constants as c

D = Decimal
ZERO = D(0)


@dataclass(frozen=True)
class SymbolSpec:
    name: str
    base: str
    profit: str
    digits: int = 2
    tick_size: str = "0.01"
    volume_min: str = "0.00001"
    volume_max: str = "9000"
    volume_step: str = "0.00001"
    stops_level: int = 0  # points
    filling_mode: int = c.SYMBOL_FILLING_FOK | c.SYMBOL_FILLING_IOC
    trade_mode: int = c.SYMBOL_TRADE_MODE_FULL
    contract_size: str = "1"


@dataclass
class _Order:
    ticket: int
    symbol: str
    type: int
    volume: Decimal
    price: Decimal
    sl: Decimal
    tp: Decimal
    magic: int
    comment: str
    filling: int
    time_setup: int
    state: int = c.ORDER_STATE_PLACED
    time_done: int = 0
    position_id: int = 0
    reason: int = c.ORDER_REASON_EXPERT

    def view(self) -> c.TradeOrder:
        done = self.state in (c.ORDER_STATE_FILLED, c.ORDER_STATE_CANCELED)
        return c.TradeOrder(
            self.ticket, self.time_setup, self.time_setup * 1000, self.time_done, self.time_done * 1000, 0,
            self.type, c.ORDER_TIME_GTC, self.filling, self.state, self.magic, self.position_id, 0, self.reason,
            float(self.volume), 0.0 if done else float(self.volume), float(self.price), float(self.sl),
            float(self.tp), float(self.price), 0.0, self.symbol, self.comment, "",
        )  # fmt: skip


@dataclass
class _Position:
    ticket: int
    symbol: str
    qty: Decimal  # signed: + long, - short
    price_open: Decimal
    sl: Decimal
    tp: Decimal
    magic: int
    comment: str
    time: int


class StandIn(types.ModuleType):
    """The module: every documented function CRBOT calls, same names and argument styles."""

    def __init__(
        self,
        price: Callable[[str], Decimal],
        now: Callable[[], datetime],
        *,
        symbols: list[SymbolSpec],
        balance: str = "10000",
        currency: str = "USDT",
        commission_rate: str = "0.001",
        leverage: int = 1,
        trade_mode: int = c.ACCOUNT_TRADE_MODE_DEMO,
        login: int = 5001234,
        password: str = "demo-pass",
        server: str = "StandIn-Demo",
    ) -> None:
        super().__init__("MetaTrader5")
        for name in dir(c):
            if name.isupper() or (name[0].isupper() and name in c.__dict__):
                setattr(self, name, getattr(c, name))
        self.__version__ = "5.0.standin"
        self._price, self._now = price, now
        self.specs = {s.name: s for s in symbols}
        self.balance, self.currency, self.rate = D(balance), currency, D(commission_rate)
        self.leverage, self.trade_mode = leverage, trade_mode
        self.credentials = (login, password, server)
        self.connected = False
        self.algo_trading = True
        self.error: tuple[int, str] = (c.RES_S_OK, "Success")
        self.orders: dict[int, _Order] = {}  # every order ever, open and history
        self.deals: list[c.TradeDeal] = []
        self.positions: dict[str, _Position] = {}
        self._ticket, self._deal = 100_000, 700_000
        self.send_calls: list[dict[str, Any]] = []
        self.check_calls: list[dict[str, Any]] = []
        self.fail_next_send: tuple[str, bool] | None = None  # ("none" | "connection" | "timeout", executed?)

    # -- session ---------------------------------------------------------------------------------------------
    def initialize(self, path: str | None = None, **kw: Any) -> bool:
        self.connected = True
        if "login" in kw:
            return self.login(kw["login"], password=kw.get("password"), server=kw.get("server"))
        return self._ok(True)

    def login(self, login: int, password: str | None = None, server: str | None = None, timeout: int = 60000) -> bool:
        if (login, password, server) != self.credentials:
            self.error = (c.RES_E_AUTH_FAILED, "Authorization failed")
            return False
        return self._ok(True)

    def shutdown(self) -> None:
        self.connected = False

    def last_error(self) -> tuple[int, str]:
        return self.error

    def version(self) -> tuple[int, int, str]:
        return (500, 4755, "20 Jan 2025")

    def terminal_info(self) -> c.TerminalInfo | None:
        if not self._up():
            return None
        return self._ok(c.TerminalInfo(False, True, self.algo_trading, False, 1500, "MetaTrader 5", "StandIn", "C:"))

    def account_info(self) -> c.AccountInfo | None:
        if not self._up():
            return None
        self._match()
        profit = sum((self._floating(p) for p in self.positions.values()), ZERO)
        margin = self._margin()
        equity = self.balance + profit
        login, _, server = self.credentials
        return self._ok(
            c.AccountInfo(
                login, self.trade_mode, self.leverage, 200, 0, True, True, c.ACCOUNT_MARGIN_MODE_RETAIL_NETTING, 2,
                False, float(self.balance), 0.0, float(profit), float(equity), float(margin), float(equity - margin),
                float(equity / margin * 100) if margin else 0.0, "Stand In", server, self.currency, "StandIn Ltd",
            )
        )  # fmt: skip

    # -- market data -----------------------------------------------------------------------------------------
    def symbol_info(self, symbol: str) -> c.SymbolInfo | None:
        spec = self.specs.get(symbol)
        if spec is None or not self._up():
            self.error = (c.RES_E_NOT_FOUND, "Terminal: Not found") if spec is None else self.error
            return None
        px = float(self._price(symbol))
        return self._ok(
            c.SymbolInfo(
                spec.name, True, True, spec.digits, 0, spec.trade_mode, c.SYMBOL_TRADE_EXECUTION_MARKET,
                spec.stops_level, 0, spec.filling_mode, 15, 127, px, px, px, float(spec.tick_size),
                float(spec.tick_size), float(spec.tick_size), float(spec.contract_size), float(spec.volume_min),
                float(spec.volume_max), float(spec.volume_step), spec.base, spec.profit, spec.profit,
                f"{spec.base} vs {spec.profit}", f"Crypto\\{spec.name}",
            )
        )  # fmt: skip

    def symbol_select(self, symbol: str, enable: bool = True) -> bool:
        return self._ok(symbol in self.specs)

    def symbol_info_tick(self, symbol: str) -> c.Tick | None:
        if symbol not in self.specs or not self._up():
            self.error = (c.RES_E_NOT_FOUND, "Terminal: Not found")
            return None
        px, ts = float(self._price(symbol)), self._ts()
        return self._ok(c.Tick(ts, px, px, px, 0, ts * 1000, 6, 0.0))

    # -- trading state ---------------------------------------------------------------------------------------
    def orders_get(self, symbol: str | None = None, group: str | None = None, ticket: int | None = None):
        self._match()
        found = [o for o in self.orders.values() if o.state == c.ORDER_STATE_PLACED]
        return self._ok(tuple(o.view() for o in self._filter(found, symbol, group, ticket)))

    def positions_get(self, symbol: str | None = None, group: str | None = None, ticket: int | None = None):
        self._match()
        found = self._filter(list(self.positions.values()), symbol, group, ticket)
        return self._ok(tuple(self._position_view(p) for p in found))

    def history_orders_get(self, date_from: Any = None, date_to: Any = None, **kw: Any):
        self._match()
        found = [o for o in self.orders.values() if o.state != c.ORDER_STATE_PLACED]
        if "position" in kw:
            found = [o for o in found if o.position_id == kw["position"]]
        elif "ticket" not in kw:
            lo, hi = _ts(date_from), _ts(date_to)
            found = [o for o in found if lo <= o.time_setup <= hi]
        return self._ok(tuple(o.view() for o in self._filter(found, None, kw.get("group"), kw.get("ticket"))))

    def history_deals_get(self, date_from: Any = None, date_to: Any = None, **kw: Any):
        self._match()
        found = list(self.deals)
        if "position" in kw:
            found = [d for d in found if d.position_id == kw["position"]]
        elif "ticket" in kw:
            found = [d for d in found if d.ticket == kw["ticket"]]
        else:
            lo, hi = _ts(date_from), _ts(date_to)
            found = [d for d in found if lo <= d.time <= hi]
        return self._ok(tuple(self._filter(found, None, kw.get("group"), None)))

    # -- trading ---------------------------------------------------------------------------------------------
    def order_check(self, request: dict[str, Any]) -> c.OrderCheckResult | None:
        self.check_calls.append(dict(request))
        self._match()
        code = self._validate(request)
        acct = self.account_info()
        assert acct is not None
        req = _request(request)
        comment = "Done" if code == 0 else _COMMENTS.get(code, "Rejected")
        return self._ok(
            c.OrderCheckResult(code, acct.balance, acct.equity, 0.0, 0.0, acct.margin_free, 0.0, comment, req)
        )

    def order_send(self, request: dict[str, Any]) -> c.OrderSendResult | None:
        self.send_calls.append(dict(request))
        self._match()
        fault, self.fail_next_send = self.fail_next_send, None
        if fault and not fault[1]:
            return self._fault(fault[0], request, ticket=0)
        code = self._validate(request)
        if not self.algo_trading:
            code = c.TRADE_RETCODE_CLIENT_DISABLES_AT
        ticket, deal, price = 0, 0, ZERO
        if code == 0:
            code, ticket, deal, price = self._execute(request)
        if fault:
            return self._fault(fault[0], request, ticket=ticket)
        px = float(self._price(request["symbol"])) if request.get("symbol") in self.specs else 0.0
        comment = _COMMENTS.get(code, "Rejected")
        return self._ok(
            c.OrderSendResult(
                code, deal, ticket, float(request.get("volume", 0.0)), float(price), px, px, comment, 1, 0,
                _request(request),
            )
        )  # fmt: skip

    # -- the model ---------------------------------------------------------------------------------------------
    def _validate(self, r: dict[str, Any]) -> int:
        action = r.get("action")
        if action == c.TRADE_ACTION_REMOVE:
            o = self.orders.get(r.get("order", 0))
            return 0 if o and o.state == c.ORDER_STATE_PLACED else c.TRADE_RETCODE_INVALID
        spec = self.specs.get(r.get("symbol", ""))
        if spec is None:
            return c.TRADE_RETCODE_INVALID
        if spec.trade_mode == c.SYMBOL_TRADE_MODE_DISABLED:
            return c.TRADE_RETCODE_TRADE_DISABLED
        if action == c.TRADE_ACTION_SLTP:
            return 0 if spec.name in self.positions else c.TRADE_RETCODE_POSITION_CLOSED
        if action not in (c.TRADE_ACTION_DEAL, c.TRADE_ACTION_PENDING):
            return c.TRADE_RETCODE_INVALID
        vol = _d(r.get("volume", 0.0))
        step, vmin, vmax = D(spec.volume_step), D(spec.volume_min), D(spec.volume_max)
        if not vmin <= vol <= vmax or vol % step:
            return c.TRADE_RETCODE_INVALID_VOLUME
        filling = r.get("type_filling", c.ORDER_FILLING_FOK)
        allowed = {c.ORDER_FILLING_FOK: spec.filling_mode & c.SYMBOL_FILLING_FOK,
                   c.ORDER_FILLING_IOC: spec.filling_mode & c.SYMBOL_FILLING_IOC,
                   c.ORDER_FILLING_BOC: spec.filling_mode & c.SYMBOL_FILLING_BOC,
                   c.ORDER_FILLING_RETURN: action == c.TRADE_ACTION_PENDING}  # fmt: skip
        if not allowed.get(filling):
            return c.TRADE_RETCODE_INVALID_FILL
        last = self._price(spec.name)
        buy = r.get("type") in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_BUY_LIMIT)
        if action == c.TRADE_ACTION_PENDING:
            price = _d(r.get("price", 0.0))
            if r.get("type") not in (c.ORDER_TYPE_BUY_LIMIT, c.ORDER_TYPE_SELL_LIMIT):
                return c.TRADE_RETCODE_INVALID_ORDER
            if price <= 0 or price % D(spec.tick_size) or (price >= last if buy else price <= last):
                return c.TRADE_RETCODE_INVALID_PRICE
        else:
            price = last
        gap = spec.stops_level * D(spec.tick_size)
        sl, tp = _d(r.get("sl", 0.0)), _d(r.get("tp", 0.0))
        if (sl and (sl > price - gap if buy else sl < price + gap)) or (
            tp and (tp < price + gap if buy else tp > price - gap)
        ):
            return c.TRADE_RETCODE_INVALID_STOPS
        opening = vol if buy else -vol
        held = self.positions[spec.name].qty if spec.name in self.positions else ZERO
        grows = abs(held + opening) > abs(held)
        if grows and vol * price / self.leverage > self._free_margin():
            return c.TRADE_RETCODE_NO_MONEY
        return 0

    def _execute(self, r: dict[str, Any]) -> tuple[int, int, int, Decimal]:
        action = r["action"]
        if action == c.TRADE_ACTION_REMOVE:
            o = self.orders[r["order"]]
            o.state, o.time_done = c.ORDER_STATE_CANCELED, self._ts()
            return c.TRADE_RETCODE_DONE, o.ticket, 0, ZERO
        if action == c.TRADE_ACTION_SLTP:
            pos = self.positions[r["symbol"]]
            pos.sl, pos.tp = _d(r.get("sl", 0.0)), _d(r.get("tp", 0.0))
            return c.TRADE_RETCODE_DONE, 0, 0, ZERO
        o = _Order(
            self._next(), r["symbol"], r["type"], _d(r["volume"]), _d(r.get("price", 0.0)), _d(r.get("sl", 0.0)),
            _d(r.get("tp", 0.0)), int(r.get("magic", 0)), str(r.get("comment", ""))[:31], r.get("type_filling", 0),
            self._ts(),
        )  # fmt: skip
        self.orders[o.ticket] = o
        if action == c.TRADE_ACTION_PENDING:
            return c.TRADE_RETCODE_PLACED, o.ticket, 0, ZERO
        price = self._price(o.symbol)
        deal = self._fill(o, price, c.DEAL_REASON_EXPERT)
        return c.TRADE_RETCODE_DONE, o.ticket, deal, price

    def _fill(self, o: _Order, price: Decimal, reason: int) -> int:
        """One deal for the whole order; netting: the symbol's single position grows, shrinks or flips."""
        buy = o.type in (c.ORDER_TYPE_BUY, c.ORDER_TYPE_BUY_LIMIT)
        delta = o.volume if buy else -o.volume
        pos = self.positions.get(o.symbol)
        entry, profit = c.DEAL_ENTRY_IN, ZERO
        if pos is None:
            pos = _Position(o.ticket, o.symbol, delta, price, o.sl, o.tp, o.magic, o.comment, self._ts())
            self.positions[o.symbol] = pos
        elif (pos.qty > 0) == (delta > 0):
            total = pos.qty + delta
            pos.price_open = (pos.qty * pos.price_open + delta * price) / total
            pos.qty = total
            if o.sl or o.tp:
                pos.sl, pos.tp = o.sl, o.tp
        else:
            closed = min(abs(delta), abs(pos.qty))
            profit = closed * (price - pos.price_open) * (1 if pos.qty > 0 else -1)
            entry = c.DEAL_ENTRY_OUT if abs(delta) <= abs(pos.qty) else c.DEAL_ENTRY_INOUT
            pos.qty += delta
            if pos.qty == 0:
                del self.positions[o.symbol]
            elif entry == c.DEAL_ENTRY_INOUT:
                pos.price_open, pos.sl, pos.tp = price, o.sl, o.tp
        commission = -(o.volume * price * self.rate)
        self.balance += profit + commission
        o.state, o.time_done, o.position_id = c.ORDER_STATE_FILLED, self._ts(), pos.ticket
        self._deal += 1
        self.deals.append(
            c.TradeDeal(
                self._deal, o.ticket, self._ts(), self._ts() * 1000, c.DEAL_TYPE_BUY if buy else c.DEAL_TYPE_SELL,
                entry, o.magic, pos.ticket, reason, float(o.volume), float(price), float(commission), 0.0,
                float(profit), 0.0, o.symbol, o.comment, "",
            )
        )  # fmt: skip
        return self._deal

    def _match(self) -> None:
        """Fill crossed limit orders at their price, then close positions whose sl / tp the tick touched."""
        for o in sorted(self.orders.values(), key=lambda o: o.ticket):
            if o.state != c.ORDER_STATE_PLACED:
                continue
            last = self._price(o.symbol)
            if (last <= o.price) if o.type == c.ORDER_TYPE_BUY_LIMIT else (last >= o.price):
                self._fill(o, o.price, c.DEAL_REASON_EXPERT)
        for pos in list(self.positions.values()):
            last, long = self._price(pos.symbol), pos.qty > 0
            hit_sl = pos.sl and (last <= pos.sl if long else last >= pos.sl)
            hit_tp = pos.tp and (last >= pos.tp if long else last <= pos.tp)
            if hit_sl or hit_tp:
                reason = c.DEAL_REASON_SL if hit_sl else c.DEAL_REASON_TP
                level = pos.sl if hit_sl else pos.tp
                tag = f"[{'sl' if hit_sl else 'tp'} {level}]"
                close = _Order(
                    self._next(), pos.symbol, c.ORDER_TYPE_SELL if long else c.ORDER_TYPE_BUY, abs(pos.qty), last,
                    ZERO, ZERO, pos.magic, tag, c.ORDER_FILLING_IOC, self._ts(), reason=reason,
                )  # fmt: skip
                self.orders[close.ticket] = close
                self._fill(close, last, reason)

    def _fault(self, kind: str, request: dict[str, Any], *, ticket: int) -> c.OrderSendResult | None:
        if kind == "none":
            self.error = (c.RES_E_INTERNAL_FAIL_TIMEOUT, "Terminal: IPC timeout")
            return None
        code = c.TRADE_RETCODE_CONNECTION if kind == "connection" else c.TRADE_RETCODE_TIMEOUT
        return c.OrderSendResult(code, 0, 0, 0.0, 0.0, 0.0, 0.0, _COMMENTS[code], 1, 0, _request(request))

    # -- helpers -----------------------------------------------------------------------------------------------
    def _position_view(self, p: _Position) -> c.TradePosition:
        ts = p.time
        return c.TradePosition(
            p.ticket, ts, ts * 1000, ts, ts * 1000, c.POSITION_TYPE_BUY if p.qty > 0 else c.POSITION_TYPE_SELL,
            p.magic, p.ticket, c.ORDER_REASON_EXPERT, float(abs(p.qty)), float(p.price_open), float(p.sl),
            float(p.tp), float(self._price(p.symbol)), 0.0, float(self._floating(p)), p.symbol, p.comment, "",
        )  # fmt: skip

    def _floating(self, p: _Position) -> Decimal:
        return p.qty * (self._price(p.symbol) - p.price_open)

    def _margin(self) -> Decimal:
        return sum((abs(p.qty) * p.price_open / self.leverage for p in self.positions.values()), ZERO)

    def _free_margin(self) -> Decimal:
        profit = sum((self._floating(p) for p in self.positions.values()), ZERO)
        return self.balance + profit - self._margin()

    def _filter(self, items: list[Any], symbol: str | None, group: str | None, ticket: int | None) -> list[Any]:
        if symbol:
            items = [i for i in items if i.symbol == symbol]
        if group:
            items = [i for i in items if any(fnmatch.fnmatchcase(i.symbol, g) for g in group.split(","))]
        if ticket is not None:
            items = [i for i in items if i.ticket == ticket]
        return items

    def _up(self) -> bool:
        if not self.connected:
            self.error = (c.RES_E_INTERNAL_FAIL_INIT, "IPC initialize failed, MetaTrader 5 x64 not found")
        return self.connected

    def _ok(self, value: Any) -> Any:
        self.error = (c.RES_S_OK, "Success")
        return value

    def _next(self) -> int:
        self._ticket += 1
        return self._ticket

    def _ts(self) -> int:
        return int(self._now().timestamp())


def _d(x: float | int) -> Decimal:
    return D(repr(float(x))).normalize() if x else ZERO


def _ts(when: Any) -> int:
    if when is None:
        return 0
    return int(when.timestamp()) if isinstance(when, datetime) else int(when)


def _request(r: dict[str, Any]) -> c.TradeRequest:
    base = c.TradeRequest(0, 0, 0, "", 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0, "", 0, 0)
    return replace_tuple(base, {k: v for k, v in r.items() if k in c.TradeRequest._fields})


def replace_tuple(t: c.TradeRequest, values: dict[str, Any]) -> c.TradeRequest:
    return t._replace(**values)


_COMMENTS = {
    0: "Done",
    c.TRADE_RETCODE_DONE: "Request executed",
    c.TRADE_RETCODE_PLACED: "Order placed",
    c.TRADE_RETCODE_INVALID: "Invalid request",
    c.TRADE_RETCODE_INVALID_VOLUME: "Invalid volume",
    c.TRADE_RETCODE_INVALID_PRICE: "Invalid price",
    c.TRADE_RETCODE_INVALID_STOPS: "Invalid stops",
    c.TRADE_RETCODE_INVALID_FILL: "Unsupported filling mode",
    c.TRADE_RETCODE_INVALID_ORDER: "Invalid order",
    c.TRADE_RETCODE_NO_MONEY: "No money",
    c.TRADE_RETCODE_TRADE_DISABLED: "Trade disabled",
    c.TRADE_RETCODE_POSITION_CLOSED: "Position closed",
    c.TRADE_RETCODE_CLIENT_DISABLES_AT: "AutoTrading disabled by client",
    c.TRADE_RETCODE_CONNECTION: "No connection",
    c.TRADE_RETCODE_TIMEOUT: "Timeout",
}
