"""Positions & orders: what is held (with unrealised P&L), what is working, a cancel per order and a
cancel-all per symbol (each asks first). Everything refreshes together every 5 s, so an order placed
elsewhere (CLI, API, a bot: they share the journal) is listed and cancellable within one refresh."""

from __future__ import annotations

import streamlit as st

from crbot.errors import CrbotError
from crbot.journal import JournalOrder
from crbot.runtime import Runtime
from ui.positions import split_dust
from ui.runtime import actor, get_runtime
from ui.tables import order_label, orders_table, positions_table

PENDING_CANCEL = "cancel_pending"  # the client order id awaiting "Yes, cancel"
PENDING_ALL = "cancel_all_pending"  # the symbol awaiting "Yes, cancel all"
CANCEL_RESULT = "cancel_result"
USDT_COLUMN = st.column_config.NumberColumn(format="%.2f")


def render() -> None:
    rt = get_runtime()
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
    st.dataframe(orders_table(orders), hide_index=True, width="stretch", key="open_orders_table")
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
            positions_table(held),
            hide_index=True,
            width="stretch",
            key="positions_table",
            column_config={
                "Average entry": st.column_config.NumberColumn(format="%.8g"),
                "Market price": st.column_config.NumberColumn(format="%.8g"),
                "Market value (USDT)": USDT_COLUMN,
                "Unrealised P&L (USDT)": USDT_COLUMN,
            },
        )
        st.caption("Average entry comes from this journal's fills; coins bought elsewhere show no entry or P&L.")
    else:
        st.info("No positions: the account holds only USDT.")
    if dust:
        left = ", ".join(f"{p.quantity.normalize():f} {p.symbol}" for p in dust)
        st.caption(f"Dust (below the symbol's lot step or minimum order value, cannot be sold): {left}")


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
