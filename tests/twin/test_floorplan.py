"""The floor plan's shapes, checked against geometry worked out here (rotation matrices,
hand-computed ports), not against `twin.geometry`'s own helpers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.errors import InputError
from twin.floorplan import dock_apron, floor_plan
from twin.graph import transport_legs
from twin.io import layout_from_data
from twin.model import Station
from twin.palette import COLORS, KIND_COLORS, heat_color, hex_colour


def turned(local: tuple[float, float], degrees: int, centre: tuple[float, float]) -> np.ndarray:
    """A station-local point on the floor: rotated counter-clockwise by a rotation matrix."""
    t = math.radians(degrees)
    r = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return r @ np.asarray(local, dtype=float) + np.asarray(centre, dtype=float)


@given(
    width=st.floats(0.2, 8.0), depth=st.floats(0.2, 8.0), x=st.floats(5.0, 50.0), y=st.floats(5.0, 50.0),
    rotation=st.sampled_from([0, 90, 180, 270]),
)
def test_footprint_corners_are_the_local_corners_turned_about_the_centre(width, depth, x, y, rotation):
    station = Station(id="s", kind="machine", footprint={"width": width, "depth": depth}, position=(x, y),
                      rotation=rotation)
    data = {"name": "one", "floor": {"width": 60.0, "depth": 60.0}, "stations": [station.model_dump()],
            "products": [{"id": "p", "family": "f", "demand": 1, "lot_size": 1,
                          "routing": [{"id": "o", "stations": ["s"], "time": 1.0}]}]}
    [shape] = floor_plan(layout_from_data(data)).stations
    local = [(-width / 2, -depth / 2), (width / 2, -depth / 2), (width / 2, depth / 2), (-width / 2, depth / 2)]
    expected = np.array([turned(p, rotation, (x, y)) for p in local])
    assert np.array(shape.corners) == pytest.approx(expected, abs=1e-9)
    # the axis-aligned rectangle is the corners' bounding box, centred on the position
    xs, ys = expected[:, 0], expected[:, 1]
    r = shape.rect
    assert (r.xmin, r.ymin, r.xmax, r.ymax) == pytest.approx((xs.min(), ys.min(), xs.max(), ys.max()), abs=1e-9)
    assert shape.centre == pytest.approx((x, y))
    # default ports: the middle of the local left (in) and right (out) edges, turned along
    assert shape.input_port == pytest.approx(tuple(turned((-width / 2, 0.0), rotation, (x, y))), abs=1e-9)
    assert shape.output_port == pytest.approx(tuple(turned((width / 2, 0.0), rotation, (x, y))), abs=1e-9)


@pytest.fixture
def data(layout_data) -> dict:
    layout_data["stations"][1]["rotation"] = 90  # wash: 2 x 1 m, turned: its input port is at (10, 5)
    layout_data["stations"][0]["output_port"] = [1.0, 0.5]  # cnc: out at (5, 6.5)
    layout_data["transport"]["conveyors"] = [
        {"id": "drawn", "from": "cnc", "to": "wash", "route": [[7.0, 6.5], [7.0, 4.0], [10.0, 4.0]]},
        {"id": "plain", "from": "wash", "to": "cell"},
    ]
    return layout_data


def test_conveyors_run_from_the_output_port_to_the_input_port_along_the_measured_run(data):
    layout = layout_from_data(data)
    plan = floor_plan(layout)
    drawn, plain = plan.conveyors
    assert np.array(drawn.points) == pytest.approx(np.array([(5.0, 6.5), (7.0, 6.5), (7.0, 4.0), (10.0, 4.0), (10.0, 5.0)]))
    # wash (turned) sends from the top of its footprint, (10, 7); cell takes in at its left edge, (14.8, 6)
    assert np.array(plain.points) == pytest.approx(np.array([(10.0, 7.0), (14.8, 7.0), (14.8, 6.0)]))
    legs = transport_legs(layout)
    for conveyor in (drawn, plain):
        length = sum(math.dist(a, b) for a, b in zip(conveyor.points, conveyor.points[1:]))
        assert legs[(conveyor.source, conveyor.target)].distance == pytest.approx(length)
        assert conveyor.colour == COLORS["belt"]


def test_arrow_marks_lie_on_the_belt_every_spacing_pointing_downstream(data):
    drawn = floor_plan(layout_from_data(data)).conveyors[0]
    marks = drawn.marks(1.0)
    # 2 + 2.5 + 3 + 1 = 8.5 m of belt: marks at 0.5, 1.5, ... 7.5 m
    assert len(marks) == 8
    flat = np.array([[*point, *direction] for point, direction in marks])
    assert flat[0] == pytest.approx([5.5, 6.5, 1.0, 0.0])
    assert flat[2] == pytest.approx([7.0, 6.0, 0.0, -1.0])  # 2.5 m in: 0.5 m down the second leg
    assert flat[3] == pytest.approx([7.0, 5.0, 0.0, -1.0])
    assert flat[6] == pytest.approx([9.0, 4.0, 1.0, 0.0])  # 6.5 m in: 2 m along the third leg (from 4.5 m)


def test_kind_colours_legend_and_the_other_shapes(data):
    plan = floor_plan(layout_from_data(data))
    assert [s.id for s in plan.stations] == ["cnc", "wash", "cell"]
    assert plan.station("cnc").colour == KIND_COLORS["machine"] and plan.station("cell").colour == KIND_COLORS["robot_cell"]
    assert plan.station("wash").fixed and plan.station("cnc").label == "cnc"
    assert [name for name, _ in plan.legend] == ["machine", "robot cell", "conveyor"]
    [zone] = plan.zones
    assert (zone.rect.xmin, zone.rect.ymin, zone.rect.xmax, zone.rect.ymax) == (9.5, 9.5, 10.0, 10.0)
    assert zone.colour == COLORS["column"]
    o = plan.outline
    assert (o.xmin, o.ymin, o.xmax, o.ymax) == (0.0, 0.0, 20.0, 12.0)
    dock_in, dock_out = plan.docks
    assert dock_in.colour == COLORS["receiving"] and dock_out.colour == COLORS["shipping"]
    # each apron sits outside the floor on the dock's edge, centred on the dock
    assert (dock_in.apron.xmax, dock_in.apron.centre[1]) == (0.0, 6.0)
    assert (dock_out.apron.xmin, dock_out.apron.centre[1]) == (20.0, 6.0)
    b = plan.bounds
    assert (b.xmin, b.xmax, b.ymin, b.ymax) == pytest.approx((-2.4, 22.4, 0.0, 12.0))


def test_an_apron_near_a_corner_slides_along_its_edge_to_stay_beside_the_floor():
    apron = dock_apron(20.0, 12.0, (0.5, 11.9))  # nearest edge: the top (0.1 m away)
    assert (apron.xmin, apron.ymin, apron.xmax, apron.ymax) == pytest.approx((0.0, 12.0, 2.4, 14.4))


def test_utilisation_colours_and_labels(data):
    layout = layout_from_data(data)
    plan = floor_plan(layout, {"cnc": 0.92, "wash": 0.15}, color_by="utilisation")
    assert plan.station("cnc").colour == pytest.approx(heat_color(0.92))
    assert plan.station("cnc").label == "cnc 92%" and plan.station("cell").utilisation == 0.0
    assert [name for name, _ in plan.legend] == ["conveyor"]  # no kinds: the colours mean utilisation
    by_kind = floor_plan(layout, {"cnc": 0.92}, color_by="kind")
    assert by_kind.station("cnc").colour == KIND_COLORS["machine"] and by_kind.station("cnc").label == "cnc 92%"
    with pytest.raises(InputError, match="needs a schedule"):
        floor_plan(layout, color_by="utilisation")
    with pytest.raises(InputError, match="use one of kind, utilisation"):
        floor_plan(layout, color_by="rainbow")


def test_unplaced_stations_and_their_conveyors_are_left_out_and_named(data):
    del data["stations"][1]["position"]
    plan = floor_plan(layout_from_data(data))
    assert [s.id for s in plan.stations] == ["cnc", "cell"]
    assert plan.unplaced == ("wash",) and plan.conveyors == ()


def test_hex_colour():
    assert hex_colour((1.0, 0.5, 0.0)) == "#ff8000"
    assert hex_colour(KIND_COLORS["machine"]) == "#4e79a7"
