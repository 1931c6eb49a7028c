"""Order ticket: inputs -> live preview (rounding, cost, risk verdict) -> review -> "Confirm & send".

What is sent is what is on screen: Review and Confirm build the request from the widgets' values at
callback time (the last field typed counts); while a review is pending the inputs are locked, and Confirm
re-reads them and refuses to send when they differ from the reviewed order (it re-shows the review of
what the ticket holds now). Idempotency: reviewing fixes the order with a fresh client order id; the
send runs in the confirm button's callback, before anything is drawn, and reuses that id, so a double
click or a rerun can never place it twice. After a send the ticket's fields are cleared.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from crbot.access.page import confirm_password, password_field
from crbot.domain import Mode, OrderRequest, OrderType
from crbot.errors import ConnectivityError, CrbotError, InvalidInput
from crbot.exchange.rules import SymbolRules
from crbot.runtime import Runtime
from crbot.service import Preview
from ui.fmt import num, parse_decimal, pct, usdt
from ui.fmt import price as fmt_price
from ui.fmt import qty as fmt_qty
from ui.runtime import actor, get_runtime
from ui.ticket_price import price_panel
from ui.ticket_state import (
    INPUT_KEYS,
    PROMPTS,
    SIZE_QTY,
    SIZE_QUOTE,
    TEXT_KEYS,
    describe,
    equity_amount,
    max_amount,
    request_from,
    result_rows,
)

PENDING = "ticket_pending"  # {"req": OrderRequest, "cid": str} fixed at review time
RESULT = "ticket_result"  # {"ok": bool, "text": str, "rows": list[dict]} of the last send
BUY_GREEN, SELL_RED = "#1b8a5a", "#d32f2f"  # white text reads on both, in light and dark themes
PREVIEW_CSS = """<style>.st-key-t_preview [data-testid="stMetricValue"] {font-size: 1.4rem;}</style>"""
SIDE_CSS = f"""<style>
.st-key-t_side button[aria-checked="true"]:nth-of-type(1) {{background: {BUY_GREEN}; border-color: {BUY_GREEN};
  color: #fff;}}
.st-key-t_side button[aria-checked="true"]:nth-of-type(2) {{background: {SELL_RED}; border-color: {SELL_RED};
  color: #fff;}}
.st-key-ticket_send_BUY button {{background: {BUY_GREEN}; border-color: {BUY_GREEN}; color: #fff;}}
.st-key-ticket_send_SELL button {{background: {SELL_RED}; border-color: {SELL_RED}; color: #fff;}}
</style>"""
FRACTIONS = (10, 25, 50)  # % size buttons beside Max (100 %)
LIVE_PASSWORD = "ticket_live_password"  # the dashboard password, asked again to send a LIVE order
NOTICE = "ticket_notice"  # why Review / Confirm did nothing (shown once, next to the buttons)


def render() -> None:
    rt = get_runtime()
    st.html(SIDE_CSS)
    st.title("Order ticket")
    _result(failed=False)  # a sent order's result on top; a refusal next to the buttons that sent it
    pending = st.session_state.get(PENDING)
    left, right = st.columns([1, 1], gap="large")
    with left:
        req, problem = _inputs(rt, locked=pending is not None)
        if problem and problem not in PROMPTS:  # an input error: red, right under the fields that caused it
            st.error(problem, icon=":material/error:")
        preview = rt.service.preview(req) if req is not None and not problem else None
        if preview is not None and preview.error:  # the exchange's filters or a risk limit: same style, same place
            st.error(preview.error, icon=":material/error:")
    with right:
        price_panel(rt, st.session_state.get("t_symbol") or rt.settings.symbols[0])
        st.subheader("Preview")
        if problem:
            st.info(problem if problem in PROMPTS else "Correct the ticket (see the message under the fields).")
        elif preview is not None and req is not None:
            rules = rt.service.broker.rules().get(req.symbol)
            with st.container(key="t_preview"):
                st.html(PREVIEW_CSS)
                _show_preview(preview, rules)
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.warning(notice, icon=":material/sync_problem:")
    _result(failed=True)
    if pending is None:
        ok = preview is not None and preview.ok
        st.button("Review order", key="ticket_review", type="primary", disabled=not ok, on_click=_review, args=(rt,))
    else:
        _review_panel(rt, pending, req)


def _inputs(rt: Runtime, *, locked: bool) -> tuple[OrderRequest | None, str | None]:
    """Draw the ticket's widgets (disabled while a review is pending); the request they describe."""
    symbols = list(rt.settings.symbols)
    symbol = st.selectbox("Symbol", symbols, key="t_symbol", disabled=locked)
    # one above the other: side by side in half a page, "MARKET" was cut to "MARK" at 1024 px
    st.segmented_control("Side", ["BUY", "SELL"], key="t_side", default="BUY", disabled=locked)
    kind = st.segmented_control(
        "Type", [OrderType.LIMIT.value, OrderType.MARKET.value], key="t_type", default="LIMIT", disabled=locked
    )
    size_in = st.radio("Size in", [SIZE_QTY, SIZE_QUOTE], key="t_size_in", horizontal=True, disabled=locked)
    st.text_input(
        f"{SIZE_QTY} (base asset)" if size_in == SIZE_QTY else "Amount (USDT)",
        key="t_amount",
        placeholder="e.g. 0.001" if size_in == SIZE_QTY else "e.g. 50",
        disabled=locked,
    )
    # one row that never stacks (a horizontal container wraps instead of turning into a column on a phone)
    with st.container(horizontal=True, key="t_sizes", gap="small"):
        for pct_ in FRACTIONS:
            st.button(
                f"{pct_} % eq.",
                key=f"t_pct_{pct_}",
                disabled=locked,
                on_click=_fill_equity,
                args=(rt, Decimal(pct_) / 100),
                help=f"An order worth {pct_} % of the account's total equity (USDT) at the ticket's price, "
                "rounded down to the lot step; capped by what is free (a BUY net of the fee)",
            )
        st.button(
            "Max",
            key="t_max",
            disabled=locked,
            on_click=_fill_max,
            args=(rt,),
            help="What the free balance allows (a BUY net of the fee), rounded down to the lot step",
        )
    market = kind == OrderType.MARKET.value
    last = rt.service.prices({symbol}).get(symbol) if symbol else None
    hint = "market price" if market else (f"e.g. {num(last)} (last)" if last is not None else "limit price")
    st.text_input("Limit price (USDT)", key="t_price", disabled=market or locked, placeholder=hint)
    c3, c4 = st.columns(2)
    c3.text_input("Stop-loss (optional)", key="t_sl", help="Trigger price of a STOP_LOSS_LIMIT exit", disabled=locked)
    c4.text_input("Take-profit (optional)", key="t_tp", help="Price of a LIMIT_MAKER exit", disabled=locked)
    return request_from(st.session_state, symbols[0])


def _show_preview(p: Preview, rules: SymbolRules | None) -> None:
    if p.error and not p.denial:  # the message itself is under the fields
        st.info("Refused as typed: see the message under the fields.", icon=":material/block:")
        return
    tick, step = (rules.tick_size, rules.step_size) if rules is not None else (None, None)
    c1, c2, c3 = st.columns(3, gap="small")
    c1.metric("Quantity", fmt_qty(p.quantity, step))
    c2.metric("Price (USDT)", fmt_price(p.price, tick), help=f"Last traded: {fmt_price(p.last_price, tick)}")
    c3.metric("Notional (USDT)", num(p.notional, 2))
    c4, c5, c6 = st.columns(3, gap="small")
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
                    "Quantity": fmt_qty(s.quantity, step),
                    "Price": fmt_price(s.price, tick) if s.price is not None else "",
                    "Stop": fmt_price(s.stop_price, tick) if s.stop_price is not None else "",
                }
                for s in p.specs
            ],
            hide_index=True,
            width="stretch",
        )
    if p.denial is not None:  # the message itself is under the fields
        st.info("Risk check failed: see the message under the fields.", icon=":material/gpp_bad:")
    else:
        st.success(f"Risk check passed · equity {usdt(p.equity)}", icon=":material/verified_user:")


def _typed_price(text: str | None) -> Decimal | None:
    try:
        return parse_decimal(text, "Limit price")
    except InvalidInput:
        return None


def _sizing(rt: Runtime) -> tuple[SymbolRules | None, Decimal | None, bool, dict[str, Decimal]]:
    """What the size buttons work from: the symbol's rules, the typed (or last) price, MARKET or not, free balances."""
    state = st.session_state
    symbol = state.get("t_symbol") or rt.settings.symbols[0]
    rules = rt.service.broker.rules().get(symbol)
    market = state.get("t_type") == OrderType.MARKET.value
    price = None if market else _typed_price(state.get("t_price"))
    price = price or rt.service.prices({symbol}).get(symbol)
    return rules, price, market, {b.asset: b.free for b in rt.service.balances()}


def _fill_max(rt: Runtime, fraction: Decimal = Decimal(1)) -> None:
    """Callback: the size field gets what ``fraction`` of the free balance allows (1: Max), from the committed
    side, type and price."""
    state = st.session_state
    rules, price, market, free = _sizing(rt)
    if rules is None or price is None:
        state[NOTICE] = "Max needs the symbol's rules and a price: type a limit price or wait for a price."
        return
    amount = max_amount(
        buy=state.get("t_side", "BUY") == "BUY",
        by_qty=state.get("t_size_in", SIZE_QTY) == SIZE_QTY,
        price=price,
        free_base=free.get(rules.base_asset, Decimal(0)),
        free_quote=free.get(rules.quote_asset, Decimal(0)),
        rules=rules,
        fee_rate=rt.settings.fee_rate,
        market=market,
        fraction=fraction,
    )
    if amount <= 0:
        state[NOTICE] = f"Nothing free to {'buy with' if state.get('t_side', 'BUY') == 'BUY' else 'sell'}."
        return
    state["t_amount"] = format(amount.normalize(), "f")


def _fill_equity(rt: Runtime, fraction: Decimal) -> None:
    """Callback: the size field gets an order worth ``fraction`` of the total equity, capped by what is free."""
    state = st.session_state
    rules, price, market, free = _sizing(rt)
    equity = rt.service.equity()
    if rules is None or price is None or not equity:
        state[NOTICE] = "Sizing by equity needs the symbol's rules, a price and the equity: wait for a price."
        return
    buy = state.get("t_side", "BUY") == "BUY"
    amount, capped = equity_amount(
        buy=buy,
        by_qty=state.get("t_size_in", SIZE_QTY) == SIZE_QTY,
        price=price,
        equity=equity,
        free_base=free.get(rules.base_asset, Decimal(0)),
        free_quote=free.get(rules.quote_asset, Decimal(0)),
        rules=rules,
        fee_rate=rt.settings.fee_rate,
        market=market,
        fraction=fraction,
    )
    if amount <= 0:
        state[NOTICE] = f"Nothing free to {'buy with' if buy else 'sell'}."
        return
    state["t_amount"] = format(amount.normalize(), "f")
    if capped:
        what = f"free {rules.quote_asset} (net of the fee)" if buy else f"free {rules.base_asset}"
        state[NOTICE] = (
            f"{fraction * 100:.0f} % of equity ({usdt(equity * fraction)}) is more than the {what}: "
            "sized to what is free."
        )


def _current(rt: Runtime) -> OrderRequest | None:
    """The request the widgets hold right now (callback time: every field's last committed value)."""
    return request_from(st.session_state, rt.settings.symbols[0])[0]


def _review(rt: Runtime) -> None:
    req = _current(rt)
    if req is None or not rt.service.preview(req).ok:
        st.session_state[NOTICE] = "The ticket changed: check the preview, then review again."
        return
    # Streamlit 1.67 drops a value that arrives in the run where its widget turns disabled (the last field
    # typed, committed with this click): assigning it programmatically keeps it on screen, as reviewed.
    for key in INPUT_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    st.session_state[PENDING] = {"req": req, "cid": rt.service.new_client_order_id()}
    st.session_state.pop(RESULT, None)


def _review_panel(rt: Runtime, pending: dict, current: OrderRequest | None) -> None:
    req: OrderRequest = pending["req"]
    st.divider()
    st.subheader("Review")
    st.markdown(
        f"{describe(req)}  \nMode **{rt.service.mode.value.upper()}** · client order id `{pending['cid']}`  \n"
        "The ticket is locked while you review: **Back** to change it."
    )
    if rt.service.mode is Mode.LIVE:
        st.error("LIVE mode: this order uses real money on Binance.", icon=":material/warning:")
        password_field(rt.settings.home, LIVE_PASSWORD)  # asked again for real money, when one is set
    changed = current != req
    if changed:
        st.warning("The ticket changed since you reviewed it: go back and review again.")
    send, back = st.columns(2)
    with send.container(key=f"ticket_send_{req.side.value}"):  # green for a BUY, red for a SELL
        st.button("Confirm & send", key="ticket_send", type="primary", disabled=changed, on_click=_send, args=(rt,))
    back.button("Back", key="ticket_back", on_click=st.session_state.pop, args=(PENDING, None))


def _send(rt: Runtime) -> None:
    """Runs before the script body: no element is drawn between sending and recording the result."""
    pending = st.session_state.get(PENDING)
    if pending is None:  # a second click after the result: nothing to send
        return
    if rt.service.mode is Mode.LIVE:
        problem = confirm_password(rt.settings.home, LIVE_PASSWORD, purpose="live_order", journal=rt.journal)
        if problem:  # the review stays open: type the password and send again
            st.session_state[RESULT] = {"ok": False, "text": problem, "rows": []}
            return
    if _current(rt) != pending["req"]:  # the screen shows something else than what was reviewed
        st.session_state.pop(PENDING, None)
        st.session_state[NOTICE] = (
            "Nothing was sent: the ticket changed after you reviewed it. Check the preview and review again."
        )
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
    for key in TEXT_KEYS:  # a fresh ticket: nothing can be sent twice by mistake
        st.session_state[key] = ""
    st.session_state[RESULT] = {
        "ok": True,
        "text": f"Order `{result.client_order_id}` {result.message}: {describe(pending['req'])}",
        "rows": result_rows(rt.service, result),
    }


def _result(*, failed: bool) -> None:
    result = st.session_state.get(RESULT)
    if not result or result["ok"] is failed:
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
