"""Orders: journaled before sending, then ack / reject / unknown, and upserts from the exchange's view."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from crbot.clock import ManualClock
from crbot.domain import OrderStatus
from crbot.errors import InvalidInput
from crbot.journal import Journal
from tests.journal.conftest import START, fill, spec, view


def intent(journal: Journal, *cids: str, symbol: str = "BTCUSDT", list_client_id: str | None = None) -> None:
    journal.record_intent(
        [spec(cid, symbol=symbol) for cid in cids],
        list_client_id=list_client_id,
        source="ticket",
        mode="paper",
        expected_price=Decimal("50000"),
        actor="alice",
    )


def test_intent_is_durable_before_sending_and_visible_to_a_new_journal(db_url: str, clock: ManualClock) -> None:
    first = Journal(db_url, clock)
    intent(first, "c1")
    first.close()  # as if the process died right after journaling, before the broker answered
    again = Journal(db_url, clock)
    order = again.get_order("c1")
    assert order is not None and order.status is OrderStatus.INTENT and order.order_id is None
    assert order.expected_price == Decimal("50000") and order.actor == "alice" and order.created_at == START
    assert [o.client_order_id for o in again.pending_outcomes()] == ["c1"]
    again.close()


def test_ack_fills_in_the_exchange_side(journal: Journal, clock: ManualClock) -> None:
    intent(journal, "c1")
    clock.advance(1)
    journal.record_ack(
        view("c1", order_id=77, status=OrderStatus.PARTIALLY_FILLED, executed="0.0005", quote="25"), latency_ms=12.5
    )
    order = journal.get_order("c1")
    assert order is not None
    assert (order.status, order.order_id, order.executed_qty, order.cumulative_quote) == (
        OrderStatus.PARTIALLY_FILLED,
        77,
        Decimal("0.0005"),
        Decimal("25"),
    )
    assert order.latency_ms == 12.5 and order.updated_at > order.created_at
    assert journal.pending_outcomes() == []


def test_a_list_is_journaled_all_or_nothing(journal: Journal) -> None:
    intent(journal, "b")
    with pytest.raises(InvalidInput, match="already journaled: b —"):  # the one taken, not the whole list
        intent(journal, "a", "b", "c", list_client_id="L1")
    assert not journal.has_client_order_id("a") and not journal.has_client_order_id("c")
    intent(journal, "L1-w", "L1-tp", "L1-sl", list_client_id="L1")
    assert {o.list_client_id for o in journal.orders() if o.client_order_id.startswith("L1")} == {"L1"}


def test_repeated_id_within_one_intent_is_refused(journal: Journal) -> None:
    with pytest.raises(InvalidInput, match="repeat"):
        intent(journal, "x", "x")
    assert journal.orders() == []


def test_reject_and_unknown(journal: Journal) -> None:
    intent(journal, "r", "u")
    journal.record_reject("r", reason="-2010 insufficient balance")
    journal.mark_unknown("u", reason="timeout")
    rejected, unknown = journal.get_order("r"), journal.get_order("u")
    assert rejected is not None and rejected.status is OrderStatus.REJECTED and "insufficient" in rejected.reason
    assert unknown is not None and unknown.status is OrderStatus.UNKNOWN and unknown.is_pending
    assert [o.client_order_id for o in journal.pending_outcomes()] == ["u"]
    journal.record_ack(view("u", order_id=5))  # reconciled: the exchange has it
    assert journal.pending_outcomes() == []


def test_our_statements_never_overwrite_the_exchanges(journal: Journal) -> None:
    intent(journal, "c1")
    journal.record_ack(view("c1", status=OrderStatus.FILLED, executed="0.001", quote="50"))
    journal.mark_unknown("c1", reason="late timeout")
    journal.record_reject("c1", reason="late error")
    order = journal.get_order("c1")
    assert order is not None and order.status is OrderStatus.FILLED and order.reason == ""


def test_unknown_client_order_id_is_an_error_for_reject(journal: Journal) -> None:
    with pytest.raises(InvalidInput, match="no journaled order"):
        journal.record_reject("nope", reason="x")


def test_ack_without_intent_is_still_recorded(journal: Journal) -> None:
    journal.record_ack(view("stray", order_id=9))
    order = journal.get_order("stray")
    assert order is not None and order.status is OrderStatus.NEW and order.source == "ack"


def test_apply_exchange_view_updates_ours_inserts_outside_orders_and_counts(
    journal: Journal, clock: ManualClock
) -> None:
    intent(journal, "c1", "c2")
    journal.record_ack(view("c1", order_id=1))
    journal.record_ack(view("c2", order_id=2))
    clock.advance(60)
    views = [
        view("c1", order_id=1, status=OrderStatus.FILLED, executed="0.001", quote="50"),
        view("c2", order_id=2),  # unchanged
        view("web_abc", order_id=3, symbol="ETHUSDT", at=START),  # placed on the website
    ]
    assert journal.apply_exchange_view(views) == 2
    assert journal.apply_exchange_view(views) == 0  # idempotent
    outside = journal.get_order("web_abc")
    assert outside is not None and outside.source == "exchange" and outside.created_at == START
    assert outside.order_id == 3 and outside.status is OrderStatus.NEW
    filled = journal.get_order("c1")
    assert filled is not None and filled.status is OrderStatus.FILLED


def test_stale_views_do_not_move_an_order_backwards(journal: Journal) -> None:
    intent(journal, "c1")
    journal.apply_exchange_view([view("c1", status=OrderStatus.FILLED, executed="0.001", quote="50")])
    assert journal.apply_exchange_view([view("c1", status=OrderStatus.NEW)]) == 0
    journal.record_ack(view("c1", status=OrderStatus.PARTIALLY_FILLED, executed="0.0005", quote="25"))
    order = journal.get_order("c1")
    assert order is not None and order.status is OrderStatus.FILLED and order.executed_qty == Decimal("0.001")


def test_view_matches_by_order_id_when_the_client_id_differs(journal: Journal) -> None:
    intent(journal, "c1")
    journal.record_ack(view("c1", order_id=42))
    assert journal.apply_exchange_view([view("cancel-xyz", order_id=42, status=OrderStatus.CANCELED)]) == 1
    order = journal.get_order("c1")
    assert order is not None and order.status is OrderStatus.CANCELED
    assert not journal.has_client_order_id("cancel-xyz")


def test_orders_filters_and_order(journal: Journal, clock: ManualClock) -> None:
    intent(journal, "a")
    clock.advance(1)
    intent(journal, "b", symbol="ETHUSDT")
    clock.advance(1)
    intent(journal, "c")
    journal.record_ack(view("c", order_id=3, status=OrderStatus.FILLED, executed="0.001", quote="50"))
    assert [o.client_order_id for o in journal.orders()] == ["c", "b", "a"]
    assert [o.client_order_id for o in journal.orders(limit=2)] == ["c", "b"]
    assert [o.client_order_id for o in journal.orders(symbol="BTCUSDT")] == ["c", "a"]
    assert [o.client_order_id for o in journal.orders(open_only=True)] == ["b", "a"]  # INTENT may be live


def test_orders_frame(journal: Journal) -> None:
    intent(journal, "a", "b")
    journal.record_ack(view("a", order_id=1), latency_ms=3.5)
    frame = journal.orders_frame()
    assert list(frame["client_order_id"]) == ["a", "b"]
    assert str(frame["latency_ms"].dtype) == "float64" and frame["latency_ms"].iloc[0] == 3.5
    assert frame["latency_ms"].isna().iloc[1] and frame["order_id"].isna().iloc[1]
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"
    assert list(frame["status"]) == ["NEW", "INTENT"] and set(frame["type"]) == {"LIMIT"}
    assert frame["quantity"].iloc[0] == 0.001


def test_empty_orders_frame_has_the_columns(journal: Journal) -> None:
    frame = journal.orders_frame()
    assert frame.empty and {"latency_ms", "status", "type", "symbol", "side", "created_at"} <= set(frame.columns)
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]" and str(frame["latency_ms"].dtype) == "float64"


def test_an_ack_journals_the_fills_it_carries_in_its_own_transaction(journal: Journal) -> None:
    intent(journal, "c1")
    early = fill(1, order_id=77)  # a fill that a sync brought before the ack (no client order id yet)
    journal.record_fills([early])
    acked = view("c1", order_id=77, status=OrderStatus.FILLED, executed="0.002", quote="100")
    journal.record_ack(acked, latency_ms=3.0, fills=[fill(1, order_id=77), fill(2, order_id=77)])
    with journal._db.connect() as conn:
        linked = conn.execute(text("SELECT trade_id, client_order_id FROM fills ORDER BY trade_id")).all()
    assert [tuple(row) for row in linked] == [(1, "c1"), (2, "c1")]  # linked, none twice
    order = journal.get_order("c1")
    assert order is not None and (order.status, order.executed_qty, order.latency_ms) == (
        OrderStatus.FILLED,
        Decimal("0.002"),
        3.0,
    )
    journal.record_ack(acked, fills=[fill(2, order_id=77)])  # the same ack again: nothing new, nothing moves
    assert len(journal.fills()) == 2 and journal.get_order("c1") == order


def test_pretrade_facts_say_whether_the_client_order_id_is_journaled(journal: Journal, clock: ManualClock) -> None:
    from datetime import timedelta

    intent(journal, "c1")
    intent(journal, "e1", symbol="ETHUSDT")
    since = clock.now() - timedelta(minutes=1)
    facts = journal.pretrade_facts(clock.now(), orders_since=since, open_other_than="BTCUSDT", client_order_id="c1")
    assert facts.known and facts.orders_since == 2
    assert [o.client_order_id for o in facts.open_elsewhere] == ["e1"]
    fresh = journal.pretrade_facts(clock.now(), orders_since=since, client_order_id="c2")
    assert not fresh.known and fresh.open_elsewhere == ()
    assert journal.has_client_order_id("c1") and not journal.has_client_order_id("c2")


def test_the_acked_order_returned_is_the_order_as_journaled(journal: Journal, clock: ManualClock) -> None:
    intent(journal, "c1")
    clock.advance(1)
    acked = journal.record_ack(view("c1", order_id=5, status=OrderStatus.NEW), latency_ms=2.5)
    assert acked.order == journal.get_order("c1") and acked.order.latency_ms == 2.5
    outside = journal.record_ack(view("never-journaled", order_id=6, status=OrderStatus.FILLED, executed="0.001"))
    assert outside.order == journal.get_order("never-journaled") and outside.order.status is OrderStatus.FILLED
    same = journal.record_ack(view("c1", order_id=5, status=OrderStatus.NEW))  # nothing changes
    assert same.order == acked.order


def test_open_work_is_every_open_symbol_and_every_intent_with_its_age(journal: Journal, clock: ManualClock) -> None:
    """STOP's one read: acknowledged orders give their symbol to the cancel wave, INTENTs are in flight."""
    intent(journal, "acked", symbol="ETHUSDT")
    journal.record_ack(view("acked", order_id=5, status=OrderStatus.NEW, symbol="ETHUSDT"))
    intent(journal, "done", symbol="SOLUSDT")
    journal.record_ack(view("done", order_id=6, status=OrderStatus.FILLED, executed="0.001", symbol="SOLUSDT"))
    clock.advance(2)
    intent(journal, "wire", symbol="BTCUSDT")
    work = journal.open_work()
    assert work.symbols == {"ETHUSDT", "BTCUSDT"}  # a filled order leaves nothing to cancel
    assert work.intents == {"wire": START + timedelta(seconds=2)}
