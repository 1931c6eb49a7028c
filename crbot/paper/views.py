"""What the paper exchange reports about order lists (OCO / OTO / OTOCO), in Binance's terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crbot.domain import OrderView


class ListKind(StrEnum):
    OCO = "OCO"  # two legs, active at once, one cancels the other
    OTO = "OTO"  # working order + one pending order
    OTOCO = "OTOCO"  # working order + a pending OCO pair

    @property
    def contingency_type(self) -> str:
        """Binance's ``contingencyType``: an OTOCO is reported as "OTO" (rest-api.md, OTOCO response)."""
        return "OCO" if self is ListKind.OCO else "OTO"


class ListStatusType(StrEnum):
    EXEC_STARTED = "EXEC_STARTED"  # placed, or updated and still working
    ALL_DONE = "ALL_DONE"  # finished: filled, one-cancels-other resolved, or canceled


class ListOrderStatus(StrEnum):
    EXECUTING = "EXECUTING"
    ALL_DONE = "ALL_DONE"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderListView:
    """An order list as the exchange reports it; ``orders`` in placement order (working first)."""

    order_list_id: int
    list_client_id: str
    symbol: str
    kind: ListKind
    status: ListStatusType
    order_status: ListOrderStatus
    time: datetime
    update_time: datetime
    orders: tuple[OrderView, ...]

    @property
    def contingency_type(self) -> str:
        return self.kind.contingency_type

    @property
    def is_open(self) -> bool:
        return self.status is ListStatusType.EXEC_STARTED
