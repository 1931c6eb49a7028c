"""Where an MT5 bracket's legs are remembered: MT5 has no order lists, so CRBOT's stop-loss / take-profit legs
become the ``sl`` / ``tp`` of one entry order (OTO / OTOCO) or of the position (OCO), and their client ids,
quantities and prices live here, in ``CRBOT_HOME/mt5_lists.db``, shared by every process on the account.

A list is written BEFORE its order is sent (like the executor's intent), so a leg is never unknown to a
process that sees its entry. ``list_id`` is the entry's ticket (or the position's, for an OCO) once known.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from crbot.domain import OrderSpec, OrderType, Side

_SCHEMA = """
CREATE TABLE IF NOT EXISTS legs (
    client_id TEXT PRIMARY KEY, list_client_id TEXT NOT NULL, anchor TEXT NOT NULL, role TEXT NOT NULL,
    symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL, quantity TEXT NOT NULL,
    price TEXT, stop TEXT, list_id INTEGER, canceled INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL
)"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Leg:
    """One stop-loss ("sl") or take-profit ("tp") leg; ``anchor`` is the entry's client id, or "" for an OCO
    on the position."""

    client_id: str
    list_client_id: str
    anchor: str
    role: str
    spec: OrderSpec
    list_id: int | None
    canceled: bool
    created: int

    @property
    def level(self) -> Decimal | None:
        """The price MT5 holds for this leg: the stop's trigger, the take-profit's limit."""
        return self.spec.stop_price if self.role == "sl" else self.spec.price


class LegBook:
    def __init__(self, path: Path) -> None:
        self.path = path
        with self._db() as db:
            db.execute(_SCHEMA)
        path.chmod(0o600)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, list_client_id: str, anchor: str, legs: Sequence[tuple[str, OrderSpec]], created: int) -> None:
        rows = [
            (s.client_order_id, list_client_id, anchor, role, s.symbol, s.side.value, s.type.value,
             str(s.quantity), _text(s.price), _text(s.stop_price), created)
            for role, s in legs
        ]  # fmt: skip
        with self._db() as db:
            db.executemany(
                "INSERT OR REPLACE INTO legs (client_id, list_client_id, anchor, role, symbol, side, type, quantity,"
                " price, stop, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def set_list_id(self, list_client_id: str, list_id: int) -> None:
        with self._db() as db:
            db.execute("UPDATE legs SET list_id = ? WHERE list_client_id = ?", (list_id, list_client_id))

    def cancel(self, list_client_id: str) -> None:
        with self._db() as db:
            db.execute("UPDATE legs SET canceled = 1 WHERE list_client_id = ?", (list_client_id,))

    def get(self, client_id: str) -> Leg | None:
        found = self._select("client_id = ?", (client_id,))
        return found[0] if found else None

    def of_anchor(self, anchor: str) -> list[Leg]:
        return self._select("anchor = ?", (anchor,))

    def of_symbol(self, symbol: str | None) -> list[Leg]:
        return self._select("symbol = ?", (symbol,)) if symbol else self._select("1 = 1", ())

    def _select(self, where: str, args: tuple[object, ...]) -> list[Leg]:
        with self._db() as db:
            rows = db.execute(
                "SELECT client_id, list_client_id, anchor, role, symbol, side, type, quantity, price, stop, list_id,"
                f" canceled, created FROM legs WHERE {where} ORDER BY created, rowid",
                args,
            ).fetchall()
        return [_leg(r) for r in rows]


def _leg(r: tuple) -> Leg:  # type: ignore[type-arg]
    spec = OrderSpec(
        client_order_id=r[0], symbol=r[4], side=Side(r[5]), type=OrderType(r[6]), quantity=Decimal(r[7]),
        price=_dec(r[8]), stop_price=_dec(r[9]),
    )  # fmt: skip
    return Leg(
        client_id=r[0], list_client_id=r[1], anchor=r[2], role=r[3], spec=spec, list_id=r[10],
        canceled=bool(r[11]), created=r[12],
    )  # fmt: skip


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
