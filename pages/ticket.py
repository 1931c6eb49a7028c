"""Order ticket: inputs -> live preview (rounding, cost, risk verdict) -> review -> "Confirm & send".

Idempotency: reviewing an order fixes it together with a fresh client order id in session state; the
send runs in the confirm button's callback, before anything is drawn, and reuses that id, so a double
click or a rerun can never place it twice (the service reports an id it already journaled). A new id
is made only after a result.
"""

from __future__ import annotations

import streamlit as st

from crbot.domain import Mode, OrderRequest, OrderType, Side
from crbot.errors import ConnectivityError, CrbotError, InvalidInput
from crbot.runtime import Runtime
from crbot.service import Preview
from ui.fmt import num, parse_decimal, pct, usdt
from ui.runtime import actor, get_runtime

PENDING = "ticket_pending"  # {"req": OrderRequest, "cid": str} fixed at review time
RESULT = "ticket_result"  # {"ok": bool, "text": str, "rows": list[dict]} of the last send
SIZE_QTY, SIZE_QUOTE = "Quantity", "USDT amount"


def render() -> None:
    rt = get_runtime()
    st.title("Order ticket")
    _result()
    left, right = st.columns([1, 1], gap="large")
    with left:
        req, problem = _inputs(rt)
    with right:
        st.subheader("Preview")
        preview = None
        if problem:
            st.info(problem)
        elif req is not None:
            preview = rt.service.preview(req)
            _show_preview(preview)
    pending = st.session_state.get(PENDING)
    if pending is None:
        ok = preview is not None and preview.ok
        st.button(
            "Review order", key="ticket_review", type="primary", disabled=not ok, on_click=_review, args=(rt, req)
        )
    else:
        _review_panel(rt, pending, req)


def _inputs(rt: Runtime) -> tuple[OrderRequest | None, str | None]:
    """The request the widgets describe, or why there is none yet. Amounts are typed text -> exact Decimal."""
    symbols = list(rt.settings.symbols)
    symbol = st.selectbox("Symbol", symbols, key="t_symbol")
    last = rt.service.prices({symbol}).get(symbol) if symbol else None
    age = rt.service.snapshot().age(rt.clock.now()).total_seconds()
    with st.container(key="t_last"):
        shown = f"Last price: **{num(last)}** USDT · {age:.0f} s ago" if last is not None else "Last price: unavailable"
        st.caption(shown)
    c1, c2 = st.columns(2)
    side = c1.segmented_control("Side", [s.value for s in Side], key="t_side", default=Side.BUY.value)
    kind = c2.segmented_control("Type", [OrderType.LIMIT.value, OrderType.MARKET.value], key="t_type", default="LIMIT")
    size_in = st.radio("Size in", [SIZE_QTY, SIZE_QUOTE], key="t_size_in", horizontal=True)
    amount_text = st.text_input(
        f"{SIZE_QTY} (base asset)" if size_in == SIZE_QTY else "Amount (USDT)", key="t_amount", placeholder="e.g. 0.01"
    )
    market = kind == OrderType.MARKET.value
    price_text = st.text_input(
        "Limit price (USDT)", key="t_price", disabled=market, placeholder="market price" if market else "e.g. 60000"
    )
    c3, c4 = st.columns(2)
    sl_text = c3.text_input("Stop-loss (optional)", key="t_sl", help="Trigger price of a STOP_LOSS_LIMIT exit")
    tp_text = c4.text_input("Take-profit (optional)", key="t_tp", help="Price of a LIMIT_MAKER exit")
    if not side or not kind:
        return None, "Pick a side and an order type."
    if not (amount_text or "").strip():
        return None, "Enter a size to see the preview."
    try:
        amount = parse_decimal(amount_text, "Size", required=True)
        price = None if market else parse_decimal(price_text, "Limit price", required=True)
        req = OrderRequest(
            symbol=symbol,
            side=Side(side),
            type=OrderType(kind),
            quantity=amount if size_in == SIZE_QTY else None,
            quote_amount=amount if size_in == SIZE_QUOTE else None,
            price=price,
            stop_loss=parse_decimal(sl_text, "Stop-loss"),
            take_profit=parse_decimal(tp_text, "Take-profit"),
        )
    except InvalidInput as err:
        return None, str(err)
    return req, None


def _show_preview(p: Preview) -> None:
    if p.error and not p.denial:
        st.error(p.error, icon=":material/block:")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Quantity", num(p.quantity))
    c2.metric("Price (USDT)", num(p.price), help=f"Last traded: {num(p.last_price)}")
    c3.metric("Notional (USDT)", num(p.notional, 2))
    c4, c5, c6 = st.columns(3)
    c4.metric("Fee est. (USDT)", num(p.fee_estimate, 4))
    loss_pct = f"-{pct(p.loss_at_stop_pct)} of equity" if p.loss_at_stop_pct is not None else None
    c5.metric(
        "Loss at stop (USDT)", num(p.loss_at_stop, 2) if p.loss_at_stop is not None else "no stop", delta=loss_pct
    )
    c6.metric("Gain at TP (USDT)", num(p.gain_at_take_profit, 2))
    if p.specs:
        st.caption("Orders that will be sent (rounded to the symbol's tick and step):")
        st.dataframe(
            [
                {
                    "Type": s.type.value,
                    "Side": s.side.value,
                    "Quantity": num(s.quantity),
                    "Price": num(s.price),
                    "Stop": num(s.stop_price),
                }
                for s in p.specs
            ],
            hide_index=True,
            width="stretch",
        )
    if p.denial is not None:
        st.error(f"Risk check: **{p.denial.code}** — {p.denial.detail}  \n{p.denial.hint}", icon=":material/gpp_bad:")
    else:
        st.success(f"Risk check passed · equity {usdt(p.equity)}", icon=":material/verified_user:")


def _review(rt: Runtime, req: OrderRequest | None) -> None:
    if req is not None:
        st.session_state[PENDING] = {"req": req, "cid": rt.service.new_client_order_id()}
        st.session_state.pop(RESULT, None)


def _review_panel(rt: Runtime, pending: dict, current: OrderRequest | None) -> None:
    req: OrderRequest = pending["req"]
    st.divider()
    st.subheader("Review")
    size = f"{num(req.quantity)} (base)" if req.quantity is not None else f"{num(req.quote_amount)} USDT worth"
    price = "at market" if req.type is OrderType.MARKET else f"limit {num(req.price)}"
    exits = [
        f"stop-loss {num(req.stop_loss)}" if req.stop_loss else "",
        f"take-profit {num(req.take_profit)}" if req.take_profit else "",
    ]
    st.markdown(
        f"**{req.side.value} {size} {req.symbol} {price}** {' · '.join(e for e in exits if e)}  \n"
        f"Mode **{rt.service.mode.value.upper()}** · client order id `{pending['cid']}`"
    )
    if rt.service.mode is Mode.LIVE:
        st.error("LIVE mode: this order uses real money on Binance.", icon=":material/warning:")
    changed = current != req
    if changed:
        st.warning("The ticket changed since you reviewed it: go back and review again.")
    send, back = st.columns(2)
    send.button("Confirm & send", key="ticket_send", type="primary", disabled=changed, on_click=_send, args=(rt,))
    back.button("Back", key="ticket_back", on_click=st.session_state.pop, args=(PENDING, None))


def _send(rt: Runtime) -> None:
    """Runs before the script body: no element is drawn between sending and recording the result."""
    pending = st.session_state.get(PENDING)
    if pending is None:  # a second click after the result: nothing to send
        return
    try:
        result = rt.service.place(pending["req"], client_order_id=pending["cid"], source="ticket", actor=actor(rt))
    except ConnectivityError as err:
        # The order may have reached the exchange: keep the same client order id, so "Confirm & send"
        # again looks it up instead of placing a second one.
        st.session_state[RESULT] = {
            "ok": False,
            "text": f"{err}  \nThe review stays open with the same client order id: sending again cannot "
            "duplicate the order.",
            "rows": [],
        }
        return
    except CrbotError as err:
        st.session_state.pop(PENDING, None)
        st.session_state[RESULT] = {"ok": False, "text": str(err), "rows": []}
        return
    st.session_state.pop(PENDING, None)
    st.session_state[RESULT] = {
        "ok": True,
        "text": f"Order `{result.client_order_id}` {result.message}.",
        "rows": [
            {
                "Client order id": o.client_order_id,
                "Type": o.type.value,
                "Side": o.side.value,
                "Status": o.status.value,
                "Quantity": num(o.quantity),
                "Filled": num(o.executed_qty),
                "Price": num(o.price),
                "Stop": num(o.stop_price),
                "Note": o.reason,
            }
            for o in result.orders
        ],
    }


def _result() -> None:
    result = st.session_state.get(RESULT)
    if not result:
        return
    if result["ok"]:
        st.success(result["text"], icon=":material/check_circle:")
        if result["rows"]:
            st.dataframe(result["rows"], hide_index=True, width="stretch", key="ticket_result_table")
    else:
        st.error(result["text"], icon=":material/error:")
    st.button("Clear", key="ticket_clear", on_click=st.session_state.pop, args=(RESULT, None))


if __name__ == "__main__":
    st.switch_page("app.py")
