"""The `cpsat` generator: CP-SAT placement on the lattice with `AddNoOverlap2D`, rotation as a
choice of boxes, keep-outs and fixed stations as fixed boxes, the flow proxy as objective;
a large-neighbourhood search whose every improving solution is a candidate."""
from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import count

import numpy as np

from twin.model import Layout

from optimizer.placement.driver import drive_one
from optimizer.placement.flow_cost import choose_rotations, proxy_cost
from optimizer.placement.legality import legalise, legalise_order
from optimizer.placement.plans import Plan, fixed_plan
from optimizer.placement.site import Site, pinned_items
from optimizer.placement.slot_assignment import qap_source


def _cpsat_solve(site: Site, rng: np.random.Generator, det_time: float, hint: Plan | None,
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
    # feeds, in half cells (as `proxy_cost`: with centres instead, turning a long station
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
    pinned, pinned_xy = pinned_items(site)
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


def cpsat_source(site: Site, rng: np.random.Generator, det_time: float = 0.15,
                 restart_every: int = 12, starts: Iterator[Plan | None] | None = None) -> Iterator[Plan | None]:
    """CP-SAT large-neighbourhood search: from a start (a QAP assignment legalised, or a
    random legal plan), repeatedly free a few stations anywhere and let the rest shift by a
    couple of cells, with jittered flow weights; every improving solution is a candidate and
    the best (by the port-to-port proxy) becomes the next start. Restarts now and then."""
    movable = [int(s) for s in site.movable]
    n_free = min(len(movable), 6)
    base = fixed_plan(site)
    if starts is None:
        starts = qap_source(site, rng, keep=1, variants=1)
    incumbent: Plan | None = None
    incumbent_cost = math.inf
    for step in count():
        if incumbent is None or step % restart_every == 0:
            incumbent = next(starts)
            if incumbent is None:
                incumbent = base.copy()
                targets = [(rng.uniform(0, site.width), rng.uniform(0, site.depth)) for _ in movable]
                if not legalise(site, incumbent, legalise_order(site, rng, 0.5), targets):
                    incumbent = None
            incumbent_cost = math.inf if incumbent is None else proxy_cost(site, incumbent)
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
            choose_rotations(site, plan, movable)
            cost = proxy_cost(site, plan)
            if cost < incumbent_cost:
                incumbent, incumbent_cost = plan, cost
            yield plan


def cpsat_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """CP-SAT placement with two-dimensional no-overlap; every improving solution."""
    yield from drive_one(layout, budget, lambda site: cpsat_source(site, rng))
