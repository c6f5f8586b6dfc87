"""Dragging a station in the plan view: a drop on a free place moves it (one undoable edit);
a drop onto another station, off the floor or of a fixed station is refused and the last
valid layout stays; the front end draws each station's box where the floor plan has it."""
from __future__ import annotations

from pathlib import Path

import pytest

from twin.floorplan import floor_plan
from twin.io import load_layout

from factory_app.editing import EditSession
from factory_app.plan_drag import FRONTEND, apply_drop, plan_data

DATA = Path(__file__).parent / "data"


@pytest.fixture
def session(physics):
    return EditSession.open(load_layout(DATA / "mini.yaml"), "test", physics)


def test_a_drop_on_a_free_place_moves_the_station_and_undo_takes_it_back(session):
    assert apply_drop(session, {"id": "weld", "x": 10.0, "y": 9.0}) == (True, "Moved 'weld' to (10, 9) m.")
    assert session.layout.station("weld").position == (10.0, 9.0) and not session.has_draft
    assert session.undo() and session.layout.station("weld").position == (10.0, 6.0)


@pytest.mark.parametrize("drop,reason", [
    ({"id": "weld", "x": 4.5, "y": 6.0}, "station 'weld' overlaps station 'cut'"),
    ({"id": "weld", "x": 19.5, "y": 6.0}, "station 'weld' reaches outside the floor (20 x 12 m)"),
])
def test_an_invalid_drop_is_refused_and_the_last_valid_layout_kept(session, drop, reason):
    before = session.layout
    moved, message = apply_drop(session, drop)
    assert not moved and reason in message and message.endswith("'weld' stays where it was.")
    assert session.layout == before and not session.has_draft and not session.history


def test_a_fixed_station_does_not_move(session):
    data = session.data
    data["stations"][0]["fixed"] = True
    assert session.edit(data)
    assert apply_drop(session, {"id": "cut", "x": 4.0, "y": 9.0}) == (False, "station 'cut' is fixed: it cannot be moved")


def test_the_front_end_draws_each_station_where_the_floor_plan_has_it():
    layout = load_layout(Path(__file__).resolve().parents[2] / "layouts" / "food_packaging.yaml")
    data = plan_data(layout, {"kettle_1"})
    plan = {s.id: s for s in floor_plan(layout).stations}
    assert {s["id"] for s in data["stations"]} == set(plan)
    for s in data["stations"]:
        r = plan[s["id"]].rect
        assert (s["x"] - s["w"] / 2, s["y"] - s["d"] / 2, s["x"] + s["w"] / 2, s["y"] + s["d"] / 2) == pytest.approx(
            (r.xmin, r.ymin, r.xmax, r.ymax))
        assert s["bad"] == (s["id"] == "kettle_1")
    assert data["grid"] == layout.floor.grid and "setTriggerValue(\"drop\"" in FRONTEND.read_text()
