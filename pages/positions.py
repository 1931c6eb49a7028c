"""Positions & orders: what is held (with unrealised P&L), what is working, a cancel per order and a
cancel-all per symbol (each asks first), and "close position": a MARKET sell of the step-rounded free amount
through the service's one order path, shown with its risk check and the dust it leaves, sent only after
"Yes, sell" (with a client order id fixed when asked, so a double click cannot sell twice). Everything
refreshes together every 5 s, so an order placed elsewhere (CLI, API, a bot: they share the journal) is
listed and cancellable within one refresh."""

from __future__ import annotations

import streamlit as st

from crbot.domain import Position
from crbot.errors import CrbotError
from crbot.journal import JournalOrder
from crbot.runtime import Runtime
from ui.fmt import price, qty
from ui.positions import ClosePlan, close_plan, split_dust
from ui.runtime import actor, get_runtime
from ui.tables import order_label, orders_table, positions_table
from ui.ticket_state import fee_text, result_rows

PENDING_CANCEL = "cancel_pending"  # the client order id awaiting "Yes, cancel"
PENDING_ALL = "cancel_all_pending"  # the symbol awaiting "Yes, cancel all"
CANCEL_RESULT = "cancel_result"
PENDING_CLOSE = "close_pending"  # {"symbol", "sell", "cid"} awaiting "Yes, sell"
CLOSE_RESULT = "close_result"  # (ok, text, rows)
USDT_COLUMN = st.column_config.NumberColumn(format="%,.2f")  # 1,234.57
SELL_CSS = "<style>.st-key-close_confirm button {background: #d32f2f; border-color: #d32f2f; color: #fff;}</style>"


def render() -> None:
    rt = get_runtime()
    st.html(SELL_CSS)  # the close's "Yes, sell" is a SELL: red, as everywhere
    st.title("Positions & orders")
    _live(rt)


@st.fragment(run_every="5s")
def _live(rt: Runtime) -> None:
    _positions(rt)
    st.subheader("Open orders")
    result = st.session_state.pop(CANCEL_RESULT, None)
    if result:
        (st.success if result[0] else st.error)(result[1])
    orders = rt.service.open_orders()
    if not orders:
        st.info("No open orders.")
        st.session_state.pop(PENDING_CANCEL, None)
        st.session_state.pop(PENDING_ALL, None)
        return
    try:
        rules = rt.service.broker.rules()
    except CrbotError:
        rules = None  # quantities and prices then show as they are
    fees = {o.client_order_id: fee_text(rt.service, o) for o in orders if o.executed_qty > 0}  # partly filled
    st.dataframe(orders_table(orders, rules, fees), hide_index=True, width="stretch", key="open_orders_table")
    _cancel_rows(rt, orders)
    _cancel_all(rt, orders)


def _positions(rt: Runtime) -> None:
    st.subheader("Positions")
    try:
        positions = rt.service.positions()
        rules = rt.service.broker.rules()
    except CrbotError as err:
        st.error(f"Positions unavailable: {err}")
        return
    held, dust = split_dust(positions, rules)
    if held:
        st.dataframe(
            positions_table(held, rules),
            hide_index=True,
            width="stretch",
            key="positions_table",
            column_config={
                "Average entry": st.column_config.TextColumn(
                    alignment="right",
                    help="volume-weighted fill price of the bought lots still held (FIFO), fees not included; "
                    "the same figure as Performance and `python -m crbot positions`",
                ),
                "Market price": st.column_config.TextColumn(alignment="right"),
                "Quantity": st.column_config.TextColumn(alignment="right"),
                "Market value (USDT)": USDT_COLUMN,
                "Unrealised P&L (USDT)": st.column_config.TextColumn(
                    alignment="right", help="(market − average entry) × quantity"
                ),
            },
        )
        st.caption(
            "Average entry: the fill price of the lots still held (FIFO), **fees not included**, from this "
            "journal's fills; coins bought elsewhere show — (no entry, no P&L)."
        )
        _close_rows(rt, held, rules)
    else:
        st.info("No positions: the account holds only USDT.")
        st.session_state.pop(PENDING_CLOSE, None)
    _close_result()
    if dust:
        left = ", ".join(f"{p.quantity.normalize():f} {p.symbol}" for p in dust)
        st.caption(f"Dust (below the symbol's lot step or minimum order value, cannot be sold): {left}")


def _plan(rt: Runtime, position: Position, rules) -> ClosePlan:
    balances = {b.asset: b for b in rt.service.balances()}
    row = balances.get(rules.base_asset)
    free, locked = (row.free, row.locked) if row is not None else (position.quantity, 0)
    return close_plan(position.symbol, rules, free, locked, position.market_price)


def _close_rows(rt: Runtime, held: list[Position], rules: dict) -> None:
    """A "Close…" per position; the pending one shows what would be sold, the risk verdict and the dust left."""
    pending = st.session_state.get(PENDING_CLOSE)
    with st.container(key="close_rows"):
        for position in held:
            r = rules.get(position.symbol)
            if r is None:
                continue
            if pending is None or pending["symbol"] != position.symbol:
                label, action = st.columns([5, 1], vertical_alignment="center")
                label.markdown(f"**{position.symbol}** {qty(position.quantity, r.step_size)} {r.base_asset}")
                action.button("Close…", key=f"close_{position.symbol}", on_click=_ask_close, args=(rt, position.symbol))
                continue
            _confirm_close(rt, _plan(rt, position, r), pending, r)


def _confirm_close(rt: Runtime, plan: ClosePlan, pending: dict, rules) -> None:
    if plan.problem:
        st.warning(f"Cannot close {plan.symbol}: {plan.problem}.")
        st.button("OK", key="close_keep", on_click=st.session_state.pop, args=(PENDING_CLOSE, None))
        return
    pending["sell"] = plan.sell  # what this confirmation shows: the click sends exactly this or nothing
    preview = rt.service.preview(plan.request())
    what = f"SELL **{qty(plan.sell, rules.step_size)} {plan.base_asset}** of {plan.symbol} at MARKET"
    value = f" (about {price(preview.notional, rules.tick_size)} USDT)" if preview.notional else ""
    left = [f"dust left: {plan.dust.normalize():f} {plan.base_asset}"] if plan.dust > 0 else []
    if plan.locked > 0:
        left.append(
            f"{plan.locked.normalize():f} {plan.base_asset} stays locked in open orders (cancel them to sell it)"
        )
    st.warning(f"Close position: {what}{value}?  \n" + ("; ".join(left) or "nothing left behind"))
    if not preview.ok:
        st.error(preview.error or "the risk check refused this sell", icon=":material/gpp_bad:")
    yes, no = st.columns(2)
    yes.button(
        "Yes, sell at market",
        key="close_confirm",
        type="primary",
        disabled=not preview.ok,
        on_click=_do_close,
        args=(rt, plan.symbol),
    )
    no.button("Keep it", key="close_keep", on_click=st.session_state.pop, args=(PENDING_CLOSE, None))


def _ask_close(rt: Runtime, symbol: str) -> None:
    st.session_state[PENDING_CLOSE] = {"symbol": symbol, "cid": rt.service.new_client_order_id()}


def _do_close(rt: Runtime, symbol: str) -> None:
    """Re-plans from the current balances: what is sold is what the confirmation showed a moment ago."""
    pending = st.session_state.pop(PENDING_CLOSE, None)
    if pending is None or pending["symbol"] != symbol:
        return
    rules = rt.service.broker.rules().get(symbol)
    position = next((p for p in rt.service.positions() if p.symbol == symbol), None)
    if rules is None or position is None:
        st.session_state[CLOSE_RESULT] = (False, f"Nothing was sold: no {symbol} position any more.", [])
        return
    plan = _plan(rt, position, rules)
    if plan.problem:
        st.session_state[CLOSE_RESULT] = (False, f"Nothing was sold: {plan.problem}.", [])
        return
    if plan.sell != pending.get("sell"):  # the balance moved between the confirmation and the click
        st.session_state[PENDING_CLOSE] = {"symbol": symbol, "cid": pending["cid"]}
        st.session_state[CLOSE_RESULT] = (
            False,
            f"Nothing was sold: the {symbol} position changed since the confirmation. Check it and confirm again.",
            [],
        )
        return
    try:
        result = rt.service.place(plan.request(), client_order_id=pending["cid"], source="positions", actor=actor(rt))
    except CrbotError as err:
        st.session_state[CLOSE_RESULT] = (False, f"Close {symbol} failed: {err}", [])
        return
    dust = f"; dust left {plan.dust.normalize():f} {plan.base_asset}" if plan.dust > 0 else ""
    text = f"{symbol}: sold {qty(plan.sell, rules.step_size)} {plan.base_asset} at market ({result.message}){dust}"
    st.session_state[CLOSE_RESULT] = (True, text, result_rows(rt.service, result))


def _close_result() -> None:
    result = st.session_state.get(CLOSE_RESULT)
    if not result:
        return
    ok, text, rows = result
    (st.success if ok else st.error)(text)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", key="close_result_table")
    st.button("Clear", key="close_clear", on_click=st.session_state.pop, args=(CLOSE_RESULT, None))


def _cancel_rows(rt: Runtime, orders: list[JournalOrder]) -> None:
    pending = st.session_state.get(PENDING_CANCEL)
    if pending is not None and pending not in {o.client_order_id for o in orders}:
        st.info(f"Order {pending} is no longer open.")
        st.session_state.pop(PENDING_CANCEL, None)
        pending = None
    with st.container(key="cancel_rows"):
        for order in orders:
            cid = order.client_order_id
            label, action = st.columns([5, 1], vertical_alignment="center")
            label.markdown(f"`{order_label(order)}`")
            if cid != pending:
                action.button("Cancel…", key=f"cancel_{cid}", on_click=_ask, args=(PENDING_CANCEL, cid))
                continue
            st.warning(f"Cancel **{order_label(order)}**? A leg of a bracket cancels the whole bracket.")
            yes, no = st.columns(2)
            yes.button(
                "Yes, cancel", key="cancel_confirm", type="primary", on_click=_do_cancel, args=(rt, order.symbol, cid)
            )
            no.button("Keep it", key="cancel_keep", on_click=st.session_state.pop, args=(PENDING_CANCEL, None))


def _cancel_all(rt: Runtime, orders: list[JournalOrder]) -> None:
    by_symbol: dict[str, int] = {}
    for o in orders:
        by_symbol[o.symbol] = by_symbol.get(o.symbol, 0) + 1
    pending = st.session_state.get(PENDING_ALL)
    if pending is None or pending not in by_symbol:
        st.session_state.pop(PENDING_ALL, None)
        pick, go = st.columns([3, 2], vertical_alignment="bottom")
        symbol = pick.selectbox(
            "Cancel every order on",
            list(by_symbol),
            format_func=lambda s: f"{s} ({by_symbol.get(s, 0)} open)",
            key="cancel_all_symbol",
        )
        go.button("Cancel all…", key="cancel_all", disabled=symbol is None, on_click=_ask, args=(PENDING_ALL, symbol))
        return
    st.warning(f"Cancel all **{by_symbol[pending]}** open order(s) on **{pending}**?")
    yes, no = st.columns(2)
    yes.button("Yes, cancel all", key="cancel_all_confirm", type="primary", on_click=_do_cancel_all, args=(rt, pending))
    no.button("Keep them", key="cancel_all_keep", on_click=st.session_state.pop, args=(PENDING_ALL, None))


def _ask(flag: str, value: str | None) -> None:
    if value is not None:
        st.session_state[flag] = value


def _do_cancel(rt: Runtime, symbol: str, cid: str) -> None:
    st.session_state.pop(PENDING_CANCEL, None)
    try:
        view = rt.service.cancel(symbol, cid, actor=actor(rt))
    except CrbotError as err:
        st.session_state[CANCEL_RESULT] = (False, f"Cancel failed: {err}")
        return
    st.session_state[CANCEL_RESULT] = (True, f"{view.symbol} {view.client_order_id}: {view.status.value}")


def _do_cancel_all(rt: Runtime, symbol: str) -> None:
    st.session_state.pop(PENDING_ALL, None)
    try:
        views = rt.service.cancel_all(symbol, actor=actor(rt))
    except CrbotError as err:
        st.session_state[CANCEL_RESULT] = (False, f"Cancel all on {symbol} failed: {err}")
        return
    st.session_state[CANCEL_RESULT] = (True, f"{symbol}: {len(views)} order(s) canceled")


if __name__ == "__main__":
    st.switch_page("app.py")
