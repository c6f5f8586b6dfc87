"""The Cells page optimises a cell in the background and shows it before and after: both
cycle times (checked against the cells simulated here, not the page's numbers), the robot
path in 3D, and Apply puts the best cell into the layout as one edit that Undo takes back.
The sample is the planted cell of tests/optimizer/planted_cell.py: feeder and nest far apart."""
from __future__ import annotations

from pathlib import Path

import pytest

from twin.io import load_layout
from twin.physics import Physics, simulate_cell, tool_paths

from factory_app.scene3d import PATH_STRIDE, cell_plotter
from factory_app.ui import STATE_KEY

from apptest_tools import run, start

SAMPLE = Path(__file__).parent / "cells_data" / "planted.yaml"


@pytest.fixture
def cells_env(tmp_path, monkeypatch):
    monkeypatch.setenv("FACTORY_TWIN_SAMPLES", str(SAMPLE.parent))
    monkeypatch.setenv("FACTORY_TWIN_APP_DIR", str(tmp_path))
    return tmp_path


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_optimise_a_cell_see_both_cycles_apply_and_undo(cells_env, tmp_path):
    given = load_layout(SAMPLE).station("cell")
    at = start("Cells")
    state = at.session_state[STATE_KEY]
    at.number_input(key="cell_candidates").set_value(8)
    at.checkbox(key="cell_move_base").set_value(False)
    at.button(key="FormSubmitter:cell_search-Optimise the cell").click()
    run(at)
    job = state.cell_job
    assert job is not None and job.station_id == "cell"
    assert job.wait(300), "the cell search did not finish"
    assert job.error is None, job.error
    run(at)
    run(at)
    result = job.result
    with Physics(tmp_path / "cache", use_cache=False) as physics:
        before = simulate_cell(given, SAMPLE.parent, physics).tasks[0].cycle_time
        best_station = given.model_copy(update={"cell": result.cell})
        after = simulate_cell(best_station, SAMPLE.parent, physics).tasks[0].cycle_time
    assert after < before
    assert metric(at, "Cycle as given (s)") == f"{before:.3f}"
    assert metric(at, "Best cycle (s)") == f"{after:.3f}"
    assert metric(at, "Gain") == f"{100 * (before - after) / before:.1f} %"
    shown = [m.value for m in at.markdown]
    assert f"**Before** · cell · cycle {before:.3f} s" in shown and f"**After** · cell · cycle {after:.3f} s" in shown
    moved = at.dataframe[-1].value  # the arrangement table: the nest came nearer the feeder
    assert list(moved["part"]) == ["robot base", "fixture feeder", "fixture nest"]
    assert moved["moved (m)"].iloc[0] == 0.0  # the base stayed, as asked
    assert not at.error
    assert not [c.value for c in at.caption if "Still image" in c.value]  # the interactive 3D views

    at.button(key="cell_apply").click()
    run(at)
    assert state.layout.station("cell").cell == result.cell
    assert state.layout.station("cell").cell != given.cell
    assert any("is in the layout" in s.value for s in at.success)
    at.button(key="cell_undo").click()
    run(at)
    assert state.layout.station("cell").cell == given.cell
    assert at.button(key="cell_apply")  # the best cell can be applied again
    assert not at.error


def test_the_cell_view_draws_the_tool_path_of_the_physics_run(tmp_path):
    station = load_layout(SAMPLE).station("cell")
    with Physics(tmp_path / "cache", use_cache=False) as physics:
        path = tool_paths(station, SAMPLE.parent, physics)["t"]
        plotter = cell_plotter(station, SAMPLE.parent, physics)
    try:
        drawn = plotter.actors["path:t"].mapper.dataset.points
        assert len(drawn) == len(path[::PATH_STRIDE]) + 1
        assert drawn[0] == pytest.approx(path[0], abs=1e-6) and drawn[-1] == pytest.approx(path[-1], abs=1e-6)
    finally:
        plotter.close()


def finished_job(layout, physics, candidates: int = 8):
    from factory_app.cell_job import CellJob, CellSearchSettings

    job = CellJob(layout, SAMPLE.parent, "cell", CellSearchSettings(candidates, 0, False), physics).start()
    assert job.wait(300) and job.error is None, job.error
    return job


def test_apply_refuses_a_cell_edited_since_the_search_and_a_second_apply(tmp_path):
    from factory_app.cell_job import apply_best
    from factory_app.editing import EditSession, layout_data

    layout = load_layout(SAMPLE)
    with Physics(tmp_path / "cache") as physics:
        job = finished_job(layout, physics)
        session = EditSession.open(layout, "planted.yaml", physics, SAMPLE.parent)
        data = layout_data(layout)
        data["stations"][0]["cell"]["fixtures"][0]["pose"]["xyz"] = [0.35, 0.0, 0.05]  # the feeder moved by hand
        assert session.edit(data)
        assert apply_best(session, job) == "cell's cell changed since the search started; run the search again"
        session.undo()
        assert apply_best(session, job) is None and session.layout.station("cell").cell == job.result.cell
        assert apply_best(session, job) == "the best arrangement is already in the layout"
        assert session.history == [layout]  # the hand edit was undone; the apply is one step back to it


def test_stopping_the_cell_search_keeps_the_best_so_far(tmp_path):
    import time

    from factory_app.cell_job import CellJob, CellSearchSettings

    with Physics(tmp_path / "cache") as physics:
        job = CellJob(load_layout(SAMPLE), SAMPLE.parent, "cell", CellSearchSettings(5000, 0, False), physics).start()
        while job.simulated == 0 and not job.done:
            time.sleep(0.05)
        job.stop()
        assert job.wait(300) and job.error is None
    result = job.result
    assert 0 < result.evaluated < 5000 and result.best is not None and result.best <= result.before
    assert job.view().text.startswith(f"Stopped: {result.evaluated} of 5000 candidates simulated")
