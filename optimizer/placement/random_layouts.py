"""The `random` generator: random legal layouts, no search, the baseline the others must
beat."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from twin.model import Layout

from optimizer.placement.driver import drive_one
from optimizer.placement.legality import legalise
from optimizer.placement.plans import Plan, fixed_plan
from optimizer.placement.site import Site


def _random_source(site: Site, rng: np.random.Generator) -> Iterator[Plan | None]:
    """Random legal plans: every movable station at the free spot nearest a uniformly random
    point of the floor, in a random order (the random baseline, not a search)."""
    base = fixed_plan(site)
    movable = [int(s) for s in site.movable]
    while True:
        plan = base.copy()
        order = [movable[q] for q in rng.permutation(len(movable))]
        targets = [(rng.uniform(0, site.width), rng.uniform(0, site.depth)) for _ in order]
        yield plan if legalise(site, plan, order, targets) else None


def random_candidates(layout: Layout, budget: int, rng: np.random.Generator) -> Iterator[Layout]:
    """Random legal layouts: the baseline a search must beat (`--generator random`)."""
    yield from drive_one(layout, budget, lambda site: _random_source(site, rng))
