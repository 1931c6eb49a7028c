"""Where a full run of the dashboard writes: the main area, whatever the last fragment run left behind.

Streamlit 1.67 restores a fragment's container stack when it reruns the fragment on its own (the sidebar's
live-state fragment every 3 s) and never resets it afterwards. When the same script thread then serves a
full rerun (a field submitted meanwhile), every element the page writes to "the current container" lands in
that fragment's container: seen in CI as the ticket's fields drawn into the sidebar, beside their copies in
the main area. Streamlit resets the stack only when a run is interrupted by a rerun.
"""

from __future__ import annotations

from streamlit.delta_generator_singletons import context_dg_stack, get_default_dg_stack_value


def write_to_main() -> None:
    """Call first in a full run: the page's elements go to the main area, the sidebar's stay in `st.sidebar`."""
    context_dg_stack.set(get_default_dg_stack_value())
