"""Replications with common random numbers: replication r of every layout draws from the
same per-element streams (seed, r, element id), and the results do not depend on how the
replications are spread over workers. The worker pool is the caller's (`twin` knows nothing
of `optimizer.runner`): pass `mapper(fn, context, items)` yielding (item, result) in any order."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.clock import CommandClock
from twin.model import Layout
from twin.sim.engine import Replication, run_replication
from twin.sim.factory import Factory

if TYPE_CHECKING:
    from twin.physics import Physics

STEADY_HORIZON = 8 * 3600.0  # seconds simulated when a product has a steady demand rate (a working day)

Mapper = Callable[[Callable[[Any, int], Replication], Any, Iterable[int]], Iterable[tuple[int, Replication]]]


def prepare(layout: Layout, layout_dir: Path | None, physics: Physics, source: str,
            clock: CommandClock | None = None) -> tuple[Layout, Factory]:
    """The validated layout and its compiled factory (robot-cell cycles from physics): what
    every evaluation of one design starts from, the CLI's and the app's alike."""
    from twin.physics import task_times
    from twin.sim.factory import compile_factory
    from twin.validate import validate_layout

    layout = validate_layout(layout, layout_dir, physics, source=source, clock=clock)
    return layout, compile_factory(layout, task_times(layout, layout_dir, physics, clock))


def default_horizon(layout: Layout) -> float | None:
    """None (until every lot is done) for a layout's lots; a working day for steady demand."""
    return STEADY_HORIZON if any(p.rate is not None for p in layout.products) else None


def until_stopped(stopped: Callable[[], bool], finished: Callable[[int], None]) -> Mapper:
    """Replications one after another in this process until `stopped()` says so, calling
    `finished(count)` after each (the app's background job: progress and a Stop button)."""
    def mapper(fn, context, items):
        for count, item in enumerate(items, 1):
            if stopped():
                return
            yield item, fn(context, item)
            finished(count)
    return mapper


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
    """`replications` runs of the factory, in replication order (options: see `Simulation`);
    fewer when the mapper stopped early (those before the first one missing)."""
    results = dict((mapper or inline_mapper)(replicate, (factory, options), range(replications)))
    done = []
    while len(done) < replications and len(done) in results:
        done.append(results[len(done)])
    return done
