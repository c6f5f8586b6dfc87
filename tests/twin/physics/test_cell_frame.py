"""Waypoints tied to fixtures, without physics: where they land (checked against PyBullet's
own rotation), which fixture a bad one names, and what `validate` reports after a move."""
from __future__ import annotations

import random

import pytest
from cell_fixtures import layout

from twin.cell_frame import absolute_cell, fit_problems, fixture_point
from twin.errors import LayoutError
from twin.model import Fixture, RobotCell, Station
from twin.validate import layout_problems


NEST = {"id": "nest", "size": [0.2, 0.2, 0.1], "pose": {"xyz": [0.45, 0.3, 0.05]}}
WAYPOINTS = [
    {"name": "above", "xyz": [0.45, -0.3, 0.3]},
    {"name": "place", "relative_to": "nest", "xyz": [0.0, 0.0, 0.08], "action": "release"},
    {"name": "retreat", "relative_to": "nest", "xyz": [0.2, 0.0, 0.25]},
]


def cell_station(nest=NEST, waypoints=WAYPOINTS) -> Station:
    return Station.model_validate({
        "id": "cell", "kind": "robot_cell", "footprint": {"width": 2.0, "depth": 2.0}, "position": [5.0, 5.0],
        "cell": {"robot": "panda", "fixtures": [nest], "tasks": [{"id": "t", "waypoints": waypoints}]},
    })


def test_a_relative_waypoint_moves_and_turns_with_its_fixture():
    turned = dict(NEST, pose={"xyz": [0.2, 0.5, 0.05], "rpy": [0, 0, 90]})
    cell = absolute_cell(cell_station(turned).cell)
    [above, place, retreat] = cell.tasks[0].waypoints
    assert above.xyz == (0.45, -0.3, 0.3)  # absolute: unchanged
    assert place.xyz == (0.2, 0.5, 0.13) and place.relative_to is None
    assert retreat.xyz == (0.2, 0.7, 0.3)  # the fixture's x axis now points along the cell's y
    assert place.rpy == (180.0, 0.0, 0.0)  # the tool still points down


def test_an_old_cell_without_relative_waypoints_is_unchanged():
    cell = cell_station(waypoints=[dict(w, relative_to=None) for w in WAYPOINTS]).cell
    assert absolute_cell(cell) is cell


def test_fixture_rotation_matches_pybullet():
    """The fixture frame is the one PyBullet places the fixture's box in (roll, pitch, yaw)."""
    import pybullet

    rng = random.Random(7)
    for _ in range(20):
        rpy = [rng.uniform(-180, 180) for _ in range(3)]
        centre = [rng.uniform(-1, 1) for _ in range(3)]
        local = [rng.uniform(-0.5, 0.5) for _ in range(3)]
        fixture = Fixture(id="f", size=(0.1, 0.1, 0.1), pose={"xyz": centre, "rpy": rpy})
        orn = pybullet.getQuaternionFromEuler([a * 3.141592653589793 / 180 for a in rpy])
        expected, _ = pybullet.multiplyTransforms(centre, orn, local, [0, 0, 0, 1])
        assert fixture_point(fixture, local) == pytest.approx(expected, abs=1e-6)


def test_a_waypoint_naming_a_missing_fixture_is_refused_with_its_field():
    st = cell_station(waypoints=[WAYPOINTS[0], dict(WAYPOINTS[1], relative_to="tray")])
    message = "no fixture 'tray' in this cell (fixtures: nest)"
    with pytest.raises(LayoutError) as err:
        absolute_cell(st.cell)
    assert [str(p) for p in err.value.problems] == [f"cell.tasks[0].waypoints[1].relative_to: {message}"]
    assert f"stations[0].cell.tasks[0].waypoints[1].relative_to: {message}" in [
        str(p) for p in layout_problems(layout(st))]


def test_validate_names_the_fixture_that_carried_a_waypoint_out_of_the_footprint():
    inside = cell_station(dict(NEST, pose={"xyz": [0.85, 0.3, 0.05]}))  # the nest itself still fits
    assert [str(p) for p in layout_problems(layout(inside))] == [
        "stations[0].cell.tasks[0].waypoints[2]: waypoint retreat (1.05, 0.3) lies outside the footprint "
        "(waypoint retreat is relative to fixture nest, now at (0.85, 0.3, 0.05))"]
    assert fit_problems(cell_station()) == []


def test_a_fixture_reference_is_an_identifier():
    with pytest.raises(ValueError, match="relative_to"):
        RobotCell.model_validate({"robot": "panda", "tasks": [
            {"id": "t", "waypoints": [dict(WAYPOINTS[0], relative_to="no spaces"), WAYPOINTS[1]]}]})
