"""Positions & orders: what is held (with unrealised P&L) and what is working, with a guarded cancel."""

from __future__ import annotations

import streamlit as st

from crbot.errors import CrbotError
from crbot.runtime import Runtime
from ui.runtime import actor, get_runtime
from ui.tables import order_label, orders_table, positions_table

PENDING_CANCEL = "cancel_pending"  # the client order id awaiting "Yes, cancel"
CANCEL_RESULT = "cancel_result"
USDT_COLUMN = st.column_config.NumberColumn(format="%.2f")


def render() -> None:
    rt = get_runtime()
    st.title("Positions & orders")
    _tables(rt)
    st.subheader("Cancel an order")
    _cancel(rt)


@st.fragment(run_every="5s")
def _tables(rt: Runtime) -> None:
    st.subheader("Positions")
    try:
        positions = rt.service.positions()
    except CrbotError as err:
        st.error(f"Positions unavailable: {err}")
    else:
        if positions:
            st.dataframe(
                positions_table(positions),
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
    st.subheader("Open orders")
    orders = rt.service.open_orders()
    if orders:
        st.dataframe(orders_table(orders), hide_index=True, width="stretch", key="open_orders_table")
    else:
        st.info("No open orders.")


def _cancel(rt: Runtime) -> None:
    result = st.session_state.pop(CANCEL_RESULT, None)
    if result:
        (st.success if result[0] else st.error)(result[1])
    orders = {o.client_order_id: o for o in rt.service.open_orders()}
    if not orders:
        st.caption("Nothing to cancel.")
        st.session_state.pop(PENDING_CANCEL, None)
        return
    pending = st.session_state.get(PENDING_CANCEL)
    if pending is None:
        cid = st.selectbox(
            "Order",
            list(orders),
            index=None,  # never pre-select: a changed list must not move the choice to another order
            format_func=lambda c: order_label(orders[c]) if c in orders else c,
            key="cancel_pick",
            placeholder="Pick an open order",
        )
        st.button("Cancel order…", key="cancel_order", disabled=cid is None, on_click=_ask, args=(cid,))
        return
    order = orders.get(pending)
    if order is None:
        st.info(f"Order {pending} is no longer open.")
        st.session_state.pop(PENDING_CANCEL, None)
        return
    st.warning(f"Cancel **{order_label(order)}**? A leg of a bracket cancels the whole bracket.")
    yes, no = st.columns(2)
    yes.button(
        "Yes, cancel", key="cancel_confirm", type="primary", on_click=_do_cancel, args=(rt, order.symbol, pending)
    )
    no.button("Keep it", key="cancel_keep", on_click=st.session_state.pop, args=(PENDING_CANCEL, None))


def _ask(cid: str | None) -> None:
    if cid is not None:
        st.session_state[PENDING_CANCEL] = cid


def _do_cancel(rt: Runtime, symbol: str, cid: str) -> None:
    st.session_state.pop(PENDING_CANCEL, None)
    try:
        view = rt.service.cancel(symbol, cid, actor=actor(rt))
    except CrbotError as err:
        st.session_state[CANCEL_RESULT] = (False, f"Cancel failed: {err}")
        return
    st.session_state[CANCEL_RESULT] = (True, f"{view.symbol} {view.client_order_id}: {view.status.value}")


if __name__ == "__main__":
    st.switch_page("app.py")
