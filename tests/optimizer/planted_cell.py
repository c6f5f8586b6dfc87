"""The planted robot cell the cell-search tests share: a Panda in a narrow cell whose feeder
and nest stand in a row along x, every waypoint tied to its box (so it moves with it), and
the hand-computed kinematic bound of a simulated task."""
from __future__ import annotations

import math

from twin.model import Layout, Station
from twin.robots import SPECS

STEPS = (("approach", "feeder", 0.25, "none"), ("pick", "feeder", 0.08, "grip"), ("lift", "feeder", 0.25, "none"),
         ("above_place", "nest", 0.25, "none"), ("place", "nest", 0.08, "release"), ("retreat", "nest", 0.25, "none"))
# pick from the feeder, place on the nest: every waypoint tied to its box, so it moves with it
WAYPOINTS = [{"name": name, "relative_to": box, "xyz": [0.0, 0.0, z], "action": action} for name, box, z, action in STEPS]


def strip_cell(feeder_x: float, nest_x: float) -> Station:
    """A Panda in a 2.0 x 0.3 m cell: the 0.2 m boxes can only stand in a row along x."""
    boxes = [{"id": fid, "size": [0.2, 0.2, 0.1], "pose": {"xyz": [x, 0.0, 0.05]}}
             for fid, x in (("feeder", feeder_x), ("nest", nest_x))]
    return Station.model_validate({
        "id": "cell", "kind": "robot_cell", "footprint": {"width": 2.0, "depth": 0.3}, "position": [5.0, 5.0],
        "guarded": True, "cell": {"robot": "panda", "fixtures": boxes, "tasks": [{"id": "t", "waypoints": WAYPOINTS}]}})


def layout_of(station: Station, units: int = 1) -> Layout:
    """A floor with just `station`, and one lot of `units` units of one product on its task."""
    return Layout.model_validate({
        "name": "planted", "floor": {"width": 12.0, "depth": 10.0},
        "stations": [station.model_dump(mode="json", by_alias=True)],
        "products": [{"id": "p", "family": "f", "demand": units, "lot_size": units,
                      "routing": [{"id": "op", "stations": ["cell"], "task": "t"}]}]})


def kinematic_bound(task) -> float:
    """The least cycle the Panda's datasheet allows for the task's moves: per move, the
    slowest joint's rest-to-rest time (triangular or trapezoidal profile), plus the gripper."""
    spec = SPECS["panda"]
    total = task.gripper_time
    for move in task.moves:
        total += max(2 * math.sqrt(abs(d) / a) if abs(d) <= v * v / a else abs(d) / v + v / a
                     for d, v, a in zip(move.joint_displacement, spec.joint_velocity, spec.joint_acceleration))
    return total
