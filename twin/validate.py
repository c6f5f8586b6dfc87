"""Checks that need the whole layout: unique ids, references, routings that some station can
do, placed stations inside the floor and clear of each other and of keep-out zones, and every
station reachable over the aisles. Each problem names its field path.

`layout_problems` lists them without physics; `all_problems` adds the robot cells' safety
clearance, whose reach envelopes are measured in a `Physics` context, and `validate_layout`
raises one LayoutError holding all of them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from twin.errors import LayoutError, Problem
from twin.geometry import floor_rect, station_rect, zone_rect
from twin.model import Layout, Operation, Station, Variability

if TYPE_CHECKING:
    from twin.physics import Physics


def _duplicates(prefix: str, ids: Iterable[str]) -> list[Problem]:
    ids = list(ids)
    counts = Counter(ids)
    problems, reported = [], set()
    for index, item in enumerate(ids):
        if counts[item] > 1 and item not in reported:
            reported.add(item)
            problems.append(Problem(f"{prefix}[{index}].id", f"duplicate id '{item}'"))
    return problems


def candidate_stations(layout: Layout, operation: Operation) -> list[Station]:
    """Stations that can do an operation (by explicit ids or by kind)."""
    if operation.stations is not None:
        ids = set(operation.stations)
        return [s for s in layout.stations if s.id in ids]
    return [s for s in layout.stations if s.kind == operation.station_kind]


def _id_problems(layout: Layout) -> list[Problem]:
    problems = _duplicates("stations", (s.id for s in layout.stations))
    problems += _duplicates("products", (p.id for p in layout.products))
    problems += _duplicates("floor.keep_out", (z.id for z in layout.floor.keep_out))
    problems += _duplicates("floor.docks", (d.id for d in layout.floor.docks))
    station_ids = {s.id for s in layout.stations}
    problems += [  # material flows and aisle routes name stations and docks alike
        Problem(f"floor.docks[{i}].id", f"id '{d.id}' is also a station's")
        for i, d in enumerate(layout.floor.docks) if d.id in station_ids
    ]
    problems += _duplicates("transport.conveyors", (c.id for c in layout.transport.conveyors))
    for i, product in enumerate(layout.products):
        problems += _duplicates(f"products[{i}].routing", (o.id for o in product.routing))
    for i, station in enumerate(layout.stations):
        if station.cell is None:
            continue
        problems += _duplicates(f"stations[{i}].cell.tasks", (t.id for t in station.cell.tasks))
        problems += _duplicates(f"stations[{i}].cell.fixtures", (f.id for f in station.cell.fixtures))
        for j, task in enumerate(station.cell.tasks):
            problems += [
                Problem(p.path.replace(".id", ".name"), p.message)
                for p in _duplicates(f"stations[{i}].cell.tasks[{j}].waypoints", (w.name for w in task.waypoints))
            ]
    return problems


def _station_problems(layout: Layout) -> list[Problem]:
    problems = []
    for i, station in enumerate(layout.stations):
        path = f"stations[{i}]"
        if station.kind == "robot_cell" and station.cell is None:
            problems.append(Problem(f"{path}.cell", "a robot_cell station needs a cell (robot, fixtures, tasks)"))
        if station.kind != "robot_cell" and station.cell is not None:
            problems.append(Problem(f"{path}.cell", f"only robot_cell stations have a cell, this one is a {station.kind}"))
        if (station.mtbf is None) != (station.mttr is None):
            problems.append(Problem(f"{path}.mttr" if station.mttr is None else f"{path}.mtbf", "mtbf and mttr go together"))
        if station.fixed and station.position is None:
            problems.append(Problem(f"{path}.position", "a fixed station needs a position"))
        half_w, half_d = station.footprint.width / 2, station.footprint.depth / 2
        for port in ("input_port", "output_port"):
            offset = getattr(station, port)
            if offset is not None and (abs(offset[0]) > half_w + 1e-9 or abs(offset[1]) > half_d + 1e-9):
                problems.append(Problem(f"{path}.{port}", "must lie within the station's footprint"))
    return problems


def _routing_problems(layout: Layout) -> list[Problem]:
    problems = []
    station_ids = {s.id for s in layout.stations}
    for i, product in enumerate(layout.products):
        if product.due is not None and product.due <= product.release:
            problems.append(Problem(f"products[{i}].due", f"must be later than release ({product.release:g} s)"))
        for j, op in enumerate(product.routing):
            path = f"products[{i}].routing[{j}]"
            if (op.stations is None) == (op.station_kind is None):
                problems.append(Problem(path, "give either stations or station_kind"))
                continue
            if op.stations is not None:
                missing = [sid for sid in op.stations if sid not in station_ids]
                for sid in missing:
                    problems.append(Problem(f"{path}.stations", f"no station '{sid}'"))
                if not op.stations:
                    problems.append(Problem(f"{path}.stations", "must list at least one station"))
            candidates = candidate_stations(layout, op)
            if not candidates:
                if op.station_kind is not None:
                    problems.append(Problem(f"{path}.station_kind", f"no station of kind '{op.station_kind}' can do it"))
                continue
            if op.time is None and op.task is None:
                problems.append(Problem(path, "give time (seconds per unit) or task (a robot-cell task)"))
                continue
            if op.task is not None:
                for station in candidates:
                    if station.kind != "robot_cell":
                        if op.time is None:
                            problems.append(Problem(f"{path}.time", f"station '{station.id}' is not a robot cell: "
                                                    "give a time for the stations that do it by hand or machine"))
                        continue
                    tasks = {t.id for t in station.cell.tasks} if station.cell else set()
                    if op.task not in tasks:
                        problems.append(Problem(f"{path}.task", f"station '{station.id}' has no robot task '{op.task}'"))
                if op.time is not None and all(s.kind == "robot_cell" for s in candidates):
                    problems.append(Problem(f"{path}.time", "every station that can do it is a robot cell: "
                                            "its time comes from the task's physics, not from the file"))
    return problems


def _reference_problems(layout: Layout) -> list[Problem]:
    problems = []
    station_ids = {s.id for s in layout.stations}
    families = {p.family for p in layout.products}
    for i, conveyor in enumerate(layout.transport.conveyors):
        for field, sid in (("from", conveyor.from_station), ("to", conveyor.to_station)):
            if sid not in station_ids:
                problems.append(Problem(f"transport.conveyors[{i}].{field}", f"no station '{sid}'"))
        if conveyor.from_station == conveyor.to_station:
            problems.append(Problem(f"transport.conveyors[{i}].to", "a conveyor must link two different stations"))
        earlier = [c.id for c in layout.transport.conveyors[:i]
                   if (c.from_station, c.to_station) == (conveyor.from_station, conveyor.to_station)]
        if earlier:
            problems.append(Problem(f"transport.conveyors[{i}]", f"conveyor '{earlier[0]}' already links "
                                    f"'{conveyor.from_station}' to '{conveyor.to_station}'"))
    for i, change in enumerate(layout.changeovers):
        for sid in change.stations:
            if sid not in station_ids:
                problems.append(Problem(f"changeovers[{i}].stations", f"no station '{sid}'"))
        for field in ("from_family", "to_family"):
            family = getattr(change, field)
            if family not in families:
                problems.append(Problem(f"changeovers[{i}].{field}", f"no product has family '{family}'"))
        if change.from_family == change.to_family:
            problems.append(Problem(f"changeovers[{i}].to_family", "a changeover needs two different families"))
    return problems


def _placement_problems(layout: Layout) -> list[Problem]:
    """Placed stations inside the floor, clear of keep-out zones and of each other."""
    problems = []
    floor = floor_rect(layout.floor)
    zones = [(zone, zone_rect(zone)) for zone in layout.floor.keep_out]
    for i, (zone, zrect) in enumerate(zones):
        if not zrect.within(floor):
            problems.append(Problem(f"floor.keep_out[{i}]", "lies partly outside the floor"))
    for i, dock in enumerate(layout.floor.docks):
        if not floor.contains_point(dock.position):
            problems.append(Problem(f"floor.docks[{i}].position", "lies outside the floor"))
    placed = [(i, s, station_rect(s)) for i, s in enumerate(layout.stations) if s.position is not None]
    for i, station, rect in placed:
        if not rect.within(floor):
            problems.append(
                Problem(f"stations[{i}].position", f"station '{station.id}' reaches outside the floor "
                        f"({layout.floor.width:g} x {layout.floor.depth:g} m)")
            )
        for zone, zrect in zones:
            if rect.overlaps(zrect):
                problems.append(Problem(f"stations[{i}].position", f"station '{station.id}' overlaps keep-out zone '{zone.id}'"))
    for a, (_, station, rect) in enumerate(placed):
        for j, other, orect in placed[a + 1:]:
            if rect.overlaps(orect):
                problems.append(Problem(f"stations[{j}].position", f"station '{other.id}' overlaps station '{station.id}'"))
    return problems


_SHAPE_FIELDS = {"fixed": (), "exponential": (), "triangular": ("low", "high"), "lognormal": ("cv",),
                 "empirical": ("samples",)}


def variability_problems(path: str, shape: Variability) -> list[Problem]:
    """A distribution's own fields: the ones its kind needs, none of another kind's, and a
    triangular whose mode (3 - low - high, as a fraction of the mean) lies between its ends."""
    needed = _SHAPE_FIELDS[shape.kind]
    article = "an" if shape.kind[0] in "aeiou" else "a"
    problems = [Problem(f"{path}.{name}", f"{article} {shape.kind} distribution needs {name}")
                for name in needed if getattr(shape, name) is None]
    problems += [Problem(f"{path}.{name}", f"not a field of {article} {shape.kind} distribution")
                 for name in ("cv", "low", "high", "samples") if name not in needed and getattr(shape, name) is not None]
    if shape.kind == "triangular" and not problems:
        mode = 3.0 - shape.low - shape.high
        if not shape.low - 1e-12 <= mode <= shape.high + 1e-12:
            problems.append(Problem(f"{path}.high", f"no triangular distribution from {shape.low:g} to {shape.high:g} "
                                    "times the mean has that mean (the ends are too lopsided)"))
    return problems


def _twin_problems(layout: Layout) -> list[Problem]:
    """The running twin's additions: distributions, and breakdown shapes only with MTBF/MTTR."""
    problems = []
    for i, station in enumerate(layout.stations):
        path = f"stations[{i}].breakdowns"
        problems += variability_problems(f"{path}.uptime", station.breakdowns.uptime)
        problems += variability_problems(f"{path}.repair", station.breakdowns.repair)
    for i, product in enumerate(layout.products):
        problems += variability_problems(f"products[{i}].arrivals", product.arrivals)
        for j, op in enumerate(product.routing):
            problems += variability_problems(f"products[{i}].routing[{j}].variability", op.variability)
    return problems


def layout_problems(layout: Layout, check_routes: bool = True) -> list[Problem]:
    """Every problem in the layout; aisle reachability only when the rest is sound."""
    problems = (
        _id_problems(layout)
        + _station_problems(layout)
        + _reference_problems(layout)
        + _routing_problems(layout)
        + _placement_problems(layout)
        + _twin_problems(layout)
    )
    if check_routes and not problems and all(s.position is not None for s in layout.stations):
        from twin.graph import reachability_problems

        problems += reachability_problems(layout)
    return problems


def robot_problems(layout: Layout, layout_dir: Path | None) -> list[Problem]:
    """Every robot cell's robot (guarded or not) is a built-in name or a URDF file that keeps
    the rule of `twin.robot_files`; reads files only, never starts physics."""
    from twin.robots import resolve_robot

    problems = []
    for i, station in enumerate(layout.stations):
        if station.cell is None:
            continue
        try:
            resolve_robot(station.cell.robot, layout_dir, path=f"stations[{i}].cell.robot")
        except LayoutError as exc:
            problems += exc.problems
    return problems


def all_problems(layout: Layout, layout_dir: Path | None, physics: Physics) -> list[Problem]:
    """What `factory-twin validate` reports: the layout's own problems and its robot files',
    then (once all is sound) robot reach envelopes that leave an unguarded cell
    (`twin.safety`, which measures them in `physics`)."""
    problems = layout_problems(layout) + robot_problems(layout, layout_dir)
    if not problems:
        from twin.safety import check_clearance

        problems = check_clearance(layout, layout_dir, physics)
    return problems


def validate_layout(layout: Layout, layout_dir: Path | None, physics: Physics, source: str | None = None) -> Layout:
    """Return the layout unchanged, or raise LayoutError listing every problem (robot
    safety clearance included, measured in `physics`)."""
    problems = all_problems(layout, layout_dir, physics)
    if problems:
        raise LayoutError(problems, source)
    return layout
