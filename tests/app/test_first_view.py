"""The first view: the app opens on the Layout page, its plan and summary tiles drawn from
modules that load no heavy library (PyVista, OR-Tools, PyBullet, scipy, pandas); the costly
checks and the 3D scene come after the first view is on the screen. How fast it is, is
measured by the Chromium test and reported in the README, not asserted here."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from twin.io import load_layout

from factory_app import ui
from factory_app.compute import layout_key
from factory_app.editing import EditSession
from factory_app.summary import summary_tiles
from factory_app.ui import STATE_KEY

from apptest_tools import APP, run

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
HEAVY = ("pyvista", "vtk", "ortools", "pybullet", "scipy", "pandas", "openpyxl", "ezdxf", "networkx", "simpy")

# what the first run of app.py does before the plan and the tiles are on the screen, for a
# sample with robot cells
FIRST_VIEW = """
import sys
import app
from factory_app.pages import layout_page, plan_view
from factory_app.plan_canvas import plan_data
from factory_app.summary import summary_tiles
from factory_app.ui import app_physics
from factory_app.upload import open_sample
from factory_app.editing import EditSession

opened = open_sample("electronics_assembly")
session = EditSession.open(opened.layout, opened.source, app_physics(), opened.layout_dir, check_later=True)
plan_data(session.layout)
summary_tiles(session.layout)
print(sorted(m for m in {heavy!r} if m in sys.modules))
"""


def test_the_first_view_loads_no_heavy_library():
    env = {**os.environ, "PYTHONPATH": str(REPO), "FACTORY_TWIN_SAMPLES": str(REPO / "layouts")}
    done = subprocess.run([sys.executable, "-c", FIRST_VIEW.format(heavy=HEAVY)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_app_opens_on_the_plan_with_the_summary_then_checks_and_starts_the_3d_scene(app_env):
    at = AppTest.from_file(APP, default_timeout=120)
    run(at)
    state = at.session_state[STATE_KEY]
    assert at.sidebar.radio(key="page").value == "Layout"
    assert state.layout.name == "mini"
    # tests/app/data/mini.yaml: three 2 x 2 m stations on a 20 x 12 m floor; lots of 2 + 1
    assert {m.label: m.value for m in at.metric} == {
        "Stations": "3", "Products · lots": "2 · 3", "Demand (units)": "6", "Floor used": "5%",
        "AGVs · conveyors": "2 · 0"}
    # the first view leaves the costly checks for after it is drawn (the browser's timer, or
    # the session's next run)
    assert not state.session.checked
    assert at.info[0].value == "Checking the aisle routes and the robot cells…"
    assert not at.success
    run(at)
    assert state.session.checked and [s.value for s in at.success] == ["Layout is valid."]
    assert "Checking the aisle routes and the robot cells…" not in [i.value for i in at.info]
    # the open layout's 3D scene was started in the background worker, for the 3D page
    key = ("layout", (layout_key(state.layout), str(state.session.layout_dir), None))
    assert key in ui._SCENES


def test_a_layout_opened_with_checks_later_gets_them_all_at_finish(physics):
    # tests/app/data/pocket.yaml with a column closing the only aisle: a route problem, which
    # only the costly pass (the aisle routing) finds
    layout = load_layout(DATA / "pocket.yaml")
    data = json.loads(layout.model_dump_json(by_alias=True))
    data["floor"]["keep_out"] = [{"id": "col", "kind": "column", "x": 4, "y": 3, "width": 4, "depth": 2}]
    closed = type(layout).model_validate(data)
    session = EditSession.open(closed, "test", physics, check_later=True)
    assert not session.checked and session.known_problems == []
    revision = session.revision
    assert session.finish_check() is True
    assert [str(p) for p in session.known_problems] == [
        "floor.keep_out[0]: keep-out zone 'col' closes the only aisle for a1 -> b2, a2 -> b1: no transport route "
        "is left for them"]
    assert session.checked and session.revision == revision + 1
    assert session.finish_check() is False  # once


def test_an_edit_waits_for_the_checks_it_is_judged_against(physics):
    # opened unchecked, an edit that keeps the column's problem is not blamed for it: the
    # edit first completes the current layout's checks, then compares
    layout = load_layout(DATA / "pocket.yaml")
    data = json.loads(layout.model_dump_json(by_alias=True))
    data["floor"]["keep_out"] = [{"id": "col", "kind": "column", "x": 4, "y": 3, "width": 4, "depth": 2}]
    session = EditSession.open(type(layout).model_validate(data), "test", physics, check_later=True)
    data["stations"][2]["capacity"] = 2
    assert session.edit(data) and session.checked
    assert session.layout.station("a2").capacity == 2


def test_summary_tiles_add_the_schedule_of_this_layout():
    layout = load_layout(DATA / "mini.yaml")
    doc = {"makespan": 1234.4, "status": "OPTIMAL", "gap": 0.0, "solver": "CP-SAT",
           "kpis": {"throughput_per_hour": 17.54, "bottleneck": "weld"}}
    tiles = summary_tiles(layout, doc)
    assert [(label, value) for label, value, _ in tiles[5:]] == [
        ("Makespan (s)", "1,234"), ("Throughput (units/h)", "17.5"), ("Busiest station", "weld")]
    assert tiles[5][2] == "CP-SAT, status OPTIMAL, gap 0.0%"
    assert tiles[3] == ("Floor used", "5%", "stations' footprints on the 20 x 12 m floor (240 m²)")
