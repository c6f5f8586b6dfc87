"""3D: the interactive view of a design in the browser (stpyvista, trame backend), coloured
by the schedule's utilisation when there is one; two designs side by side."""
from __future__ import annotations

import json

import streamlit as st

from twin.palette import KIND_COLORS, heat_color, hex_colour

from factory_app.compute import layout_key
from factory_app.pages.schedule_page import compute_controls
from factory_app.state import AppState, Design
from factory_app.ui import OPEN_A_LAYOUT, pick_design, reported, show_3d


KIND, UTILISATION = "station kind", "utilisation (from the schedule)"


def colouring(designs: list[Design | None], wanted: str | None = None) -> str:
    """One colouring for every design shown, so two sides compare like with like: by
    utilisation only when every design has a schedule."""
    if all(d is not None and d.schedule_doc for d in designs):
        return wanted or UTILISATION
    return KIND


def legend_html(colour_by: str) -> str:
    """The legend under the 3D view (the scene itself carries none, so nothing covers a dock)."""
    if colour_by == UTILISATION:
        stops = ", ".join(f"{hex_colour(heat_color(v / 10))} {v * 10}%" for v in range(11))
        return ("<div style='display:flex;align-items:center;gap:8px;font-size:0.85rem'>utilisation "
                "<span>0 %</span><span style='flex:0 0 220px;height:12px;border-radius:3px;"
                f"background:linear-gradient(to right, {stops})'></span><span>100 %</span></div>")
    items = "".join(f"<span style='display:inline-flex;align-items:center;gap:4px;margin-right:12px'>"
                    f"<span style='width:12px;height:12px;border-radius:2px;background:{hex_colour(rgb)}'></span>"
                    f"{kind.replace('_', ' ')}</span>" for kind, rgb in KIND_COLORS.items())
    return f"<div style='font-size:0.85rem'>{items}</div>"


def view_height(layout, columns: int) -> int:
    """Canvas height (px) for the floor's shape, so a long, shallow factory fills the view
    instead of a band across a tall canvas (the width is about 1,100 px shared by the columns)."""
    width = 1100 / columns
    seen = width * layout.floor.depth / layout.floor.width * 1.6  # the 3/4 view's depth foreshortened
    return int(min(620, max(280, seen)))


def _view(design: Design, column, colour_by: str, key: str, columns: int = 1) -> None:
    with column:
        doc = design.schedule_doc if colour_by == UTILISATION else None
        if doc:
            k = design.schedule_doc["kpis"]
            st.caption(f"Coloured by utilisation · makespan {design.schedule_doc['makespan']:,.0f} s · "
                       f"busiest station {k['bottleneck']}")
        else:
            st.caption("Coloured by station kind" + ("" if design.schedule_doc else
                                                     " · compute a schedule to colour by utilisation"))
        with reported("No 3D view"):
            args = (layout_key(design.layout), str(design.layout_dir) if design.layout_dir else None,
                    json.dumps(doc, sort_keys=True) if doc else None)
            show_3d("layout", args, key=f"{key}_3d", height=view_height(design.layout, columns))
        st.html(legend_html(UTILISATION if doc else KIND))


def render(state: AppState) -> None:
    st.header("3D")
    designs = state.all_designs()
    if not designs:
        st.info(OPEN_A_LAYOUT)
        return
    side = st.toggle("Two designs side by side", value=False, key="side_by_side")
    sides = [("Left design", "left", 0), ("Right design", "right", 1)] if side else [("Design", "main", 0)]
    columns = st.columns(len(sides))
    picked = []
    for column, (label, key, default) in zip(columns, sides):
        with column:
            picked.append(pick_design(designs, label, f"{key}_design", default))
    choices = [UTILISATION, KIND] if colouring(picked) == UTILISATION else [KIND]
    wanted = st.radio("Colour by", choices, horizontal=True, key="colour_by") if len(choices) > 1 else KIND
    colour_by = colouring(picked, wanted)
    for column, design, (_, key, _) in zip(columns, picked, sides):
        if design is not None:
            _view(design, column, colour_by, key, len(sides))
    current = state.current_design()  # the open layout, not a run's design
    if current is not None and current.schedule_doc is None:
        with st.expander("Colour the current layout by utilisation"):
            compute_controls(state, current, "view3d")
