"""The Binance JSON codec, trades, account and exchangeInfo: rest-api.md's shapes both ways."""

from __future__ import annotations

from decimal import Decimal

from crbot.binance.codec import (
    account_from_json,
    account_json,
    balances_from_json,
    commissions_from_json,
    fill_from_json,
    fill_json,
    weight_limit,
)
from crbot.domain import ZERO, Balance, Commissions, Side
from tests.binance.test_codec import T0, fill

D = Decimal


def test_trades_round_trip_and_the_side_comes_from_is_buyer() -> None:
    f = fill()
    data = fill_json(f, order_list_id=3)
    assert data["isBuyer"] is True and data["orderListId"] == 3 and data["quoteQty"] == "49.99000000"
    assert fill_from_json(data) == f
    doc = {
        "symbol": "BNBBTC",
        "id": 28457,
        "orderId": 100234,
        "orderListId": -1,
        "price": "4.00000100",
        "qty": "12.00000000",
        "quoteQty": "48.000012",
        "commission": "10.10000000",
        "commissionAsset": "BNB",
        "time": 1499865549590,
        "isBuyer": False,
        "isMaker": False,
        "isBestMatch": True,
    }
    got = fill_from_json(doc)
    assert got.side is Side.SELL and got.quote_qty == D("48.000012") and got.commission == D("10.1")


def test_the_account_round_trips_balances_commissions_and_rights() -> None:
    balances = [Balance(asset="BTC", free=D("0.5"), locked=D("0.1")), Balance(asset="ETH", free=ZERO, locked=ZERO)]
    fees = Commissions(maker=D("0.001"), taker=D("0.00075"))
    data = account_json(balances, fees, update_time=T0, can_trade=False)
    assert data["makerCommission"] == 10 and data["commissionRates"]["taker"] == "0.00075000"
    info = account_from_json(data)
    assert info.balances == tuple(balances) and info.commissions == fees
    assert info.can_trade is False and info.permissions == ("SPOT",)
    assert [b.asset for b in balances_from_json(account_json(balances, fees, update_time=T0, omit_zero=True))] == [
        "BTC"
    ]
    legacy = account_from_json({"makerCommission": 15, "takerCommission": 15, "balances": []})
    assert legacy.commissions == Commissions(maker=D("0.0015"), taker=D("0.0015"))
    assert legacy.can_trade is False  # absent means no: never assume a right


# An account as real Binance sends it: hundreds of zero balances, unsorted.
ACCOUNT = {
    "makerCommission": 10,
    "takerCommission": 10,
    "commissionRates": {"maker": "0.00075000", "taker": "0.00100000", "buyer": "0", "seller": "0"},
    "canTrade": True,
    "balances": [
        {"asset": "USDT", "free": "100.5", "locked": "0"},
        {"asset": "ETH", "free": "0.00000000", "locked": "0.00000000"},
        {"asset": "BTC", "free": "0", "locked": "0.001"},
    ],
    "permissions": ["SPOT"],
}


def test_zero_balances_can_be_left_out_and_balances_come_sorted_by_asset() -> None:
    assert [(b.asset, b.total) for b in balances_from_json(ACCOUNT, omit_zero=True)] == [
        ("BTC", D("0.001")),
        ("USDT", D("100.5")),
    ]
    assert [b.asset for b in balances_from_json(ACCOUNT)] == ["BTC", "ETH", "USDT"]
    info = account_from_json(ACCOUNT, omit_zero=True)
    assert [b.asset for b in info.balances] == ["BTC", "USDT"] and info.can_trade
    assert commissions_from_json(ACCOUNT) == Commissions(maker=D("0.00075"), taker=D("0.001"))
    assert commissions_from_json({"makerCommission": 10, "takerCommission": 15}) == Commissions(
        maker=D("0.001"), taker=D("0.0015")
    )


def test_weight_limit_from_exchange_info() -> None:
    info = {
        "rateLimits": [
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        ]
    }
    assert weight_limit(info) == 6000
    assert weight_limit({}) is None
