"""Tended machines: a robot cell that loads and unloads machines (`RobotCell.tends`) must
stand beside them. Checked in the factory frame: the robot base (the cell's `base.xyz` turned
with the station) lies within the tend's `max_distance` of the machine's load point, and
within the robot's horizontal reach (`twin.physics.reach`, measured from its kinematics).

`tend_problems` needs no physics (`reference_problems`: names and kinds, which a search
input must get right; `distance_problems`: placed distances); `reach_problems` measures the
reach in a `Physics` context. `twin.validate` and the independent layout checker
(`optimizer.layout_checker`) both report them; `tended_pairs` tells the checker which
stations may stand closer than an aisle (a robot and the machines it tends share a fence).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from twin.errors import LayoutError, Problem
from twin.geometry import to_world
from twin.model import Layout, Station, TendedMachine

if TYPE_CHECKING:
    from twin.physics import Physics


def tends(layout: Layout) -> Iterator[tuple[int, Station, int, TendedMachine, int | None]]:
    """(robot index, robot station, tend index, tend, machine index or None when no station
    has that id) for every tend of every robot cell."""
    index = {s.id: i for i, s in enumerate(layout.stations)}
    for i, station in enumerate(layout.stations):
        if station.kind == "robot_cell" and station.cell is not None:
            for k, tend in enumerate(station.cell.tends):
                yield i, station, k, tend, index.get(tend.machine)


def tended_pairs(layout: Layout) -> set[frozenset[int]]:
    """Index pairs that may stand closer than an aisle: a robot and a machine it tends, and
    two machines one robot tends (a robot between two machines, the usual two-machine cell:
    they share its fence, and no robot reaches two machines an aisle apart, since their load
    points would then be at least half an aisle from its base)."""
    cells: dict[int, set[int]] = {}
    for i, _, _, _, m in tends(layout):
        if m is not None and m != i:
            cells.setdefault(i, set()).add(m)
    pairs = set()
    for robot, machines in cells.items():
        pairs |= {frozenset((robot, m)) for m in machines}
        pairs |= {frozenset((a, b)) for a in machines for b in machines if a != b}
    return pairs


def base_and_load_point(layout: Layout, robot: Station, tend: TendedMachine) -> tuple[tuple[float, float], tuple[float, float]]:
    """Robot base and load point on the floor (both stations placed)."""
    assert robot.cell is not None
    return to_world(robot, robot.cell.base.xyz[:2]), to_world(layout.station(tend.machine), tend.load_point[:2])


def _distance(layout: Layout, robot: Station, tend: TendedMachine) -> float | None:
    machine = layout.station(tend.machine)
    if robot.position is None or machine.position is None:
        return None
    base, load = base_and_load_point(layout, robot, tend)
    return math.dist(base, load)


def reference_problems(layout: Layout) -> list[Problem]:
    """Tends that name no station, a station that is not a machine, or a machine twice."""
    problems = []
    for i, robot, k, tend, m in tends(layout):
        path = f"stations[{i}].cell.tends[{k}].machine"
        if m is None:
            problems.append(Problem(path, f"no station '{tend.machine}'"))
        elif layout.stations[m].kind != "machine":
            kind = layout.stations[m].kind
            problems.append(Problem(path, f"station '{tend.machine}' is not a machine but {_article(kind)} {kind}"))
        elif any(t.machine == tend.machine for t in robot.cell.tends[:k]):
            problems.append(Problem(path, f"machine '{tend.machine}' is named twice"))
    return problems


def distance_problems(layout: Layout) -> list[Problem]:
    """Placed tends whose load point is farther from the robot base than `max_distance`."""
    problems = []
    for i, robot, k, tend, m in tends(layout):
        if m is None or layout.stations[m].kind != "machine":
            continue
        d = _distance(layout, robot, tend)
        if d is not None and d > tend.max_distance + 1e-9:
            problems.append(Problem(f"stations[{i}].cell.tends[{k}].max_distance",
                                    f"the load point of machine '{tend.machine}' is {d:.2f} m from the base of "
                                    f"robot cell '{robot.id}', more than {tend.max_distance:g} m"))
    return problems


def tend_problems(layout: Layout) -> list[Problem]:
    """Every tend problem that needs no physics: references, then distances."""
    return reference_problems(layout) + distance_problems(layout)


def reach_problems(layout: Layout, layout_dir: Path | str | None, physics: Physics) -> list[Problem]:
    """Placed tends whose load point lies beyond the robot's horizontal reach from its base."""
    from twin.physics.reach import envelope_radius

    problems = []
    for i, robot, k, tend, m in tends(layout):
        if m is None or layout.stations[m].kind != "machine":
            continue
        d = _distance(layout, robot, tend)
        if d is None:
            continue
        try:
            radius = envelope_radius(robot.cell.robot, layout_dir, physics)
        except LayoutError:
            continue  # the robot file's own problem is reported at cell.robot
        if d > radius + 1e-9:
            problems.append(Problem(f"stations[{i}].cell.tends[{k}]",
                                    f"the load point of machine '{tend.machine}' is {d:.2f} m from the base of robot cell "
                                    f"'{robot.id}', beyond the {robot.cell.robot}'s {radius:.2f} m reach"))
    return problems


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
