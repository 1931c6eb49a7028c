"""Order and trade history (allOrders / myTrades), walked forward page by page.

Binance returns at most 1000 rows per call, and a ``startTime`` query may cover only 24 hours,
so after the first page the walk carries on by id (``orderId`` / ``fromId``: rows >= that id)
until a short page. The walk stops when a page brings nothing new (a server ignoring the cursor).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from binance.client import Client

from crbot.broker.binance_transport import Transport
from crbot.clock import to_ms

logger = logging.getLogger(__name__)

PAGE = 1000  # the endpoints' maximum limit
MAX_PAGES = 50

Row = dict[str, Any]


def walk(
    transport: Transport,
    what: str,
    fetch: Callable[[Client, dict[str, Any]], list[Row]],
    *,
    cursor: str,
    key: str,
    since: datetime | None,
) -> list[Row]:
    """Every row with time >= ``since`` (all rows when None), in no particular order."""
    since_ms = to_ms(since) if since else None
    params: dict[str, Any] = {"limit": PAGE} | ({"startTime": since_ms} if since_ms else {cursor: 0})
    rows: dict[int, Row] = {}
    for _ in range(MAX_PAGES):
        page = transport.call(what, lambda c, p=dict(params): fetch(c, p), idempotent=True)
        by_time = "startTime" in params
        if by_time and not page:  # nothing in the first window: walk every id instead
            params = {"limit": PAGE, cursor: 0}
            continue
        new = {int(r[key]): r for r in page if int(r[key]) not in rows}
        rows |= new
        if not new or (len(page) < PAGE and not by_time):
            break
        params = {"limit": PAGE, cursor: max(new) + 1}
    else:
        logger.warning("%s: stopped after %d pages", what, MAX_PAGES)
    return [r for r in rows.values() if since_ms is None or int(r.get("time", since_ms)) >= since_ms]
