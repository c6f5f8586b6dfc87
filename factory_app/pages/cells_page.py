"""Cells: the robot-cell reports from physics (cycle time, reach, collisions) with a 3D view
of each cell."""
from __future__ import annotations

import streamlit as st

from twin.physics import CellFailure, robot_cells

from factory_app.compute import cell_notes, cell_summary, layout_key, task_rows
from factory_app.state import AppState
from factory_app.ui import cached_cell_reports, reported, show_3d


def render(state: AppState) -> None:
    st.header("Robot cells")
    if state.session is None:
        st.info("Open a layout on the Layout page first.")
        return
    layout, layout_dir = state.session.layout, state.session.layout_dir
    cells = [station for _, station in robot_cells(layout)]
    if not cells:
        st.info(f"'{layout.name}' has no robot cells.")
        return
    key = layout_key(layout)
    folder = str(layout_dir) if layout_dir else None
    reports = None
    with reported("Could not simulate the cells"), st.spinner("Simulating robot cells in PyBullet (cached after the first run)…"):
        reports = cached_cell_reports(key, folder)
    if reports is None:
        return
    st.dataframe(cell_summary(reports), width="stretch", hide_index=True)
    for station, note in cell_notes(reports):
        st.caption(f"**{station}**: {note}")
    names = [c.id for c in cells]
    pick = st.selectbox("Cell", names, key="cell_pick")
    rep = next((r for r in reports if r.station_id == pick), None)
    left, right = st.columns([3, 2])
    with left:
        with reported("No 3D view of the cell"), st.spinner("Building the cell scene…"):
            show_3d("cell", (key, folder, pick), key=f"cell3d_{pick}")
    with right:
        if rep is None:
            st.info("No report for this cell.")
        elif isinstance(rep, CellFailure):
            st.error(rep.error)
        else:
            st.markdown(f"**{pick}** · robot `{rep.robot}` · {'all tasks ok' if rep.ok else ':red[problems]'}")
            st.dataframe(task_rows(rep), width="stretch", hide_index=True)
            # every problem at its field path; a waypoint tied to a fixture names the fixture
            index = next(i for i, s in enumerate(layout.stations) if s.id == pick)
            for problem in rep.layout_problems(f"stations[{index}]", layout.stations[index].cell):
                st.error(str(problem))
            for warning in rep.warnings:
                st.caption(warning)
