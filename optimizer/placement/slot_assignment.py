"""The `qap` generator: slot assignment as a quadratic assignment problem (flow x Manhattan
distance between slot centres, fixed stations and docks pinned) solved by tabu search
(`optimizer.qap`); the best assignments are legalised onto the lattice and jittered."""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from twin.geometry import station_rect, zone_rect
from twin.model import Layout

from optimizer.placement.driver import drive_one
from optimizer.placement.flow_cost import choose_rotations
from optimizer.placement.legality import legalise, legalise_order
from optimizer.placement.plans import Plan, fixed_plan
from optimizer.placement.site import Site, pinned_items


def _slot_grid(site: Site, rng: np.random.Generator, n_slots: int) -> np.ndarray:
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


def qap_source(site: Site, rng: np.random.Generator, iterations: int | None = None,
               keep: int = 4, variants: int = 6) -> Iterator[Plan | None]:
    """Tabu search on a jittered slot grid; its best few assignments, each legalised in a few
    jittered variants."""
    from optimizer.qap import solve_qap

    movable = [int(s) for s in site.movable]
    n_m = len(movable)
    pinned, pinned_xy = pinned_items(site)
    items = movable + pinned
    sym = site.flow + site.flow.T
    flow = sym[np.ix_(items, items)]
    if iterations is None:
        iterations = 300 + 40 * n_m
    base = fixed_plan(site)
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
                order = legalise_order(site, rng, 0.0 if v == 0 else 0.5)
                plan = base.copy()
                if not legalise(site, plan, order, [tuple(targets_by_station[s]) for s in order]):
                    yield None
                    continue
                choose_rotations(site, plan, movable)
                yield plan


def qap_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Slot assignment by QAP tabu search, legalised and jittered."""
    yield from drive_one(layout, budget, lambda site: qap_source(site, rng))
