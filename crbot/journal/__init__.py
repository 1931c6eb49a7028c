"""CRBOT's trade journal: our own record (the exchange keeps its own), written BEFORE the broker is called.

    journal = Journal("sqlite:///data/journal.db", SystemClock())   # schema created on open

SQLite runs in WAL mode with a busy timeout, ``synchronous=FULL`` and foreign keys; write transactions
take the write lock up front (BEGIN IMMEDIATE), so the dashboard, the CLI and bots can share one file.
One Journal (one Engine) per process is shared by all threads; every call uses its own Session.
Everything returned is a frozen dataclass or a pandas frame, never an ORM row. Amounts are stored as
exact TEXT decimals, times as integer epoch microseconds, and come back as Decimal / aware UTC datetime.

Orders (key: client_order_id)
    record_intent(specs, *, list_client_id, source, mode, expected_price, actor) -> None
        status INTENT, all specs in one transaction, durable on return; a client order id already
        journaled raises InvalidInput and nothing is written.
    record_ack(view: OrderView, *, latency_ms=None) -> None      status/order id/executed from the exchange
    record_reject(cid, *, reason) -> None                         REJECTED (only from INTENT/UNKNOWN)
    mark_unknown(cid, *, reason) -> None                          UNKNOWN: reconcile by cid, never resend
    apply_exchange_view(views, *, source="exchange", mode="") -> int
        upsert (matched by cid, else by symbol + order id); orders placed outside CRBOT are inserted;
        stale views (final -> open, executed quantity going down) are ignored; returns rows changed.
    get_order(cid) -> JournalOrder | None
    orders(*, symbol=None, open_only=False, limit=None) -> list[JournalOrder]   newest first;
        open_only keeps open statuses plus INTENT/UNKNOWN (they may be live on the exchange)
    pending_outcomes() -> list[JournalOrder]                      INTENT or UNKNOWN, oldest first
    open_work() -> OpenWork     one snapshot for STOP: symbols of open/pending orders, INTENTs with their age
    has_client_order_id(cid) -> bool ; known_client_order_ids(cids) -> set[str]   (one query per 500 ids)
    orders_frame() -> DataFrame     client_order_id, symbol, side, type, status, quantity, price, stop_price,
        executed_qty, cumulative_quote, order_id (Int64, <NA> before the ack), list_client_id, source, mode,
        actor, expected_price, latency_ms (float64, NaN if unknown), reason, created_at, updated_at (UTC)
Exits of a MARKET entry (exits.py)
    record_intent(..., planned=exits, planned_list_id=...) journals them as PLANNED with parent_client_id;
    activate_planned(parent, qty) -> INTENT once the entry filled; drop_planned(parent, reason) -> CANCELED;
    exits_of(parent), entries_with_planned_exits(), entries_with_failed_exits(); own_fills() (CRBOT's own orders)
Fills
    record_fills(fills) -> int      new rows only; unique (symbol, trade_id); linked to our order through
        (symbol, order_id) -> client_order_id, also when the ack arrives after the fill
    commission_quote: the fee in the quote asset (commission * price when paid in the base asset);
        NULL / NaN when paid in a third asset such as BNB.
    fills(*, symbol=None, since=None) -> list[Fill]              oldest first
    fills_frame() -> DataFrame      columns as in docs/ARCHITECTURE.md, oldest first; client_order_id "" when
        not linked to a journaled order. On SQLite the first call loads every fill, later calls fetch only
        the rows inserted or linked since (by any process); each call returns a frame the caller may change.
Trading state, audit, risk limits
    trading_state() -> StateRecord(state, since, actor, reason)  ACTIVE with since=None if never set
    set_trading_state(state, *, actor, reason) -> bool           state + audit event in ONE transaction;
        False (nothing written) when already in that state
    audit(*, actor, action, detail, reason="") -> None ; audit_events(limit=200) -> list[AuditEvent] newest first
    risk_limits() -> dict[str, str] ; save_risk_limits(values, *, actor, reason) -> None
        (given keys only; one audit event "key: old -> new; ..." in the same transaction; none if unchanged)
Pre-trade
    pretrade_facts(now, *, orders_since) -> PretradeFacts(state, limits, day_start_equity, orders_since)
        what the risk manager reads before every order, in one read transaction
Equity
    snapshot_equity(equity, *, at=None) -> None ; equity_frame() -> DataFrame(time, equity)
    day_start_equity(day: date) -> Decimal | None                first snapshot of that UTC day
Maintenance
    backup(path) -> Path            SQLite online backup API; close() releases the pool
"""

from crbot.journal.journal import Journal
from crbot.journal.records import JournalOrder, StateRecord

__all__ = ["Journal", "JournalOrder", "StateRecord"]
