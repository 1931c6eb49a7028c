"""Fills: idempotent by (symbol, trade_id), linked to our orders, fees in the quote asset, fast frames."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from crbot.clock import ManualClock
from crbot.domain import Side
from crbot.journal import Journal
from crbot.journal.fills import FILL_COLUMNS, commission_quote
from tests.journal.conftest import START, fill, spec, view


def test_same_trade_twice_is_one_row(journal: Journal) -> None:
    assert journal.record_fills([fill(1), fill(2)]) == 2
    assert journal.record_fills([fill(2), fill(3), fill(3)]) == 1
    assert [f.trade_id for f in journal.fills()] == [1, 2, 3]
    # the same trade id on another symbol is another trade
    assert journal.record_fills([fill(1, symbol="ETHUSDT", asset="ETH")]) == 1


def test_fill_round_trips_as_a_domain_value(journal: Journal) -> None:
    original = fill(7, price="43210.12", qty="0.00012000", commission="0.00432101", asset="USDT", maker=True)
    journal.record_fills([original])
    assert journal.fills() == [original]


def test_commission_valued_in_the_quote_asset() -> None:
    assert commission_quote(fill(commission="0.05", asset="USDT")) == Decimal("0.05")
    assert commission_quote(fill(price="50000", commission="0.000001", asset="BTC")) == Decimal("0.05")
    assert commission_quote(fill(commission="0.0001", asset="BNB")) is None  # needs a BNB price we do not have
    assert commission_quote(fill(commission="0", asset="BNB")) == 0
    assert commission_quote(fill(symbol="BNBUSDT", price="600", commission="0.001", asset="BNB")) == Decimal("0.6")


def test_fills_link_to_our_order_whether_the_ack_comes_first_or_last(journal: Journal) -> None:
    journal.record_intent(
        [spec("early"), spec("late")],
        list_client_id=None,
        source="t",
        mode="paper",
        expected_price=Decimal("49990"),
        actor="a",
    )
    journal.record_ack(view("early", order_id=1))
    journal.record_fills([fill(1, order_id=1), fill(2, order_id=2), fill(3, order_id=999)])
    frame = journal.fills_frame()
    assert list(frame["client_order_id"]) == ["early", "", ""]
    journal.record_ack(view("late", order_id=2))  # ack journaled after its fill
    frame = journal.fills_frame()
    assert list(frame["client_order_id"]) == ["early", "late", ""]
    assert list(frame["expected_price"].fillna(-1)) == [49990.0, 49990.0, -1]


def test_fills_filters(journal: Journal) -> None:
    journal.record_fills(
        [
            fill(1, at=START),
            fill(2, at=START + timedelta(minutes=5)),
            fill(1, symbol="ETHUSDT", asset="ETH", at=START + timedelta(minutes=9)),
        ]
    )
    assert [f.trade_id for f in journal.fills(symbol="BTCUSDT", since=START + timedelta(minutes=1))] == [2]
    assert [f.symbol for f in journal.fills()] == ["BTCUSDT", "BTCUSDT", "ETHUSDT"]
    assert journal.fills(symbol="SOLUSDT") == []


def test_fills_frame_columns_and_dtypes(journal: Journal) -> None:
    journal.record_fills(
        [
            fill(2, at=START + timedelta(seconds=1), side=Side.SELL, commission="0.05", asset="USDT", maker=True),
            fill(1, at=START, commission="0.0001", asset="BNB"),
        ]
    )
    frame = journal.fills_frame()
    assert tuple(frame.columns) == FILL_COLUMNS
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert dtypes["time"] == "datetime64[ns, UTC]"
    for name in ("price", "qty", "quote_qty", "commission", "commission_quote", "expected_price"):
        assert dtypes[name] == "float64", name
    assert dtypes["is_maker"] == "bool" and dtypes["trade_id"] == "int64" and dtypes["order_id"] == "int64"
    for name in ("symbol", "side", "commission_asset", "client_order_id"):
        assert frame[name].map(type).eq(str).all(), name
    assert list(frame["trade_id"]) == [1, 2]  # oldest first
    assert list(frame["side"]) == ["BUY", "SELL"] and list(frame["is_maker"]) == [False, True]
    assert np.isnan(frame["commission_quote"].iloc[0]) and frame["commission_quote"].iloc[1] == 0.05
    assert frame["time"].iloc[0] == START


def test_empty_fills_frame_keeps_columns_and_dtypes(journal: Journal) -> None:
    frame = journal.fills_frame()
    assert frame.empty and tuple(frame.columns) == FILL_COLUMNS
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]" and str(frame["price"].dtype) == "float64"
    assert str(frame["is_maker"].dtype) == "bool" and str(frame["trade_id"].dtype) == "int64"


def test_100k_fills_bulk_insert_then_frame(journal: Journal, clock: ManualClock) -> None:
    n = 100_000
    symbols = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")
    fills = [
        fill(
            i,
            order_id=i,
            symbol=symbols[i % 4],
            price=f"{100 + i % 97}.{i % 100:02d}",
            qty="0.50000000",
            commission="0.01",
            asset="USDT",
            at=START + timedelta(seconds=i),
            side=Side.BUY if i % 2 else Side.SELL,
            maker=i % 3 == 0,
        )
        for i in range(1, n + 1)
    ]
    assert journal.record_fills(fills) == n
    assert journal.record_fills(fills[:1000]) == 0
    frame = journal.fills_frame()
    assert len(frame) == n
    assert frame["trade_id"].is_monotonic_increasing and frame["time"].is_monotonic_increasing
    row = frame.iloc[12_344]  # trade 12345
    assert row["trade_id"] == 12_345 and row["symbol"] == "ETHUSDT" and row["side"] == "BUY"
    assert row["price"] == float(f"{100 + 12_345 % 97}.45") and row["qty"] == 0.5 and row["is_maker"]
    assert row["time"] == START + timedelta(seconds=12_345)
    assert frame["commission_quote"].sum() == pytest.approx(n * 0.01)
    assert frame.groupby("symbol").size().to_dict() == dict.fromkeys(symbols, n // 4)


def test_frame_refreshes_incrementally_with_every_change(db_url: str, clock: ManualClock) -> None:
    ours, other_process = Journal(db_url, clock), Journal(db_url, clock)
    ours.record_fills([fill(1, order_id=1, at=START + timedelta(seconds=10))])
    assert list(ours.fills_frame()["trade_id"]) == [1]
    other_process.record_fills([fill(2, order_id=2, at=START)])  # older, written elsewhere
    assert list(ours.fills_frame()["trade_id"]) == [2, 1]  # still oldest first
    other_process.record_intent(
        [spec("c2")], list_client_id=None, source="t", mode="paper", expected_price=Decimal("1"), actor="a"
    )
    other_process.record_ack(view("c2", order_id=2))  # links fill 2 after the fact
    frame = ours.fills_frame()
    assert list(frame["client_order_id"]) == ["c2", ""] and list(frame["expected_price"].fillna(0)) == [1.0, 0.0]
    frame.loc[0, "price"] = -1.0  # callers may scribble on their copy
    assert ours.fills_frame()["price"].iloc[0] == 50000.0
    ours.close()
    other_process.close()


def test_frame_reloads_when_the_file_changed_underneath(sqlite_journal: Journal, sqlite_url: str) -> None:
    journal = sqlite_journal
    journal.record_fills([fill(1), fill(2)])
    assert len(journal.fills_frame()) == 2
    raw = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    with raw:
        raw.execute("DELETE FROM fills WHERE trade_id = 1")  # e.g. a restored backup
    raw.close()
    assert list(journal.fills_frame()["trade_id"]) == [2]


def test_a_new_process_starts_from_the_fills_snapshot_and_reads_only_what_is_new(
    sqlite_url: str, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from crbot.journal import fill_frames

    db_url = sqlite_url  # the snapshot file sits beside a SQLite journal
    monkeypatch.setattr(fill_frames.FillFrameCache, "SNAPSHOT_EVERY", 3)
    first = Journal(db_url, clock)
    first.record_fills([fill(i) for i in range(1, 6)])
    assert len(first.fills_frame()) == 5  # a full load writes the snapshot
    snapshots = list(tmp_path.glob("*.fills.arrow"))
    assert len(snapshots) == 1
    first.record_fills([fill(6)])  # written after the snapshot

    fetched: list[str] = []
    real_fetch = fill_frames.fetch

    def spy(conn, sql, params=()):
        fetched.append(sql)
        return real_fetch(conn, sql, params)

    monkeypatch.setattr(fill_frames, "fetch", spy)
    second = Journal(db_url, clock)  # another process on the same file
    frame = second.fills_frame()
    assert list(frame["trade_id"]) == [1, 2, 3, 4, 5, 6]
    assert fill_frames._ALL not in fetched and fill_frames._SINCE in fetched  # only the new row was read
    assert frame.equals(first.fills_frame())


def test_a_snapshot_of_another_journal_is_ignored(tmp_path, clock: ManualClock, monkeypatch) -> None:
    from crbot.journal import fill_frames

    monkeypatch.setattr(fill_frames.FillFrameCache, "SNAPSHOT_EVERY", 1)
    url = f"sqlite:///{tmp_path / 'j.db'}"
    old = Journal(url, clock)
    old.record_fills([fill(i, price="100") for i in range(1, 4)])
    old.fills_frame()
    old.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"j.db{suffix}").unlink(missing_ok=True)  # the journal is replaced, its snapshot stays
    new = Journal(url, clock)
    new.record_fills([fill(i, price="200", symbol="ETHUSDT", asset="ETH") for i in range(7, 10)])
    frame = new.fills_frame()
    assert list(frame["trade_id"]) == [7, 8, 9] and set(frame["symbol"]) == {"ETHUSDT"}


def test_a_second_load_reads_only_the_new_rows(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite and PostgreSQL alike: writers take turns, so revisions commit in order and a refresh reads
    only the rows with a revision above the last one seen."""
    from crbot.journal import fill_frames

    journal.record_fills([fill(1), fill(2)])
    assert len(journal.fills_frame()) == 2
    fetched: list[str] = []
    real_fetch = fill_frames.fetch

    def spy(conn, sql, params=()):
        fetched.append(sql)
        return real_fetch(conn, sql, params)

    monkeypatch.setattr(fill_frames, "fetch", spy)
    journal.record_fills([fill(3, at=START - timedelta(seconds=1))])
    assert list(journal.fills_frame()["trade_id"]) == [3, 1, 2]
    assert fill_frames._ALL not in fetched and any("WHERE f.revision >" in sql for sql in fetched)


def test_order_fills_are_one_orders_fills_only(journal: Journal) -> None:
    journal.record_fills([fill(1, order_id=7), fill(2, order_id=8), fill(3, order_id=7, symbol="ETHUSDT", asset="ETH")])
    journal.record_fills([fill(4, order_id=7)])
    assert [f.trade_id for f in journal.order_fills("BTCUSDT", 7)] == [1, 4]
    assert [f.trade_id for f in journal.order_fills("ETHUSDT", 7)] == [3]
    assert journal.order_fills("BTCUSDT", 99) == []
