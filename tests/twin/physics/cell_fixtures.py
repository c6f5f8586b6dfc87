"""Small hand-made robot cells for the physics tests: a Panda pick-and-place by default."""
from __future__ import annotations

from pathlib import Path

from twin.model import Layout, Station
from twin.physics import Physics, simulate_cell

PICK_PLACE = [
    {"name": "approach", "xyz": [0.45, -0.3, 0.3]},
    {"name": "pick", "xyz": [0.45, -0.3, 0.13], "action": "grip"},
    {"name": "lift", "xyz": [0.45, -0.3, 0.3]},
    {"name": "above_place", "xyz": [0.45, 0.3, 0.3]},
    {"name": "place", "xyz": [0.45, 0.3, 0.13], "action": "release"},
    {"name": "retreat", "xyz": [0.45, 0.3, 0.3]},
]
FIXTURES = [
    {"id": "feeder", "size": [0.3, 0.2, 0.1], "pose": {"xyz": [0.45, -0.3, 0.05]}},
    {"id": "nest", "size": [0.3, 0.2, 0.1], "pose": {"xyz": [0.45, 0.3, 0.05]}},
]


def station(tasks, fixtures=FIXTURES, robot="panda", size=2.0, sid="cell", base=None) -> Station:
    cell = {"robot": robot, "fixtures": fixtures, "tasks": tasks}
    if base is not None:
        cell["base"] = base
    return Station.model_validate({"id": sid, "kind": "robot_cell", "footprint": {"width": size, "depth": size},
                                   "position": [5.0, 5.0], "cell": cell})


def task(waypoints=PICK_PLACE, **kw) -> dict:
    return {"id": kw.pop("id", "t"), "waypoints": waypoints, **kw}


def layout(*stations: Station) -> Layout:
    return Layout.model_validate({
        "name": "cells_test",
        "floor": {"width": 20.0, "depth": 20.0},
        "stations": [s.model_dump(mode="json", by_alias=True) for s in stations],
        "products": [{"id": "p", "family": "f", "demand": 1, "lot_size": 1,
                      "routing": [{"id": "op", "stations": [stations[0].id], "task": stations[0].cell.tasks[0].id}]}],
    })


def sim(st: Station, physics: Physics, layout_dir: Path | None = None):
    return simulate_cell(st, layout_dir, physics)
