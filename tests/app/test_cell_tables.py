"""A robot cell's fixtures and waypoints as tables (`factory_app.cell_tables`) and an
operation's observed times as text (`factory_app.variability_text`): the tables read back
exactly what the file holds, an edit reaches the cell (a renamed fixture keeps its
waypoints), and a bad value is named at its row and column while the last valid layout is
kept. On the electronics sample's robot cells and tests/app/data/mini.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest

from twin.io import load_layout

from factory_app import tables
from factory_app.cell_tables import (
    CellTableError,
    apply_fixtures,
    apply_waypoints,
    fixture_rows,
    row_problems,
    waypoint_rows,
)
from factory_app.editing import EditSession, layout_data
from factory_app.variability_text import SamplesError, parse_samples, samples_text

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


@pytest.fixture
def electronics(physics):
    return EditSession.open(load_layout(REPO / "layouts" / "electronics_assembly.yaml"), "test", physics,
                            REPO / "layouts")


def _cell_index(session: EditSession, station_id: str) -> int:
    return next(i for i, s in enumerate(session.layout.stations) if s.id == station_id)


def _first_cell(session: EditSession) -> tuple[int, str]:
    station = next(s for s in session.layout.stations if s.cell is not None and s.cell.fixtures)
    return _cell_index(session, station.id), station.id


def test_the_tables_applied_untouched_leave_every_cell_as_it_was(electronics):
    data = layout_data(electronics.layout)
    for index, station in enumerate(data["stations"]):
        if not station.get("cell"):
            continue
        cell = station["cell"]
        assert apply_fixtures(data, index, fixture_rows(cell)) == data
        assert apply_waypoints(data, index, waypoint_rows(cell)) == data


def test_the_rows_say_what_the_file_says(electronics):
    index, station_id = _first_cell(electronics)
    cell = electronics.layout.stations[index].cell
    rows = fixture_rows(layout_data(electronics.layout)["stations"][index]["cell"])
    f = cell.fixtures[0]
    assert rows[0] == {"id": f.id, "width": f.size[0], "depth": f.size[1], "height": f.size[2],
                       "x": f.pose.xyz[0], "y": f.pose.xyz[1], "z": f.pose.xyz[2],
                       "roll": f.pose.rpy[0], "pitch": f.pose.rpy[1], "yaw": f.pose.rpy[2]}
    points = waypoint_rows(layout_data(electronics.layout)["stations"][index]["cell"])
    assert len(points) == sum(len(t.waypoints) for t in cell.tasks)
    wp = cell.tasks[0].waypoints[0]
    assert points[0] == {"task": cell.tasks[0].id, "name": wp.name, "relative_to": wp.relative_to or "",
                         "x": wp.xyz[0], "y": wp.xyz[1], "z": wp.xyz[2], "roll": wp.rpy[0], "pitch": wp.rpy[1],
                         "yaw": wp.rpy[2], "action": wp.action}


def test_a_fixture_moved_in_its_row_moves_its_waypoints_with_it(electronics):
    index, station_id = _first_cell(electronics)
    cell = layout_data(electronics.layout)["stations"][index]["cell"]
    rows = fixture_rows(cell)
    moved = rows[0]["id"]
    rows[0]["y"] = round(rows[0]["y"] + 0.05, 6)
    assert electronics.edit(apply_fixtures(electronics.data, index, rows)), electronics.problems
    fixture = electronics.layout.stations[index].cell.fixtures[0]
    assert fixture.id == moved and fixture.pose.xyz[1] == pytest.approx(rows[0]["y"])
    assert electronics.undo() and electronics.layout.stations[index].cell.fixtures[0].pose.xyz[1] == cell["fixtures"][0]["pose"]["xyz"][1]


def test_a_renamed_fixture_keeps_the_waypoints_relative_to_it(electronics):
    index, _ = _first_cell(electronics)
    cell = layout_data(electronics.layout)["stations"][index]["cell"]
    old = next(wp["relative_to"] for t in cell["tasks"] for wp in t["waypoints"] if wp.get("relative_to"))
    rows = fixture_rows(cell)
    row = next(r for r in rows if r["id"] == old)
    row["id"] = "renamed"
    assert electronics.edit(apply_fixtures(electronics.data, index, rows)), electronics.problems
    new = electronics.layout.stations[index].cell
    before = [wp.get("relative_to") for t in cell["tasks"] for wp in t["waypoints"]]
    after = [wp.relative_to for t in new.tasks for wp in t.waypoints]
    assert after == ["renamed" if r == old else r for r in before] and "renamed" in after


def test_a_bad_fixture_size_and_an_unknown_fixture_are_named_at_row_and_column(electronics):
    index, _ = _first_cell(electronics)
    before = electronics.layout
    cell = layout_data(before)["stations"][index]["cell"]
    rows = fixture_rows(cell)
    rows[1]["height"] = -0.3
    assert not electronics.edit(apply_fixtures(electronics.data, index, rows))
    assert electronics.layout == before  # the last valid layout is kept
    fixtures, waypoints, rest = row_problems(electronics.problems, index, electronics.data["stations"][index]["cell"])
    assert fixtures[1] == "height: must be positive" and fixtures[0] == "" and rest == []
    electronics.undo()
    points = waypoint_rows(cell)
    points[2]["relative_to"] = "pallet"
    assert not electronics.edit(apply_waypoints(electronics.data, index, points))
    fixtures, waypoints, rest = row_problems(electronics.problems, index, electronics.data["stations"][index]["cell"])
    ids = ", ".join(f["id"] for f in cell["fixtures"])
    assert waypoints[2] == f"relative_to: no fixture 'pallet' in this cell (fixtures: {ids})"
    assert [m for j, m in enumerate(waypoints) if j != 2] == [""] * (len(points) - 1)


def test_waypoints_reordered_in_the_table_reach_their_task_in_the_new_order(electronics):
    index, _ = _first_cell(electronics)
    cell = layout_data(electronics.layout)["stations"][index]["cell"]
    points = waypoint_rows(cell)
    task = points[0]["task"]
    mine = [p for p in points if p["task"] == task]
    mine[-2], mine[-1] = mine[-1], mine[-2]
    others = [p for p in points if p["task"] != task]
    new = apply_waypoints(electronics.data, index, others + mine)  # another task's rows first: order within a task counts
    names = [wp["name"] for wp in next(t for t in new["stations"][index]["cell"]["tasks"] if t["id"] == task)["waypoints"]]
    assert names == [p["name"] for p in mine]
    assert [t["id"] for t in new["stations"][index]["cell"]["tasks"]] == [t["id"] for t in cell["tasks"]]


def test_a_waypoint_row_with_a_task_the_cell_lacks_is_refused_with_row_and_column(electronics):
    index, _ = _first_cell(electronics)
    cell = layout_data(electronics.layout)["stations"][index]["cell"]
    points = waypoint_rows(cell)
    points[1]["task"] = "weld_seam"
    tasks = ", ".join(t["id"] for t in cell["tasks"])
    with pytest.raises(CellTableError, match=rf"^waypoints row 2, column 'task': no task 'weld_seam' in this cell "
                                             rf"\(tasks: {tasks}\)$"):
        apply_waypoints(electronics.data, index, points)


def test_a_station_without_a_cell_has_no_tables(electronics):
    index = next(i for i, s in enumerate(electronics.layout.stations) if s.cell is None)
    with pytest.raises(CellTableError, match="is not a robot cell"):
        apply_fixtures(electronics.data, index, [])


# --- observed times (empirical shape) ------------------------------------------------------------


@pytest.mark.parametrize("samples", [[12.1, 13.0, 11.8], [0.1 + 0.2, 1e-7, 123456.75], [5.0]])
def test_samples_text_reads_back_exactly(samples):
    assert parse_samples(samples_text(samples)) == samples


def test_samples_are_read_from_commas_spaces_and_lines():
    assert parse_samples("12.1, 13\n11.8  14;15") == [12.1, 13.0, 11.8, 14.0, 15.0]
    assert samples_text([12.1, 13.0]) == "12.1, 13"


@pytest.mark.parametrize("text, message", [
    ("12, 1x, 13", "sample 2 is not a number: '1x'"),
    ("12, 0", "sample 2 must be a positive number, got 0"),
    ("-1", "sample 1 must be a positive number, got -1"),
    ("nan", "sample 1 must be a positive number, got nan"),
    (" , ", "give at least one sample (observed times, separated by commas)"),
])
def test_bad_samples_are_named(text, message):
    with pytest.raises(SamplesError) as err:
        parse_samples(text)
    assert str(err.value) == message


def test_observed_times_make_the_operation_empirical_and_the_table_shows_them(physics):
    session = EditSession.open(load_layout(DATA / "mini.yaml"), "test", physics)
    assert session.edit(tables.set_samples(session.data, 0, 1, [28.0, 31.5, 30.5]))
    weld = session.layout.products[0].routing[1]
    assert (weld.variability.kind, weld.variability.samples) == ("empirical", (28.0, 31.5, 30.5))
    assert list(tables.routing_frame(session.data, 0)["variability"]) == ["fixed", "empirical (3 samples)", "fixed"]
    # too large for the model: named at the sample's field, the last valid layout kept
    assert not session.edit(tables.set_samples(session.data, 0, 1, [28.0, 2e6]))
    assert [p.path for p in session.problems] == ["products[0].routing[1].variability.samples[1]"]
    assert session.layout.products[0].routing[1].variability.samples == (28.0, 31.5, 30.5)


# --- on the pages (AppTest) ----------------------------------------------------------------------


def test_the_routings_tab_takes_observed_times_and_names_a_bad_one(app_env):
    from factory_app.ui import STATE_KEY

    from apptest_tools import run, start

    at = start("Layout")
    state = at.session_state[STATE_KEY]
    box = next(t for t in at.text_area if t.key.startswith("samples_0_0_"))
    assert box.value == ""  # 'cut' has no observed times yet
    box.set_value("20, 2x, 21")
    next(b for b in at.button if b.label == "Use these times").click()
    run(at)
    assert any(e.value == "Not applied (bracket, operation 1: cut): sample 2 is not a number: '2x'." for e in at.error)
    assert state.layout.products[0].routing[0].variability.kind == "fixed"
    next(t for t in at.text_area if t.key.startswith("samples_0_0_")).set_value("20, 22.5\n21")
    next(b for b in at.button if b.label == "Use these times").click()
    run(at)
    assert state.layout.products[0].routing[0].variability.samples == (20.0, 22.5, 21.0)
    assert next(t for t in at.text_area if t.key.startswith("samples_0_0_")).value == "20, 22.5, 21"


def test_the_cells_page_shows_the_cell_as_tables(tmp_path, monkeypatch):
    from apptest_tools import start

    monkeypatch.setenv("FACTORY_TWIN_SAMPLES", str(Path(__file__).parent / "cells_data"))
    monkeypatch.setenv("FACTORY_TWIN_APP_DIR", str(tmp_path))
    at = start("Cells")
    assert any(m.value.startswith("**Fixtures of cell**") for m in at.markdown)
    assert any(m.value.startswith("**Waypoints of cell's tasks**") for m in at.markdown)
    assert not at.error
