"""3D: the interactive view of a design in the browser (stpyvista, trame backend), coloured
by the schedule's utilisation when there is one; two designs side by side."""
from __future__ import annotations

import json

import streamlit as st

from factory_app.compute import layout_key
from factory_app.pages.schedule_page import compute_controls
from factory_app.state import AppState, Design
from factory_app.ui import OPEN_A_LAYOUT, pick_design, reported, show_3d


def _view(designs: dict[str, Design], column, label: str, key: str, default: int) -> None:
    with column:
        design = pick_design(designs, label, f"{key}_design", default)
        if design is None:
            return
        doc = design.schedule_doc
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
        st.info(OPEN_A_LAYOUT)
        return
    side = st.toggle("Two designs side by side", value=False, key="side_by_side")
    if side:
        left, right = st.columns(2)
        _view(designs, left, "Left design", "left", 0)
        _view(designs, right, "Right design", "right", 1)
    else:
        _view(designs, st.container(), "Design", "main", 0)
    current = state.current_design()  # the open layout, not a run's design
    if current is not None and current.schedule_doc is None:
        with st.expander("Colour the current layout by utilisation"):
            compute_controls(state, current, "view3d")
