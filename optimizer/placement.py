"""Candidate layouts: new placements (position and rotation) of every station a layout does
not fix, from several generators behind one interface.

A generator is `(layout, budget, rng) -> iterator of Layout`, chosen by name from
`GENERATORS`:

- `qap`: slot assignment as a quadratic assignment problem (flow x Manhattan distance between
  slot centres, fixed stations and docks pinned) solved by tabu search (`optimizer.qap`);
  the best assignments are legalised onto the placement lattice and jittered.
- `cpsat`: CP-SAT placement on the lattice with `AddNoOverlap2D`, rotation as a choice of
  boxes, keep-outs and fixed stations as fixed boxes, flow-weighted Manhattan objective;
  every improving solution of several seeded solves is a candidate.
- `line`: flow lines: the stations in flow order (the least-squares place of each along its
  flows, receiving docks first), laid out in rows an aisle apart from the receiving dock's
  side, as a straight line, a U or a snake; stations that no flow links to the others form
  rows of their own (product cells side by side). The QAP and CP-SAT searches rarely find
  such a row when it spans the floor (they fold it against the walls); built directly, it
  is an elite the perturbation refines.
- `perturb`: move, swap, rotate, pull (one station to where its flows want it), settle (pull
  every station in turn), compact (the layout drawn together around its flows) and group
  shift (flow-linked stations moved together) moves from the layout itself and the best
  (by the same flow-distance proxy) of the candidates it has made so far.
- `mixed`: interleaves the four, perturbing the best candidates of all of them.
- `random`: random legal layouts, no search: the baseline the others must beat.

All generators place on one lattice: footprint corners on the floor grid. The rules they
share make a candidate valid by construction: every footprint extended by one aisle width
to the right and to the top (its "occupancy", counted in grid cells) is disjoint from every
other, so any two stations are an aisle apart along x or y; the same holds against fixed
stations and wall/hazard zones (columns and docks keep half an aisle); a side of a station
that carries a port keeps half an aisle from the floor edge, so the port opens onto an
aisle. A robot cell and the machines it tends are one rigid block, placed and turned together
as the layout arranges them (`optimizer.tending_blocks`). The generators never call the
layout checker (`optimizer.layout_checker` is the independent judge); determinism comes
from iteration caps and CP-SAT's deterministic time, never the wall clock, so one seed
gives one sequence.

Why one file of about 1,100 lines: the five generators share the lattice, the occupancy rules
and the legalisation in this module, and a split (lattice and legalising, then one module
per generator) has not been done yet; it is the next step when a generator is added.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count

import numpy as np

from twin.errors import LayoutError, Problem
from twin.geometry import Rect, input_port_local, output_port_local, rotate, rotated_size, station_rect, zone_rect
from twin.model import Layout

from optimizer.names import GeneratorName
from optimizer.tending_blocks import expanded, merged

__all__ = [
    "GENERATORS", "Generator", "candidate_key", "generate", "perturb", "placements",
    "qap_candidates", "cpsat_candidates", "line_candidates", "perturb_candidates", "mixed_candidates",
    "random_candidates",
]

Generator = Callable[[Layout, int, np.random.Generator], Iterator[Layout]]

EPS = 1e-6
# A conveyor is fixed equipment whose every metre costs money and floor, unlike an AGV trip:
# the generators weigh the flow it carries this many times, so belted pairs stay together.
CONVEYOR_WEIGHT = 10.0
# stop a generator after this many proposals in a row that were failures or duplicates
MAX_IDLE = 400


# --------------------------------------------------------------------------------------------
# placements and keys


def placements(layout: Layout) -> dict[str, tuple[float, float, int]]:
    """Station id -> (x, y, rotation) for every placed station."""
    return {s.id: (float(s.position[0]), float(s.position[1]), int(s.rotation))
            for s in layout.stations if s.position is not None}


def _key_of(items: list[tuple[str, float, float, int]]) -> str:
    text = ";".join(f"{sid}:{x:.4f}:{y:.4f}:{rot}" for sid, x, y, rot in sorted(items))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def candidate_key(layout: Layout) -> str:
    """A stable hash of all placements (positions to 0.1 mm, rotations), so a run store can
    recognise a candidate it has seen before, in any process."""
    return _key_of([(sid, x, y, rot) for sid, (x, y, rot) in placements(layout).items()])


# --------------------------------------------------------------------------------------------
# the site: everything about a layout that placements do not change


@dataclass
class _Site:
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
    static_key: tuple
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


_SITES: dict[tuple, _Site] = {}


def _site(layout: Layout) -> _Site:
    """The site of a layout, cached: candidates of one layout share theirs (the cache keeps
    the floor and products objects alive, so their ids stay unique). A cached site's own
    layout may be another layout with the same key: the caller's layout is what candidates
    are built from."""
    key = _static_key(layout)
    site = _SITES.get(key)
    if site is None:
        site = _build_site(layout, key)
        if len(_SITES) >= 16:
            _SITES.pop(next(iter(_SITES)))
        _SITES[key] = site
    return site


def _build_site(layout: Layout, key: tuple) -> _Site:
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
    return _Site(layout, g, aisle, floor.width, floor.depth, nx, ny, np.array(movable, dtype=np.int64),
                 size, ext, bounds, in_off, out_off, flow, dock_xy, obstacles, base_occ, key, edge_margin)


# --------------------------------------------------------------------------------------------
# plans: placements as arrays, the proxy cost, rotation choice


@dataclass
class _Plan:
    """Centres and rotation indices (0..3) of every station; `lattice[s]` is the corner cell
    (k, j) of a station the generators placed, (-1, -1) for one placed by the layout."""

    xy: np.ndarray  # (n, 2)
    rot: np.ndarray  # (n,)
    lattice: np.ndarray  # (n, 2)

    def copy(self) -> "_Plan":
        return _Plan(self.xy.copy(), self.rot.copy(), self.lattice.copy())


def _fixed_plan(site: _Site) -> _Plan:
    """Only the fixed stations placed: what every new plan starts from."""
    plan = _Plan(np.full((site.n, 2), np.nan), np.zeros(site.n, dtype=np.int64), np.full((site.n, 2), -1, dtype=np.int64))
    for i, s in enumerate(site.layout.stations):
        if s.fixed:
            plan.xy[i] = s.position
            plan.rot[i] = s.rotation // 90
    return plan


def _plan_of(site: _Site, layout: Layout) -> _Plan:
    n = site.n
    xy = np.full((n, 2), np.nan)
    rot = np.zeros(n, dtype=np.int64)
    for i, s in enumerate(layout.stations):
        rot[i] = s.rotation // 90
        if s.position is not None:
            xy[i] = s.position
    return _Plan(xy, rot, np.full((n, 2), -1, dtype=np.int64))


def _plan_key(site: _Site, plan: _Plan) -> str:
    return _key_of([(s.id, float(plan.xy[i, 0]), float(plan.xy[i, 1]), int(plan.rot[i]) * 90)
                    for i, s in enumerate(site.layout.stations)])


def _to_layout(site: _Site, plan: _Plan, layout: Layout | None = None) -> Layout:
    """`layout` (default: the site's own) with the plan's placements of the movable stations;
    everything else, such as an edited cost, comes from `layout`."""
    layout = site.layout if layout is None else layout
    stations = layout.stations
    return layout.with_placements({
        stations[i].id: ((float(plan.xy[i, 0]), float(plan.xy[i, 1])), int(plan.rot[i]) * 90)
        for i in site.movable
    })


def _ports(site: _Site, plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """World input and output ports of stations then docks."""
    idx = np.arange(site.n)
    ins = np.vstack([plan.xy + site.in_off[idx, plan.rot], site.dock_xy])
    outs = np.vstack([plan.xy + site.out_off[idx, plan.rot], site.dock_xy])
    return ins, outs


def _proxy_cost(site: _Site, plan: _Plan) -> float:
    """Flow x Manhattan distance from output ports to input ports: a cheap stand-in for the
    routed flow distance, used to rank candidates inside the generators."""
    ins, outs = _ports(site, plan)
    dist = np.abs(outs[:, None, :] - ins[None, :, :]).sum(axis=2)
    return float((site.flow * dist).sum())


def _choose_rotations(site: _Site, plan: _Plan, stations, sweeps: int = 2) -> None:
    """Turn each given lattice-placed station 180 degrees (or 90, if square) where that keeps
    its occupancy and wall margins and shortens its flows port to port."""
    flow = site.flow
    for _ in range(sweeps):
        ins, outs = _ports(site, plan)
        changed = False
        for s in stations:
            k, j = plan.lattice[s]
            if k < 0:
                continue
            r0 = int(plan.rot[s])
            best_r, best_cost = r0, math.inf
            for r in range(4):
                if not np.array_equal(site.size[s, r], site.size[s, r0]):  # same size, same occupancy
                    continue
                kmin, kmax, jmin, jmax = site.bounds[s, r]
                if not (kmin <= k <= kmax and jmin <= j <= jmax):
                    continue
                o = plan.xy[s] + site.out_off[s, r]
                i_ = plan.xy[s] + site.in_off[s, r]
                cost = (flow[s] * np.abs(ins - o).sum(axis=1)).sum() + (flow[:, s] * np.abs(outs - i_).sum(axis=1)).sum()
                if cost < best_cost - 1e-9:
                    best_r, best_cost = r, cost
            if best_r != r0:
                plan.rot[s] = best_r
                changed = True
                ins[s] = plan.xy[s] + site.in_off[s, best_r]
                outs[s] = plan.xy[s] + site.out_off[s, best_r]
        if not changed:
            break


# --------------------------------------------------------------------------------------------
# legalisation: stations to the nearest free lattice positions


def _occupancy(site: _Site, plan: _Plan, skip) -> np.ndarray:
    """Raster of the obstacles plus every placed movable station not in `skip`."""
    occ = site.base_occ.copy()
    skip = set(int(s) for s in skip)
    for s in site.movable:
        if int(s) in skip or np.isnan(plan.xy[s, 0]):
            continue
        x0, x1, y0, y1 = site.cells(s, plan.xy[s, 0], plan.xy[s, 1], int(plan.rot[s]))
        occ[max(x0, 0):max(x1, 0), max(y0, 0):max(y1, 0)] = True
    return occ


def _place_one(site: _Site, occ: np.ndarray, s: int, target: tuple[float, float],
               rotations=range(4)) -> tuple[int, int, int] | None:
    """The free lattice corner (k, j) and rotation nearest (Euclidean, centre to target)."""
    sat = np.zeros((site.nx + 1, site.ny + 1), dtype=np.int32)
    sat[1:, 1:] = occ.cumsum(0).cumsum(1)
    best, best_d = None, math.inf
    seen = set()
    for r in rotations:
        lx, ly = (int(v) for v in site.ext[s, r])
        kmin, kmax, jmin, jmax = (int(v) for v in site.bounds[s, r])
        kmax, jmax = min(kmax, site.nx - lx), min(jmax, site.ny - ly)
        sig = (lx, ly, kmin, kmax, jmin, jmax, tuple(site.size[s, r]))
        if kmin > kmax or jmin > jmax or sig in seen:
            continue
        seen.add(sig)
        ks = np.arange(kmin, kmax + 1)
        js = np.arange(jmin, jmax + 1)
        window = (sat[ks + lx][:, js + ly] - sat[ks][:, js + ly] - sat[ks + lx][:, js] + sat[ks][:, js])
        w, d = site.size[s, r]
        dx = (ks * site.g + w / 2 - target[0]) ** 2
        dy = (js * site.g + d / 2 - target[1]) ** 2
        dist = dx[:, None] + dy[None, :]
        dist[window > 0] = np.inf
        flat = int(np.argmin(dist))
        value = float(dist.flat[flat])
        if value < best_d:
            a, b = divmod(flat, len(js))
            best, best_d = (int(ks[a]), int(js[b]), r), value
    return best


def _mark(site: _Site, occ: np.ndarray, s: int, k: int, j: int, r: int) -> None:
    lx, ly = site.ext[s, r]
    occ[k:k + lx, j:j + ly] = True


def _legalise(site: _Site, plan: _Plan, movers, targets, rotations=None) -> bool:
    """Place `movers` in order, each at the free spot nearest its target, the other
    stations staying put. Changes `plan` in place; False if some station found no room."""
    occ = _occupancy(site, plan, movers)
    for n, s in enumerate(movers):
        spot = _place_one(site, occ, s, targets[n], range(4) if rotations is None else rotations[n])
        if spot is None:
            return False
        k, j, r = spot
        _mark(site, occ, s, k, j, r)
        plan.xy[s] = site.centre(s, k, j, r)
        plan.rot[s] = r
        plan.lattice[s] = (k, j)
    return True


def _conflicts(site: _Site, plan: _Plan) -> list[int]:
    """Movable stations that are unplaced, leave the floor (or face it with a port closer than
    half an aisle), touch a keep-out zone or come
    closer than the aisle to a station kept before them (exact geometry, not the raster:
    the layout's own positions need not sit on the lattice)."""
    bad = []
    kept = [station_rect(s) for s in site.layout.stations if s.fixed]
    zones = [zone_rect(z) for z in site.layout.floor.keep_out]
    for s in site.movable:
        if np.isnan(plan.xy[s, 0]):
            bad.append(int(s))
            continue
        r = int(plan.rot[s])
        box = site.rect(s, plan.xy[s, 0], plan.xy[s, 1], r)
        m = site.edge_margin[s, r]  # a side with a port keeps half an aisle from the edge
        inside = box.within(Rect(m[0], m[2], site.width - m[1], site.depth - m[3]))
        hits_zone = any(box.overlaps(z) for z in zones)
        near = any(box.gap(o) < site.aisle - EPS for o in kept)
        if not inside or hits_zone or near:
            bad.append(int(s))
            continue
        kept.append(box)
    return bad


def _repaired(site: _Site, plan: _Plan) -> _Plan | None:
    """The plan with conflicting (or unplaced) movable stations moved to the nearest free
    spots; failing that, every movable station snapped to the lattice near where it was;
    None if even that finds no room."""
    bad = _conflicts(site, plan)
    if not bad:
        return plan
    centre = (site.width / 2, site.depth / 2)
    for movers in (bad, _legalise_order(site)):
        trial = plan.copy()
        targets = [tuple(trial.xy[s]) if not np.isnan(trial.xy[s, 0]) else centre for s in movers]
        for s in movers:
            trial.xy[s] = np.nan
        if _legalise(site, trial, movers, targets):
            return trial
    return None


# --------------------------------------------------------------------------------------------
# perturbation


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cum, cum[-1] / 2))])


def _pull_target(site: _Site, plan: _Plan, s: int) -> tuple[float, float] | None:
    """Where station s's centre would make its flows shortest with every other station and
    dock where it is: per axis the flow-weighted median of the spots that put its output port
    on each successor's input port and its input port on each predecessor's output port (the
    Manhattan optimum of one station's flow cost); None when s has no placed partner."""
    ins, outs = _ports(site, plan)
    r = int(plan.rot[s])
    out_w, in_w = site.flow[s].copy(), site.flow[:, s].copy()
    out_w[s] = in_w[s] = 0.0
    spots = np.vstack([ins - site.out_off[s, r], outs - site.in_off[s, r]])
    weights = np.concatenate([out_w, in_w])
    keep = (weights > 0) & ~np.isnan(spots[:, 0])
    if not keep.any():
        return None
    return (_weighted_median(spots[keep, 0], weights[keep]), _weighted_median(spots[keep, 1], weights[keep]))


def _pull(site: _Site, plan: _Plan, s: int) -> bool:
    """Move station s (in place) to the free spot nearest its `_pull_target`; False if it has
    no target or no room."""
    target = _pull_target(site, plan, s)
    return target is not None and _legalise(site, plan, [s], [target])


def _flow_group(site: _Site, s: int, size: int) -> list[int]:
    """Station s and up to `size - 1` movable stations linked to it by flows, nearest in the
    flow graph first (breadth first, heaviest flows first)."""
    movable = set(int(q) for q in site.movable)
    both = site.flow[:site.n, :site.n] + site.flow[:site.n, :site.n].T
    group, frontier = [s], [s]
    while frontier and len(group) < size:
        nxt = []
        for a in frontier:
            for b in np.argsort(-both[a], kind="stable"):
                b = int(b)
                if both[a, b] <= 0 or len(group) >= size:
                    break
                if b in movable and b not in group:
                    group.append(b)
                    nxt.append(b)
        frontier = nxt
    return group


def _group_shift(site: _Site, plan: _Plan, group: list[int]) -> tuple[float, float] | None:
    """The translation of `group` that shortens its flows with everything outside it most
    (per axis, the flow-weighted median of the shifts that would join each outside flow's
    ports); None when the group has no outside flow."""
    ins, outs = _ports(site, plan)
    inside = np.zeros(len(ins), dtype=bool)
    inside[group] = True
    shifts, weights = [], []
    for g in group:
        for b in np.nonzero((site.flow[g] > 0) & ~inside)[0]:
            shifts.append(ins[b] - outs[g])
            weights.append(site.flow[g, b])
        for a in np.nonzero((site.flow[:, g] > 0) & ~inside)[0]:
            shifts.append(outs[a] - ins[g])
            weights.append(site.flow[a, g])
    if not shifts:
        return None
    shift, w = np.array(shifts), np.array(weights)
    keep = ~np.isnan(shift[:, 0])
    if not keep.any():
        return None
    return (_weighted_median(shift[keep, 0], w[keep]), _weighted_median(shift[keep, 1], w[keep]))


def _compact_targets(site: _Site, plan: _Plan, factor: float) -> tuple[list[int], list[tuple[float, float]]]:
    """Every movable station's centre drawn towards the flow-weighted centre of the movable
    stations by `factor` (0: onto it, 1: where it is), nearest first, so the layout shrinks
    around its flows and keeps its arrangement."""
    movable = [int(s) for s in site.movable]
    xy = plan.xy[movable]
    weight = site.flow[movable].sum(axis=1) + site.flow[:, movable].sum(axis=0) + 1e-9
    centre = (xy * weight[:, None]).sum(axis=0) / weight.sum()
    order = np.argsort(np.abs(xy - centre).sum(axis=1), kind="stable")
    return ([movable[q] for q in order], [tuple(centre + (xy[q] - centre) * factor) for q in order])


def _perturb_plan(site: _Site, plan: _Plan, rng: np.random.Generator, moves: int) -> _Plan | None:
    """`moves` random moves; None when none of them found room. The moves: move a station
    near (or anywhere), swap two, turn one, pull one towards where its flows want it
    (`_pull_target`), settle (pull every station in turn), compact the whole layout around
    its flows (`_compact_targets`) or shift a group of flow-linked stations together
    (`_flow_group`, `_group_shift`): the last four gather scattered flow partners and line
    them up, which random moves rarely do (one station's pull stops where its two partners
    disagree; a group moves past that)."""
    movable = site.movable
    if len(movable) == 0:
        return None
    plan = plan.copy()
    done = 0
    sigma = max(2 * site.g, 0.15 * min(site.width, site.depth))
    for _ in range(moves * 4):
        if done >= moves:
            break
        if len(movable) > 1:
            kind = rng.choice(7, p=(0.30, 0.20, 0.12, 0.12, 0.08, 0.08, 0.10))
        else:
            kind = rng.choice((0, 2, 3))
        trial = plan.copy()
        if kind == 0:  # move one station near (or, sometimes, anywhere on) the floor
            s = int(rng.choice(movable))
            if rng.random() < 0.2:
                target = (rng.uniform(0, site.width), rng.uniform(0, site.depth))
            else:
                target = tuple(plan.xy[s] + rng.normal(0.0, sigma, 2))
            ok = _legalise(site, trial, [s], [target])
            moved = [s]
        elif kind == 1:  # swap two stations
            s, t = (int(v) for v in rng.choice(movable, 2, replace=False))
            order = sorted((s, t), key=lambda q: -site.size[q, 0].prod())
            targets = [tuple(plan.xy[t if q == s else s]) for q in order]
            ok = _legalise(site, trial, order, targets)
            moved = order
        elif kind == 2:  # turn one station
            s = int(rng.choice(movable))
            r = int((plan.rot[s] + rng.integers(1, 4)) % 4)
            ok = _legalise(site, trial, [s], [tuple(plan.xy[s])], rotations=[[r]])
            moved = []
        elif kind == 3:  # pull one station towards its flow partners
            s = int(rng.choice(movable))
            ok = _pull(site, trial, s)
            moved = [s]
        elif kind == 4:  # compact: every movable station towards the flows' centre, keeping its turn
            moved, targets = _compact_targets(site, plan, float(rng.uniform(0.3, 0.9)))
            ok = _legalise(site, trial, moved, targets, rotations=[[int(plan.rot[q])] for q in moved])
        elif kind == 5:  # settle: pull every movable station in turn, in a random order
            moved = [int(q) for q in rng.permutation(movable)]
            pulled = [_pull(site, trial, q) for q in moved]
            ok = any(pulled)
        else:  # shift a group of flow-linked stations together towards its outside flows
            moved = _flow_group(site, int(rng.choice(movable)), int(rng.integers(2, len(movable) + 1)))
            shift = _group_shift(site, plan, moved)
            ok = shift is not None and _legalise(
                site, trial, moved, [tuple(plan.xy[q] + shift) for q in moved],
                rotations=[[int(plan.rot[q])] for q in moved])
        if not ok:
            continue
        if moved:
            _choose_rotations(site, trial, moved, sweeps=1)
        if np.array_equal(trial.xy, plan.xy) and np.array_equal(trial.rot, plan.rot):
            continue
        plan = trial
        done += 1
    return plan if done else None


def perturb(layout: Layout, rng: np.random.Generator, moves: int = 1) -> Layout:
    """A neighbour of a layout: `moves` random moves (move a station, swap two, turn one, or
    the flow moves of `_perturb_plan`, which move several stations at once: settle, compact
    and group shift), each keeping the generators' clearance rules; stations not moved stay exactly where they
    are (except movable ones that were unplaced or broke those rules, which are first moved
    to the nearest free spots). Returns the layout itself when no move finds room or
    nothing is movable."""
    whole, (layout, groups) = layout, merged(layout)
    site = _site(layout)
    plan = _repaired(site, _plan_of(site, layout))
    if plan is None:
        return whole
    child = _perturb_plan(site, plan, rng, max(1, int(moves)))
    return whole if child is None else expanded(whole, groups, _to_layout(site, child, layout))


# --------------------------------------------------------------------------------------------
# sources: endless streams of plans (None for a failed attempt)


class _Elites:
    """The best plans by proxy cost, for perturbation to start from."""

    def __init__(self, size: int = 24):
        self.size = size
        self.items: list[tuple[float, int, _Plan]] = []
        self._tick = count()

    def add(self, cost: float, plan: _Plan) -> None:
        if len(self.items) < self.size or cost < self.items[-1][0]:
            self.items.append((cost, next(self._tick), plan))
            self.items.sort(key=lambda item: (item[0], item[1]))
            del self.items[self.size:]

    def pick(self, rng: np.random.Generator) -> _Plan:
        # rank-biased: the best plans are chosen most often
        weights = 1.0 / (np.arange(len(self.items)) + 2.0)
        return self.items[int(rng.choice(len(self.items), p=weights / weights.sum()))][2]


def _perturb_source(site: _Site, elites: _Elites, rng: np.random.Generator) -> Iterator[_Plan | None]:
    while True:
        parent = elites.pick(rng)
        yield _perturb_plan(site, parent, rng, int(rng.integers(1, 4)))


def _random_source(site: _Site, rng: np.random.Generator) -> Iterator[_Plan | None]:
    """Random legal plans: every movable station at the free spot nearest a uniformly random
    point of the floor, in a random order (the random baseline, not a search)."""
    base = _fixed_plan(site)
    movable = [int(s) for s in site.movable]
    while True:
        plan = base.copy()
        order = [movable[q] for q in rng.permutation(len(movable))]
        targets = [(rng.uniform(0, site.width), rng.uniform(0, site.depth)) for _ in order]
        yield plan if _legalise(site, plan, order, targets) else None


def _flow_lines(site: _Site) -> list[list[int]]:
    """The movable stations as flow lines, each in flow order: the groups that station-to-
    station flows connect (the heaviest group first), and in each group the stations sorted
    by their place along the flow, the least-squares solution of "every flow a -> b goes one
    step on" (weighted by its trips) with the receiving docks at step 0. A serial line comes
    out in routing order; a loop (rework) or a shared station gets a compromise place."""
    n, movable = site.n, [int(s) for s in site.movable]
    flow = site.flow
    docks = site.layout.floor.docks
    rows, rhs = [], []
    for a, b in zip(*np.nonzero(flow)):
        w = math.sqrt(flow[a, b])
        row = np.zeros(len(flow))
        row[a], row[b] = -w, w
        rows.append(row)
        rhs.append(w)
    heavy = math.sqrt(flow.sum() + 1.0) * 10
    for k, dock in enumerate(docks):
        if dock.kind == "receiving":
            row = np.zeros(len(flow))
            row[n + k] = heavy
            rows.append(row)
            rhs.append(0.0)
    step = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0] if rows else np.zeros(len(flow))
    # groups: the movable stations that flows link, each found whole by `_flow_group`
    groups: list[list[int]] = []
    for s in movable:
        if not any(s in members for members in groups):
            groups.append(_flow_group(site, s, len(movable)))
    weight = [float(flow[members].sum() + flow[:, members].sum()) for members in groups]
    ordered = [groups[g] for g in sorted(range(len(groups)), key=lambda g: (-weight[g], groups[g][0]))]
    return [sorted(members, key=lambda s: (step[s], s)) for members in ordered]


def _along(site: _Site, s: int, axis: int, sign: int) -> int:
    """The rotation that points station s's flow (input port to output port) most along the
    direction `sign` on `axis`."""
    return max(range(4), key=lambda r: (sign * (site.out_off[s, r, axis] - site.in_off[s, r, axis]), -r))


def _line_source(site: _Site, rng: np.random.Generator) -> Iterator[_Plan | None]:
    """Flow lines (`_flow_lines`) laid out in rows, each station an aisle after the one before
    it in flow order and turned so that its flow runs along the row: a straight line, or a U
    or a snake when the line is split into two or more rows (each going back along the one
    before), from the receiving dock's side of the floor towards the other; every group
    starts a row of its own (product cells side by side). The variants draw the rows'
    direction (along the docks' axis mostly), how many rows a line takes, where the rows
    start along the floor (at the wall, centred, at random) and across it (level with the
    receiving dock, the docks' middle, centred, at random) and the groups' order. The
    stations then go to the nearest free spots (fixed stations, zones and docks stay)."""
    lines = _flow_lines(site)
    if not lines:
        return
    base = _fixed_plan(site)
    docks = site.layout.floor.docks
    receiving = [np.array(d.position, dtype=float) for d in docks if d.kind == "receiving"]
    shipping = [np.array(d.position, dtype=float) for d in docks if d.kind == "shipping"]
    start = receiving[0] if receiving else np.array([0.0, site.depth / 2])
    end = shipping[0] if shipping else np.array([site.width, site.depth / 2])
    extent = (site.width, site.depth)
    dock_axis = 0 if abs(end[0] - start[0]) >= abs(end[1] - start[1]) else 1
    g = site.g
    while True:
        axis = dock_axis if rng.random() < 0.75 else 1 - dock_axis
        cross = 1 - axis
        forward = 1 if start[axis] <= extent[axis] / 2 else -1
        if rng.random() < 0.15:
            forward = -forward
        order = list(range(len(lines)))
        if len(lines) > 1 and rng.random() < 0.5:
            order = [int(q) for q in rng.permutation(len(lines))]
        limit = int(math.floor(extent[axis] / g + EPS))
        # rows: (stations, rotations, direction, whether it continues the row before), group by group
        rows: list[tuple[list[int], list[int], int, bool]] = []
        split = int(rng.choice([1, 1, 2, 2, 3]))
        for q in order:
            line = lines[q]
            full = [int(site.ext[s, _along(site, s, axis, 1), axis]) for s in line]
            parts = max(split, math.ceil(sum(full) / max(limit - 1, 1)))
            size = math.ceil(len(line) / parts)
            for p in range(0, len(line), size):
                sign = forward if (p // size) % 2 == 0 else -forward
                chunk = line[p:p + size]
                rows.append((chunk, [_along(site, s, axis, sign) for s in chunk], sign, p > 0))
        pitches = [max(int(site.ext[s, r, cross]) for s, r in zip(chunk, rots)) for chunk, rots, _, _ in rows]
        height = sum(pitches)  # cells, the last row's aisle included
        # metres from the first row's bottom to the middle of its stations, and of all rows
        half_row = max(float(site.size[s, r, cross]) for s, r in zip(rows[0][0], rows[0][1])) / 2
        half_block = (height * g - site.aisle) / 2
        where = rng.choice(4)
        if where == 0:  # the first row level with the receiving dock
            first = (start[cross] - half_row) / g
        elif where == 1:  # the rows around the docks' middle
            first = ((start[cross] + end[cross]) / 2 - half_block) / g
        elif where == 2:  # centred on the floor
            first = (extent[cross] / 2 - half_block) / g
        else:
            first = rng.uniform(0, max(extent[cross] / g - height, 0))
        first = int(math.floor(min(max(first, 0), max(extent[cross] / g - height, 0)) + EPS))
        align = rng.choice(3)  # rows from the wall, centred, or at random along the floor
        movers, targets, rotations = [], [], []
        j = first
        edge = 0  # where the row before ended (cells), for a row going back along it
        for (chunk, rots, sign, continues), pitch in zip(rows, pitches):
            length = sum(int(site.ext[s, r, axis]) for s, r in zip(chunk, rots))
            if continues:
                k = edge  # back along the row before, from where it ended
            else:
                room = max(limit - length, 0)
                lead = 1 if align == 0 else room // 2 if align == 1 else int(rng.integers(0, room + 1))
                k = lead if sign > 0 else limit - lead
            for s, r in zip(chunk, rots):
                span = int(site.ext[s, r, axis])
                corner = k if sign > 0 else k - span
                k = k + span if sign > 0 else k - span
                offset = (pitch - int(site.ext[s, r, cross])) // 2
                cell = [0, 0]
                cell[axis], cell[cross] = corner, j + offset
                movers.append(s)
                targets.append(site.centre(s, cell[0], cell[1], r))
                rotations.append([r, (r + 2) % 4])
            edge = k
            j += pitch
        plan = base.copy()
        if not _legalise(site, plan, movers, targets, rotations):
            plan = base.copy()
            if not _legalise(site, plan, movers, targets):
                yield None
                continue
        _choose_rotations(site, plan, site.movable)
        yield plan


def _slot_grid(site: _Site, rng: np.random.Generator, n_slots: int) -> np.ndarray:
    """Slot centres on a regular grid over the floor, jittered per call, avoiding fixed
    stations and zones: at least `n_slots` of them when the floor allows."""
    blocked = [zone_rect(z) for z in site.layout.floor.keep_out]
    blocked += [station_rect(s) for s in site.layout.stations if s.fixed]
    blocked_arr = np.array([(b.xmin, b.ymin, b.xmax, b.ymax) for b in blocked]).reshape(-1, 4)
    aspect = site.width / site.depth
    scale = rng.uniform(1.0, 1.5)
    slots = np.zeros((0, 2))
    for extra in range(0, 400):
        total = n_slots * scale + extra
        cols = max(1, round(math.sqrt(total * aspect)))
        rows = max(1, math.ceil(total / cols))
        px, py = site.width / cols, site.depth / rows
        xs = (np.arange(cols) + 0.5 + rng.uniform(-0.2, 0.2)) * px
        ys = (np.arange(rows) + 0.5 + rng.uniform(-0.2, 0.2)) * py
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
        if len(blocked_arr):
            inside = ((pts[:, None, 0] > blocked_arr[None, :, 0]) & (pts[:, None, 0] < blocked_arr[None, :, 2])
                      & (pts[:, None, 1] > blocked_arr[None, :, 1]) & (pts[:, None, 1] < blocked_arr[None, :, 3]))
            pts = pts[~inside.any(axis=1)]
        slots = pts
        if len(slots) >= n_slots:
            break
    return slots


def _pinned(site: _Site) -> tuple[list[int], np.ndarray]:
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


def _legalise_order(site: _Site, rng: np.random.Generator | None = None, noise: float = 0.0) -> list[int]:
    """Big stations first (they are hardest to fit), shuffled a little when `rng` is given."""
    keys = -np.array([site.size[s, 0].prod() for s in site.movable])
    if rng is not None:
        keys = keys * np.exp(rng.normal(0.0, noise, len(keys)))
    return [int(site.movable[q]) for q in np.argsort(keys, kind="stable")]


def _qap_source(site: _Site, rng: np.random.Generator, iterations: int | None = None,
                keep: int = 4, variants: int = 6) -> Iterator[_Plan | None]:
    """Tabu search on a jittered slot grid; its best few assignments, each legalised in a few
    jittered variants."""
    from optimizer.qap import solve_qap

    movable = [int(s) for s in site.movable]
    n_m = len(movable)
    pinned, pinned_xy = _pinned(site)
    items = movable + pinned
    sym = site.flow + site.flow.T
    flow = sym[np.ix_(items, items)]
    if iterations is None:
        iterations = 300 + 40 * n_m
    base = _fixed_plan(site)
    while True:
        slots = _slot_grid(site, rng, n_m)
        if len(slots) < n_m:
            yield None
            continue
        locations = np.vstack([slots, pinned_xy])
        dist = np.abs(locations[:, None, :] - locations[None, :, :]).sum(axis=2)
        fixed = {n_m + q: len(slots) + q for q in range(len(pinned))}
        found: list[np.ndarray] = []
        solve_qap(flow, dist, time_limit=3600.0, seed=int(rng.integers(2**31)), fixed=fixed,
                  on_solution=lambda perm, cost: found.append(perm.copy()), max_iterations=iterations)
        best = found[::-1][:keep]
        pitch = math.sqrt(site.width * site.depth / max(len(slots), 1))
        for perm in best:
            for v in range(variants):
                targets_by_station = {movable[q]: slots[perm[q]] + (rng.uniform(-0.35, 0.35, 2) * pitch if v else 0.0)
                                      for q in range(n_m)}
                order = _legalise_order(site, rng, 0.0 if v == 0 else 0.5)
                plan = base.copy()
                if not _legalise(site, plan, order, [tuple(targets_by_station[s]) for s in order]):
                    yield None
                    continue
                _choose_rotations(site, plan, movable)
                yield plan


def _cpsat_solve(site: _Site, rng: np.random.Generator, det_time: float, hint: _Plan | None,
                 free: set[int] | None = None, radius: int = 2,
                 max_solutions: int = 200) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One seeded CP-SAT placement; every improving solution as (k, j, rotation) arrays.

    With `free` given (a large-neighbourhood step), only those stations may go anywhere;
    the others keep the hint's rotation and move at most `radius` cells from it."""
    from ortools.sat.python import cp_model

    movable = [int(s) for s in site.movable]
    model = cp_model.CpModel()
    # variables: lattice corner and one literal per rotation
    kx, ky, lits = [], [], []
    for s in movable:
        kmin = int(site.bounds[s, :, 0].min())
        kmax = int(site.bounds[s, :, 1].max())
        jmin = int(site.bounds[s, :, 2].min())
        jmax = int(site.bounds[s, :, 3].max())
        row = [model.NewBoolVar(f"r{r}_{s}") for r in range(4)]
        if free is not None and s not in free and hint is not None and hint.lattice[s, 0] >= 0:
            k, j = (int(v) for v in hint.lattice[s])
            kmin, kmax = max(kmin, k - radius), min(kmax, k + radius)
            jmin, jmax = max(jmin, j - radius), min(jmax, j + radius)
            model.Add(row[int(hint.rot[s])] == 1)
        kx.append(model.NewIntVar(kmin, max(kmin, kmax), f"k_{s}"))
        ky.append(model.NewIntVar(jmin, max(jmin, jmax), f"j_{s}"))
        lits.append(row)
    # constraints: one rotation, its wall bounds, no overlap of occupancies and obstacles
    xs, ys = [], []
    for q, s in enumerate(movable):
        model.AddExactlyOne(lits[q])
        for r in range(4):
            kmin, kmax, jmin, jmax = (int(v) for v in site.bounds[s, r])
            if kmin > kmax or jmin > jmax:
                model.Add(lits[q][r] == 0)
                continue
            model.AddLinearConstraint(kx[q], kmin, kmax).OnlyEnforceIf(lits[q][r])
            model.AddLinearConstraint(ky[q], jmin, jmax).OnlyEnforceIf(lits[q][r])
        for orient in (0, 1):
            lx, ly = (int(v) for v in site.ext[s, orient])
            present = model.NewBoolVar(f"o{orient}_{s}")
            model.Add(present == lits[q][orient] + lits[q][orient + 2])
            xs.append(model.NewOptionalFixedSizeIntervalVar(kx[q], lx, present, f"x{orient}_{s}"))
            ys.append(model.NewOptionalFixedSizeIntervalVar(ky[q], ly, present, f"y{orient}_{s}"))
    for x0, x1, y0, y1 in site.obstacles:
        if x1 <= x0 or y1 <= y0:
            continue
        xs.append(model.NewFixedSizeIntervalVar(x0, x1 - x0, "ox"))
        ys.append(model.NewFixedSizeIntervalVar(y0, y1 - y0, "oy"))
    model.AddNoOverlap2D(xs, ys)
    # objective: flow-weighted Manhattan distance from each output port to the input port it
    # feeds, in half cells (as `_proxy_cost`: with centres instead, turning a long station
    # sideways looks shorter while its ports end up facing away from the flow)
    span = 2 * (site.nx + site.ny) + 4
    ports: dict[int, tuple] = {}  # flow item -> ((out x, out y), (in x, in y)) expressions or numbers

    def half_cells(value: float) -> int:
        return round(2 * value / site.g)

    for q, s in enumerate(movable):
        centre = [2 * (kx, ky)[axis][q] + sum(half_cells(float(site.size[s, r, axis]) / 2) * lits[q][r] for r in range(4))
                  for axis in (0, 1)]
        ports[s] = tuple(tuple(centre[axis] + sum(half_cells(float(off[s, r, axis])) * lits[q][r] for r in range(4))
                               for axis in (0, 1)) for off in (site.out_off, site.in_off))
    pinned, pinned_xy = _pinned(site)
    for item, (x, y) in zip(pinned, pinned_xy):
        if item < site.n:  # a fixed station: its own ports
            r = int(site.layout.stations[item].rotation) // 90
            ports[item] = tuple((half_cells(x + off[item, r, 0]), half_cells(y + off[item, r, 1]))
                                for off in (site.out_off, site.in_off))
        else:  # a dock: one point
            ports[item] = ((half_cells(x), half_cells(y)),) * 2
    top = site.flow.max() if site.flow.size else 0.0
    terms = []
    moving = set(movable)
    if top > 0:
        keys = list(ports)
        for a in keys:
            for b in keys:
                if a == b or site.flow[a, b] <= 0 or (a not in moving and b not in moving):
                    continue
                weight = max(1, round(100 * site.flow[a, b] / top * rng.uniform(0.7, 1.3)))
                for axis in (0, 1):
                    d = model.NewIntVar(0, span, "")
                    model.Add(d >= ports[a][0][axis] - ports[b][1][axis])
                    model.Add(d >= ports[b][1][axis] - ports[a][0][axis])
                    terms.append(weight * d)
    if terms:
        model.Minimize(sum(terms))
    if hint is not None:
        for q, s in enumerate(movable):
            k, j = hint.lattice[s]
            if k >= 0:
                model.AddHint(kx[q], int(k))
                model.AddHint(ky[q], int(j))
                for r in range(4):
                    model.AddHint(lits[q][r], int(hint.rot[s] == r))
    # solve: one worker, a seed and deterministic time make it repeatable
    solutions: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    class Collector(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if len(solutions) < max_solutions:
                solutions.append((
                    np.array([self.Value(v) for v in kx]), np.array([self.Value(v) for v in ky]),
                    np.array([[self.Value(lit) for lit in row].index(1) for row in lits]),
                ))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(rng.integers(2**31))
    solver.parameters.max_deterministic_time = det_time
    solver.parameters.max_time_in_seconds = 60.0 + 20 * det_time  # a safety net, not the limit
    solver.parameters.randomize_search = True
    solver.parameters.catch_sigint_signal = False  # Ctrl-C belongs to the search run
    solver.Solve(model, Collector())
    return solutions


def _cpsat_source(site: _Site, rng: np.random.Generator, det_time: float = 0.15,
                  restart_every: int = 12, starts: Iterator[_Plan | None] | None = None) -> Iterator[_Plan | None]:
    """CP-SAT large-neighbourhood search: from a start (a QAP assignment legalised, or a
    random legal plan), repeatedly free a few stations anywhere and let the rest shift by a
    couple of cells, with jittered flow weights; every improving solution is a candidate and
    the best (by the port-to-port proxy) becomes the next start. Restarts now and then."""
    movable = [int(s) for s in site.movable]
    n_free = min(len(movable), 6)
    base = _fixed_plan(site)
    if starts is None:
        starts = _qap_source(site, rng, keep=1, variants=1)
    incumbent: _Plan | None = None
    incumbent_cost = math.inf
    for step in count():
        if incumbent is None or step % restart_every == 0:
            incumbent = next(starts)
            if incumbent is None:
                incumbent = base.copy()
                targets = [(rng.uniform(0, site.width), rng.uniform(0, site.depth)) for _ in movable]
                if not _legalise(site, incumbent, _legalise_order(site, rng, 0.5), targets):
                    incumbent = None
            incumbent_cost = math.inf if incumbent is None else _proxy_cost(site, incumbent)
        free = None if incumbent is None else {int(v) for v in rng.choice(movable, n_free, replace=False)}
        solutions = _cpsat_solve(site, rng, det_time if free else 4 * det_time, incumbent, free)
        if not solutions:
            yield None
            continue
        for ks, js, rs in reversed(solutions):
            plan = base.copy()
            for q, s in enumerate(movable):
                plan.rot[s] = rs[q]
                plan.lattice[s] = (ks[q], js[q])
                plan.xy[s] = site.centre(s, int(ks[q]), int(js[q]), int(rs[q]))
            _choose_rotations(site, plan, movable)
            cost = _proxy_cost(site, plan)
            if cost < incumbent_cost:
                incumbent, incumbent_cost = plan, cost
            yield plan


# --------------------------------------------------------------------------------------------
# generators


def _drive(layout: Layout, site: _Site, budget: int, sources: list[Iterator[_Plan | None]], pattern: list[int],
           elites: _Elites | None = None) -> Iterator[Layout]:
    """Pull plans from the sources in a fixed pattern, yield each new one as `layout` with the
    plan's placements, and stop at the budget or when every source has idled MAX_IDLE times
    in a row."""
    seen: set[str] = set()
    idle = [0] * len(sources)
    produced = 0
    alive = set(range(len(sources)))
    for step in count():
        if produced >= budget or not alive:
            return
        which = pattern[step % len(pattern)]
        if which not in alive:
            continue
        plan = next(sources[which])
        key = None if plan is None else _plan_key(site, plan)
        if key is None or key in seen:
            idle[which] += 1
            if idle[which] >= MAX_IDLE:
                alive.discard(which)
            continue
        idle[which] = 0
        seen.add(key)
        if elites is not None:
            elites.add(_proxy_cost(site, plan), plan)
        produced += 1
        yield _to_layout(site, plan, layout)


def _start(layout: Layout) -> tuple[_Site, _Plan | None]:
    site = _site(layout)
    return site, _repaired(site, _plan_of(site, layout))


def qap_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Slot assignment by QAP tabu search, legalised and jittered."""
    site = _site(layout)
    if len(site.movable) == 0:
        return
    yield from _drive(layout, site, budget, [_qap_source(site, rng)], [0])


def cpsat_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """CP-SAT placement with two-dimensional no-overlap; every improving solution."""
    site = _site(layout)
    if len(site.movable) == 0:
        return
    yield from _drive(layout, site, budget, [_cpsat_source(site, rng)], [0])


def perturb_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Moves, swaps and turns from the layout (repaired where it breaks the clearance
    rules) and from the best candidates made so far."""
    site, start = _start(layout)
    if len(site.movable) == 0 or start is None:
        return
    elites = _Elites()
    elites.add(_proxy_cost(site, start), start)
    yield from _drive(layout, site, budget, [_perturb_source(site, elites, rng)], [0], elites)


def random_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Random legal layouts: the baseline a search must beat (`--generator random`)."""
    site = _site(layout)
    if len(site.movable) == 0:
        return
    yield from _drive(layout, site, budget, [_random_source(site, rng)], [0])


def line_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Flow lines: the stations in flow order in rows between the docks (`_line_source`)."""
    site = _site(layout)
    if len(site.movable) == 0:
        return
    yield from _drive(layout, site, budget, [_line_source(site, rng)], [0])


def mixed_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """The search's default: flow lines, QAP, CP-SAT and perturbation interleaved, perturbing
    the best candidates of all of them; thousands of candidates come quickly."""
    site, start = _start(layout)
    if len(site.movable) == 0:
        return
    elites = _Elites()
    if start is not None:
        elites.add(_proxy_cost(site, start), start)
    qap = _qap_source(site, rng)
    # CP-SAT polishes the elites (restarting from one of them every few solves)
    sources = [qap, _cpsat_source(site, rng, restart_every=4, starts=_elite_starts(elites, rng, qap))]
    # per 48 pulls: 3 flow lines, 14 QAP, 1 CP-SAT (a solve takes about a second), 30
    # perturbations of elites (the flow lines' best among them from the first cycle on)
    cycle = [0, 2, 0, 2, 0, 2, 2, 2, 0, 2, 0, 2, 0, 2, 2, 2]
    pattern = [3] + cycle[1:] + [3] + cycle[1:] + [3] + cycle[1:12] + [1] + cycle[13:]
    if start is None:  # perturbation waits for the first elites
        sources.append(_late_perturb(site, elites, rng))
    else:
        sources.append(_perturb_source(site, elites, rng))
    sources.append(_line_source(site, rng))
    yield from _drive(layout, site, budget, sources, pattern, elites)


def _elite_starts(elites: _Elites, rng: np.random.Generator, fallback: Iterator[_Plan | None]) -> Iterator[_Plan | None]:
    while True:
        yield elites.pick(rng).copy() if elites.items else next(fallback)


def _late_perturb(site: _Site, elites: _Elites, rng: np.random.Generator) -> Iterator[_Plan | None]:
    while not elites.items:
        yield None
    yield from _perturb_source(site, elites, rng)


GENERATORS: dict[GeneratorName, Generator] = {
    GeneratorName.CPSAT: cpsat_candidates,
    GeneratorName.LINE: line_candidates,
    GeneratorName.MIXED: mixed_candidates,
    GeneratorName.PERTURB: perturb_candidates,
    GeneratorName.QAP: qap_candidates,
    GeneratorName.RANDOM: random_candidates,
}


def generate(name: str, layout: Layout, budget: int, seed: int = 0) -> Iterator[Layout]:
    """Up to `budget` distinct candidate layouts from the generator called `name`; the same
    seed gives the same sequence."""
    generator = GENERATORS[GeneratorName.parse(name)]  # InputError listing the valid names
    if budget < 0:
        raise ValueError(f"budget must not be negative, got {budget}")
    block_layout, groups = merged(layout)
    candidates = generator(block_layout, int(budget), np.random.default_rng(seed))
    return (expanded(layout, groups, c) for c in candidates) if groups else candidates
