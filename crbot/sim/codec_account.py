"""Binance JSON <-> trades and account values (``myTrades``, ``account``); see crbot.sim.codec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from crbot.clock import to_ms
from crbot.domain import ZERO, AccountInfo, Balance, Commissions, Fill, Side
from crbot.sim.codec_fields import Json, as_bool, dec, malformed, ms_time, need, opt_dec, req_dec


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


def balances_from_json(account: Mapping[str, Any]) -> list[Balance]:
    """The ``balances`` of an account response (zero balances included)."""
    out = []
    for item in account.get("balances") or ():
        what = f"balance {item.get('asset', '?')}"
        out.append(
            Balance(
                asset=str(need(item, "asset", what)),
                free=req_dec(item, "free", what),
                locked=opt_dec(item, "locked") or ZERO,
            )
        )
    return out


def account_from_json(account: Mapping[str, Any]) -> AccountInfo:
    """Balances, commission rates (``commissionRates``, else the legacy basis-point integers) and rights."""
    rates = account.get("commissionRates") or {}
    if "maker" in rates:
        commissions = Commissions(
            maker=req_dec(rates, "maker", "commissionRates"), taker=req_dec(rates, "taker", "commissionRates")
        )
    else:
        commissions = Commissions(
            maker=Decimal(str(account.get("makerCommission", 0))) / 10000,
            taker=Decimal(str(account.get("takerCommission", 0))) / 10000,
        )
    return AccountInfo(
        balances=tuple(balances_from_json(account)),
        commissions=commissions,
        can_trade=as_bool(account.get("canTrade", False)),  # missing means no: never assume a right
        permissions=tuple(str(p) for p in account.get("permissions") or ()),
    )
