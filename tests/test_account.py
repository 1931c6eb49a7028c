"""The read model: pages and previews read one account snapshot; typing on the ticket costs no exchange request
and writes nothing; an action invalidates the snapshot; place re-reads only its own symbol."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal as D

from crbot.domain import OrderRequest, Side


class Counting:
    """Wraps the real paper broker and counts every call the service makes on it."""

    def __init__(self, broker):
        self._broker = broker
        self.calls: Counter[str] = Counter()
        self.open_orders_args: list[object] = []

    def __getattr__(self, name: str):
        real = getattr(self._broker, name)
        if not callable(real) or name in ("rules", "price_source"):  # rules are cached by every broker
            return real

        def counted(*args, **kwargs):
            self.calls[name] += 1
            if name == "open_orders":
                self.open_orders_args.append(args[0] if args else kwargs.get("symbol"))
            return real(*args, **kwargs)

        return counted


def test_typing_on_the_ticket_makes_no_exchange_request_and_writes_nothing(service):
    service.snapshot()  # what the dashboard's refresh keeps warm
    counting = Counting(service.broker)
    service.broker = counting
    equity_rows = len(service.journal.equity_frame())
    for qty in ("0.001", "0.002", "0.0025", "abc", "0.003"):
        try:
            req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=qty, price=D("49500"), stop_loss=D("48000"))
        except Exception:
            continue
        preview = service.preview(req)
        assert preview.ok, preview.error
    assert sum(counting.calls.values()) == 0, counting.calls
    assert len(service.journal.equity_frame()) == equity_rows  # a preview never writes to the journal


def test_place_reads_only_its_own_symbol_and_invalidates_the_snapshot(service):
    before = service.snapshot()
    counting = Counting(service.broker)
    service.broker = counting
    service.place(OrderRequest(symbol="ETHUSDT", side=Side.BUY, quantity=D("0.1"), price=D("2950")), actor="t")
    assert counting.open_orders_args == ["ETHUSDT"]  # symbol-scoped (6 weight on Binance), never all symbols (80)
    assert counting.calls["balances"] == 0  # balances from the snapshot taken before
    after = service.snapshot()
    assert after.taken_at >= before.taken_at and after is not before  # the action invalidated it
    usdt = next(r for r in after.balances if r.asset == "USDT")
    assert usdt.locked == D("295.000")


def test_an_idle_refresh_polls_nothing_once_discovery_has_run(service):
    service.refresh()  # first run: discovery (every symbol) and a snapshot
    counting = Counting(service.broker)
    service.broker = counting
    for _ in range(5):
        service.refresh()
    assert counting.calls["open_orders"] == 0 and counting.calls["balances"] == 0, counting.calls


def test_an_order_loop_does_not_retake_the_snapshot_for_every_order(service, clock):
    service.snapshot()
    counting = Counting(service.broker)
    service.broker = counting
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, quantity=D("0.001"), price=D("49500"))
    for _ in range(5):
        service.place(req, actor="bot")
    assert counting.calls["balances"] == 0  # a bot's loop leaves STOP its request weight
    clock.advance(6)
    service.place(req, actor="bot")
    assert counting.calls["balances"] == 1  # older than 5 s after an action: retaken once
    service.balances()
    assert counting.calls["balances"] == 2  # a page right after an action sees what it did
