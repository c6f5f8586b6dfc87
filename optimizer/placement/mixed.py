"""The `mixed` generator, the search's default: flow lines, QAP, CP-SAT and perturbation
interleaved in a fixed pull pattern, perturbing the best candidates of all of them."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from twin.model import Layout

from optimizer.placement.cpsat import cpsat_source
from optimizer.placement.driver import drive
from optimizer.placement.elites import Elites
from optimizer.placement.flow_cost import proxy_cost
from optimizer.placement.flow_lines import line_source
from optimizer.placement.legality import legal_start
from optimizer.placement.perturbation import perturb_source
from optimizer.placement.plans import Plan
from optimizer.placement.site import Site
from optimizer.placement.slot_assignment import qap_source


def mixed_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """The search's default: flow lines, QAP, CP-SAT and perturbation interleaved, perturbing
    the best candidates of all of them; thousands of candidates come quickly."""
    site, start = legal_start(layout)
    if len(site.movable) == 0:
        return
    elites = Elites()
    if start is not None:
        elites.add(proxy_cost(site, start), start)
    qap = qap_source(site, rng)
    # CP-SAT polishes the elites (restarting from one of them every few solves)
    sources = [qap, cpsat_source(site, rng, restart_every=4, starts=_elite_starts(elites, rng, qap))]
    # per 48 pulls: 3 flow lines, 14 QAP, 1 CP-SAT (a solve takes about a second), 30
    # perturbations of elites (the flow lines' best among them from the first cycle on)
    cycle = [0, 2, 0, 2, 0, 2, 2, 2, 0, 2, 0, 2, 0, 2, 2, 2]
    pattern = [3] + cycle[1:] + [3] + cycle[1:] + [3] + cycle[1:12] + [1] + cycle[13:]
    if start is None:  # perturbation waits for the first elites
        sources.append(_late_perturb(site, elites, rng))
    else:
        sources.append(perturb_source(site, elites, rng))
    sources.append(line_source(site, rng))
    yield from drive(layout, site, budget, sources, pattern, elites)


def _elite_starts(elites: Elites, rng: np.random.Generator, fallback: Iterator[Plan | None]) -> Iterator[Plan | None]:
    while True:
        yield elites.pick(rng).copy() if elites.items else next(fallback)


def _late_perturb(site: Site, elites: Elites, rng: np.random.Generator) -> Iterator[Plan | None]:
    while not elites.items:
        yield None
    yield from perturb_source(site, elites, rng)
