"""Legalisation: stations to the nearest free lattice positions under the occupancy rules
(the raster of obstacles and placed stations), and the repair of a layout's own placements
where they break those rules. Every generator's candidates pass through here, which is why
they are valid by construction."""
from __future__ import annotations

import math

import numpy as np

from twin.geometry import Rect, station_rect, zone_rect
from twin.model import Layout

from optimizer.placement.plans import Plan, plan_of
from optimizer.placement.site import EPS, Site, site_of


def _occupancy(site: Site, plan: Plan, skip) -> np.ndarray:
    """Raster of the obstacles plus every placed movable station not in `skip`."""
    occ = site.base_occ.copy()
    skip = set(int(s) for s in skip)
    for s in site.movable:
        if int(s) in skip or np.isnan(plan.xy[s, 0]):
            continue
        x0, x1, y0, y1 = site.cells(s, plan.xy[s, 0], plan.xy[s, 1], int(plan.rot[s]))
        occ[max(x0, 0):max(x1, 0), max(y0, 0):max(y1, 0)] = True
    return occ


def _place_one(site: Site, occ: np.ndarray, s: int, target: tuple[float, float],
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


def _mark(site: Site, occ: np.ndarray, s: int, k: int, j: int, r: int) -> None:
    lx, ly = site.ext[s, r]
    occ[k:k + lx, j:j + ly] = True


def legalise(site: Site, plan: Plan, movers, targets, rotations=None) -> bool:
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


def legalise_order(site: Site, rng: np.random.Generator | None = None, noise: float = 0.0) -> list[int]:
    """Big stations first (they are hardest to fit), shuffled a little when `rng` is given."""
    keys = -np.array([site.size[s, 0].prod() for s in site.movable])
    if rng is not None:
        keys = keys * np.exp(rng.normal(0.0, noise, len(keys)))
    return [int(site.movable[q]) for q in np.argsort(keys, kind="stable")]


def _conflicts(site: Site, plan: Plan) -> list[int]:
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


def repaired(site: Site, plan: Plan) -> Plan | None:
    """The plan with conflicting (or unplaced) movable stations moved to the nearest free
    spots; failing that, every movable station snapped to the lattice near where it was;
    None if even that finds no room."""
    bad = _conflicts(site, plan)
    if not bad:
        return plan
    centre = (site.width / 2, site.depth / 2)
    for movers in (bad, legalise_order(site)):
        trial = plan.copy()
        targets = [tuple(trial.xy[s]) if not np.isnan(trial.xy[s, 0]) else centre for s in movers]
        for s in movers:
            trial.xy[s] = np.nan
        if legalise(site, trial, movers, targets):
            return trial
    return None


def legal_start(layout: Layout) -> tuple[Site, Plan | None]:
    site = site_of(layout)
    return site, repaired(site, plan_of(site, layout))
