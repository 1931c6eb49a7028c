"""Binance JSON <-> trades, account and exchangeInfo values (``myTrades``, ``account``, ``rateLimits``).

See crbot.binance.codec for the conventions (8-place decimals out, ``Decimal(str(x))`` in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from crbot.binance.fields import Json, as_bool, dec, malformed, ms_time, need, opt_dec, req_dec
from crbot.clock import to_ms
from crbot.domain import ZERO, AccountInfo, Balance, Commissions, Fill, Side


def fill_json(fill: Fill, *, order_list_id: int = -1) -> Json:
    """One ``GET /api/v3/myTrades`` item."""
    return {
        "symbol": fill.symbol,
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": order_list_id,
        "price": dec(fill.price),
        "qty": dec(fill.quantity),
        "quoteQty": dec(fill.quote_qty),
        "commission": dec(fill.commission),
        "commissionAsset": fill.commission_asset,
        "time": to_ms(fill.time),
        "isBuyer": fill.side is Side.BUY,
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }


def fill_from_json(data: Mapping[str, Any]) -> Fill:
    """One ``myTrades`` item."""
    what = f"trade {data.get('id', '?')}"
    price = req_dec(data, "price", what)
    qty = req_dec(data, "qty", what)
    when = ms_time(data, "time")
    if when is None:
        raise malformed(what, "time")
    return Fill(
        symbol=str(need(data, "symbol", what)),
        trade_id=int(need(data, "id", what)),
        order_id=int(need(data, "orderId", what)),
        side=Side.BUY if as_bool(need(data, "isBuyer", what)) else Side.SELL,
        price=price,
        quantity=qty,
        quote_qty=opt_dec(data, "quoteQty") or price * qty,
        commission=opt_dec(data, "commission") or ZERO,
        commission_asset=str(data.get("commissionAsset", "")),
        is_maker=as_bool(data.get("isMaker", False)),
        time=when,
    )


def account_json(
    balances: Iterable[Balance],
    commissions: Commissions,
    *,
    update_time: datetime,
    can_trade: bool = True,
    can_withdraw: bool = False,
    permissions: Sequence[str] = ("SPOT",),
    omit_zero: bool = False,
) -> Json:
    """``GET /api/v3/account``."""
    rows = [b for b in balances if not (omit_zero and b.total == 0)]
    return {
        "makerCommission": int(commissions.maker * 10000),
        "takerCommission": int(commissions.taker * 10000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": dec(commissions.maker),
            "taker": dec(commissions.taker),
            "buyer": dec(ZERO),
            "seller": dec(ZERO),
        },
        "canTrade": can_trade,
        "canWithdraw": can_withdraw,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": to_ms(update_time),
        "accountType": "SPOT",
        "balances": [{"asset": b.asset, "free": dec(b.free), "locked": dec(b.locked)} for b in rows],
        "permissions": list(permissions),
        "uid": 1,
    }


def balances_from_json(account: Mapping[str, Any], *, omit_zero: bool = False) -> list[Balance]:
    """The ``balances`` of an account response, by asset name; ``omit_zero`` drops empty ones (a real
    account lists hundreds of assets at zero)."""
    out = []
    for item in account.get("balances") or ():
        what = f"balance {item.get('asset', '?')}"
        balance = Balance(
            asset=str(need(item, "asset", what)),
            free=req_dec(item, "free", what),
            locked=opt_dec(item, "locked") or ZERO,
        )
        if not (omit_zero and balance.total == 0):
            out.append(balance)
    return sorted(out, key=lambda b: b.asset)


def commissions_from_json(account: Mapping[str, Any]) -> Commissions:
    """``commissionRates`` (fractions as text), else the legacy basis-point integers ``makerCommission``."""
    rates = account.get("commissionRates") or {}
    if "maker" in rates:
        return Commissions(
            maker=req_dec(rates, "maker", "commissionRates"), taker=req_dec(rates, "taker", "commissionRates")
        )
    bps = Decimal(10000)
    return Commissions(
        maker=(opt_dec(account, "makerCommission") or ZERO) / bps,
        taker=(opt_dec(account, "takerCommission") or ZERO) / bps,
    )


def account_from_json(account: Mapping[str, Any], *, omit_zero: bool = False) -> AccountInfo:
    """Balances, commission rates and rights of ``GET /api/v3/account``."""
    return AccountInfo(
        balances=tuple(balances_from_json(account, omit_zero=omit_zero)),
        commissions=commissions_from_json(account),
        can_trade=as_bool(account.get("canTrade", False)),  # missing means no: never assume a right
        permissions=tuple(str(p) for p in account.get("permissions") or ()),
    )


def weight_limit(exchange_info: Mapping[str, Any]) -> int | None:
    """The REQUEST_WEIGHT limit per 1 minute from exchangeInfo's ``rateLimits``."""
    for limit in exchange_info.get("rateLimits") or ():
        one_minute = limit.get("interval") == "MINUTE" and int(limit.get("intervalNum", 1)) == 1
        if limit.get("rateLimitType") == "REQUEST_WEIGHT" and one_minute:
            return int(limit["limit"])
    return None
