"""Checks that need the whole layout: unique ids, references, routings that some station can
do, placed stations inside the floor and clear of each other and of keep-out zones, every
station reachable over the aisles, and every routing leg travelable (by conveyor or an aisle
route: a keep-out zone that cuts the only aisle is named with the legs it cuts). Each problem
names its field path.

`layout_problems` lists them without physics; `all_problems` adds the robot cells' safety
clearance, whose reach envelopes are measured in a `Physics` context, and `validate_layout`
raises one LayoutError holding all of them.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from twin.clock import CommandClock
from twin.errors import LayoutError, Problem
from twin.geometry import floor_rect, station_rect, zone_rect
from twin.model import STATION_KINDS, YEAR, Floor, Layout, Station, Variability
from twin.tending import distance_problems, reference_problems

if TYPE_CHECKING:
    from twin.physics import Physics


# The id, reference and routing checks read plain data (what a file holds, or a layout's
# dump), so they also run when the model refuses the file and report in the same round.
Data = dict[str, Any]


def _items(data: Any, key: str) -> list[Data]:
    """The mappings in list `key` of `data` (anything else becomes {} so indices stay true)."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, (list, tuple)):
        return []
    return [item if isinstance(item, dict) else {} for item in value]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: Any) -> list[str] | None:
    """A list of texts (non-texts dropped), or None when `value` is not a list."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else None


def _number(value: Any) -> float | None:
    """A finite number as a float, else None (a whole number too big for a float included:
    the model names it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value) if math.isfinite(value) else None
    except OverflowError:  # an int past 1.8e308
        return None


def _duplicates(prefix: str, ids: Iterable[Any]) -> list[Problem]:
    ids = list(ids)
    counts = Counter(i for i in ids if isinstance(i, str))
    problems, reported = [], set()
    for index, item in enumerate(ids):
        if isinstance(item, str) and counts[item] > 1 and item not in reported:
            reported.add(item)
            problems.append(Problem(f"{prefix}[{index}].id", f"duplicate id '{item}'"))
    return problems


def _candidate_data(stations: list[Data], op: Data) -> list[Data]:
    ids = _texts(op.get("stations"))
    if ids is not None:
        return [s for s in stations if s.get("id") in ids]
    return [s for s in stations if s.get("kind") == op.get("station_kind")]


def _id_problems(data: Data) -> list[Problem]:
    stations, floor = _items(data, "stations"), data.get("floor")
    problems = _duplicates("stations", (s.get("id") for s in stations))
    problems += _duplicates("products", (p.get("id") for p in _items(data, "products")))
    problems += _duplicates("floor.keep_out", (z.get("id") for z in _items(floor, "keep_out")))
    docks = _items(floor, "docks")
    problems += _duplicates("floor.docks", (d.get("id") for d in docks))
    station_ids = {_text(s.get("id")) for s in stations} - {None}
    problems += [  # material flows and aisle routes name stations and docks alike
        Problem(f"floor.docks[{i}].id", f"id '{d['id']}' is also a station's")
        for i, d in enumerate(docks) if _text(d.get("id")) in station_ids
    ]
    problems += _duplicates("transport.conveyors", (c.get("id") for c in _items(data.get("transport"), "conveyors")))
    for i, product in enumerate(_items(data, "products")):
        problems += _duplicates(f"products[{i}].routing", (o.get("id") for o in _items(product, "routing")))
    for i, station in enumerate(stations):
        cell = station.get("cell")
        if not isinstance(cell, dict):
            continue
        problems += _duplicates(f"stations[{i}].cell.tasks", (t.get("id") for t in _items(cell, "tasks")))
        problems += _duplicates(f"stations[{i}].cell.fixtures", (f.get("id") for f in _items(cell, "fixtures")))
        for j, task in enumerate(_items(cell, "tasks")):
            problems += [
                Problem(p.path.replace(".id", ".name"), p.message)
                for p in _duplicates(f"stations[{i}].cell.tasks[{j}].waypoints", (w.get("name") for w in _items(task, "waypoints")))
            ]
    return problems


def _station_problems(data: Data) -> list[Problem]:
    problems = []
    for i, station in enumerate(_items(data, "stations")):
        path, kind, cell = f"stations[{i}]", station.get("kind"), station.get("cell")
        if kind == "robot_cell" and cell is None:
            problems.append(Problem(f"{path}.cell", "a robot_cell station needs a cell (robot, fixtures, tasks)"))
        if kind in STATION_KINDS and kind != "robot_cell" and cell is not None:
            problems.append(Problem(f"{path}.cell", f"only robot_cell stations have a cell, this one is a {kind}"))
        if (station.get("mtbf") is None) != (station.get("mttr") is None):
            problems.append(Problem(f"{path}.mttr" if station.get("mttr") is None else f"{path}.mtbf",
                                    "mtbf and mttr go together"))
        if station.get("fixed") is True and station.get("position") is None:
            problems.append(Problem(f"{path}.position", "a fixed station needs a position"))
    return problems


def _port_problems(layout: Layout) -> list[Problem]:
    problems = []
    for i, station in enumerate(layout.stations):
        half_w, half_d = station.footprint.width / 2, station.footprint.depth / 2
        for port in ("input_port", "output_port"):
            offset = getattr(station, port)
            if offset is not None and (abs(offset[0]) > half_w + 1e-9 or abs(offset[1]) > half_d + 1e-9):
                problems.append(Problem(f"stations[{i}].{port}", "must lie within the station's footprint"))
    return problems


def _operation_problems(path: str, op: Data, stations: list[Data]) -> list[Problem]:
    """One routing step: who can do it, and a time or a robot task that fits them."""
    names, kind = op.get("stations"), op.get("station_kind")
    if (names is None) == (kind is None):
        return [Problem(path, "give either stations or station_kind")]
    problems = []
    if names is not None:
        station_ids = {_text(s.get("id")) for s in stations}
        problems += [Problem(f"{path}.stations", f"no station '{sid}'")
                     for sid in _texts(names) or [] if sid not in station_ids]
        if isinstance(names, (list, tuple)) and not names:
            problems.append(Problem(f"{path}.stations", "must list at least one station"))
    candidates = _candidate_data(stations, op)
    if not candidates:
        if kind is not None and kind in STATION_KINDS:
            problems.append(Problem(f"{path}.station_kind", f"no station of kind '{kind}' can do it"))
        return problems
    time, task = op.get("time"), op.get("task")
    storage = [s.get("kind") == "buffer" for s in candidates]
    if any(storage):
        if not all(storage):
            return problems + [Problem(path, "a step is storage in buffer stations or work at other stations, "
                                       "not both")]
        if time is not None or task is not None:
            return problems + [Problem(f"{path}.{'time' if time is not None else 'task'}", "a buffer station stores "
                                       "lots until the next station has room: give no time or task")]
        return problems
    if time is None and task is None:
        return problems + [Problem(path, "give time (seconds per unit) or task (a robot-cell task)")]
    if task is None:
        return problems
    for station in candidates:
        if station.get("kind") != "robot_cell":
            if time is None:
                problems.append(Problem(f"{path}.time", f"station '{station.get('id')}' is not a robot cell: "
                                        "give a time for the stations that do it by hand or machine"))
            continue
        cell = station.get("cell")
        if cell is not None and not isinstance(cell, dict):
            continue  # the model reports the malformed cell
        if _text(task) not in {_text(t.get("id")) for t in _items(cell, "tasks")}:
            problems.append(Problem(f"{path}.task", f"station '{station.get('id')}' has no robot task '{task}'"))
    if time is not None and all(s.get("kind") == "robot_cell" for s in candidates):
        problems.append(Problem(f"{path}.time", "every station that can do it is a robot cell: "
                                "its time comes from the task's physics, not from the file"))
    return problems


def _routing_problems(data: Data) -> list[Problem]:
    problems = []
    stations = _items(data, "stations")
    for i, product in enumerate(_items(data, "products")):
        due, release = _number(product.get("due")), _number(product.get("release", 0.0))
        in_range = due is not None and release is not None and 0 <= release <= YEAR and 0 < due <= YEAR
        if in_range and due <= release:
            problems.append(Problem(f"products[{i}].due", f"must be later than release ({release:g} s)"))
        batch, lot_size = _number(product.get("transfer_batch")), _number(product.get("lot_size"))
        if batch is not None and lot_size is not None and 1 <= lot_size and batch > lot_size:
            problems.append(Problem(f"products[{i}].transfer_batch", f"must be <= lot_size ({lot_size:g} units)"))
        for j, op in enumerate(_items(product, "routing")):
            problems += _operation_problems(f"products[{i}].routing[{j}]", op, stations)
    return problems


def _reference_problems(data: Data) -> list[Problem]:
    problems = []
    station_ids = {_text(s.get("id")) for s in _items(data, "stations")} - {None}
    families = {_text(p.get("family")) for p in _items(data, "products")}
    conveyors = _items(data.get("transport"), "conveyors")
    ends = [(c.get("from", c.get("from_station")), c.get("to", c.get("to_station"))) for c in conveyors]
    for i, (conveyor, (start, end)) in enumerate(zip(conveyors, ends)):
        for field, sid in (("from", start), ("to", end)):
            if isinstance(sid, str) and sid not in station_ids:
                problems.append(Problem(f"transport.conveyors[{i}].{field}", f"no station '{sid}'"))
        if isinstance(start, str) and start == end:
            problems.append(Problem(f"transport.conveyors[{i}].to", "a conveyor must link two different stations"))
        earlier = [c.get("id") for c, pair in zip(conveyors[:i], ends[:i]) if pair == (start, end)]
        if earlier and isinstance(start, str) and isinstance(end, str):
            problems.append(Problem(f"transport.conveyors[{i}]", f"conveyor '{earlier[0]}' already links "
                                    f"'{start}' to '{end}'"))
    agv = data.get("transport", {}).get("agv") if isinstance(data.get("transport"), dict) else None
    home = agv.get("home") if isinstance(agv, dict) else None
    dock_ids = {_text(d.get("id")) for d in _items(data.get("floor"), "docks")} - {None}
    if isinstance(home, str) and home not in station_ids | dock_ids:
        problems.append(Problem("transport.agv.home", f"no station or dock '{home}'"))
    for i, change in enumerate(_items(data, "changeovers")):
        for sid in _texts(change.get("stations")) or []:
            if sid not in station_ids:
                problems.append(Problem(f"changeovers[{i}].stations", f"no station '{sid}'"))
        for field in ("from_family", "to_family"):
            family = change.get(field)
            if isinstance(family, str) and family not in families:
                problems.append(Problem(f"changeovers[{i}].{field}", f"no product has family '{family}'"))
        if isinstance(change.get("from_family"), str) and change.get("from_family") == change.get("to_family"):
            problems.append(Problem(f"changeovers[{i}].to_family", "a changeover needs two different families"))
    return problems


def data_problems(data: Data) -> list[Problem]:
    """Unique ids, references and routings checked on plain data (a file's, or a layout's
    dump): what `twin.io` adds to the model's own problems when the model refuses a file."""
    return (_id_problems(data) + _station_problems(data) + _reference_problems(data) + _routing_problems(data)
            + decision_problems(data))


def decision_problems(data: Data) -> list[Problem]:
    """The `decisions` block: each range's min at most its max, buffer ranges naming a
    station that has such a buffer (not a buffer station, whose places are its capacity) with
    a size today (an unlimited buffer is free, so every size tried would be dearer and no
    faster), one range per station buffer."""
    decisions = data.get("decisions")
    if not isinstance(decisions, dict):
        return []
    problems = []

    def span(path: str, item: Any) -> None:
        low, high = _number(item.get("min")), _number(item.get("max"))
        if low is not None and high is not None and low > high:
            problems.append(Problem(f"{path}.max", f"must be at least min ({low:g}), got {high:g}"))

    fleet = decisions.get("agv_fleet")
    if isinstance(fleet, dict):
        span("decisions.agv_fleet", fleet)
    stations = {_text(s.get("id")): (k, s) for k, s in enumerate(_items(data, "stations"))}
    seen: dict[tuple[str, Any], int] = {}
    for i, item in enumerate(_items(decisions, "buffers")):
        path = f"decisions.buffers[{i}]"
        span(path, item)
        sid = _text(item.get("station"))
        if sid is not None and sid not in stations:
            problems.append(Problem(f"{path}.station", f"no station '{sid}'"))
        elif sid is not None and stations[sid][1].get("kind") == "buffer":
            problems.append(Problem(f"{path}.station", f"'{sid}' is a buffer station: its places are its capacity, "
                                    f"it has no {item.get('buffer')} buffer"))
        elif sid is not None and item.get("buffer") in ("input", "output"):
            k, station = stations[sid]
            if station.get(f"{item['buffer']}_buffer") is None:
                problems.append(Problem(f"{path}.station", f"'{sid}' has no {item['buffer']} buffer limit: a range "
                                        "could only try smaller, priced buffers against a free unlimited one; set "
                                        f"stations[{k}].{item['buffer']}_buffer to the places it has today"))
        key = (sid, item.get("buffer"))
        if sid is not None and key in seen:
            problems.append(Problem(path, f"decisions.buffers[{seen[key]}] already sets the {item.get('buffer')} "
                                    f"buffer of '{sid}'"))
        seen.setdefault(key, i)
    return problems


def _floor_problems(layout: Layout) -> list[Problem]:
    return _floor_checks(layout.floor)


def _floor_checks(floor_model: Floor) -> list[Problem]:
    """Keep-out zones and docks inside the floor."""
    problems = []
    floor = floor_rect(floor_model)
    for i, zone in enumerate(floor_model.keep_out):
        if not zone_rect(zone).within(floor):
            problems.append(Problem(f"floor.keep_out[{i}]", "lies partly outside the floor"))
    for i, dock in enumerate(floor_model.docks):
        if not floor.contains_point(dock.position):
            problems.append(Problem(f"floor.docks[{i}].position", "lies outside the floor"))
    return problems


def overlap_message(station_id: str, other_id: str) -> str:
    return f"station '{station_id}' overlaps station '{other_id}'"


def _placement_problems(layout: Layout) -> list[Problem]:
    return _placement_checks(layout.floor, list(enumerate(layout.stations)))


def _placement_checks(floor_model: Floor, stations: list[tuple[int, Station]]) -> list[Problem]:
    """Placed stations (with their index in the file) inside the floor, clear of keep-out
    zones and of each other."""
    problems = []
    floor = floor_rect(floor_model)
    zones = [(zone, zone_rect(zone)) for zone in floor_model.keep_out]
    placed = [(i, s, station_rect(s)) for i, s in stations if s.position is not None]
    for i, station, rect in placed:
        if not rect.within(floor):
            problems.append(
                Problem(f"stations[{i}].position", f"station '{station.id}' reaches outside the floor "
                        f"({floor_model.width:g} x {floor_model.depth:g} m)")
            )
        for zone, zrect in zones:
            if rect.overlaps(zrect):
                problems.append(Problem(f"stations[{i}].position", f"station '{station.id}' overlaps keep-out zone '{zone.id}'"))
    for a, (_, station, rect) in enumerate(placed):
        for j, other, orect in placed[a + 1:]:
            if rect.overlaps(orect):
                problems.append(Problem(f"stations[{j}].position", overlap_message(other.id, station.id)))
    return problems


def placement_data_problems(data: Data) -> list[Problem]:
    """Where things stand, checked on plain data for the floor and each station that is well
    formed by itself: what `twin.io` adds when the model refuses a file, so a station outside
    the floor or on another is reported in the same round as a bad number elsewhere."""
    try:
        floor = Floor.model_validate(data.get("floor") if isinstance(data, dict) else None)
    except ValidationError:
        return []
    stations = []
    for i, item in enumerate(_items(data, "stations")):
        try:
            stations.append((i, Station.model_validate(item)))
        except ValidationError:
            continue  # the model reports what is wrong with this station
    return _floor_checks(floor) + _placement_checks(floor, stations)


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


def _cell_problems(layout: Layout) -> list[Problem]:
    """Robot cells without physics: waypoints tied to fixtures the cell has, and base,
    fixtures and waypoints (a relative one where its fixture puts it) inside the footprint."""
    from twin.cell_frame import fit_problems, reference_problems

    problems = []
    for i, station in enumerate(layout.stations):
        if station.cell is not None:
            found = reference_problems(station.cell) + fit_problems(station)
            problems += [Problem(f"stations[{i}].{p.path}", p.message) for p in found]
    return problems


def _twin_problems(layout: Layout) -> list[Problem]:
    """The running twin's additions: distributions, breakdown shapes only with MTBF/MTTR, and
    buffer stations that only store."""
    problems = []
    for i, station in enumerate(layout.stations):
        path = f"stations[{i}].breakdowns"
        problems += variability_problems(f"{path}.uptime", station.breakdowns.uptime)
        problems += variability_problems(f"{path}.repair", station.breakdowns.repair)
    for i, product in enumerate(layout.products):
        problems += variability_problems(f"products[{i}].arrivals", product.arrivals)
        for j, op in enumerate(product.routing):
            problems += variability_problems(f"products[{i}].routing[{j}].variability", op.variability)
    return problems + _storage_problems(layout)


def _storage_problems(layout: Layout) -> list[Problem]:
    """A buffer station holds whole lots in its `capacity` places: no transfer batches through
    it, and no buffer, batch or breakdown fields that would mean something else there."""
    problems = []
    for i, station in enumerate(layout.stations):
        if station.kind != "buffer":
            continue
        for name in ("input_buffer", "output_buffer", "batch_size", "mtbf"):
            if getattr(station, name) is not None:
                problems.append(Problem(f"stations[{i}].{name}", f"a buffer station's places are its capacity "
                                        f"({station.capacity}); it has no {name}"))
    for i, product in enumerate(layout.products):
        if product.transfer_batch is None or product.transfer_batch >= product.lot_size:
            continue
        stored = next((s.id for op in product.routing for s in layout.candidate_stations(op) if s.kind == "buffer"), None)
        if stored is not None:
            problems.append(Problem(f"products[{i}].transfer_batch", f"the running twin stores whole lots in buffer "
                                    f"station '{stored}': no transfer batches through it"))
    return problems


def search_input_problems(layout: Layout) -> list[Problem]:
    """Every problem but where the stations stand: what a layout search, which places the
    stations anew, must refuse before it starts (the as-is placement may be invalid)."""
    data = layout.model_dump(by_alias=True)
    from twin.batching import batch_problems
    from twin.shifts import operator_problems

    return (data_problems(data) + _port_problems(layout) + _floor_problems(layout) + _cell_problems(layout)
            + reference_problems(layout) + _twin_problems(layout) + operator_problems(layout) + batch_problems(layout))


def layout_problems(layout: Layout, check_routes: bool = True, clock: CommandClock | None = None) -> list[Problem]:
    """Every problem in the layout; aisle reachability only when the rest is sound. A `clock`
    may stop a sound layout at its time limit before and after the aisle routing (the costly
    pass); the passes before it are cheap and always run, so a layout with problems is
    reported as such, never as a time-out."""
    clock = clock or CommandClock()
    clock.stage("validating the layout", total=2)
    return _cheap_problems(layout) or _route_problems(layout, check_routes, clock)


def _cheap_problems(layout: Layout) -> list[Problem]:
    return search_input_problems(layout) + _placement_problems(layout) + distance_problems(layout)


def _route_problems(layout: Layout, check_routes: bool, clock: CommandClock) -> list[Problem]:
    """Aisle reachability of a layout sound so far (all placed), the costly pass: the clock may
    stop the command before it and after it."""
    clock.step("references, routings, robot cells and placement")
    if not check_routes or any(s.position is None for s in layout.stations):
        return []
    from twin.graph import AisleRouter, reachability_problems, route_problems

    router = AisleRouter(layout)
    problems = reachability_problems(layout, router) or route_problems(layout, router)
    if not problems:
        clock.step("aisle routes")
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


def all_problems(layout: Layout, layout_dir: Path | None, physics: Physics,
                 clock: CommandClock | None = None) -> list[Problem]:
    """What `factory-twin validate` reports: the layout's own problems and its robot files',
    then (once all is sound) robot reach envelopes that leave an unguarded cell
    (`twin.safety`) and tended load points out of the robot's reach (`twin.tending`), both
    measured in `physics`. A `clock` sees each pass and each robot, and may stop them at its
    time limit."""
    clock = clock or CommandClock()
    clock.stage("validating the layout", total=2)
    problems = _cheap_problems(layout) + robot_problems(layout, layout_dir)  # cheap: always run to the end
    if not problems:
        problems = _route_problems(layout, True, clock)
    if not problems:
        from twin.safety import check_clearance
        from twin.tending import reach_problems

        problems = check_clearance(layout, layout_dir, physics, clock)
        problems += reach_problems(layout, layout_dir, physics)
    return problems


def validate_layout(layout: Layout, layout_dir: Path | None, physics: Physics, source: str | None = None,
                    clock: CommandClock | None = None) -> Layout:
    """Return the layout unchanged, or raise LayoutError listing every problem (robot
    safety clearance included, measured in `physics`); `clock` as for `all_problems`."""
    problems = all_problems(layout, layout_dir, physics, clock)
    if problems:
        raise LayoutError(problems, source)
    return layout
