"""Re-check a finished search run with 10x the replications: do its top three keep their order?

Simulates the run's top three designs and the as-is layout again with fresh random numbers
(common to the four), stores the replications in the run database, adds the result to the
run's report.md and prints it. An interrupted re-check resumes where it stopped.
"""
from __future__ import annotations

import argparse

from optimizer.cli import arguments
from optimizer.names import Backend


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="the run folder of a finished `factory-twin optimize`")
    parser.add_argument("--factor", type=arguments.positive_int, default=10,
                        help="times the replications the top designs got in the run (default 10)")
    parser.add_argument("--workers", type=arguments.workers, default=2, help="worker processes or Ray CPUs (default 2)")
    parser.add_argument("--backend", choices=Backend.names(), default="local", help="local processes (default) or Ray tasks")
    parser.add_argument("--address", help="Ray cluster address (default: start a local Ray)")


def run(args: argparse.Namespace) -> int:
    # imported here: building the parser imports every command's module
    from twin.errors import InputError
    from twin.physics import Physics

    from optimizer.report import write_report
    from optimizer.search.recheck import recheck_markdown, recheck_run
    from optimizer.search.results import result_from_store
    from optimizer.search.yardstick import Yardstick
    from optimizer.store import RunStore

    arguments.check_local_workers(args.workers, args.backend, args.address)
    if args.address and args.backend != "ray":
        raise InputError("an address is only used with the ray backend")
    with RunStore.open(args.run, write=True) as store:
        with Physics() as physics:
            yardstick = Yardstick.of_run(store, physics)
            recheck = recheck_run(store, yardstick, args.factor, args.workers, args.backend, args.address)
        path = write_report(result_from_store(store), yardstick.base, store)
    for line in recheck_markdown(recheck):
        print(line)
    print(f"\nreport: {path}")
    return 0
