"""The `line` generator: the stations in flow order laid out in rows an aisle apart, as a
straight line, a U or a snake, from the receiving dock's side of the floor. The QAP and
CP-SAT searches rarely find such a row when it spans the floor (they fold it against the
walls); built directly, it is an elite the perturbation refines."""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from twin.model import Layout

from optimizer.placement.driver import drive_one
from optimizer.placement.flow_cost import choose_rotations
from optimizer.placement.flow_targets import flow_group
from optimizer.placement.legality import legalise
from optimizer.placement.plans import Plan, fixed_plan
from optimizer.placement.site import EPS, Site


def _flow_lines(site: Site) -> list[list[int]]:
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
    # groups: the movable stations that flows link, each found whole by `flow_group`
    groups: list[list[int]] = []
    for s in movable:
        if not any(s in members for members in groups):
            groups.append(flow_group(site, s, len(movable)))
    weight = [float(flow[members].sum() + flow[:, members].sum()) for members in groups]
    ordered = [groups[g] for g in sorted(range(len(groups)), key=lambda g: (-weight[g], groups[g][0]))]
    return [sorted(members, key=lambda s: (step[s], s)) for members in ordered]


def _along(site: Site, s: int, axis: int, sign: int) -> int:
    """The rotation that points station s's flow (input port to output port) most along the
    direction `sign` on `axis`."""
    return max(range(4), key=lambda r: (sign * (site.out_off[s, r, axis] - site.in_off[s, r, axis]), -r))


def line_source(site: Site, rng: np.random.Generator) -> Iterator[Plan | None]:
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
    base = fixed_plan(site)
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
        if not legalise(site, plan, movers, targets, rotations):
            plan = base.copy()
            if not legalise(site, plan, movers, targets):
                yield None
                continue
        choose_rotations(site, plan, site.movable)
        yield plan


def line_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Flow lines: the stations in flow order in rows between the docks (`line_source`)."""
    yield from drive_one(layout, budget, lambda site: line_source(site, rng))
