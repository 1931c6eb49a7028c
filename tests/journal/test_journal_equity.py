"""Equity snapshots and the day-start value the daily-loss limit measures from."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from crbot.clock import ManualClock
from crbot.journal import Journal
from tests.journal.conftest import START


def test_snapshots_frame_and_day_start(journal: Journal, clock: ManualClock) -> None:
    journal.snapshot_equity(Decimal("10000.00"))  # at the clock's now (2026-01-05 12:00 UTC)
    journal.snapshot_equity(Decimal("9990.5"), at=START + timedelta(hours=13))  # 01:00 on the 6th
    journal.snapshot_equity(
        Decimal("9950"), at=START + timedelta(hours=11, minutes=59, seconds=59)
    )  # 23:59:59 on the 5th
    journal.snapshot_equity(Decimal("9900"), at=START + timedelta(hours=20))
    assert journal.day_start_equity(date(2026, 1, 5)) == Decimal("10000.00")
    assert journal.day_start_equity(date(2026, 1, 6)) == Decimal("9990.5")
    assert journal.day_start_equity(date(2026, 1, 7)) is None
    frame = journal.equity_frame()
    assert list(frame["equity"]) == [10000.0, 9950.0, 9990.5, 9900.0]  # ordered by time
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]" and str(frame["equity"].dtype) == "float64"
    assert frame["time"].iloc[0] == START


def test_empty_equity_frame(journal: Journal) -> None:
    frame = journal.equity_frame()
    assert frame.empty and list(frame.columns) == ["time", "equity"]
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
