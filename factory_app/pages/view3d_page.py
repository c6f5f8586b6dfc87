"""3D: the interactive view of a design in the browser (stpyvista, trame backend), coloured
by the schedule's utilisation when there is one; two designs side by side."""
from __future__ import annotations

import json

import streamlit as st

from factory_app.compute import layout_key
from factory_app.pages.schedule_page import compute_controls
from factory_app.state import AppState
from factory_app.ui import reported, show_3d


def _view(state: AppState, column, label: str, key: str, default: int) -> None:
    designs = state.all_designs()
    names = list(designs)
    with column:
        name = st.selectbox(label, names, index=min(default, len(names) - 1), key=f"{key}_design")
        design = designs[name]
        doc = design.schedule_doc or state.schedule_of(design.layout)
        if doc:
            k = doc["kpis"]
            st.caption(f"Coloured by utilisation (see the colour bar) · makespan {doc['makespan']:,.0f} s · "
                       f"bottleneck {k['bottleneck']}")
        else:
            st.caption("Coloured by station kind · compute a schedule to colour by utilisation")
        with reported("No 3D view"):
            args = (layout_key(design.layout), str(design.layout_dir) if design.layout_dir else None,
                    json.dumps(doc, sort_keys=True) if doc else None)
            show_3d("layout", args, key=f"{key}_3d")


def render(state: AppState) -> None:
    st.header("3D")
    designs = state.all_designs()
    if not designs:
        st.info("Open a layout on the Layout page first.")
        return
    side = st.toggle("Two designs side by side", value=False, key="side_by_side")
    if side:
        left, right = st.columns(2)
        _view(state, left, "Left design", "left", 0)
        _view(state, right, "Right design", "right", 1)
    else:
        _view(state, st.container(), "Design", "main", 0)
    current = next(iter(designs.values()))
    if state.schedule_of(current.layout) is None:
        with st.expander("Colour the current layout by utilisation"):
            compute_controls(state, current, "view3d")
