"""Cells: the robot-cell reports from physics (cycle time, reach, collisions) with a 3D view
of each cell, and the cell's arrangement optimised with physics in the loop: the search runs
in the background with progress, then the page shows the cell before and after in 3D (the
tool-centre-point path from the physics run drawn in each), both cycle times and the gain,
and applies the best cell to the layout as one edit that Undo takes back. The cell's fixtures
and waypoints are edited in tables (`factory_app.pages.cell_editor`)."""
from __future__ import annotations

import streamlit as st

from twin.physics import CellFailure, robot_cells

from factory_app.cell_job import CellJob, CellSearchSettings, apply_best, arrangement_rows
from factory_app.compute import cell_notes, cell_summary, layout_key, task_rows
from factory_app.pages import cell_editor
from factory_app.state import AppState
from factory_app.ui import cached_cell_reports, reported, show_3d

PATH_NOTE = ("Orange: where the tool centre point goes in one simulated cycle (the joints' real motion); "
             "red: the waypoints.")


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
        st.caption(PATH_NOTE)
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
    st.subheader("Edit the cell")
    with reported("Could not show the cell's tables"):
        cell_editor.render(state.session, pick)
    _optimise(state, pick)


def _optimise(state: AppState, pick: str) -> None:
    st.subheader("Optimise the cell's arrangement")
    job: CellJob | None = state.cell_job
    running = job is not None and not job.done
    with st.form("cell_search", enter_to_submit=False):
        st.markdown(f"Search where **{pick}**'s fixtures (and its robot base) stand and turn inside its footprint; "
                    "every candidate is simulated in PyBullet (reach, collisions, cycle time).")
        c1, c2, c3 = st.columns(3)
        candidates = c1.number_input("Candidates", min_value=1, max_value=10_000, value=60, step=20,
                                     key="cell_candidates")
        seed = c2.number_input("Seed", min_value=0, value=0, step=1, key="cell_seed")
        move_base = c3.checkbox("Move the robot base too", value=True, key="cell_move_base")
        start = st.form_submit_button("Optimise the cell", type="primary", disabled=running)
    if start and not running:
        settings = CellSearchSettings(int(candidates), int(seed), bool(move_base))
        state.cell_job = CellJob(state.session.layout, state.session.layout_dir, pick, settings, state.physics).start()
        st.rerun()
    if job is None:
        return
    _progress(state)
    if job.done and job.result is not None:
        with reported("Could not show the search's result"):
            _before_after(state, job)


@st.fragment(run_every=1.0)
def _progress(state: AppState) -> None:
    """Polls the background search once a second; when it ends the whole page reruns once
    to show the result."""
    job: CellJob | None = state.cell_job
    if job is None:
        return
    view = job.view()
    if job.error:
        st.error(f"The cell search failed: {job.error}")
    else:
        st.progress(view.fraction, text=f"{job.station_id}: {view.text}")
    if not view.done:
        if st.button("Stop the cell search", key="cell_stop"):
            job.stop()
    elif not job.shown:
        job.shown = True
        st.rerun(scope="app")


def _before_after(state: AppState, job: CellJob) -> None:
    result, sid = job.result, job.station_id
    folder = str(job.layout_dir) if job.layout_dir else None
    c1, c2, c3 = st.columns(3)
    c1.metric("Cycle as given (s)", "fails" if result.before is None else f"{result.before:.3f}")
    if result.best is None:
        c2.metric("Best cycle (s)", "none")
        st.warning("No arrangement carries every task.")
        return
    change = None if result.before is None else f"{result.best - result.before:+.3f} s"
    c2.metric("Best cycle (s)", f"{result.best:.3f}", delta=change, delta_color="inverse")
    c3.metric("Gain", "–" if result.gain is None else f"{100 * result.gain:.1f} %")
    from optimizer.cell_search import with_cell

    before_layout = job.layout
    after_layout = with_cell(before_layout, sid, result.cell)
    left, right = st.columns(2)
    for column, title, shown, cycle, side in ((left, "Before", before_layout, result.before, "before"),
                                              (right, "After", after_layout, result.best, "after")):
        with column:
            st.markdown(f"**{title}** · {sid} · cycle {'fails' if cycle is None else f'{cycle:.3f} s'}")
            with reported(f"No 3D view of the cell {side}"), st.spinner("Building the cell scene…"):
                show_3d("cell", (layout_key(shown), folder, sid), key=f"cell_{side}_{sid}", height=420)
    st.caption(PATH_NOTE)
    st.dataframe(arrangement_rows(before_layout.station(sid).cell, result.cell), width="stretch", hide_index=True)
    _apply_controls(state, job)


def _apply_controls(state: AppState, job: CellJob) -> None:
    session, sid = state.session, job.station_id
    current = next((s for s in session.layout.stations if s.id == sid), None)
    if current is not None and current.cell == job.result.cell and session.can_undo:
        st.success(f"The best arrangement of {sid} is in the layout: the schedule, the search and the 3D views "
                   "use its cycle time.")
        if st.button("Undo: put the previous arrangement back", key="cell_undo"):
            session.undo()
            st.rerun()
        return
    if not job.result.improved:
        st.info("No arrangement beat the given one; the layout is left as it is.")
        return
    if st.button(f"Apply the best arrangement to {sid}", key="cell_apply", type="primary"):
        why = apply_best(session, job)
        if why is None:
            state.message = f"Applied the best arrangement of {sid}; Undo puts the previous one back."
            st.rerun()
        st.error(f"Not applied: {why}.")
