"""The one Binance spot JSON codec: crbot.domain values <-> the shapes of rest-api.md.

Both faces of CRBOT's Binance speak through it: the local exchange (crbot.localexchange.server) serves the
``*_json`` response shapes, and the Binance connector (crbot.broker.binance) sends ``*_params`` and
reads every answer with ``*_from_json``, so a shape the server writes is a shape the connector reads.

- Out, as a response: decimals fixed-point with 8 places like Binance (``dec``: "0.00100000"), more
  places only when the value needs them, never rounded away.
- Out, as a request: ``plain`` text (``format(d, "f")``: "0.00001", never "1E-5"); malformed orders
  are refused with ``InvalidInput`` before anything is sent.
- In: tolerant of what real Binance sends: absent optional fields, numbers sent as numbers, times in
  micro- or milliseconds, ``cummulativeQuoteQty`` (sic), a negative "unknown" quote total, statuses
  CRBOT does not know (kept as UNKNOWN). Values come in through ``Decimal(str(x))``, never float.
  A response missing what it must carry, or an order type CRBOT does not model, is ``InvalidInput``
  naming the field, never a KeyError.

The parts: fields.py (formatting, typed reads), params.py (order parameters both ways, read through
query.py on the server side), orders.py (single orders), lists.py (OCO / OTO / OTOCO and mixed answers),
account.py (trades, account, exchangeInfo rate limits).
"""

from __future__ import annotations

from crbot.binance.account import (
    account_from_json,
    account_json,
    balances_from_json,
    commissions_from_json,
    fill_from_json,
    fill_json,
    weight_limit,
)
from crbot.binance.fields import PLACES, Json, dec, plain
from crbot.binance.lists import order_list_from_json, order_list_json, order_list_legs, orders_from_json
from crbot.binance.orders import (
    fills_from_order_json,
    is_order_report,
    order_ack_json,
    order_cancel_json,
    order_fill_json,
    order_from_json,
    order_json,
    order_query_json,
)
from crbot.binance.params import check_client_id, list_kind, order_list_params, order_params

__all__ = [
    "PLACES",
    "Json",
    "account_from_json",
    "account_json",
    "balances_from_json",
    "check_client_id",
    "commissions_from_json",
    "dec",
    "fill_from_json",
    "fill_json",
    "fills_from_order_json",
    "is_order_report",
    "list_kind",
    "order_ack_json",
    "order_cancel_json",
    "order_fill_json",
    "order_from_json",
    "order_json",
    "order_list_from_json",
    "order_list_json",
    "order_list_legs",
    "order_list_params",
    "order_params",
    "order_query_json",
    "orders_from_json",
    "plain",
    "weight_limit",
]
