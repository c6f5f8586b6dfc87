"""The `perturb` generator and `perturb`, one neighbour of a layout: move, swap, turn, pull
(one station to where its flows want it), settle (pull every station in turn), compact (the
layout drawn together around its flows) and group shift (flow-linked stations moved
together), from the layout itself and the best candidates made so far."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from twin.model import Layout

from optimizer.placement.driver import drive
from optimizer.placement.elites import Elites
from optimizer.placement.flow_cost import choose_rotations, proxy_cost
from optimizer.placement.flow_targets import compact_targets, flow_group, group_shift, pull_target
from optimizer.placement.legality import legal_start, legalise, repaired
from optimizer.placement.plans import Plan, plan_of, to_layout
from optimizer.placement.site import Site, site_of
from optimizer.tending_blocks import expanded, merged


def _pull(site: Site, plan: Plan, s: int) -> bool:
    """Move station s (in place) to the free spot nearest its `pull_target`; False if it has
    no target or no room."""
    target = pull_target(site, plan, s)
    return target is not None and legalise(site, plan, [s], [target])


def _perturb_plan(site: Site, plan: Plan, rng: np.random.Generator, moves: int) -> Plan | None:
    """`moves` random moves; None when none of them found room. The moves: move a station
    near (or anywhere), swap two, turn one, pull one towards where its flows want it
    (`pull_target`), settle (pull every station in turn), compact the whole layout around
    its flows (`compact_targets`) or shift a group of flow-linked stations together
    (`flow_group`, `group_shift`): the last four gather scattered flow partners and line
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
            ok = legalise(site, trial, [s], [target])
            moved = [s]
        elif kind == 1:  # swap two stations
            s, t = (int(v) for v in rng.choice(movable, 2, replace=False))
            order = sorted((s, t), key=lambda q: -site.size[q, 0].prod())
            targets = [tuple(plan.xy[t if q == s else s]) for q in order]
            ok = legalise(site, trial, order, targets)
            moved = order
        elif kind == 2:  # turn one station
            s = int(rng.choice(movable))
            r = int((plan.rot[s] + rng.integers(1, 4)) % 4)
            ok = legalise(site, trial, [s], [tuple(plan.xy[s])], rotations=[[r]])
            moved = []
        elif kind == 3:  # pull one station towards its flow partners
            s = int(rng.choice(movable))
            ok = _pull(site, trial, s)
            moved = [s]
        elif kind == 4:  # compact: every movable station towards the flows' centre, keeping its turn
            moved, targets = compact_targets(site, plan, float(rng.uniform(0.3, 0.9)))
            ok = legalise(site, trial, moved, targets, rotations=[[int(plan.rot[q])] for q in moved])
        elif kind == 5:  # settle: pull every movable station in turn, in a random order
            moved = [int(q) for q in rng.permutation(movable)]
            pulled = [_pull(site, trial, q) for q in moved]
            ok = any(pulled)
        else:  # shift a group of flow-linked stations together towards its outside flows
            moved = flow_group(site, int(rng.choice(movable)), int(rng.integers(2, len(movable) + 1)))
            shift = group_shift(site, plan, moved)
            ok = shift is not None and legalise(
                site, trial, moved, [tuple(plan.xy[q] + shift) for q in moved],
                rotations=[[int(plan.rot[q])] for q in moved])
        if not ok:
            continue
        if moved:
            choose_rotations(site, trial, moved, sweeps=1)
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
    site = site_of(layout)
    plan = repaired(site, plan_of(site, layout))
    if plan is None:
        return whole
    child = _perturb_plan(site, plan, rng, max(1, int(moves)))
    return whole if child is None else expanded(whole, groups, to_layout(site, child, layout))


def perturb_source(site: Site, elites: Elites, rng: np.random.Generator) -> Iterator[Plan | None]:
    while True:
        parent = elites.pick(rng)
        yield _perturb_plan(site, parent, rng, int(rng.integers(1, 4)))


def perturb_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Moves, swaps and turns from the layout (repaired where it breaks the clearance
    rules) and from the best candidates made so far."""
    site, start = legal_start(layout)
    if len(site.movable) == 0 or start is None:
        return
    elites = Elites()
    elites.add(proxy_cost(site, start), start)
    yield from drive(layout, site, budget, [perturb_source(site, elites, rng)], [0], elites)
