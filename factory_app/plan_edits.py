"""What each gesture in the plan view does to the layout, as plain data: the front end
(`factory_app/frontend/plan_canvas.js`) sends an event dict, `plan_edit` returns the new layout
data and a sentence saying what changed. The page applies it as one edit (`EditSession.edit`
validates it and keeps undo), so a move that puts a group member onto another station is
refused as a whole and the last valid layout stays.

An event names the items it acts on as keys, `station:ID`, `zone:ID`, `dock:ID` or
`conveyor:ID`. Moves and drawn shapes come in raw metres and are snapped to the floor grid
here: a moved group keeps its shape (the item grabbed lands on the grid, the rest move with it).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from twin.geometry import Rect, floor_rect, station_rect, zone_rect
from twin.model import Layout

from factory_app.editing import layout_data

ZONE_KINDS = ("column", "wall", "hazard")
DOCK_KINDS = ("receiving", "shipping")


class PlanEditRefused(ValueError):
    """A gesture that cannot become an edit (a fixed station moved, nothing selected); the
    message says why in the planner's words."""


def item_key(kind: str, item_id: str) -> str:
    return f"{kind}:{item_id}"


def split_key(key: Any) -> tuple[str, str]:
    kind, _, item_id = str(key).partition(":")
    return kind, item_id


def snap(value: float, grid: float) -> float:
    return round(round(value / grid) * grid, 6)


def plan_edit(layout: Layout, event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The layout data after the event, and what it did; raises PlanEditRefused."""
    handlers = {"move": _move, "place": _place, "rotate": _rotate, "duplicate": _duplicate, "delete": _delete,
                "add_zone": _add_zone, "add_dock": _add_dock, "add_conveyor": _add_conveyor}
    op = event.get("op")
    if op not in handlers:
        raise PlanEditRefused(f"unknown plan action {op!r}")
    return handlers[op](layout, layout_data(layout), event)


def _number(event: dict[str, Any], name: str) -> float:
    try:
        value = float(event[name])
    except (KeyError, TypeError, ValueError):
        raise PlanEditRefused(f"the plan gave no {name}") from None
    if not math.isfinite(value):
        raise PlanEditRefused(f"the plan gave no {name}")
    return value


def _items(layout: Layout, event: dict[str, Any], kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """The event's items of the given kinds, each checked to exist."""
    present = {"station": {s.id for s in layout.stations}, "zone": {z.id for z in layout.floor.keep_out},
               "dock": {d.id for d in layout.floor.docks}, "conveyor": {c.id for c in layout.transport.conveyors}}
    out = []
    for key in event.get("items") or []:
        kind, item_id = split_key(key)
        if kind not in present:
            raise PlanEditRefused(f"the plan named {key!r}, which is not a station, zone, dock or conveyor")
        if item_id not in present[kind]:
            raise PlanEditRefused(f"no {kind} '{item_id}'")
        if kind in kinds:
            out.append((kind, item_id))
    if not out:
        raise PlanEditRefused("select a " + " or ".join("keep-out zone" if k == "zone" else k for k in kinds) + " first")
    return out


def _index(items: list[dict[str, Any]], item_id: str) -> int:
    return next(i for i, item in enumerate(items) if item.get("id") == item_id)


def _names(items: list[tuple[str, str]]) -> str:
    return ", ".join(f"'{i}'" for _, i in items)


def _move(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Move the items by the drag; the grabbed item (`lead`) lands on the grid."""
    items = _items(layout, event, ("station", "zone", "dock"))
    dx, dy = _number(event, "dx"), _number(event, "dy")
    for kind, item_id in items:
        if kind == "station" and layout.station(item_id).fixed:
            raise PlanEditRefused(f"station '{item_id}' is fixed: it cannot be moved")
    lead = split_key(event.get("lead")) if event.get("lead") in event.get("items", []) else items[0]
    ax, ay = _anchor(layout, *lead)
    grid = layout.floor.grid
    sx, sy = snap(ax + dx, grid) - ax, snap(ay + dy, grid) - ay
    if abs(sx) < 1e-9 and abs(sy) < 1e-9:
        raise PlanEditRefused("the drop is on the same grid point: nothing moved")
    floor = data["floor"]
    for kind, item_id in items:
        if kind == "station":
            station = data["stations"][_index(data["stations"], item_id)]
            if station.get("position") is None:
                raise PlanEditRefused(f"station '{item_id}' is not placed: give its x and y in the editor")
            x, y = station["position"]
            station["position"] = [round(x + sx, 6), round(y + sy, 6)]
        elif kind == "zone":
            zone = floor["keep_out"][_index(floor["keep_out"], item_id)]
            zone["x"], zone["y"] = round(zone["x"] + sx, 6), round(zone["y"] + sy, 6)
        else:
            dock = floor["docks"][_index(floor["docks"], item_id)]
            dock["position"] = [round(dock["position"][0] + sx, 6), round(dock["position"][1] + sy, 6)]
    if len(items) == 1:
        return data, f"Moved {items[0][0]} '{items[0][1]}' to ({ax + sx:g}, {ay + sy:g}) m."
    return data, f"Moved {_names(items)} by ({sx:g}, {sy:g}) m."


def _place(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Put a station that is not on the floor yet (just added) where the planner clicked, its
    centre on the grid."""
    _, station_id = _items(layout, event, ("station",))[0]
    if layout.station(station_id).position is not None:
        raise PlanEditRefused(f"station '{station_id}' is already on the floor: drag it to move it")
    grid = layout.floor.grid
    x, y = snap(_number(event, "x"), grid), snap(_number(event, "y"), grid)
    data["stations"][_index(data["stations"], station_id)]["position"] = [x, y]
    return data, f"Placed '{station_id}' at ({x:g}, {y:g}) m."


def _anchor(layout: Layout, kind: str, item_id: str) -> tuple[float, float]:
    """The point of an item that is snapped to the grid: a station's centre, a zone's
    lower-left corner, a dock's point."""
    if kind == "station":
        position = layout.station(item_id).position
        if position is None:
            raise PlanEditRefused(f"station '{item_id}' is not placed: give its x and y in the editor")
        return position
    if kind == "zone":
        zone = next(z for z in layout.floor.keep_out if z.id == item_id)
        return zone.x, zone.y
    return next(d for d in layout.floor.docks if d.id == item_id).position


def _rotate(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Turn each selected station and keep-out zone 90 degrees counter-clockwise about its own
    centre (a zone's width and depth swap; its centre stays put, so four turns come back)."""
    items = _items(layout, event, ("station", "zone"))
    turned = []
    for kind, item_id in items:
        if kind == "zone":
            zone = data["floor"]["keep_out"][_index(data["floor"]["keep_out"], item_id)]
            cx, cy = zone["x"] + zone["width"] / 2, zone["y"] + zone["depth"] / 2
            zone["width"], zone["depth"] = zone["depth"], zone["width"]
            zone["x"], zone["y"] = round(cx - zone["width"] / 2, 6), round(cy - zone["depth"] / 2, 6)
            turned.append(f"zone '{item_id}' to {zone['width']:g} x {zone['depth']:g} m")
            continue
        if layout.station(item_id).fixed:
            raise PlanEditRefused(f"station '{item_id}' is fixed: it cannot be turned")
        station = data["stations"][_index(data["stations"], item_id)]
        station["rotation"] = (int(station.get("rotation", 0)) + 90) % 360
        turned.append(f"'{item_id}' to {station['rotation']}°")
    return data, f"Turned {', '.join(turned)}."


def _duplicate(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy of each selected station and keep-out zone with a fresh id, at the nearest free
    grid place."""
    items = _items(layout, event, ("station", "zone"))
    taken = {s.id for s in layout.stations} | {d.id for d in layout.floor.docks}
    zone_ids = {z.id for z in layout.floor.keep_out}
    stations = [station_rect(s) for s in layout.stations if s.position is not None]
    zones = [zone_rect(z) for z in layout.floor.keep_out]
    made = []
    for kind, item_id in items:
        if kind == "zone":
            source = next(z for z in layout.floor.keep_out if z.id == item_id)
            copy_id = fresh_id(item_id, zone_ids)
            zone_ids.add(copy_id)

            def rect_at(p: tuple[float, float], z=source) -> Rect:
                return Rect(p[0], p[1], p[0] + z.width, p[1] + z.depth)

            place = free_place(layout, (source.x, source.y), rect_at, stations + zones, [])
            if place is None:
                raise PlanEditRefused(f"no free place on the floor for a copy of zone '{item_id}'")
            data["floor"]["keep_out"].append({**copy.deepcopy(data["floor"]["keep_out"][_index(data["floor"]["keep_out"], item_id)]),
                                              "id": copy_id, "x": place[0], "y": place[1]})
            zones.append(rect_at(place))
            made.append(copy_id)
            continue
        source = layout.station(item_id)
        copy_id = fresh_id(item_id, taken)
        taken.add(copy_id)
        new = copy.deepcopy(data["stations"][_index(data["stations"], item_id)])
        new["id"], new["fixed"] = copy_id, False
        if source.position is not None:
            place = free_place(layout, source.position, lambda p, s=source: station_rect(s, p), stations, zones)
            if place is None:
                raise PlanEditRefused(f"no free place on the floor for a copy of '{item_id}'")
            new["position"] = list(place)
            stations.append(station_rect(source, place))
        data["stations"].append(new)
        made.append(copy_id)
    return data, "Added " + ", ".join(f"'{m}'" for m in made) + f" (a copy of {_names(items)})."


def fresh_id(base: str, taken: set[str]) -> str:
    """`base` itself, else `base_2`, `base_3`, ...: the first not taken (at most 64
    characters, as ids are)."""
    if len(base) <= 64 and base not in taken:
        return base
    n = 2
    while True:
        candidate = f"{base[:60]}_{n}"
        if candidate not in taken:
            return candidate
        n += 1


def free_place(layout: Layout, origin: tuple[float, float], rect_at: Callable[[tuple[float, float]], Rect],
               occupied: list[Rect], blocked: list[Rect]) -> tuple[float, float] | None:
    """The grid point nearest to `origin` (not `origin` itself) where the copy's rectangle
    (`rect_at(point)`) fits on the floor, clear of `blocked` and of `occupied`, an aisle's
    width away from `occupied` where the floor allows it."""
    floor, grid = floor_rect(layout.floor), layout.floor.grid
    x0, y0 = origin
    points = [(snap(x0 + i * grid, grid), snap(y0 + j * grid, grid))
              for i in range(-int(floor.width / grid) - 1, int(floor.width / grid) + 2)
              for j in range(-int(floor.depth / grid) - 1, int(floor.depth / grid) + 2) if (i, j) != (0, 0)]
    points.sort(key=lambda p: (math.dist(p, (x0, y0)), p))
    for gap in (layout.floor.aisle_width, 0.0):
        for point in points:
            rect = rect_at(point)
            if not rect.within(floor) or any(rect.overlaps(b) for b in blocked):
                continue
            if all(not rect.inflate(gap).overlaps(other) for other in occupied):
                return point
    return None


def _delete(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Remove the selected items; a station's conveyors and the search's buffer ranges on it go
    with it."""
    items = _items(layout, event, ("station", "zone", "dock", "conveyor"))
    gone = {kind: {i for k, i in items if k == kind} for kind in ("station", "zone", "dock", "conveyor")}
    data["stations"] = [s for s in data["stations"] if s["id"] not in gone["station"]]
    data["floor"]["keep_out"] = [z for z in data["floor"]["keep_out"] if z["id"] not in gone["zone"]]
    data["floor"]["docks"] = [d for d in data["floor"]["docks"] if d["id"] not in gone["dock"]]
    conveyors = data["transport"]["conveyors"]
    data["transport"]["conveyors"] = [c for c in conveyors if c["id"] not in gone["conveyor"]
                                      and c["from"] not in gone["station"] and c["to"] not in gone["station"]]
    decisions = data.get("decisions") or {}
    if decisions.get("buffers"):
        decisions["buffers"] = [b for b in decisions["buffers"] if b.get("station") not in gone["station"]]
    return data, f"Deleted {_names(items)}."


def _kind(event: dict[str, Any], kinds: tuple[str, ...], what: str) -> str:
    kind = event.get("kind", kinds[0])
    if kind not in kinds:
        raise PlanEditRefused(f"{what} is one of {', '.join(kinds)}, not {kind!r}")
    return kind


def _add_zone(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A keep-out zone over the rectangle drawn, its corners on the grid."""
    kind = _kind(event, ZONE_KINDS, "a keep-out zone")
    grid = layout.floor.grid
    xs = sorted(snap(_number(event, n), grid) for n in ("x0", "x1"))
    ys = sorted(snap(_number(event, n), grid) for n in ("y0", "y1"))
    if xs[1] - xs[0] < grid / 2 or ys[1] - ys[0] < grid / 2:
        raise PlanEditRefused(f"draw the zone at least one grid step ({grid:g} m) wide and deep")
    zone_id = fresh_id(kind, {z.id for z in layout.floor.keep_out})
    data["floor"]["keep_out"].append({"id": zone_id, "kind": kind, "x": xs[0], "y": ys[0],
                                      "width": round(xs[1] - xs[0], 6), "depth": round(ys[1] - ys[0], 6)})
    return data, f"Added {kind} '{zone_id}' ({xs[1] - xs[0]:g} x {ys[1] - ys[0]:g} m at ({xs[0]:g}, {ys[0]:g}))."


def _add_dock(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A receiving or shipping dock at the point clicked, on the grid."""
    kind = _kind(event, DOCK_KINDS, "a dock")
    grid = layout.floor.grid
    x, y = snap(_number(event, "x"), grid), snap(_number(event, "y"), grid)
    taken = {d.id for d in layout.floor.docks} | {s.id for s in layout.stations}
    dock_id = fresh_id(kind, taken)
    data["floor"]["docks"].append({"id": dock_id, "kind": kind, "position": [x, y]})
    return data, f"Added {kind} dock '{dock_id}' at ({x:g}, {y:g}) m."


def _add_conveyor(layout: Layout, data: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A conveyor from one station's output to another's input (default speed and route)."""
    ends = []
    for name in ("from", "to"):
        kind, item_id = split_key(event.get(name))
        if kind != "station" or item_id not in {s.id for s in layout.stations}:
            raise PlanEditRefused(f"a conveyor runs between two stations: pick the {name} station")
        ends.append(item_id)
    if ends[0] == ends[1]:
        raise PlanEditRefused("a conveyor must link two different stations")
    conveyor_id = fresh_id(f"{ends[0]}_to_{ends[1]}", {c.id for c in layout.transport.conveyors})
    data["transport"]["conveyors"].append({"id": conveyor_id, "from": ends[0], "to": ends[1]})
    return data, f"Added conveyor '{conveyor_id}' from '{ends[0]}' to '{ends[1]}'."
