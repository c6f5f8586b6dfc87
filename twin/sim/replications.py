"""Replications with common random numbers: replication r of every layout draws from the
same per-element streams (seed, r, element id), and the results do not depend on how the
replications are spread over workers. The worker pool is the caller's (`twin` knows nothing
of `optimizer.runner`): pass `mapper(fn, context, items)` yielding (item, result) in any order."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from twin.sim.engine import Replication, run_replication
from twin.sim.factory import Factory

Mapper = Callable[[Callable[[Any, int], Replication], Any, Iterable[int]], Iterable[tuple[int, Replication]]]


def replicate(context: tuple[Factory, dict[str, Any]], index: int) -> Replication:
    """Replication `index` (a module-level function, so worker processes can run it); only
    replication 0 keeps a trace."""
    factory, options = context
    options = dict(options, trace=bool(options.get("trace")) and index == 0)
    return run_replication(factory, replication=index, **options)


def inline_mapper(fn, context, items):
    for item in items:
        yield item, fn(context, item)


def run_replications(factory: Factory, replications: int, mapper: Mapper | None = None,
                     **options: Any) -> list[Replication]:
    """`replications` runs of the factory, in replication order (options: see `Simulation`)."""
    results = dict((mapper or inline_mapper)(replicate, (factory, options), range(replications)))
    return [results[i] for i in range(replications)]
