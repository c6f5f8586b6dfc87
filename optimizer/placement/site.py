"""The site: everything about a layout that placements do not change, computed once per
layout family and cached. It holds the placement lattice and the occupancy rules every
generator obeys (see the package docstring): per station and rotation its size, its
occupancy extent in grid cells, the corner bounds that keep it (and its ports' half aisle)
on the floor and its port offsets; the fixed boxes (keep-outs, docks, fixed stations) in
cells; and the flow matrix (material trips, conveyor pairs weighted up) that every proxy
cost reads."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twin.errors import LayoutError, Problem
from twin.geometry import Rect, input_port_local, output_port_local, rotate, rotated_size, station_rect, zone_rect
from twin.model import Layout


EPS = 1e-6


# A conveyor is fixed equipment whose every metre costs money and floor, unlike an AGV trip:
# the generators weigh the flow it carries this many times, so belted pairs stay together.
CONVEYOR_WEIGHT = 10.0


@dataclass
class Site:
    layout: Layout
    g: float  # lattice step (floor grid)
    aisle: float
    width: float
    depth: float
    nx: int  # raster cells
    ny: int
    movable: np.ndarray  # station indices the search may move
    size: np.ndarray  # (n, 4, 2) footprint extent along x, y per rotation (m)
    ext: np.ndarray  # (n, 4, 2) occupancy extent in cells (footprint + aisle)
    bounds: np.ndarray  # (n, 4, 4) kmin, kmax, jmin, jmax of the corner per rotation
    in_off: np.ndarray  # (n, 4, 2) input port offset from the centre, per rotation
    out_off: np.ndarray  # (n, 4, 2)
    flow: np.ndarray  # (N, N) directed units, stations then docks
    dock_xy: np.ndarray  # (n_docks, 2)
    obstacles: list[tuple[int, int, int, int]]  # fixed boxes in cells: x0, x1, y0, y1 (half-open)
    base_occ: np.ndarray  # (nx, ny) bool raster of the obstacles
    edge_margin: np.ndarray  # (n, 4 rotations, 4 sides) metres a station keeps from the floor edges

    @property
    def n(self) -> int:
        return len(self.layout.stations)

    def centre(self, s: int, k: int, j: int, r: int) -> tuple[float, float]:
        w, d = self.size[s, r]
        return (round(k * self.g + w / 2, 6), round(j * self.g + d / 2, 6))

    def rect(self, s: int, x: float, y: float, r: int) -> Rect:
        """Footprint of station s centred at (x, y) with rotation index r."""
        return station_rect(self.layout.stations[s], (x, y), r * 90)

    def cells(self, s: int, x: float, y: float, r: int) -> tuple[int, int, int, int]:
        """Occupancy box (cells, half-open) of station s centred at (x, y) with rotation r."""
        return _box_cells(self.rect(s, x, y, r), self.g, self.aisle, self.aisle)


def _box_cells(box: Rect, g: float, aisle: float, gap: float) -> tuple[int, int, int, int]:
    """Cells an obstacle blocks so that a station whose occupancy avoids them keeps `gap`
    metres from it along x or y (see the module docstring; gap <= aisle)."""
    return (
        math.floor((box.xmin + aisle - gap) / g + EPS),
        math.ceil((box.xmax + gap) / g - EPS),
        math.floor((box.ymin + aisle - gap) / g + EPS),
        math.ceil((box.ymax + gap) / g - EPS),
    )


def _port_sides(offset: tuple[float, float], w: float, d: float) -> list[int]:
    """Which sides (0 left, 1 right, 2 bottom, 3 top) of a w x d footprint a port at `offset`
    from its centre opens onto: the nearest edge (all nearest edges on a tie)."""
    x, y = offset
    dist = [x + w / 2, w / 2 - x, y + d / 2, d / 2 - y]
    best = min(dist)
    return [i for i, v in enumerate(dist) if v <= best + 1e-6]


def _static_key(layout: Layout) -> tuple:
    """What a site depends on: everything but the movable stations' placements. Of the
    transport only the conveyor (from, to) pairs count (`Layout.with_placements` copies the
    transport, so keying on its identity would miss for every derived layout)."""
    return (
        id(layout.floor), id(layout.products),
        tuple(sorted({(c.from_station, c.to_station) for c in layout.transport.conveyors})),
        tuple((s.id, id(s.footprint), s.input_port, s.output_port, s.fixed,
               s.position if s.fixed else None, s.rotation if s.fixed else None, s.kind) for s in layout.stations),
    )


_SITES: dict[tuple, Site] = {}


def site_of(layout: Layout) -> Site:
    """The site of a layout, cached: candidates of one layout share theirs (the cache keeps
    the floor and products objects alive, so their ids stay unique). A cached site's own
    layout may be another layout with the same key: the caller's layout is what candidates
    are built from."""
    key = _static_key(layout)
    site = _SITES.get(key)
    if site is None:
        site = _build_site(layout)
        if len(_SITES) >= 16:
            _SITES.pop(next(iter(_SITES)))
        _SITES[key] = site
    return site


def _build_site(layout: Layout) -> Site:
    from twin.graph import material_trips

    floor = layout.floor
    g, aisle = float(floor.grid), float(floor.aisle_width)
    stations = layout.stations
    n = len(stations)
    size = np.zeros((n, 4, 2))
    ext = np.zeros((n, 4, 2), dtype=np.int64)
    bounds = np.zeros((n, 4, 4), dtype=np.int64)
    in_off = np.zeros((n, 4, 2))
    out_off = np.zeros((n, 4, 2))
    edge_margin = np.zeros((n, 4, 4))
    problems = []
    for i, s in enumerate(stations):
        w, d = s.footprint.width, s.footprint.depth
        local_in, local_out = input_port_local(s), output_port_local(s)
        for r in range(4):
            rw, rd = rotated_size(s, 90 * r)
            size[i, r] = (rw, rd)
            ext[i, r] = (math.ceil((rw + aisle) / g - EPS), math.ceil((rd + aisle) / g - EPS))
            in_off[i, r] = rotate(local_in, 90 * r)
            out_off[i, r] = rotate(local_out, 90 * r)
            margin = [0.0, 0.0, 0.0, 0.0]
            for side in set(_port_sides(in_off[i, r], rw, rd)) | set(_port_sides(out_off[i, r], rw, rd)):
                margin[side] = aisle / 2
            edge_margin[i, r] = margin
            bounds[i, r] = (
                math.ceil(margin[0] / g - EPS), math.floor((floor.width - margin[1] - rw) / g + EPS),
                math.ceil(margin[2] / g - EPS), math.floor((floor.depth - margin[3] - rd) / g + EPS),
            )
        if not s.fixed and all(bounds[i, r, 0] > bounds[i, r, 1] or bounds[i, r, 2] > bounds[i, r, 3]
                               for r in range(4)):
            problems.append(Problem(f"stations[{i}].footprint", f"station '{s.id}' ({w:g} x {d:g} m) does not "
                                    f"fit on the {floor.width:g} x {floor.depth:g} m floor with its aisles"))
    if problems:
        raise LayoutError(problems)

    nx = math.ceil(floor.width / g) + int(ext[..., 0].max()) + 2
    ny = math.ceil(floor.depth / g) + int(ext[..., 1].max()) + 2
    obstacles = []
    for zone in floor.keep_out:
        gap = aisle / 2 if zone.kind == "column" else aisle
        obstacles.append(_box_cells(zone_rect(zone), g, aisle, gap))
    for dock in floor.docks:
        x, y = dock.position
        obstacles.append(_box_cells(Rect(x, y, x, y), g, aisle, aisle / 2))
    movable = []
    for i, s in enumerate(stations):
        if s.fixed:
            obstacles.append(_box_cells(station_rect(s), g, aisle, aisle))
        else:
            movable.append(i)
    base_occ = np.zeros((nx, ny), dtype=bool)
    for x0, x1, y0, y1 in obstacles:
        base_occ[max(x0, 0):max(x1, 0), max(y0, 0):max(y1, 0)] = True

    ids = [s.id for s in stations] + [d.id for d in floor.docks]
    index = {item: k for k, item in enumerate(ids)}
    flow = np.zeros((len(ids), len(ids)))
    for (a, b), trips in material_trips(layout).items():
        flow[index[a], index[b]] += trips
    # keep belted pairs side by side; once per pair, however many belts link it
    for a, b in {(c.from_station, c.to_station) for c in layout.transport.conveyors}:
        flow[index[a], index[b]] *= CONVEYOR_WEIGHT
    dock_xy = np.array([d.position for d in floor.docks], dtype=float).reshape(-1, 2)
    return Site(layout, g, aisle, floor.width, floor.depth, nx, ny, np.array(movable, dtype=np.int64),
                 size, ext, bounds, in_off, out_off, flow, dock_xy, obstacles, base_occ, edge_margin)


def pinned_items(site: Site) -> tuple[list[int], np.ndarray]:
    """Flow items that never move (fixed stations, docks): flow indices and positions."""
    items, xy = [], []
    for i, s in enumerate(site.layout.stations):
        if s.fixed:
            items.append(i)
            xy.append(s.position)
    for k, pos in enumerate(site.dock_xy):
        items.append(site.n + k)
        xy.append(tuple(pos))
    return items, np.array(xy, dtype=float).reshape(-1, 2)
