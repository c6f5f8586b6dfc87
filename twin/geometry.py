"""Plane geometry of a placed factory: station rectangles, ports, gaps.

Rotations are multiples of 90 degrees, counter-clockwise, about the footprint centre, so
every footprint stays an axis-aligned rectangle and overlap tests are exact.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from twin.model import Conveyor, Floor, Layout, Point2, Station, Zone

EPS = 1e-9


@dataclass(frozen=True)
class Rect:
    """Axis-aligned rectangle [xmin, xmax] x [ymin, ymax] in floor metres."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def depth(self) -> float:
        return self.ymax - self.ymin

    @property
    def area(self) -> float:
        return self.width * self.depth

    @property
    def centre(self) -> Point2:
        return ((self.xmin + self.xmax) / 2, (self.ymin + self.ymax) / 2)

    def overlaps(self, other: "Rect") -> bool:
        """True when the interiors intersect (touching edges do not count)."""
        return (
            self.xmin < other.xmax - EPS
            and other.xmin < self.xmax - EPS
            and self.ymin < other.ymax - EPS
            and other.ymin < self.ymax - EPS
        )

    def gap(self, other: "Rect") -> float:
        """Shortest distance between the two rectangles (0 when they touch or overlap)."""
        dx = max(other.xmin - self.xmax, self.xmin - other.xmax, 0.0)
        dy = max(other.ymin - self.ymax, self.ymin - other.ymax, 0.0)
        return math.hypot(dx, dy)

    def inflate(self, margin: float) -> "Rect":
        return Rect(self.xmin - margin, self.ymin - margin, self.xmax + margin, self.ymax + margin)

    def contains_point(self, point: Point2) -> bool:
        x, y = point
        return self.xmin - EPS <= x <= self.xmax + EPS and self.ymin - EPS <= y <= self.ymax + EPS

    def within(self, outer: "Rect") -> bool:
        return (
            self.xmin >= outer.xmin - EPS
            and self.ymin >= outer.ymin - EPS
            and self.xmax <= outer.xmax + EPS
            and self.ymax <= outer.ymax + EPS
        )


def floor_rect(floor: Floor) -> Rect:
    return Rect(0.0, 0.0, floor.width, floor.depth)


def zone_rect(zone: Zone) -> Rect:
    return Rect(zone.x, zone.y, zone.x + zone.width, zone.y + zone.depth)


def rotated_size(station: Station, rotation: int | None = None) -> tuple[float, float]:
    """Footprint extent along floor x and y for a rotation (default: the station's own)."""
    rot = station.rotation if rotation is None else rotation
    w, d = station.footprint.width, station.footprint.depth
    return (d, w) if rot in (90, 270) else (w, d)


def station_rect(station: Station, position: Point2 | None = None, rotation: int | None = None) -> Rect:
    """The station's footprint on the floor; raises ValueError for an unplaced station."""
    pos = station.position if position is None else position
    if pos is None:
        raise ValueError(f"station {station.id} has no position")
    w, d = rotated_size(station, rotation)
    x, y = pos
    return Rect(x - w / 2, y - d / 2, x + w / 2, y + d / 2)


def rotate(local: Point2, rotation: int) -> Point2:
    """A station-local offset turned by `rotation` degrees (a multiple of 90) counter-clockwise."""
    x, y = local
    for _ in range((rotation // 90) % 4):
        x, y = -y, x
    return (x, y)


def to_world(station: Station, local: Point2) -> Point2:
    """Station-local offset (x along footprint width) to floor coordinates."""
    if station.position is None:
        raise ValueError(f"station {station.id} has no position")
    dx, dy = rotate(local, station.rotation)
    return (station.position[0] + dx, station.position[1] + dy)


def input_port_local(station: Station) -> Point2:
    return station.input_port if station.input_port is not None else (-station.footprint.width / 2, 0.0)


def output_port_local(station: Station) -> Point2:
    return station.output_port if station.output_port is not None else (station.footprint.width / 2, 0.0)


def input_port(station: Station) -> Point2:
    """Where material enters the station, on the floor."""
    return to_world(station, input_port_local(station))


def output_port(station: Station) -> Point2:
    """Where finished material leaves the station, on the floor."""
    return to_world(station, output_port_local(station))


def polyline_length(points: list[Point2] | tuple[Point2, ...]) -> float:
    return sum(math.dist(a, b) for a, b in zip(points, points[1:]))


def conveyor_path(layout: Layout, conveyor: Conveyor) -> list[Point2]:
    """The belt's centre line from the output port of one station to the input port of the
    next: along its drawn route, or else along the building's axes (first x, then y)."""
    start = output_port(layout.station(conveyor.from_station))
    end = input_port(layout.station(conveyor.to_station))
    if conveyor.route:
        return [start, *conveyor.route, end]
    corner = (end[0], start[1])
    return [start, corner, end] if math.dist(start, corner) > 1e-9 and math.dist(corner, end) > 1e-9 else [start, end]
