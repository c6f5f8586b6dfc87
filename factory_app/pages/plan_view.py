"""The Layout page's plan view you work in: the drag component (`factory_app.plan_drag`,
front end in `factory_app/frontend/plan_drag.js`) and what a drop does on the page."""
from __future__ import annotations

import streamlit as st

from twin.model import Layout

from factory_app import plan_drag
from factory_app.editing import EditSession

DROPPED = "_plan_dropped"  # (moved, message) of the last drop, shown once


def render(session: EditSession, shown: Layout, bad: set[str]) -> None:
    """The plan view you work in: drag a station (snapped to the floor grid) to move it; a
    drop the check refuses is undone and its reason shown."""
    st.caption("Drag a station to move it (snapped to the floor grid); Undo takes a move back.")
    drops = st.session_state.get("_plan_drops", 0)  # new data after every drop: a refused one is drawn back
    data = {**plan_drag.plan_data(shown, bad), "drops": drops}
    result = _plan_component()(key="plan_drag", data=data, on_drop_change=_no_op)
    if result.drop:
        st.session_state["_plan_drops"] = drops + 1
        st.session_state[DROPPED] = plan_drag.apply_drop(session, result.drop)
        st.rerun()
    if DROPPED in st.session_state:
        moved, message = st.session_state.pop(DROPPED)
        (st.success if moved else st.error)(message)


def _no_op() -> None:
    """Streamlit reports a component event only to a script that listens for it."""


@st.cache_resource(show_spinner=False)
def _plan_component():
    return st.components.v2.component("factory_twin_plan_drag", html="<div class='plan'></div>",
                                      js=plan_drag.FRONTEND.read_text(encoding="utf-8"))
