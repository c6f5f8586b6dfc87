"""The plan view's gestures as edits, on tests/app/data/mini.yaml (a 20 x 12 m floor, 1 m
grid, 2 x 2 m stations cut (4, 6), weld (10, 6), check (16, 6), docks in (0, 6) and out (20, 6)):
each accepted gesture is one undoable edit; one the layout check refuses leaves the last valid
layout and says why; the geometry is checked with independent rectangle arithmetic."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from twin.floorplan import floor_plan
from twin.io import load_layout

from factory_app import tables
from factory_app.editing import EditSession
from factory_app.plan_canvas import FRONTEND, apply_event, plan_data
from factory_app.plan_edits import fresh_id

DATA = Path(__file__).parent / "data"


@pytest.fixture
def session(physics):
    return EditSession.open(load_layout(DATA / "mini.yaml"), "test", physics)


def _box(station) -> tuple[float, float, float, float]:
    """A station's footprint from its own fields: turned 90 or 270 degrees, width and depth swap."""
    w, d = station.footprint.width, station.footprint.depth
    if station.rotation in (90, 270):
        w, d = d, w
    x, y = station.position
    return x - w / 2, y - d / 2, x + w / 2, y + d / 2


def _apart(a, b) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _unchanged(session, before) -> bool:
    return session.layout == before and not session.has_draft and not session.history


# --- move ---------------------------------------------------------------------------------------


def test_a_drag_to_a_free_place_lands_on_the_grid_and_undo_takes_it_back(session):
    ok, message = apply_event(session, {"op": "move", "items": ["station:weld"], "lead": "station:weld",
                                        "dx": 0.3, "dy": 2.8})
    assert (ok, message) == (True, "Moved station 'weld' to (10, 9) m.")
    assert session.layout.station("weld").position == (10.0, 9.0) and not session.has_draft
    assert session.undo() and session.layout.station("weld").position == (10.0, 6.0)


@pytest.mark.parametrize("dx,reason", [
    (-5.6, "station 'weld' overlaps station 'cut'"),
    (9.6, "station 'weld' reaches outside the floor (20 x 12 m)"),
])
def test_a_drop_the_check_refuses_leaves_the_last_valid_layout(session, dx, reason):
    before = session.layout
    ok, message = apply_event(session, {"op": "move", "items": ["station:weld"], "lead": "station:weld", "dx": dx, "dy": 0})
    assert not ok and message == f"Move refused ({reason}): the last valid layout is kept."
    assert _unchanged(session, before)


def test_a_group_moves_as_one_edit_keeping_its_shape(session):
    ok, message = apply_event(session, {"op": "move", "items": ["station:cut", "station:weld"], "lead": "station:weld",
                                        "dx": 0.8, "dy": -3.2})
    assert ok and message == "Moved 'cut', 'weld' by (1, -3) m."
    assert session.layout.station("cut").position == (5.0, 3.0)
    assert session.layout.station("weld").position == (11.0, 3.0)
    assert len(session.history) == 1 and session.undo()
    assert [s.position for s in session.layout.stations] == [(4, 6), (10, 6), (16, 6)]


def test_a_group_move_is_refused_whole_when_one_member_would_overlap(session):
    before = session.layout  # 5 m right: cut (9, 6) is clear, weld (15, 6) would overlap check (16, 6)
    ok, message = apply_event(session, {"op": "move", "items": ["station:cut", "station:weld"], "lead": "station:cut",
                                        "dx": 5, "dy": 0})
    assert not ok and "station 'weld' overlaps station 'check'" in message
    assert _unchanged(session, before)


def test_a_fixed_station_in_a_group_stops_the_move(session):
    data = session.data
    data["stations"][0]["fixed"] = True
    assert session.edit(data)
    before = session.layout
    ok, message = apply_event(session, {"op": "move", "items": ["station:weld", "station:cut"], "dx": 0, "dy": 3})
    assert (ok, message) == (False, "Station 'cut' is fixed: it cannot be moved.")
    assert session.layout == before


def test_a_keep_out_zone_and_a_dock_move_on_the_grid(session):
    apply_event(session, {"op": "add_zone", "kind": "column", "x0": 0.9, "y0": 0.2, "x1": 2.2, "y1": 1.4})
    zone = session.layout.floor.keep_out[0]
    assert (zone.id, zone.kind, zone.x, zone.y, zone.width, zone.depth) == ("column", "column", 1, 0, 1, 1)
    ok, message = apply_event(session, {"op": "move", "items": ["zone:column"], "dx": 5.7, "dy": 0.1})
    assert (ok, message) == (True, "Moved zone 'column' to (7, 0) m.")
    assert (session.layout.floor.keep_out[0].x, session.layout.floor.keep_out[0].y) == (7, 0)
    ok, message = apply_event(session, {"op": "move", "items": ["dock:in"], "dx": 0.2, "dy": 3.4})
    assert (ok, message) == (True, "Moved dock 'in' to (0, 9) m.")
    assert session.layout.floor.docks[0].position == (0, 9)


def test_a_zone_moved_onto_a_station_or_a_dock_off_the_floor_is_refused(session):
    apply_event(session, {"op": "add_zone", "kind": "hazard", "x0": 0, "y0": 0, "x1": 2, "y1": 2})
    before = session.layout
    ok, message = apply_event(session, {"op": "move", "items": ["zone:hazard"], "dx": 9, "dy": 5})
    assert not ok and "station 'weld' overlaps keep-out zone 'hazard'" in message and session.layout == before
    ok, message = apply_event(session, {"op": "move", "items": ["dock:in"], "dx": -2, "dy": 0})
    assert not ok and "lies outside the floor" in message and session.layout == before


def test_a_station_not_on_the_floor_yet_is_placed_where_clicked_on_the_grid(session):
    assert session.edit(tables.add_station(session.data))  # S4, a 2 x 2 m machine the search would place
    assert session.layout.station("S4").position is None
    before = session.layout
    ok, message = apply_event(session, {"op": "place", "items": ["station:S4"], "x": 9.6, "y": 6.3})
    assert (ok, message) == (False, "Placing refused (station 'S4' overlaps station 'weld'): the last valid layout is kept.")
    assert session.layout == before
    assert apply_event(session, {"op": "place", "items": ["station:S4"], "x": 9.6, "y": 9.3}) == (True, "Placed 'S4' at (10, 9) m.")
    assert session.layout.station("S4").position == (10, 9)
    assert apply_event(session, {"op": "place", "items": ["station:S4"], "x": 2, "y": 2}) == (
        False, "Station 'S4' is already on the floor: drag it to move it.")


# --- turn, copy, delete -------------------------------------------------------------------------


def test_rotate_turns_90_degrees_in_place_and_four_turns_come_back(session):
    data = session.data
    data["stations"][1]["footprint"] = {"width": 4, "depth": 2}
    assert session.edit(data)
    for rotation in (90, 180, 270, 0):
        ok, message = apply_event(session, {"op": "rotate", "items": ["station:weld"]})
        assert ok and message == f"Turned 'weld' to {rotation}°."
        weld = session.layout.station("weld")
        assert weld.rotation == rotation and weld.position == (10, 6)
        assert _box(weld) == ((8, 5, 12, 7) if rotation in (0, 180) else (9, 4, 11, 8))


def test_a_turn_that_would_overlap_is_refused(session):
    data = session.data
    data["stations"][1].update(footprint={"width": 2, "depth": 8}, position=[8, 6])  # 7..9 x 2..10
    assert session.edit(data)
    before = session.layout
    ok, message = apply_event(session, {"op": "rotate", "items": ["station:weld"]})  # 4..12 x 5..7: onto cut
    assert not ok and message.startswith("Turn refused (station 'weld' overlaps station 'cut'")
    assert session.layout == before


def test_duplicate_gives_a_fresh_id_and_a_free_place(session):
    ok, message = apply_event(session, {"op": "duplicate", "items": ["station:weld", "station:cut"]})
    assert ok and message == "Added 'weld_2', 'cut_2' (a copy of 'weld', 'cut')."
    layout = session.layout
    assert [s.id for s in layout.stations] == ["cut", "weld", "check", "weld_2", "cut_2"]
    copy = layout.station("weld_2")
    assert (copy.kind, copy.footprint, copy.fixed) == ("machine", layout.station("weld").footprint, False)
    boxes = [_box(s) for s in layout.stations]
    assert all(0 <= b[0] and 0 <= b[1] and b[2] <= 20 and b[3] <= 12 for b in boxes)
    assert all(_apart(a, b) for a, b in itertools.combinations(boxes, 2))
    # the copy stands on the grid, an aisle (1.5 m) clear of every other station where it fits
    assert all(v == round(v) for v in copy.position)
    assert all(_box(copy)[0] - b[2] >= 1.5 or b[0] - _box(copy)[2] >= 1.5 or _box(copy)[1] - b[3] >= 1.5
               or b[1] - _box(copy)[3] >= 1.5 for s, b in zip(layout.stations, boxes) if s.id != "weld_2")
    assert abs(copy.position[0] - 10) + abs(copy.position[1] - 6) <= 5  # near the original
    assert session.undo() and [s.id for s in session.layout.stations] == ["cut", "weld", "check"]


def test_a_zone_turns_about_its_centre_and_four_turns_come_back(session):
    assert apply_event(session, {"op": "add_zone", "kind": "wall", "x0": 6, "y0": 9, "x1": 10, "y1": 10})[0]  # 4 x 1 m
    for size, corner in (((1, 4), (7.5, 7.5)), ((4, 1), (6, 9)), ((1, 4), (7.5, 7.5)), ((4, 1), (6, 9))):
        ok, message = apply_event(session, {"op": "rotate", "items": ["zone:wall"]})
        assert (ok, message) == (True, f"Turned zone 'wall' to {size[0]} x {size[1]} m.")
        zone = session.layout.floor.keep_out[0]
        assert ((zone.width, zone.depth), (zone.x, zone.y)) == (size, corner)
        assert (zone.x + zone.width / 2, zone.y + zone.depth / 2) == (8, 9.5)  # the centre stays


def test_a_zone_turned_onto_a_station_is_refused(session):
    assert apply_event(session, {"op": "add_zone", "kind": "wall", "x0": 7, "y0": 8, "x1": 13, "y1": 9})[0]
    before = session.layout  # turned: 1 x 6 m over x 9.5..10.5, y 5.5..11.5, through weld (9..11, 5..7)
    ok, message = apply_event(session, {"op": "rotate", "items": ["zone:wall"]})
    assert not ok and "station 'weld' overlaps keep-out zone 'wall'" in message and session.layout == before


def test_a_zone_is_copied_with_a_fresh_id_to_a_free_place_with_a_station(session):
    assert apply_event(session, {"op": "add_zone", "kind": "column", "x0": 7, "y0": 10, "x1": 8, "y1": 11})[0]
    ok, message = apply_event(session, {"op": "duplicate", "items": ["zone:column", "station:check"]})
    assert (ok, message) == (True, "Added 'column_2', 'check_2' (a copy of 'column', 'check').")
    zones = session.layout.floor.keep_out
    assert [z.id for z in zones] == ["column", "column_2"]
    copy = zones[1]
    assert (copy.kind, copy.width, copy.depth) == ("column", 1, 1) and (copy.x, copy.y) != (7, 10)
    assert copy.x == round(copy.x) and copy.y == round(copy.y)
    rect = (copy.x, copy.y, copy.x + 1, copy.y + 1)
    boxes = [_box(s) for s in session.layout.stations] + [(7, 10, 8, 11)]
    assert 0 <= rect[0] and 0 <= rect[1] and rect[2] <= 20 and rect[3] <= 12
    assert all(_apart(rect, b) for b in boxes)  # clear of every station (the new copy too) and of the original
    assert abs(copy.x - 7) + abs(copy.y - 10) <= 5  # near the original
    assert session.undo() and [z.id for z in session.layout.floor.keep_out] == ["column"]


def test_fresh_ids_skip_taken_ones():
    assert fresh_id("weld", {"cut"}) == "weld"
    assert fresh_id("weld", {"weld", "weld_2"}) == "weld_3"
    assert len(fresh_id("x" * 64, {"x" * 64})) <= 64


def test_delete_takes_a_station_with_its_conveyors_or_is_refused_with_the_routing_that_needs_it(session):
    assert apply_event(session, {"op": "add_conveyor", "from": "station:cut", "to": "station:weld"})[0]
    before = session.layout
    ok, message = apply_event(session, {"op": "delete", "items": ["station:weld"]})
    assert not ok and "no station 'weld'" in message and session.layout == before
    data = session.data
    data["products"][0]["routing"][1]["stations"] = ["cut"]
    assert session.edit(data)
    ok, message = apply_event(session, {"op": "delete", "items": ["station:weld"]})
    assert (ok, message) == (True, "Deleted 'weld'.")
    assert [s.id for s in session.layout.stations] == ["cut", "check"] and session.layout.transport.conveyors == ()


def test_delete_takes_the_searchs_buffer_ranges_on_the_station_with_it(session):
    data = session.data
    data["products"][0]["routing"][1]["stations"] = ["cut"]
    data["stations"][1]["input_buffer"], data["stations"][2]["output_buffer"] = 2, 1  # weld, check
    data["decisions"] = {"buffers": [{"station": "weld", "buffer": "input", "min": 1, "max": 3},
                                     {"station": "check", "buffer": "output", "min": 1, "max": 2}]}
    assert session.edit(data), session.problems
    ok, message = apply_event(session, {"op": "delete", "items": ["station:weld"]})
    assert (ok, message) == (True, "Deleted 'weld'."), session.problems
    assert [b.station for b in session.layout.decisions.buffers] == ["check"]


def test_delete_a_dock_zone_and_conveyor(session):
    apply_event(session, {"op": "add_zone", "kind": "wall", "x0": 0, "y0": 0, "x1": 3, "y1": 1})
    apply_event(session, {"op": "add_conveyor", "from": "station:weld", "to": "station:check"})
    ok, message = apply_event(session, {"op": "delete", "items": ["zone:wall", "dock:out", "conveyor:weld_to_check"]})
    assert (ok, message) == (True, "Deleted 'wall', 'out', 'weld_to_check'.")
    floor = session.layout.floor
    assert (floor.keep_out, [d.id for d in floor.docks], session.layout.transport.conveyors) == ((), ["in"], ())


# --- draw ---------------------------------------------------------------------------------------


def test_a_zone_drawn_over_a_station_or_too_small_is_refused(session):
    before = session.layout
    ok, message = apply_event(session, {"op": "add_zone", "kind": "column", "x0": 9, "y0": 5, "x1": 12, "y1": 8})
    assert not ok and "station 'weld' overlaps keep-out zone 'column'" in message and session.layout == before
    ok, message = apply_event(session, {"op": "add_zone", "kind": "column", "x0": 1, "y0": 1, "x1": 1.3, "y1": 4})
    assert (ok, message) == (False, "Draw the zone at least one grid step (1 m) wide and deep.")


def test_a_zone_that_closes_the_only_aisle_is_refused_naming_the_legs_it_cuts(physics):
    # tests/app/data/pocket.yaml: a lot may go a1 -> b2 and a2 -> b1 only by AGV, through the
    # opening at x 4..8, y 3..5 of a pocket at the floor's edge
    session = EditSession.open(load_layout(DATA / "pocket.yaml"), "test", physics)
    before = session.layout
    cut = "keep-out zone 'column' closes the only aisle for a1 -> b2, a2 -> b1: no transport route is left for them"
    ok, message = apply_event(session, {"op": "add_zone", "kind": "column", "x0": 4, "y0": 3, "x1": 8, "y1": 5})
    assert (ok, message) == (False, f"New keep-out zone refused ({cut}): the last valid layout is kept.")
    assert _unchanged(session, before)
    # drawn clear of the opening it is taken; moved into the opening it is refused the same way
    assert apply_event(session, {"op": "add_zone", "kind": "column", "x0": 4, "y0": 6, "x1": 8, "y1": 7})[0]
    kept = session.layout
    ok, message = apply_event(session, {"op": "move", "items": ["zone:column"], "dx": 0, "dy": -3})
    assert (ok, message) == (False, f"Move refused ({cut}): the last valid layout is kept.")
    assert session.layout == kept and not session.has_draft


def test_a_dock_is_drawn_on_the_grid_with_a_fresh_id(session):
    ok, message = apply_event(session, {"op": "add_dock", "kind": "shipping", "x": 10.4, "y": 11.8})
    assert (ok, message) == (True, "Added shipping dock 'shipping' at (10, 12) m.")
    assert session.layout.floor.docks[-1].position == (10, 12)
    ok, message = apply_event(session, {"op": "add_dock", "kind": "shipping", "x": 25, "y": 6})
    assert not ok and "lies outside the floor" in message


def test_a_conveyor_is_drawn_between_two_stations_once(session):
    ok, message = apply_event(session, {"op": "add_conveyor", "from": "station:cut", "to": "station:weld"})
    assert (ok, message) == (True, "Added conveyor 'cut_to_weld' from 'cut' to 'weld'.")
    conveyor = session.layout.transport.conveyors[0]
    assert (conveyor.from_station, conveyor.to_station, conveyor.speed) == ("cut", "weld", 0.3)
    ok, message = apply_event(session, {"op": "add_conveyor", "from": "station:cut", "to": "station:weld"})
    assert not ok and "already links" in message and len(session.layout.transport.conveyors) == 1
    assert apply_event(session, {"op": "add_conveyor", "from": "station:cut", "to": "station:cut"}) == (
        False, "A conveyor must link two different stations.")
    assert apply_event(session, {"op": "add_conveyor", "from": "dock:in", "to": "station:cut"}) == (
        False, "A conveyor runs between two stations: pick the from station.")


@pytest.mark.parametrize("event,message", [
    ({"op": "spin"}, "Unknown plan action 'spin'."),
    ({"op": "rotate", "items": []}, "Select a station or keep-out zone first."),
    ({"op": "rotate", "items": ["dock:in"]}, "Select a station or keep-out zone first."),
    ({"op": "rotate", "items": ["zone:column"]}, "No zone 'column'."),
    ({"op": "move", "items": ["station:weld"], "dx": "far", "dy": 0}, "The plan gave no dx."),
    ({"op": "move", "items": ["station:weld"], "dx": 0.2, "dy": -0.1}, "The drop is on the same grid point: nothing moved."),
    ({"op": "add_zone", "kind": "lava", "x0": 0, "y0": 0, "x1": 1, "y1": 1},
     "A keep-out zone is one of column, wall, hazard, not 'lava'."),
    ({"op": "add_dock", "kind": "side", "x": 0, "y": 3}, "A dock is one of receiving, shipping, not 'side'."),
])
def test_a_gesture_that_says_nothing_sensible_is_refused_in_words(session, event, message):
    before = session.layout
    assert apply_event(session, event) == (False, message)
    assert _unchanged(session, before)


# --- what the front end draws -------------------------------------------------------------------


def test_the_front_end_draws_each_item_where_the_floor_plan_has_it():
    layout = load_layout(Path(__file__).resolve().parents[2] / "layouts" / "food_packaging.yaml")
    data = plan_data(layout, {"kettle_1"}, ["station:kettle_1"])
    plan = floor_plan(layout)
    shapes = {s.id: s for s in plan.stations}
    assert {s["id"] for s in data["stations"]} == set(shapes)
    for s in data["stations"]:
        r = shapes[s["id"]].rect
        assert (s["x"] - s["w"] / 2, s["y"] - s["d"] / 2, s["x"] + s["w"] / 2, s["y"] + s["d"] / 2) == pytest.approx(
            (r.xmin, r.ymin, r.xmax, r.ymax))
        assert s["bad"] == (s["id"] == "kettle_1")
    assert [(z["id"], z["xmin"], z["ymax"]) for z in data["zones"]] == [(z.id, z.rect.xmin, z.rect.ymax) for z in plan.zones]
    assert [(d["id"], d["x"], d["y"]) for d in data["docks"]] == [(d.id, *d.position) for d in plan.docks]
    assert [c["id"] for c in data["conveyors"]] == [c.id for c in plan.conveyors]
    assert data["selected"] == ["station:kettle_1"] and data["grid"] == layout.floor.grid
    js = FRONTEND.read_text()
    for op in ("move", "rotate", "duplicate", "delete", "add_zone", "add_dock", "add_conveyor", "select"):
        assert f'"{op}"' in js, op
