"""The simulated exchange: a matching engine with Binance spot semantics over its own SQLite book.

``MatchingEngine`` (engine.py) is the one entry point; the paper broker and the local HTTP server are
its two faces; ``paper_market`` (factory.py) builds it with the feed, clock, rules and fees both faces
share. ``OrderListView`` (views.py) is how it reports OCO / OTO / OTOCO lists.
"""

from crbot.sim.views import ListKind, ListOrderStatus, ListStatusType, OrderListView

__all__ = ["ListKind", "ListOrderStatus", "ListStatusType", "OrderListView"]
