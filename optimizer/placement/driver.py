"""The loop every generator shares: pull plans from endless sources (None for a failed
attempt) in a fixed pattern, drop duplicates, stop at the budget or when the sources idle,
and hand each new plan out as a layout."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count

from twin.model import Layout

from optimizer.placement.elites import Elites
from optimizer.placement.flow_cost import proxy_cost
from optimizer.placement.plans import Plan, plan_key, to_layout
from optimizer.placement.site import Site, site_of


# stop a generator after this many proposals in a row that were failures or duplicates
MAX_IDLE = 400


def drive(layout: Layout, site: Site, budget: int, sources: list[Iterator[Plan | None]], pattern: list[int],
          elites: Elites | None = None) -> Iterator[Layout]:
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
        key = None if plan is None else plan_key(site, plan)
        if key is None or key in seen:
            idle[which] += 1
            if idle[which] >= MAX_IDLE:
                alive.discard(which)
            continue
        idle[which] = 0
        seen.add(key)
        if elites is not None:
            elites.add(proxy_cost(site, plan), plan)
        produced += 1
        yield to_layout(site, plan, layout)


def drive_one(layout: Layout, budget: int, source: Callable[[Site], Iterator[Plan | None]]) -> Iterator[Layout]:
    """`drive` with one source, made from the layout's site; nothing when nothing is movable."""
    site = site_of(layout)
    if len(site.movable) == 0:
        return
    yield from drive(layout, site, budget, [source(site)], [0])
