"""Each page's behaviour through Streamlit's AppTest (no browser): the app opens a sample,
edits are validated at once with errors next to the field, undo works, schedules and their
downloads appear, and failures are messages, not tracebacks."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from optimizer.problem import layout_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json

from twin.io import parse_layout
from twin.physics import task_times

from factory_app.compute import validate_schedule_doc
from factory_app.ui import STATE_KEY

from apptest_tools import run as _run, start as _start


def _number(at: AppTest, label: str):
    return next(n for n in at.number_input if n.label == label)


def _button(at: AppTest, key: str):
    return at.button(key=key)


def _state(at: AppTest):
    return at.session_state[STATE_KEY]


def test_layout_edit_error_next_to_field_then_fix_and_undo(app_env):
    at = _start("Layout")
    assert [s.value for s in at.success] == ["Layout is valid."]
    _number(at, "width (m)").set_value(-2.0)
    _run(at)
    errors = [e.value for e in at.error]
    assert any("This edit was not applied" in e for e in errors)
    assert "must be positive" in errors  # the message shown under the width field
    state = _state(at)
    assert state.layout.stations[0].footprint.width == 2.0  # last valid layout kept
    assert _number(at, "width (m)").value == -2.0  # the field still shows what was typed
    _number(at, "width (m)").set_value(2.5)
    _run(at)
    assert not at.error and _state(at).layout.stations[0].footprint.width == 2.5
    _number(at, "x (m)").set_value(25.0)
    _run(at)
    assert any("reaches outside the floor" in e.value for e in at.error)
    _button(at, "undo").click()
    _run(at)
    assert not at.error and _state(at).layout.stations[0].position == (4.0, 6.0)
    _button(at, "undo").click()
    _run(at)
    assert _state(at).layout.stations[0].footprint.width == 2.0


def test_layout_add_remove_change_kind_rotation_capacity(app_env):
    at = _start("Layout")
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "rotation (°)")).set_value(90)
    _run(at)
    assert _state(at).layout.stations[0].rotation == 90
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "kind")).set_value("robot_cell")
    _run(at)
    assert any("needs a cell" in e.value for e in at.error)
    _button(at, "undo").click()
    _run(at)
    _number(at, "capacity").set_value(3)
    _run(at)
    assert _state(at).layout.stations[0].capacity == 3
    _button(at, next(b.key for b in at.button if b.label == "Add a station")).click()
    _run(at)
    assert [s.id for s in _state(at).layout.stations] == ["cut", "weld", "check", "S4"]
    _button(at, next(b.key for b in at.button if b.label == "Remove this station")).click()
    _run(at)
    assert [s.id for s in _state(at).layout.stations] == ["cut", "weld", "check"]


def test_layout_save_writes_inside_the_working_folder(app_env):
    at = _start("Layout")
    _button(at, "save_layout").click()
    _run(at)
    saved = app_env / "saved" / "mini.yaml"
    assert saved.is_file() and parse_layout(saved.read_text()).name == "mini"
    assert any("Saved saved/mini.yaml" in s.value for s in at.success)


def test_schedule_page_computes_kpis_gantt_and_downloads(app_env):
    at = _start("Schedule")
    assert any("No schedule yet" in i.value for i in at.info)
    at.slider(key="schedule_limit").set_value(2)
    _button(at, "schedule_go").click()
    _run(at)
    assert not at.error
    labels = {m.label for m in at.metric}
    assert {"Makespan (s)", "Throughput (units/h)", "Busiest station"} <= labels
    assert all(len(m.value) <= 14 for m in at.metric), [m.value for m in at.metric]  # short enough for a tile
    state = _state(at)
    doc = next(iter(state.schedules.values()))
    assert validate_schedule_doc(doc) == []
    # the remembered document is a feasible schedule of the open layout, checked independently
    problem = layout_problem(state.layout, task_times(state.layout, state.session.layout_dir, state.physics))
    assert check_schedule(problem, schedule_from_json(doc)) == []
    assert doc["makespan"] == pytest.approx(max(o["end"] for o in doc["operations"]))
    assert at.metric[0].value == f"{doc['makespan']:,.0f}"
    # the 3D page now colours the current layout by utilisation
    at.sidebar.radio(key="page").set_value("3D")
    _run(at)
    assert any("Coloured by utilisation" in c.value for c in at.caption)


def test_schedule_error_is_a_message(app_env):
    at = _start("Layout")
    _button(at, next(b.key for b in at.button if b.label == "Add a station")).click()  # unplaced station
    _run(at)
    at.sidebar.radio(key="page").set_value("Schedule")
    _run(at)
    _button(at, "schedule_go").click()
    _run(at)
    assert any("without a position" in e.value and "S4" in e.value for e in at.error)


def test_schedule_failing_the_checker_is_an_error_and_not_kept(app_env, monkeypatch):
    import optimizer.planning

    from factory_app.ui import cached_schedule

    monkeypatch.setattr(optimizer.planning, "check_schedule", lambda problem, schedule: ["lot 0 starts too early"])
    cached_schedule.clear()  # results are cached by value across tests
    try:
        at = _start("Schedule")
        _button(at, "schedule_go").click()
        _run(at)
        errors = [e.value for e in at.error]
        assert any("schedule checker found problems" in e and "lot 0 starts too early" in e for e in errors), errors
        assert _state(at).schedules == {}
        assert not at.metric  # nothing shown as a result
        assert any("No schedule yet" in i.value for i in at.info)
    finally:
        cached_schedule.clear()


def test_side_by_side_3d(app_env):
    at = _start("3D")
    at.toggle(key="side_by_side").set_value(True)
    _run(at)
    assert {s.label for s in at.selectbox} >= {"Left design", "Right design"}
    assert not at.error
    assert sum("Coloured by station kind" in c.value for c in at.caption) == 2  # one per side


def test_cells_page_without_cells(app_env):
    at = _start("Cells")
    assert any("has no robot cells" in i.value for i in at.info)


def test_no_samples_means_a_hint_not_a_crash(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("FACTORY_TWIN_SAMPLES", str(tmp_path / "none"))
    at = _start("Layout")
    assert any("Open a sample factory or upload" in i.value for i in at.info)
    for page in ("Cells", "3D", "Schedule", "Optimise"):
        at.sidebar.radio(key="page").set_value(page)
        _run(at)
        assert not at.error
        assert any("Open a layout on the Layout page first" in i.value for i in at.info), page


def test_optimise_runs_in_background_then_shows_results_and_past_runs(app_env):
    at = _start("Optimise")
    at.number_input(key="opt_candidates").set_value(30)
    at.number_input(key="opt_shortlist").set_value(2)
    at.number_input(key="opt_time").set_value(1.0)
    at.button(key="FormSubmitter:search_settings-Run search").click()
    _run(at)
    state = _state(at)
    assert state.job is not None
    assert state.job.wait(300), "the search did not finish"
    assert state.job.error is None, state.job.error
    _run(at)
    _run(at)
    assert not at.error
    run_dir = state.job.run_dir
    assert run_dir.parent == app_env / "runs"  # runs go under the working folder
    assert any(s.value == f"Run {run_dir.name}" for s in at.subheader)
    assert {"Makespan (s)", "Throughput (units/h)", "Flow distance (trip·m)", "Travel (m)"} <= {m.label for m in at.metric}
    board = at.dataframe[0].value
    assert len(board) >= 2 and board["design"].iloc[0] == "as-is"  # the yardstick is a row
    # the running twin's verdict, and which schedules are only the dispatch fallback
    assert any(m.value.startswith("**Running twin:** recommended") for m in at.markdown)
    assert {"schedule", "simulated throughput (units/h)", "95 % CI (units/h)", "makespan (s)",
            "fleet & buffers"} <= set(board.columns)
    # why the best design wins (or what it changes), from the run's measured figures
    why = [m.value for m in at.markdown if m.value.startswith(("### Why it wins", "### What #"))]
    assert len(why) == 1 and "**Material flows**" in why[0] and "| flow | lot trips |" in why[0]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any(f["layout"]["yaxis"]["title"]["text"] == "throughput, lower 95 % bound (units/h)" and
               any(t.get("name") == "as-is layout" for t in f["data"]) for f in charts)
    at.button(key="opt_use_best").click()
    _run(at)
    assert any(label.endswith(": best") for label in state.designs)
    assert any(label.endswith(": as-is") for label in state.designs)
    # the run database can be reopened from a fresh session
    fresh = _start("Optimise")
    assert fresh.selectbox(key="opt_past_run").options[0].startswith(run_dir.name)
    fresh.button(key="opt_open_run").click()
    _run(fresh)
    assert any(s.value == f"Run {run_dir.name}" for s in fresh.subheader)
    # after the search, "Open run" opens the run picked, not the one the search wrote
    import shutil

    other = run_dir.with_name("mini-other-run")
    shutil.copytree(run_dir, other)
    _run(at)
    label = next(o for o in at.selectbox(key="opt_past_run").options if o.startswith(other.name))
    at.selectbox(key="opt_past_run").set_value(label)
    at.button(key="opt_open_run").click()
    _run(at)
    _run(at)
    assert [s.value for s in at.subheader if s.value.startswith("Run ")] == [f"Run {other.name}"]
    # the schedule page shows a run's design with its stored schedule
    at.sidebar.radio(key="page").set_value("Schedule")
    _run(at)
    best = next(label for label in state.all_designs() if label.endswith(": best"))
    at.selectbox(key="schedule_design").set_value(best)
    _run(at)
    assert "Makespan (s)" in {m.label for m in at.metric}


def test_bad_search_settings_are_a_message(app_env):
    at = _start("Optimise")
    at.selectbox(key="opt_backend").set_value("local")
    at.text_input(key="opt_address").set_value("10.0.0.1:6379")
    at.button(key="FormSubmitter:search_settings-Run search").click()
    _run(at)
    assert any("address is only used with the ray backend" in e.value for e in at.error)
    assert _state(at).job is None
