"""The Cells page's editor of one robot cell: its fixtures and its tasks' waypoints as two
tables (`factory_app.cell_tables`), each change one edit of the layout (validated at once,
Undo takes it back), with every problem on the row and column it concerns. The cell's
physics report above the tables follows the last valid layout."""
from __future__ import annotations

import streamlit as st

from factory_app import cell_tables as ct
from factory_app import tables
from factory_app.editing import EditSession

_METRES = {c: st.column_config.NumberColumn(c, format="%g", help="m") for c in ("width", "depth", "height", "x", "y", "z")}
_DEGREES = {c: st.column_config.NumberColumn(c, format="%g", help="degrees") for c in ("roll", "pitch", "yaw")}


def _records(frame, columns: list[str]) -> list[dict]:
    return [{c: tables.cell_value(row.get(c)) for c in columns} for _, row in frame.iterrows()]


def render(session: EditSession, station_id: str) -> None:
    import pandas as pd

    data = session.data
    index = next((i for i, s in enumerate(data.get("stations") or []) if s.get("id") == station_id), None)
    cell = data["stations"][index].get("cell") if index is not None else None
    if not cell:
        return
    fixture_messages, waypoint_messages, other = ct.row_problems(session.problems, index, cell)
    st.markdown(f"**Fixtures of {station_id}** — boxes in the cell frame (origin at the footprint's centre on the "
                "floor, x along its width, z up); size and position in m, turn in degrees")
    frame = pd.DataFrame([{**r, "problems": m} for r, m in zip(ct.fixture_rows(cell), fixture_messages)],
                         columns=ct.FIXTURE_COLUMNS + ["problems"])
    edited = st.data_editor(frame, key=f"cell_fixtures_{station_id}_{session.revision}", num_rows="dynamic",
                            width="stretch", hide_index=True, column_config={
                                **_METRES, **_DEGREES,
                                "problems": st.column_config.TextColumn("problems", disabled=True, width="large")})
    if tables.frame_changed(frame, edited, ct.FIXTURE_COLUMNS):
        rows = _records(tables.without_blank_new_rows(edited, len(frame), ct.FIXTURE_COLUMNS), ct.FIXTURE_COLUMNS)
        session.edit(ct.apply_fixtures(session.data, index, rows))
        st.rerun()
    st.markdown(f"**Waypoints of {station_id}'s tasks**, in order — a point *relative to* a fixture is in that "
                "fixture's frame and moves with it; blank: the cell frame")
    frame = pd.DataFrame([{**r, "problems": m} for r, m in zip(ct.waypoint_rows(cell), waypoint_messages)],
                         columns=ct.WAYPOINT_COLUMNS + ["problems"])
    fixtures = [f.get("id") for f in cell.get("fixtures") or [] if f.get("id")]
    edited = st.data_editor(frame, key=f"cell_waypoints_{station_id}_{session.revision}", num_rows="dynamic",
                            width="stretch", hide_index=True, column_config={
                                "task": st.column_config.SelectboxColumn(
                                    "task", options=[t.get("id") for t in cell.get("tasks") or []], required=True),
                                "relative_to": st.column_config.SelectboxColumn("relative_to", options=[""] + fixtures),
                                "action": st.column_config.SelectboxColumn("action", options=list(ct.ACTIONS)),
                                **_METRES, **_DEGREES,
                                "problems": st.column_config.TextColumn("problems", disabled=True, width="large")})
    if tables.frame_changed(frame, edited, ct.WAYPOINT_COLUMNS):
        rows = _records(tables.without_blank_new_rows(edited, len(frame), ct.WAYPOINT_COLUMNS), ct.WAYPOINT_COLUMNS)
        try:
            session.edit(ct.apply_waypoints(session.data, index, rows))
        except ct.CellTableError as exc:
            st.error(f"Not applied: {exc}.")
        else:
            st.rerun()
    for message in other:
        st.error(message)
