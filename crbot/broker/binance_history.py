"""Order and trade history (allOrders / myTrades), walked forward page by page, however old.

Binance returns at most 1000 rows per call and a ``startTime``/``endTime`` window may span only 24 hours, but
an id cursor (``orderId`` / ``fromId``: rows >= that id, oldest first) has no time limit. So the walk goes by
id: from the caller's cursor (the journal's last known id + 1), or from 0. A time alone (``since``) costs one
call for the most recent page, which usually reaches back past it; only when more than a page is that
recent does the walk take every id from 0 (Binance has no way from a time to an id without a 24 h window).
The walk stops at a short page, or when a page brings nothing new (a server ignoring the cursor).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from binance.client import Client

from crbot.broker.binance_transport import Transport
from crbot.clock import to_ms
from crbot.errors import CrbotError

logger = logging.getLogger(__name__)

PAGE = 1000  # the endpoints' maximum limit
MAX_PAGES = 200  # 200,000 rows of one symbol in one walk; weight is paced by the transport's limiter

Row = dict[str, Any]


def walk(
    transport: Transport,
    what: str,
    fetch: Callable[[Client, dict[str, Any]], list[Row]],
    *,
    cursor: str,
    key: str,
    since: datetime | None,
    from_id: int | None = None,
) -> list[Row]:
    """Every row with id >= ``from_id`` and time >= ``since`` (each optional; all rows when neither), in no
    particular order. Raises rather than return a history cut short: a missing fill must never look like none."""
    since_ms = to_ms(since) if since else None

    def call(params: dict[str, Any]) -> list[Row]:
        return transport.call(what, lambda c: fetch(c, dict(params)), idempotent=True)

    if from_id is None and since_ms is not None:
        recent = call({"limit": PAGE})  # Binance: no cursor and no time = the most recent rows
        if len(recent) < PAGE or min(int(r.get("time", 0)) for r in recent) < since_ms:
            return _since(recent, since_ms)  # the whole history, or it reaches back past ``since``
    rows: dict[int, Row] = {}
    params: dict[str, Any] = {"limit": PAGE, cursor: max(from_id or 0, 0)}
    for _ in range(MAX_PAGES):
        page = call(params)
        new = {int(r[key]): r for r in page if int(r[key]) not in rows}
        rows |= new
        if not new or len(page) < PAGE:
            return _since(list(rows.values()), since_ms)
        params = {"limit": PAGE, cursor: max(new) + 1}
    raise CrbotError(
        f"{what} is longer than {MAX_PAGES * PAGE} rows from id {from_id or 0}; nothing was recorded from it",
        hint="run reconcile again later; if it persists, report it (the history walk needs a larger page budget)",
    )


def _since(rows: list[Row], since_ms: int | None) -> list[Row]:
    return [r for r in rows if since_ms is None or int(r.get("time", since_ms)) >= since_ms]
