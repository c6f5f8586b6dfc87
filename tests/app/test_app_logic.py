"""The logic behind the pages, without Streamlit: editing and undo, tables, uploads,
charts and the schedule glue."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin.errors import LayoutError
from twin.io import dump_layout, load_layout, parse_layout
from twin.physics import CellFailure

from factory_app import tables
from factory_app.charts import gantt, gantt_rows, top_view
from factory_app.compute import layout_key, schedule_layout, validate_schedule_doc
from factory_app.editing import EditSession, problems_for, split_path
from factory_app.paths import inside, safe_name
from factory_app.upload import open_sample, open_upload, upload_limit

DATA = Path(__file__).parent / "data"


@pytest.fixture
def layout():
    return load_layout(DATA / "mini.yaml")


@pytest.fixture
def session(layout, physics):
    return EditSession.open(layout, "test", physics)


def test_invalid_edit_keeps_last_valid_layout_and_names_the_field(session, layout):
    accepted = session.edit(tables.update_station(session.data, 0, width=-1.0))
    assert not accepted
    assert session.layout == layout  # the last valid layout survives
    assert session.has_draft and session.data["stations"][0]["footprint"]["width"] == -1.0
    assert [(p.path, p.message) for p in session.problems] == [("stations[0].footprint.width", "must be positive")]
    assert problems_for(session.problems, "stations", 0, ("footprint.width",)) == ["must be positive"]
    assert problems_for(session.problems, "stations", 0, ("position",)) == []
    # fixing the field accepts the edit and clears the draft
    assert session.edit(tables.update_station(session.data, 0, width=3.0))
    assert not session.has_draft and session.layout.stations[0].footprint.width == 3.0


def test_whole_layout_problems_reject_an_edit(session):
    assert not session.edit(tables.update_station(session.data, 1, x=19.5))
    assert session.problems[0].path == "stations[1].position"
    assert "outside the floor" in session.problems[0].message
    assert not session.edit(tables.update_station(session.data, 1, x=4.5))  # now it overlaps 'cut'
    assert "overlaps station" in session.problems[0].message
    assert session.layout.station("weld").position == (10.0, 6.0)


def test_undo_drops_the_draft_then_steps_back(session, layout):
    assert session.edit(tables.update_station(session.data, 0, rotation=90, kind="manual"))
    assert session.edit(tables.update_station(session.data, 2, capacity=2))
    session.edit(tables.update_station(session.data, 2, capacity=0))
    assert session.has_draft
    assert session.undo() and not session.has_draft and session.layout.station("check").capacity == 2
    assert session.undo() and session.layout.station("check").capacity == 1
    assert session.layout.station("cut").kind == "manual"
    assert session.undo() and session.layout == layout
    assert not session.undo() and not session.can_undo


def test_stations_table_round_trip_add_remove_change(session):
    frame = tables.stations_frame(session.data)
    assert list(frame["id"]) == ["cut", "weld", "check"]
    frame.loc[0, "y"] = 3.0
    frame = frame.drop(index=1)  # removing 'weld' breaks the routing that names it
    data = tables.apply_stations(session.data, frame)
    assert not session.edit(data)
    assert any(p.path == "products[0].routing[1].stations" and "no station 'weld'" in p.message for p in session.problems)
    frame = tables.products_frame(session.data, session.problems)
    assert "no station 'weld'" in frame.loc[0, "problems"]
    session.undo()
    added = tables.add_station(session.data, kind="buffer")
    assert session.edit(added)  # an unplaced station is allowed: the search places it
    assert session.layout.stations[-1].id == "S4" and session.layout.stations[-1].position is None
    assert session.edit(tables.remove_station(session.data, 3))


def test_new_station_keeps_cell_of_existing_rows(session):
    frame = tables.stations_frame(session.data)
    frame.loc[3] = ["new1", "buffer", 1.5, 10.0, 0, 1.0, 1.0, 1.0, 1, False, ""]
    data = tables.apply_stations(session.data, frame)
    assert session.edit(data), session.problems
    assert session.layout.station("new1").position == (1.5, 10.0)


def test_products_and_routing_tables(session):
    frame = tables.products_frame(session.data)
    frame.loc[0, "demand"] = 6
    frame.loc[2] = ["widget", "alu", 3, 1, None, 0.0, None, 1.0, None, "", ""]
    # a new product copies no other product's routing: it waits, as a draft, for its own
    assert not session.edit(tables.apply_products(session.data, frame))
    assert session.data["products"][2]["routing"] == []
    assert [(p.path, p.message) for p in session.problems] == [("products[2].routing", "must list at least 1 item, got 0")]
    steps = tables.routing_frame(session.data, 2)
    steps.loc[0] = ["weld", "weld", "", 12.0, "", 0.0, 0.0, "", ""]
    assert session.edit(tables.apply_routing(session.data, 2, steps)), session.problems
    widget = session.layout.product("widget")
    assert widget.demand == 3 and [(op.id, op.stations) for op in widget.routing] == [("weld", ("weld",))]
    routing = tables.routing_frame(session.data, 1)
    routing.loc[0, "time"] = None  # neither a time nor a task
    assert not session.edit(tables.apply_routing(session.data, 1, routing))
    assert [p.path for p in session.problems] == ["products[1].routing[0]"]
    assert "give time (seconds per unit) or task" in tables.routing_frame(session.data, 1, session.problems).loc[0, "problems"]
    routing.loc[0, "time"] = 12.0
    routing.loc[0, "stations"] = "cut, weld"
    assert session.edit(tables.apply_routing(session.data, 1, routing))
    assert session.layout.product("frame").routing[0].stations == ("cut", "weld")


def test_split_path():
    assert split_path("stations[3].footprint.width") == ("stations", 3, "footprint.width")
    assert split_path("products[0]") == ("products", 0, "")
    assert split_path("floor.width") is None


def test_upload_is_parsed_safely(app_env):
    text = (DATA / "mini.yaml").read_bytes()
    opened = open_upload("../../etc/mini.yaml", text)
    assert opened.layout.name == "mini"
    assert opened.source == "upload:mini.yaml"
    assert inside(opened.layout_dir, app_env) and not any(opened.layout_dir.iterdir())
    with pytest.raises(LayoutError, match="bytes allowed"):
        open_upload("big.yaml", b"x" * (upload_limit() + 1))
    with pytest.raises(LayoutError, match="upload a .yaml"):
        open_upload("evil.py", b"print(1)")
    with pytest.raises(LayoutError, match="UTF-8"):
        open_upload("bin.yaml", b"\xff\xfe\x00")
    with pytest.raises(LayoutError, match="invalid YAML"):
        open_upload("bad.yaml", b"name: [unclosed")
    # YAML tags that would build Python objects are refused by the safe loader
    with pytest.raises(LayoutError):
        open_upload("tag.yaml", b"!!python/object/apply:os.system ['echo hi']")
    with pytest.raises(LayoutError, match="stations"):
        open_upload("partial.json", json.dumps({"name": "x", "floor": {"width": 5, "depth": 5}}).encode())


def test_upload_robot_file_cannot_escape_the_working_folder(app_env):
    from twin.robots import resolve_robot

    opened = open_upload("mini.yaml", (DATA / "mini.yaml").read_bytes())
    for name in ("../../../etc/robot.urdf", "/etc/robot.urdf"):
        with pytest.raises(LayoutError, match="inside the layout's folder"):
            resolve_robot(name, opened.layout_dir)


def test_safe_name():
    assert safe_name("../../a b/c?.yaml") == "c_.yaml"
    assert safe_name("...") == "layout"
    assert safe_name(r"C:\x\y.json") == "y.json"


def test_open_sample(app_env):
    assert open_sample("mini").layout.name == "mini"
    with pytest.raises(LayoutError, match="no sample factory"):
        open_sample("nope")


def test_charts(layout, physics):
    fig = top_view(layout, bad_stations=["weld"])
    outlines = [s.line.color for s in fig.layout.shapes]
    assert outlines.count("#d62728") == 1  # one station outlined as bad
    result = schedule_layout(layout_key(layout), None, physics, time_limit=2.0)
    assert result.check == [] and validate_schedule_doc(result.doc) == []
    rows = gantt_rows(result.doc)
    assert {r["row"] for r in rows} == {"cut", "weld", "check"}
    assert all(r["duration"] > 0 for r in rows)
    fig = gantt(result.doc)
    assert {t.name for t in fig.data} >= {"bracket", "frame"}
    assert sum(len(t.x) for t in fig.data if t.name in ("bracket", "frame")) == len(rows)


def test_top_view_draws_a_routeless_conveyor_as_the_l_shaped_belt(layout):
    from twin.io import layout_from_data

    data = layout.model_dump(mode="json", by_alias=True)
    data["stations"][1]["position"] = [10.0, 9.0]  # weld sits higher than cut: the belt must turn
    data["transport"]["conveyors"] = [{"id": "belt", "from": "cut", "to": "weld"}]
    fig = top_view(layout_from_data(data))
    [belt] = [t for t in fig.data if t.name == "conveyor belt"]
    # cut's output port (5, 6) along x to below weld's input port (9, 9), then up along y
    assert list(zip(belt.x, belt.y)) == [(5.0, 6.0), (9.0, 6.0), (9.0, 9.0)]


def test_schedule_of_unplaced_layout_is_a_message(layout, physics):
    unplaced = layout.with_stations([layout.stations[0].model_copy(update={"position": None}), *layout.stations[1:]])
    with pytest.raises(LayoutError, match="without a position.*cut"):
        schedule_layout(layout_key(unplaced), None, physics)


def test_saved_text_round_trips(layout):
    from twin.io import parse_layout

    assert parse_layout(dump_layout(layout)) == layout


def test_an_edit_that_lets_a_robot_reach_out_of_its_cell_is_a_draft(physics):
    opened = open_sample("food_packaging")
    session = EditSession.open(opened.layout, opened.source, physics, opened.layout_dir, opened.path)
    assert session.problems == []
    index = next(i for i, s in enumerate(opened.layout.stations) if s.id == "robot_case_packer_1")
    assert not session.edit(tables.update_station(session.data, index, width=1.4, depth=1.4))
    [problem] = session.problems
    assert problem.path == f"stations[{index}]"
    assert problem.message.startswith("reach envelope of robot_case_packer_1 (panda")
    assert session.layout == opened.layout


def test_cell_reports_show_a_broken_cell_next_to_the_others(physics):
    from factory_app.compute import cell_notes, cell_reports, cell_summary

    folder = Path(__file__).resolve().parents[2] / "layouts"
    text = (folder / "electronics_assembly.yaml").read_text().replace("robot: kuka_iiwa", "robot: no_such_robot", 1)
    layout = parse_layout(text)
    reports = cell_reports(layout_key(layout), str(folder), physics)
    assert [r.station_id for r in reports] == [s.id for s in layout.stations if s.kind == "robot_cell"]
    broken = [r for r in reports if isinstance(r, CellFailure)]
    assert len(broken) == 1 and "unknown robot 'no_such_robot'" in broken[0].error
    assert broken[0].error.startswith("stations[") and ".cell.robot: " in broken[0].error
    assert all(r.ok and r.tasks for r in reports if not isinstance(r, CellFailure))
    [row] = [r for r in cell_summary(reports) if r["station"] == broken[0].station_id]
    assert (row["ok"], row["notes"]) == (False, 1)
    # the table holds short columns only (it fits the page); the reason is listed under it
    assert all(len(str(v)) <= 40 for r in cell_summary(reports) for v in r.values())
    assert (broken[0].station_id, broken[0].error) in cell_notes(reports)


def test_cells_table_gives_the_reason_a_waypoint_is_out_of_reach(physics):
    """The Cells page's task table names each unreachable waypoint with its reason (the
    end-effector error), not just the name."""
    from factory_app.compute import cell_reports, task_rows

    folder = Path(__file__).resolve().parents[2] / "layouts"
    far = "- {name: pick, relative_to: board_tray, xyz: [-0.9, 0.0, 0.27], rpy: [180, 0, 180], action: grip}"
    text = (folder / "electronics_assembly.yaml").read_text()
    text = text.replace("- {name: pick, relative_to: board_tray, xyz: [0.0, 0.0, 0.27], rpy: [180, 0, 180], action: grip}",
                        far, 1)  # the tray is at x = -0.5 m: the pick point moves to x = -1.4 m
    assert far in text
    reports = cell_reports(layout_key(parse_layout(text)), str(folder), physics)
    [report] = [r for r in reports if r.station_id == "robot_assembly"]
    [row] = task_rows(report)
    assert (row["task"], row["reachable"], row["ok"], row["cycle time (s)"]) == ("place_board", False, False, None)
    [unreachable] = report.tasks[0].unreachable
    # the Panda's base is at the cell centre: the tool falls short of x = -1.4 m by roughly 0.5 m
    # ...and, stretched out, cannot hold the tool upright either
    assert 400 < unreachable.error_mm < 700 and unreachable.orientation_error_deg > 2.0
    assert row["unreachable"] == (f"pick: unreachable: end-effector error {unreachable.error_mm:.1f} mm, "
                                  f"orientation error {unreachable.orientation_error_deg:.1f} deg")


def test_designs_carry_their_schedule(layout, physics):
    from factory_app.state import AppState, Design

    state = AppState(physics)
    state.designs["run: best"] = Design("run: best", layout, None)
    assert state.current_design() is None  # no layout open: a run's design is not "current"
    assert state.all_designs()["run: best"].schedule_doc is None
    doc = {"makespan": 1.0}
    state.remember_schedule(layout, doc)  # computed in this session for the same layout
    assert state.all_designs()["run: best"].schedule_doc is doc
    stored = {"makespan": 2.0}
    state.designs["run: as-is"] = Design("run: as-is", layout, None, stored)
    assert state.all_designs()["run: as-is"].schedule_doc is stored  # the stored one comes first


def test_runs_are_read_again_only_when_their_database_changes(tmp_path, monkeypatch):
    import optimizer.search.results

    from factory_app import ui

    calls = []
    monkeypatch.setattr(optimizer.search.results, "load_run", lambda run_dir: calls.append(("load", str(run_dir))) or len(calls))
    monkeypatch.setattr(optimizer.search.results, "list_runs", lambda root: calls.append(("list", str(root))) or [len(calls)])
    ui._load_run.clear()
    ui._list_runs.clear()
    run = tmp_path / "run-1"
    run.mkdir()
    db = run / "run.sqlite"
    db.write_bytes(b"x")
    assert ui.cached_run(run) == ui.cached_run(run) == 1
    assert ui.cached_run_list(tmp_path) == ui.cached_run_list(tmp_path) == [2]
    (run / "run.sqlite-wal").write_bytes(b"commit")  # WAL mode: commits land here first
    assert ui.cached_run(run) == 3
    assert ui.cached_run_list(tmp_path) == [4]
    (tmp_path / "run-2").mkdir()
    (tmp_path / "run-2" / "run.sqlite").write_bytes(b"y")  # a new run
    assert ui.cached_run_list(tmp_path) == [5]
    assert ui.cached_run(run) == 3
    ui._load_run.clear()
    ui._list_runs.clear()
