"""The floor plan: a placed layout as plain 2D shapes that every picture of the factory draws.

`floor_plan` turns a layout (and, optionally, a schedule's utilisation per station) into the
floor outline, keep-out zones, docks with their aprons, station footprints (corners after
rotation, colour, label, ports) and conveyor centre lines (the run `twin.graph` measures).
The 3D scene extrudes these shapes, the app's plotly plan and the report's matplotlib PNG
draw them flat: geometry and colours are worked out once, here, so the pictures agree.
Pure Python, no drawing library: tests check the shapes against independent geometry.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from twin.errors import InputError
from twin.geometry import Rect, conveyor_path, floor_rect, input_port, output_port, station_rect, to_world, zone_rect
from twin.model import Layout, Point2, Station
from twin.palette import COLORS, KIND_COLORS, RGB, heat_color

COLOR_BY = ("kind", "utilisation")
DOCK_APRON = 2.4  # side of the square loading apron drawn outside the floor at each dock (m)


@dataclass(frozen=True)
class StationShape:
    """A placed station from above. `corners` run counter-clockwise from the footprint's local
    (-width/2, -depth/2) corner, so they show the rotation; `rect` is the same footprint as an
    axis-aligned rectangle (rotations are multiples of 90 degrees)."""

    id: str
    kind: str
    corners: tuple[Point2, Point2, Point2, Point2]
    rect: Rect
    colour: RGB
    label: str
    input_port: Point2
    output_port: Point2
    height: float
    fixed: bool
    utilisation: float | None = None

    @property
    def centre(self) -> Point2:
        return self.rect.centre


@dataclass(frozen=True)
class ZoneShape:
    """A keep-out zone (column, wall, hazard area)."""

    id: str
    kind: str
    rect: Rect
    colour: RGB


@dataclass(frozen=True)
class DockShape:
    """A dock: its point on the floor and the loading apron drawn just outside the nearest
    floor edge, so stations placed near the dock never hide it."""

    id: str
    kind: str
    position: Point2
    apron: Rect
    colour: RGB


@dataclass(frozen=True)
class ConveyorShape:
    """A conveyor's centre line from the output port of `source` to the input port of `target`
    (`twin.graph.conveyor_path`, without repeated points)."""

    id: str
    source: str
    target: str
    points: tuple[Point2, ...]
    colour: RGB

    def marks(self, spacing: float) -> list[tuple[Point2, Point2]]:
        """(point, unit direction) every `spacing` metres along the belt, the first half a
        spacing in: where to draw arrowheads showing which way it runs."""
        out: list[tuple[Point2, Point2]] = []
        carry = spacing / 2
        for a, b in zip(self.points, self.points[1:]):
            length = math.dist(a, b)
            if length < 1e-9:
                continue
            d = ((b[0] - a[0]) / length, (b[1] - a[1]) / length)
            t = carry
            while t < length:
                out.append(((a[0] + d[0] * t, a[1] + d[1] * t), d))
                t += spacing
            carry = t - length
        return out


@dataclass(frozen=True)
class FloorPlan:
    """Everything a plan view draws. Unplaced stations (a draft in the app) are left out and
    named in `unplaced`, with the conveyors that touch them."""

    name: str
    outline: Rect
    zones: tuple[ZoneShape, ...]
    docks: tuple[DockShape, ...]
    stations: tuple[StationShape, ...]
    conveyors: tuple[ConveyorShape, ...]
    color_by: str = "kind"
    legend: tuple[tuple[str, RGB], ...] = ()
    unplaced: tuple[str, ...] = ()

    @property
    def bounds(self) -> Rect:
        """The floor and the dock aprons outside it: what a picture must frame."""
        rects = [self.outline, *(d.apron for d in self.docks)]
        return Rect(min(r.xmin for r in rects), min(r.ymin for r in rects),
                    max(r.xmax for r in rects), max(r.ymax for r in rects))

    def station(self, station_id: str) -> StationShape:
        for shape in self.stations:
            if shape.id == station_id:
                return shape
        raise KeyError(station_id)


def footprint_corners(station: Station) -> tuple[Point2, Point2, Point2, Point2]:
    """The footprint's corners on the floor, counter-clockwise from local (-w/2, -d/2)."""
    w, d = station.footprint.width / 2, station.footprint.depth / 2
    a, b, c, e = (to_world(station, p) for p in ((-w, -d), (w, -d), (w, d), (-w, d)))
    return (a, b, c, e)


def dock_apron(floor_width: float, floor_depth: float, point: Point2, size: float = DOCK_APRON) -> Rect:
    """A square apron just outside the floor edge nearest to `point`, slid along that edge so
    it stays beside the floor."""
    x, y = point
    half = size / 2
    edge = min((x, "left"), (floor_width - x, "right"), (y, "bottom"), (floor_depth - y, "top"))[1]
    if edge in ("left", "right"):
        y = min(max(y, half), floor_depth - half)
        x0 = -size if edge == "left" else floor_width
        return Rect(x0, y - half, x0 + size, y + half)
    x = min(max(x, half), floor_width - half)
    y0 = -size if edge == "bottom" else floor_depth
    return Rect(x - half, y0, x + half, y0 + size)


def floor_plan(layout: Layout, utilisation: Mapping[str, float] | None = None, color_by: str = "kind") -> FloorPlan:
    """The layout as 2D shapes. `color_by` "kind" colours stations by kind; "utilisation" by
    `utilisation` (station id -> share of time busy, blue idle ... red busy), which then also
    shows in the labels."""
    if color_by not in COLOR_BY:
        raise InputError(f"color_by {color_by!r}: use one of {', '.join(COLOR_BY)}")
    if color_by == "utilisation" and utilisation is None:
        raise InputError("color_by 'utilisation' needs a schedule (its KPIs hold the utilisation)")
    floor = layout.floor
    zones = tuple(ZoneShape(z.id, z.kind, zone_rect(z), COLORS[z.kind]) for z in floor.keep_out)
    docks = tuple(DockShape(d.id, d.kind, d.position, dock_apron(floor.width, floor.depth, d.position), COLORS[d.kind])
                  for d in floor.docks)
    stations = []
    for station in layout.stations:
        if station.position is None:
            continue
        value = None if utilisation is None else float(utilisation.get(station.id, 0.0))
        colour = heat_color(value) if color_by == "utilisation" and value is not None else KIND_COLORS[station.kind]
        stations.append(StationShape(
            station.id, station.kind, footprint_corners(station), station_rect(station), colour,
            station.id if value is None else f"{station.id} {value:.0%}", input_port(station), output_port(station),
            station.height, station.fixed, value))
    placed = {s.id for s in stations}
    conveyors = []
    for conveyor in layout.transport.conveyors:
        if conveyor.from_station not in placed or conveyor.to_station not in placed:
            continue
        points = conveyor_path(layout, conveyor)
        points = [p for i, p in enumerate(points) if i == 0 or math.dist(p, points[i - 1]) > 1e-6]
        if len(points) >= 2:
            conveyors.append(ConveyorShape(conveyor.id, conveyor.from_station, conveyor.to_station, tuple(points),
                                           COLORS["belt"]))
    legend: list[tuple[str, RGB]] = []
    if color_by == "kind":
        kinds = sorted({s.kind for s in stations}, key=list(KIND_COLORS).index)
        legend = [(k.replace("_", " "), KIND_COLORS[k]) for k in kinds]
    if conveyors:
        legend.append(("conveyor", COLORS["belt"]))
    return FloorPlan(layout.name, floor_rect(floor), zones, docks, tuple(stations), tuple(conveyors), color_by,
                     tuple(legend), tuple(s.id for s in layout.stations if s.position is None))


def schedule_utilisation(layout: Layout, schedule_doc: dict[str, Any]) -> dict[str, float]:
    """Utilisation per station from a schedule document's KPIs; raises InputError when the
    document is malformed or names stations the layout does not have."""
    if not isinstance(schedule_doc, dict):
        raise InputError("schedule: must be a JSON object (a factory-twin schedule document)")
    kpis = schedule_doc.get("kpis")
    if not isinstance(kpis, dict) or not isinstance(kpis.get("utilisation"), dict):
        raise InputError("schedule: kpis.utilisation is missing: not a factory-twin schedule document")
    utilisation: dict[str, float] = {}
    for sid, value in kpis["utilisation"].items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"schedule: kpis.utilisation.{sid}: must be a number, got {value!r}")
        utilisation[str(sid)] = float(value)
    named = set(utilisation)
    for op in schedule_doc.get("operations") or []:
        if isinstance(op, dict) and "station" in op:
            named.add(str(op["station"]))
    known = {s.id for s in layout.stations}
    unknown = sorted(named - known)
    if unknown:
        where = f" (written for layout '{schedule_doc['layout']}')" if isinstance(schedule_doc.get("layout"), str) else ""
        raise InputError(
            f"schedule{where} does not belong to layout '{layout.name}': it names station(s) "
            f"{', '.join(unknown)} that the layout does not have"
        )
    return {s.id: utilisation.get(s.id, 0.0) for s in layout.stations}
