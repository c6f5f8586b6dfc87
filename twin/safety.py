"""Safety clearance of robot cells on a placed factory floor.

Each unguarded robot's reach envelope must stay inside its own station's footprint: an
envelope that leaves the footprint crosses an aisle (the free floor between stations) and,
where it reaches one, a neighbouring station or a keep-out zone. A station with
`guarded: true` has a fence that contains its robot, so it is not checked.

How: the envelope is measured once per robot and `Physics` context from the robot's
kinematics in PyBullet (`twin.physics.reach`: the largest horizontal distance of the tool
centre point from the base's vertical axis over the joint space); hence the `physics`
parameter. On the floor it is the disc of that radius around the robot base. The per-layout
check is then exact 2D geometry, disc-in-rectangle and disc-rectangle distance tests, so it
costs microseconds per cell and can run on every candidate of a layout search. The disc is
conservative: it ignores that the arm reaches less far near the floor and overhead.
"""
from __future__ import annotations

from pathlib import Path

from twin.clock import CommandClock
from twin.errors import LayoutError, Problem
from twin.geometry import Rect, station_rect, to_world, zone_rect
from twin.model import Layout
from twin.physics.context import Physics
from twin.physics.reach import envelope_radius

EPS = 1e-6


def _overshoot(cx: float, cy: float, r: float, rect: Rect) -> float:
    """How far a disc sticks out of a rectangle (<= 0 when inside)."""
    return max(r - (cx - rect.xmin), r - (rect.xmax - cx), r - (cy - rect.ymin), r - (rect.ymax - cy))


def check_clearance(layout: Layout, layout_dir: Path | str | None, physics: Physics,
                    clock: CommandClock | None = None) -> list[Problem]:
    """Problems for every unguarded, placed robot cell whose reach envelope leaves its
    footprint, naming the neighbouring stations and keep-out zones it reaches; empty when
    clear. Unplaced stations are skipped (the search places them later). A `clock` is
    stepped after each robot (a new robot model's envelope is measured in physics)."""
    problems: list[Problem] = []
    placed = [(i, s, station_rect(s)) for i, s in enumerate(layout.stations) if s.position is not None]
    robots = [(i, s, own) for i, s, own in placed if s.kind == "robot_cell" and s.cell is not None and not s.guarded]
    if not robots:
        return problems
    zones = [(f"keep-out zone {z.id}", zone_rect(z)) for z in layout.floor.keep_out]
    clock = clock or CommandClock()
    clock.stage("measuring robot reach envelopes", total=len(robots))
    for i, station, own in robots:
        try:
            radius = envelope_radius(station.cell.robot, layout_dir, physics)
        except LayoutError as exc:
            problems += [Problem(f"stations[{i}].cell.robot", p.message) for p in exc.problems]
            continue
        finally:
            clock.step(f"stations[{i}] '{station.id}'")
        cx, cy = to_world(station, station.cell.base.xyz[:2])
        out = _overshoot(cx, cy, radius, own)
        if out <= EPS:
            continue
        what = f"reach envelope of {station.id} ({station.cell.robot}, {radius:.2f} m)"
        centre = Rect(cx, cy, cx, cy)
        others = [(f"station {other.id}", rect) for j, other, rect in placed if j != i] + zones
        hits = [(radius - rect.gap(centre), name) for name, rect in others]
        hits = [(depth, name) for depth, name in hits if depth > EPS]
        fix = "mark the station guarded, enlarge its footprint or move the robot base"
        if hits:
            for depth, name in hits:
                problems.append(Problem(f"stations[{i}]", f"{what} crosses {name} by {depth:.2f} m; {fix}"))
        else:
            problems.append(Problem(f"stations[{i}]", f"{what} leaves its footprint into the aisle by {out:.2f} m; {fix}"))
    return problems
