"""The routes: the guide's seven broker endpoints and CRBOT's controls, each one call into ``TradingService``.

Routes are plain ``def``: FastAPI runs them in its thread pool, as Streamlit runs dashboard sessions, over
the same thread-safe service. STOP, cancel and resume act before any start-up work (as the CLI's
``_acts_first``); every other route waits for the server's start-up, and ``order/create`` refuses to send
while it has failed (a live key audit, a STOP sweep or pending orders still unresolved).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from crbot.api.guard import Guard, client_of
from crbot.api.models import LimitsBody, OrderCancel, OrderCreate, ResumeBody, StopBody
from crbot.api.tokens import Scope, Token
from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import CrbotError, OrderNotFound, StopIncomplete
from crbot.jsonable import to_jsonable
from crbot.runtime import Runtime

logger = logging.getLogger(__name__)
PREFIX = "/api/broker"


def reply(value: Any, status: int = 200) -> JSONResponse:
    """JSON with decimals as strings (the CLI's ``--json`` form); a non-finite float is null."""
    return JSONResponse(_finite(to_jsonable(value)), status_code=status)


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    return data


def build_router(rt: Runtime, guard: Guard, ready: Callable[[bool], None]) -> APIRouter:
    """``ready(strict)`` waits for the start-up; strict raises its error while it has failed."""
    svc = rt.service
    read, trade, admin = (Depends(guard.require(s)) for s in (Scope.READ, Scope.TRADE, Scope.ADMIN))
    router = APIRouter(prefix=PREFIX)

    locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
    locks_guard = threading.Lock()

    @contextlib.contextmanager
    def same_id(cid: str | None) -> Iterator[None]:
        """One order/create at a time per client order id (in this server)."""
        if cid is None:
            yield
            return
        with locks_guard:
            lock = locks.get(cid) or locks.setdefault(cid, threading.Lock())
        with lock:
            yield

    @contextlib.contextmanager
    def audited(token: Token, request: Request, action: str, detail: str) -> Iterator[list[str]]:
        """Every call that acts is an audit event naming the token, with its outcome (appended by the route)."""
        outcome: list[str] = []
        try:
            yield outcome
        except CrbotError as exc:
            outcome.append(f"failed: {type(exc).__name__}: {exc}")
            raise
        finally:
            try:
                rt.journal.audit(
                    actor=f"api:{token.name}",
                    action=action,
                    detail=f"{detail} from {client_of(request)} -> {'; '.join(outcome) or 'ok'}"[:1000],
                )
            except Exception:  # the act happened (or failed) already; a lost audit row must not hide that
                logger.exception("could not write the audit event of %s by api:%s", action, token.name)

    @router.get("/ping", summary="Test the connection to the broker")
    def ping(_: Token = read) -> JSONResponse:
        return reply({"ok": True, "broker": svc.broker.name, "latency_ms": round(svc.broker.ping(), 3)})

    @router.get("/balance", summary="Balances free / locked and equity in USDT")
    def balance(_: Token = read) -> JSONResponse:
        ready(False)
        return reply({"balances": svc.balances(), "equity_usdt": svc.equity()})

    @router.get("/positions", summary="Open positions with unrealised P&L")
    def positions(_: Token = read) -> JSONResponse:
        ready(False)
        return reply([to_jsonable(p) | {"unrealized_pnl": to_jsonable(p.unrealized_pnl)} for p in svc.positions()])

    @router.get("/account/info", summary="Account: balances, commissions, permissions")
    def account_info(_: Token = read) -> JSONResponse:
        ready(False)
        return reply(svc.broker.account())

    @router.get("/orders", summary="Orders from the journal: open, or the most recent")
    def orders(
        _: Token = read,
        open: bool = Query(False, description="only open orders"),
        limit: int = Query(200, ge=1, le=1000),
    ) -> JSONResponse:
        ready(False)
        return reply(svc.open_orders() if open else svc.orders(limit=limit))

    @router.get("/order/{client_order_id}", summary="One order by client order id")
    def order(
        client_order_id: str,
        _: Token = read,
        symbol: str | None = Query(None, description="asks the exchange when the journal does not know the id"),
    ) -> JSONResponse:
        ready(False)
        journaled = svc.journal.get_order(client_order_id)
        if journaled is not None:
            return reply(journaled)
        if symbol is None:
            raise OrderNotFound(
                f"order {client_order_id!r} is not in CRBOT's journal",
                hint="check the id, or add ?symbol=BTCUSDT to ask the exchange for an order placed elsewhere",
            )
        return reply(svc.broker.get_order(symbol.strip().upper(), client_order_id))

    @router.post("/order/create", status_code=201, summary="Place an order (201 sent, 200 already sent)")
    def order_create(body: OrderCreate, request: Request, token: Token = trade) -> JSONResponse:
        ready(True)
        cid = body.client_order_id
        with same_id(cid):  # a concurrent retry waits, then hears "already sent" (the service never resends)
            return _create(body, request, token, cid)

    def _create(body: OrderCreate, request: Request, token: Token, cid: str | None) -> JSONResponse:
        replay = cid is not None and svc.journal.has_client_order_id(cid)
        req = OrderRequest(
            symbol=body.symbol,
            side=Side(body.side),
            type=OrderType(body.type),
            quantity=body.quantity,
            quote_amount=body.quote_quantity,
            price=body.price,
            stop_loss=body.stop_loss,
            take_profit=body.take_profit,
        )
        what = " ".join(f"{k}={v}" for k, v in to_jsonable(body.model_dump(exclude_none=True)).items())
        with audited(token, request, "api_order_create", what) as outcome:
            result = svc.place(req, client_order_id=cid, source="api", actor=f"api:{token.name}")
            outcome.append(f"{result.message} ({result.client_order_id})")
        answer = {"client_order_id": result.client_order_id, "message": result.message, "orders": result.orders}
        return reply(answer, 200 if replay else 201)

    @router.post("/order/cancel", summary="Cancel an order (a leg cancels its whole list)")
    def order_cancel(body: OrderCancel, request: Request, token: Token = trade) -> JSONResponse:
        with audited(token, request, "api_order_cancel", f"{body.symbol} {body.client_order_id}"):
            return reply(svc.cancel(body.symbol.upper(), body.client_order_id, actor=f"api:{token.name}"))

    @router.post("/stop", summary="KILL SWITCH: halt trading, cancel every open order, optionally flatten")
    def stop(body: StopBody, request: Request, token: Token = trade) -> JSONResponse:
        what = f"flatten={body.flatten} all_balances={body.all_balances} reason={body.reason!r}"
        with audited(token, request, "api_stop", what) as outcome:
            report = svc.stop(
                reason=body.reason, actor=f"api:{token.name}", flatten=body.flatten, all_balances=body.all_balances
            )
            result = {**to_jsonable(report), "ok": report.ok}
            if not report.ok:  # HALTED is latched; what is left is listed and swept again later
                raise StopIncomplete(result)
            outcome.append(f"HALTED, canceled {len(report.canceled)}")
        return reply(result)

    @router.post("/resume", summary="Resume trading after a STOP (admin; the typed word RESUME)")
    def resume(body: ResumeBody, request: Request, token: Token = admin) -> JSONResponse:
        with audited(token, request, "api_resume", body.reason):
            svc.resume(confirmation=body.confirmation, actor=f"api:{token.name}", reason=body.reason)
        return reply({"ok": True, "trading_state": svc.trading_state().state})

    @router.get("/status", summary="Mode, price source, trading state, key audit, start-up")
    def status(request: Request, _: Token = read) -> JSONResponse:
        state = svc.trading_state()
        connection = svc.connection_info()
        return reply(
            {
                "mode": rt.settings.mode,
                "broker": svc.broker.name,
                "price_source": svc.broker.price_source(),
                "trading_state": state.state,
                "since": state.since,
                "by": state.actor,
                "reason": state.reason,
                "key_audit": connection.get("Key permission audit"),
                "start_up": request.app.state.start_up.describe(),
                "connection": connection,
            }
        )

    @router.get("/metrics", summary="Performance metrics against the integration guide's targets")
    def metrics(_: Token = read) -> JSONResponse:
        ready(False)
        rows = svc.metrics()
        return reply([{k: v for k, v in to_jsonable(m).items() if k != "fmt"} | {"text": m.text} for m in rows])

    @router.get("/limits", summary="The risk limits")
    def limits(_: Token = read) -> JSONResponse:
        return reply(svc.risk_limits().to_strings())

    @router.post("/limits", summary="Change risk limits (admin; audited with the reason)")
    def change_limits(body: LimitsBody, request: Request, token: Token = admin) -> JSONResponse:
        with audited(token, request, "api_limits", ", ".join(f"{k}={v}" for k, v in body.changes.items())):
            changed = svc.risk_limits().with_changes(**body.changes)
            svc.save_risk_limits(changed, actor=f"api:{token.name}", reason=body.reason)
        return reply(svc.risk_limits().to_strings())

    return router
