"""Waypoints tied to fixtures, in physics: moving the nest moves the robot's targets, the
cycle time follows the kinematics, and a nest moved out of reach is refused by name."""
from __future__ import annotations

import math

import pytest
from cell_fixtures import layout, sim, station, task

from twin.errors import LayoutError
from twin.physics import task_times
from twin.robots import SPECS

FEEDER = {"id": "feeder", "size": [0.3, 0.2, 0.1], "pose": {"xyz": [0.45, -0.3, 0.05]}}
RELATIVE = [
    {"name": "approach", "relative_to": "feeder", "xyz": [0.0, 0.0, 0.25]},
    {"name": "pick", "relative_to": "feeder", "xyz": [0.0, 0.0, 0.08], "action": "grip"},
    {"name": "lift", "relative_to": "feeder", "xyz": [0.0, 0.0, 0.25]},
    {"name": "above_place", "relative_to": "nest", "xyz": [0.0, 0.0, 0.25]},
    {"name": "place", "relative_to": "nest", "xyz": [0.0, 0.0, 0.08], "action": "release"},
    {"name": "retreat", "relative_to": "nest", "xyz": [0.0, 0.0, 0.25]},
]


def nest_at(x: float, y: float) -> dict:
    return {"id": "nest", "size": [0.3, 0.2, 0.1], "pose": {"xyz": [x, y, 0.05]}}


def kinematic_bound(move) -> float:
    """Least rest-to-rest time of a move's joint displacement under the Panda's datasheet
    speed and acceleration limits (triangle or trapezoid per joint; the slowest joint wins)."""
    spec = SPECS["panda"]
    times = []
    for d, v, a in zip(move.joint_displacement, spec.joint_velocity, spec.joint_acceleration):
        d = abs(d)
        times.append(2 * math.sqrt(d / a) if d <= v * v / a else d / v + v / a)
    return max(times)


def test_moving_the_nest_moves_its_waypoints_like_writing_them_by_hand(uncached):
    moved = sim(station([task(RELATIVE)], fixtures=[FEEDER, nest_at(0.3, 0.5)]), uncached).tasks[0]
    by_hand = [dict(w) for w in RELATIVE]
    for w in by_hand:
        origin = FEEDER["pose"]["xyz"] if w.pop("relative_to") == "feeder" else [0.3, 0.5, 0.05]
        w["xyz"] = [round(o + v, 9) for o, v in zip(origin, w["xyz"])]
    written = sim(station([task(by_hand)], fixtures=[FEEDER, nest_at(0.3, 0.5)]), uncached).tasks[0]
    assert moved.ok and written.ok
    assert moved.cycle_time == written.cycle_time
    assert moved.path_length == written.path_length


def test_moving_the_nest_changes_the_cycle_as_the_kinematics_predict(uncached):
    """Nest moved from beside the feeder (0.6 m away) round to the robot's other side: every
    move stays between its joint-space kinematic bound and 1.3x it, the cycle grows by what the
    bound grows, and the moves that do not touch the nest keep their time."""
    near = sim(station([task(RELATIVE)], fixtures=[FEEDER, nest_at(0.45, 0.3)]), uncached).tasks[0]
    far = sim(station([task(RELATIVE)], fixtures=[FEEDER, nest_at(-0.2, 0.5)]), uncached).tasks[0]
    assert near.ok and far.ok
    bounds = {}
    for label, rep in (("near", near), ("far", far)):
        for move in rep.moves:
            bound = kinematic_bound(move)
            assert bound - 1e-9 <= move.duration <= 1.3 * bound + 1e-9, (label, move, bound)
        assert rep.cycle_time == pytest.approx(sum(m.duration for m in rep.moves) + rep.gripper_time, abs=1e-5)
        bounds[label] = sum(kinematic_bound(m) for m in rep.moves)
    # the transfer out to the nest and the return to the feeder are the moves that change
    assert [m.name for m in near.moves] == ["pick", "lift", "above_place", "place", "retreat", "approach"]
    for k in (0, 1):  # feeder moves: same joints, same time
        assert far.moves[k].duration == pytest.approx(near.moves[k].duration, abs=1e-6)
    assert bounds["far"] > bounds["near"] + 0.2
    grown, predicted = far.cycle_time - near.cycle_time, bounds["far"] - bounds["near"]
    # implied by the per-move band, and in fact the cycle grows by what the bound grows (±10 %)
    assert bounds["far"] - 1.3 * bounds["near"] <= grown <= 1.3 * bounds["far"] - bounds["near"]
    assert grown == pytest.approx(predicted, rel=0.10)


def test_a_nest_moved_out_of_reach_is_refused_naming_it_and_its_waypoints(uncached):
    st = station([task(RELATIVE)], fixtures=[FEEDER, nest_at(1.0, 0.6)], size=2.4)
    with pytest.raises(LayoutError) as err:
        task_times(layout(st), None, uncached)
    problems = err.value.problems
    assert [p.path for p in problems] == [f"stations[0].cell.tasks[0].waypoints[{k}]" for k in (3, 4, 5)]
    for problem, name in zip(problems, ("above_place", "place", "retreat")):
        assert problem.message.startswith("unreachable: end-effector error ")
        assert problem.message.endswith(f" (waypoint {name} is relative to fixture nest, now at (1, 0.6, 0.05))")
