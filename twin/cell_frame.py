"""Where a robot cell's waypoints are. A waypoint given `relative_to` a fixture has its `xyz`
in that fixture's frame (the box centre, turned by the fixture's pose rotation), so moving
or turning the fixture moves the waypoint with it; its `rpy` (the tool's orientation) stays
in the cell frame, so a turned tray is still picked from above.

Physics, the footprint check and the pictures work on `absolute_cell`, where every waypoint
is in the cell frame; messages about a relative waypoint name its fixture (`anchor_note`).
Pure geometry: nothing here starts physics.
"""
from __future__ import annotations

import math

from twin.errors import LayoutError, Problem
from twin.geometry import Rect
from twin.model import Fixture, Point3, RobotCell, Station, Waypoint

DIGITS = 9  # absolute coordinates are rounded to a nanometre: the same place hashes the same


def rotation(rpy: Point3) -> tuple[tuple[float, float, float], ...]:
    """Rows of the rotation matrix of roll, pitch, yaw in degrees (fixed axes x, then y, then
    z: R = Rz(yaw) Ry(pitch) Rx(roll), PyBullet's convention for a pose)."""
    r, p, y = (math.radians(a) for a in rpy)
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    return ((cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr),
            (sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr),
            (-sp, cp * sr, cp * cr))


def fixture_point(fixture: Fixture, local: Point3) -> Point3:
    """A point given in `fixture`'s frame, in the cell frame."""
    rows = rotation(fixture.pose.rpy)
    return tuple(round(o + sum(m * v for m, v in zip(row, local)), DIGITS)
                 for o, row in zip(fixture.pose.xyz, rows))  # type: ignore[return-value]


def anchor(cell: RobotCell, waypoint: Waypoint) -> Fixture | None:
    """The fixture a waypoint is tied to (None: absolute, or naming no fixture of the cell)."""
    if waypoint.relative_to is None:
        return None
    return next((f for f in cell.fixtures if f.id == waypoint.relative_to), None)


def reference_problems(cell: RobotCell) -> list[Problem]:
    """Waypoints tied to a fixture the cell does not have (paths relative to the station)."""
    ids = [f.id for f in cell.fixtures]
    return [
        Problem(f"cell.tasks[{j}].waypoints[{k}].relative_to",
                f"no fixture '{wp.relative_to}' in this cell (fixtures: {', '.join(ids) or 'none'})")
        for j, task in enumerate(cell.tasks) for k, wp in enumerate(task.waypoints)
        if wp.relative_to is not None and wp.relative_to not in ids
    ]


def absolute_cell(cell: RobotCell) -> RobotCell:
    """The cell with every waypoint in the cell frame (a cell without relative waypoints comes
    back as it is). Raises `LayoutError` when a waypoint names a fixture the cell lacks."""
    problems = reference_problems(cell)
    if problems:
        raise LayoutError(problems)
    if all(wp.relative_to is None for task in cell.tasks for wp in task.waypoints):
        return cell
    tasks = []
    for task in cell.tasks:
        waypoints = []
        for wp in task.waypoints:
            fixture = anchor(cell, wp)
            if fixture is not None:
                wp = wp.model_copy(update={"xyz": fixture_point(fixture, wp.xyz), "relative_to": None})
            waypoints.append(wp)
        tasks.append(task.model_copy(update={"waypoints": tuple(waypoints)}))
    return cell.model_copy(update={"tasks": tuple(tasks)})


def anchor_note(cell: RobotCell, task_index: int, waypoint_index: int) -> str:
    """' (waypoint W is relative to fixture F, now at (x, y, z))' for a waypoint tied to a
    fixture, else ''."""
    waypoint = cell.tasks[task_index].waypoints[waypoint_index]
    fixture = anchor(cell, waypoint)
    if fixture is None:
        return ""
    x, y, z = fixture.pose.xyz
    return f" (waypoint {waypoint.name} is relative to fixture {fixture.id}, now at ({x:g}, {y:g}, {z:g}))"


def fixture_rect(fixture: Fixture) -> Rect:
    """A fixture's footprint on the cell floor (its box turned about z only)."""
    x, y, _ = fixture.pose.xyz
    yaw = math.radians(fixture.pose.rpy[2])
    ex = abs(math.cos(yaw)) * fixture.size[0] / 2 + abs(math.sin(yaw)) * fixture.size[1] / 2
    ey = abs(math.sin(yaw)) * fixture.size[0] / 2 + abs(math.cos(yaw)) * fixture.size[1] / 2
    return Rect(x - ex, y - ey, x + ex, y + ey)


def fit_problems(station: Station) -> list[Problem]:
    """Base, fixtures and (absolute) waypoints must lie inside the station's footprint, in the
    cell frame; paths relative to the station. A waypoint outside names its fixture."""
    cell = station.cell
    assert cell is not None
    w, d = station.footprint.width, station.footprint.depth
    foot = Rect(-w / 2, -d / 2, w / 2, d / 2)
    out = []
    bx, by, _ = cell.base.xyz
    if not foot.contains_point((bx, by)):
        out.append(Problem("cell.base", f"robot base ({bx:g}, {by:g}) lies outside the {w:g} x {d:g} m footprint"))
    for i, fx in enumerate(cell.fixtures):
        if not fixture_rect(fx).within(foot):
            out.append(Problem(f"cell.fixtures[{i}]", f"fixture {fx.id} sticks out of the {w:g} x {d:g} m footprint"))
    if reference_problems(cell):
        return out
    placed = absolute_cell(cell)
    for j, task in enumerate(placed.tasks):
        for k, wp in enumerate(task.waypoints):
            if not foot.contains_point(wp.xyz[:2]):
                out.append(Problem(f"cell.tasks[{j}].waypoints[{k}]",
                                   f"waypoint {wp.name} ({wp.xyz[0]:g}, {wp.xyz[1]:g}) lies outside the footprint"
                                   + anchor_note(cell, j, k)))
    return out
