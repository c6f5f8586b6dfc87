"""The Layout page's editing rules that the planner's desk issue found wrong: an overlap is
put on the station just moved, a position problem under the coordinate it concerns, a table
row just added is not an edit until something is typed into it, and a new row starts from
defaults instead of being refused."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from twin.io import load_layout

from factory_app import tables
from factory_app.editing import EditSession, position_messages, problems_for

DATA = Path(__file__).parent / "data"


@pytest.fixture
def session(physics):
    return EditSession.open(load_layout(DATA / "mini.yaml"), "test", physics)


def test_moving_a_station_onto_another_puts_the_overlap_on_the_moved_one(session):
    # 'cut' (index 0, first in the file) is moved onto 'weld' (index 1): the checker names
    # the later one, but the planner moved 'cut'
    assert not session.edit(tables.update_station(session.data, 0, x=10.5), field=(0, "x"))
    assert [(p.path, p.message) for p in session.problems] == [
        ("stations[0].position", "station 'cut' overlaps station 'weld'")]
    assert problems_for(session.problems, "stations", 1) == []
    shown = session.layout.model_copy(update={"stations": tuple(
        s.with_placement((10.5, 6.0)) if s.id == "cut" else s for s in session.layout.stations)})
    assert position_messages(session.problems, 0, shown, session.last_field) == {
        "x": ["station 'cut' overlaps station 'weld'"], "y": []}


def test_moving_the_later_station_keeps_the_overlap_on_it(session):
    assert not session.edit(tables.update_station(session.data, 1, x=4.5), field=(1, "x"))
    assert [(p.path, p.message) for p in session.problems] == [
        ("stations[1].position", "station 'weld' overlaps station 'cut'")]


def test_a_y_off_the_floor_shows_under_y_and_an_x_under_x(session):
    assert not session.edit(tables.update_station(session.data, 2, y=11.5), field=(2, "y"))
    layout = session.layout.model_copy(update={"stations": tuple(
        s.with_placement((16.0, 11.5)) if s.id == "check" else s for s in session.layout.stations)})
    messages = position_messages(session.problems, 2, layout, (2, "x"))  # even when x was edited last
    assert messages == {"x": [], "y": ["station 'check' reaches outside the floor (20 x 12 m)"]}
    layout = session.layout.model_copy(update={"stations": tuple(
        s.with_placement((19.5, 6.0)) if s.id == "check" else s for s in session.layout.stations)})
    assert not session.edit(tables.update_station(session.data, 2, y=6.0, x=19.5))
    assert position_messages(session.problems, 2, layout, (2, "y")) == {
        "x": ["station 'check' reaches outside the floor (20 x 12 m)"], "y": []}


def test_a_blank_new_table_row_is_not_an_edit_yet():
    frame = pd.DataFrame([{"id": "a", "x": 1.0}, {"id": None, "x": float("nan")}, {"id": "", "x": 2.0}])
    kept = tables.without_blank_new_rows(frame, 1, ["id", "x"])
    assert list(kept.index) == [0, 2]  # the row with a typed x stays; the untouched one goes
    assert list(tables.without_blank_new_rows(frame, 3, ["id", "x"]).index) == [0, 1, 2]  # old rows always stay


def test_a_new_station_row_with_one_cell_typed_is_a_valid_station(session):
    frame = tables.stations_frame(session.data).astype(object)
    frame.loc[3] = [None] * len(frame.columns)
    frame.loc[3, "id"] = "press"
    assert session.edit(tables.apply_stations(session.data, frame)), session.problems
    press = session.layout.station("press")
    assert (press.kind, press.footprint.width, press.footprint.depth, press.position) == ("machine", 2.0, 2.0, None)


def test_a_new_product_row_starts_from_defaults_and_no_routing(session):
    frame = tables.products_frame(session.data)
    frame.loc[2] = [None] * len(frame.columns)
    frame.loc[2, "demand"] = 5
    data = tables.apply_products(session.data, frame)
    new = data["products"][2]
    assert (new["id"], new["family"], new["demand"], new["lot_size"], new["routing"]) == ("P3", "P3", 5, 1, [])
