"""Where the exact AGV routes model stops paying: the sample factories' scheduling problems cut
to their first N lots (so the number of possible AGV trips grows with N), each solved at the
same limit and workers twice: with the exact routes model forced (`optimizer.vehicles`,
EXACT_MOVES raised above the size) and with the fleet cap re-timed afterwards (EXACT_MOVES 0).

For each size the table gives the possible AGV trips, the dispatching rules' makespan (the
warm start both get), and for each model the makespan, whether CP-SAT's own answer came back
(`cpsat`) or the warm start did (`dispatch`), and its lower bound. The threshold in
`optimizer.vehicles.EXACT_MOVES` is read off this table.

    .venv/bin/python benchmarks/vehicle_routes_bench.py [--layout layouts/auto_parts.yaml]
        [--lots 4 8 12 16 20 24] [--time-limit 10] [--workers 2] [--seeds 0]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.tables import write_markdown  # noqa: E402
from optimizer import dispatch, vehicles  # noqa: E402
from optimizer.problem import SchedulingProblem, layout_problem  # noqa: E402
from optimizer.schedule import check_schedule  # noqa: E402
from optimizer.scheduler import solve  # noqa: E402


def sample_problem(path: Path) -> SchedulingProblem:
    from twin.io import load_layout
    from twin.physics import Physics, task_times

    layout = load_layout(path)
    with Physics() as physics:
        return layout_problem(layout, task_times(layout, path.parent, physics))


def first_lots(problem: SchedulingProblem, n: int) -> SchedulingProblem:
    """The problem with its first `n` lots, taken round-robin over the products so every
    product's routing appears."""
    by_product: dict[str, list] = {}
    for job in problem.jobs:
        by_product.setdefault(job.product, []).append(job)
    picked, round_ = [], 0
    while len(picked) < min(n, len(problem.jobs)):
        for jobs in by_product.values():
            if round_ < len(jobs) and len(picked) < n:
                picked.append(jobs[round_])
        round_ += 1
    return replace(problem, jobs=tuple(picked))


def run_model(problem: SchedulingProblem, exact: bool, time_limit: float, workers: int, seed: int):
    saved = vehicles.EXACT_MOVES
    vehicles.EXACT_MOVES = 10**9 if exact else 0
    try:
        started = time.perf_counter()
        schedule = solve(problem, time_limit=time_limit, workers=workers, seed=seed)
        return schedule, time.perf_counter() - started
    finally:
        vehicles.EXACT_MOVES = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", default=str(ROOT / "layouts/auto_parts.yaml"))
    parser.add_argument("--lots", nargs="+", type=int, default=[4, 8, 12, 16, 20, 24])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/vehicle_routes.md"))
    args = parser.parse_args(argv)

    full = sample_problem(Path(args.layout))
    header = ("| lots | AGV trips | seed | dispatch | routes makespan | routes answer | routes bound | routes s "
              "| cap makespan | cap answer | cap bound | cap s | load avg | valid |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(header, flush=True)
    rows = [header]
    for n in args.lots:
        problem = first_lots(full, n)
        trips = max(vehicles.moves_per_fleet(problem).values(), default=0)
        rule = dispatch.solve(problem).makespan
        for seed in args.seeds:
            load = os.getloadavg()[0]
            routes, routes_s = run_model(problem, True, args.time_limit, args.workers, seed)
            cap, cap_s = run_model(problem, False, args.time_limit, args.workers, seed)
            valid = not check_schedule(problem, routes) and not check_schedule(problem, cap)
            row = (f"| {len(problem.jobs)} | {trips} | {seed} | {rule} | {routes.makespan} | {routes.solver} | "
                   f"{routes.lower_bound:.0f} | {routes_s:.1f} | {cap.makespan} | {cap.solver} | {cap.lower_bound:.0f} | "
                   f"{cap_s:.1f} | {load:.1f} | {'yes' if valid else 'NO'} |")
            rows.append(row)
            print(row, flush=True)
    intro = (f"The scheduling problem of `{Path(args.layout).name}` cut to its first lots (round-robin over its "
             f"products); in ticks. Time limit {args.time_limit:g} s, {args.workers} workers, both models one after "
             f"the other, each with the dispatching-rule warm start; Python {platform.python_version()}. 'answer' "
             "is `cpsat` when CP-SAT's schedule came back, `dispatch` when the warm start did (CP-SAT found "
             "nothing better in time). 'load avg' is the 1-minute load average of the shared 2-core machine.")
    reproduce = (f"Reproduce: `.venv/bin/python benchmarks/vehicle_routes_bench.py --lots {' '.join(map(str, args.lots))} "
                 f"--time-limit {args.time_limit:g} --workers {args.workers} --seeds {' '.join(map(str, args.seeds))}`.")
    write_markdown(args.out, "AGV routes model against the fleet cap, by size", intro, rows, [reproduce])
    return 0


if __name__ == "__main__":
    sys.exit(main())
