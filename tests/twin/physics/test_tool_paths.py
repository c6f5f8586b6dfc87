"""The tool centre point's path from the physics run (what the Cells page draws in 3D): it
goes through every waypoint in order and closes the loop, is as long as the report says, and
curves where a joint-space move does, rather than running straight between waypoints."""
from __future__ import annotations

import math

import numpy as np
import pytest

from twin.errors import LayoutError
from twin.physics import tool_paths
from twin.physics.settings import TIME_STEP

from cell_fixtures import PICK_PLACE, sim, station, task


def distance_to_segment(p, a, b) -> float:
    p, a, b = (np.asarray(v, dtype=float) for v in (p, a, b))
    t = np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0.0, 1.0)
    return float(np.linalg.norm(p - (a + t * (b - a))))


def test_the_path_visits_every_waypoint_in_order_and_closes_the_loop(uncached):
    cell = station([task()])
    path = tool_paths(cell, None, uncached)["t"]
    report = sim(cell, uncached).tasks[0]
    waypoints = [w["xyz"] for w in PICK_PLACE]
    # in order: the tool reaches each waypoint (within 5 mm) after it reached the one before
    last = 0
    for wp in waypoints[1:] + waypoints[:1]:
        last = next(k for k in range(last + 1, len(path)) if math.dist(path[k], wp) < 0.005)
    assert math.dist(path[0], waypoints[0]) < 0.005 and math.dist(path[-1], waypoints[0]) < 0.005
    # one point per physics step (the gripper's time has none), and the length the report gives
    steps = round((report.cycle_time - report.gripper_time) / TIME_STEP)
    assert len(path) == steps + 1
    length = sum(math.dist(a, b) for a, b in zip(path, path[1:]))
    assert length == pytest.approx(report.path_length, abs=1e-6)  # the report rounds to a micrometre


def test_a_joint_space_move_bends_away_from_the_straight_line():
    # lift (0.45, -0.3, 0.3) -> above_place (0.45, 0.3, 0.3), both 0.541 m from the base axis:
    # the arm swings about its base, so the tool keeps that radius and crosses y = 0 at
    # x = 0.541, 0.091 m outside the straight line between them (x = 0.45)
    from twin.physics import Physics

    with Physics(None, use_cache=False) as physics:
        path = tool_paths(station([task()]), None, physics)["t"]
    a, b = PICK_PLACE[2]["xyz"], PICK_PLACE[3]["xyz"]
    crossing = [p for p in path if abs(p[1]) < 0.02 and p[2] > 0.25]
    assert crossing
    for p in crossing:
        assert math.hypot(p[0], p[1]) == pytest.approx(math.hypot(0.45, 0.3), abs=0.01)
        assert distance_to_segment(p, a, b) == pytest.approx(0.091, abs=0.01)


def test_a_task_with_an_unreachable_waypoint_has_no_path(uncached):
    far = [dict(w) for w in PICK_PLACE]
    far[3] = {"name": "above_place", "xyz": [0.95, 0.3, 0.3]}
    assert tool_paths(station([task(far)], size=2.2), None, uncached) == {"t": []}


def test_a_station_without_a_cell_is_refused(uncached):
    bare = station([task()]).model_copy(update={"cell": None})
    with pytest.raises(LayoutError, match="has no robot cell to simulate"):
        tool_paths(bare, None, uncached)
