"""Search one robot cell's arrangement with physics in the loop: fixture places and turns and
the robot base, inside the footprint, each candidate simulated in PyBullet (reach,
collisions, cycle time), in parallel, cached by hash.

Prints the cycle as given, the best found and the gain; `--out` writes the layout with the
best cell. Waypoints tied to a fixture (`relative_to`) move with it. Exit code 2 when no
arrangement, the given one included, carries every task."""
from __future__ import annotations

import argparse
import json

from optimizer.cli import arguments
from optimizer.names import Backend

DEFAULT_CANDIDATES = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=arguments.input_file, metavar="FILE", help="layout file (YAML or JSON)")
    parser.add_argument("--cell", required=True, metavar="ID", help="the robot-cell station to arrange")
    parser.add_argument("--candidates", type=arguments.positive_int, default=DEFAULT_CANDIDATES,
                        help=f"candidate cells to simulate (default {DEFAULT_CANDIDATES})")
    parser.add_argument("--time-limit", type=arguments.seconds, help="stop after this many seconds (default: none)")
    parser.add_argument("--seed", type=arguments.seed, default=0, help=f"random seed, 0 to {arguments.MAX_SEED} (default 0)")
    parser.add_argument("--workers", type=arguments.workers, default=1, help="worker processes or Ray CPUs (default 1)")
    parser.add_argument("--backend", choices=Backend.names(), default="local", help="local processes (default) or Ray tasks")
    parser.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    parser.add_argument("--keep-base", action="store_true", help="move only the fixtures, not the robot base")
    parser.add_argument("--out", type=arguments.output_file, metavar="FILE", help="write the layout with the best cell here")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--cache-dir", type=arguments.output_dir, metavar="DIR",
                        help="cache folder (default: FACTORY_TWIN_CACHE or ~/.cache/factory-twin/cells)")
    parser.add_argument("--no-cache", action="store_true", help="simulate every candidate afresh, write no cache")


def summary_line(result) -> str:
    """One line: the cycle as given, the best, the gain and the rate."""
    rate = result.evaluated / result.seconds if result.seconds > 0 else 0.0
    given = "fails as given" if result.before is None else f"{result.before:.3f} s as given"
    if result.best is None:
        best = "no candidate carries every task"
    elif result.gain is None:
        best = f"best {result.best:.3f} s"
    else:
        best = f"best {result.best:.3f} s ({100 * result.gain:.1f} % shorter)"
    return (f"{result.station_id}: cycle {given}, {best}; {result.evaluated} candidates simulated "
            f"({result.feasible} feasible) in {result.seconds:.1f} s ({rate:.1f} per second)")


def run(args: argparse.Namespace) -> int:
    from twin.io import load_layout, save_layout
    from twin.physics import Physics

    from optimizer.cell_search import optimize_cell

    arguments.check_local_workers(args.workers, args.backend, args.address)
    layout = load_layout(args.file)
    with Physics(args.cache_dir, use_cache=not args.no_cache) as physics:
        result = optimize_cell(layout, args.file.resolve().parent, args.cell, physics, candidates=args.candidates,
                               time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                               move_base=not args.keep_base, backend=args.backend, address=args.address)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(summary_line(result))
        for problem in result.problems:
            print(f"  as given: {problem}")
    if args.out is not None and result.best is not None:
        best = [s.model_copy(update={"cell": result.cell}) if s.id == args.cell else s for s in layout.stations]
        save_layout(layout.with_stations(best), args.out)
        if not args.json:
            print(f"saved {args.out}")
    return 0 if result.best is not None else 2
