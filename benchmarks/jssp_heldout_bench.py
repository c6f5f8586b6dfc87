"""Held-out job shops: our scheduler next to the minimal CP-SAT model on Taillard-style random
instances that the shared folder does not hold (15x15, 20x15, 20x20 by default).

The instances come from `benchmarks.jssp_baseline.taillard_problem` (Taillard's generator:
given his published seeds it reproduces his instances), so the same seeds give the same
instances. The two solvers run one after the other on each instance with the same time limit
and workers; both answers are checked by `optimizer.schedule.check_schedule`. With no known
optimum, the gap is measured to the best lower bound either solver proved.

    .venv/bin/python benchmarks/jssp_heldout_bench.py [--sizes 15x15 20x15 20x20]
        [--seeds 1 2 3 4] [--time-limit 10] [--workers 2] [--seed 0] [--out benchmarks/results/jssp_heldout.md]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.jssp_baseline import minimal_model, taillard_problem  # noqa: E402
from benchmarks.tables import mean, write_markdown  # noqa: E402
from optimizer import jobshop_tabu  # noqa: E402
from optimizer.schedule import check_schedule  # noqa: E402
from optimizer.scheduler import solve  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["15x15", "20x15", "20x20"], help="NxM (jobs x machines)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4], help="generator seeds, per size")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="both solvers' random seed")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/jssp_heldout.md"))
    args = parser.parse_args(argv)

    header = (
        "| instance | ours makespan | ours bound | ours s | minimal makespan | minimal bound | minimal s "
        "| best bound | ours gap | minimal gap | load avg | valid |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    print(header, flush=True)
    jobshop_tabu.warm_up()  # the compiled tabu search loaded before the first clock starts, as CP-SAT is
    rows, ours_gaps, minimal_gaps, worse = [header], [], [], []
    for size in args.sizes:
        n_jobs, n_machines = (int(x) for x in size.split("x"))
        for seed in args.seeds:
            problem = taillard_problem(n_jobs, n_machines, seed)
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            ours = solve(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
            ours_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            base = minimal_model(problem, args.time_limit, args.workers, args.seed)
            base_s = time.perf_counter() - t0
            valid = not check_schedule(problem, ours) and (base is None or not check_schedule(problem, base))
            bound = max(math.ceil(ours.lower_bound - 1e-6), math.ceil(base.lower_bound - 1e-6) if base else 0)
            ours_gap = 100.0 * (ours.makespan - bound) / bound
            ours_gaps.append(ours_gap)
            base_cells = "| - | - | - "
            base_gap_cell = "-"
            if base is not None:
                base_gap = 100.0 * (base.makespan - bound) / bound
                minimal_gaps.append(base_gap)
                base_cells = f"| {base.makespan} | {math.ceil(base.lower_bound - 1e-6)} | {base_s:.1f} "
                base_gap_cell = f"{base_gap:.2f}%"
                if ours.makespan > base.makespan:
                    worse.append(problem.name)
            row = (
                f"| {problem.name} | {ours.makespan} | {math.ceil(ours.lower_bound - 1e-6)} | {ours_s:.1f} "
                + base_cells
                + f"| {bound} | {ours_gap:.2f}% | {base_gap_cell} | {load:.1f} | {'yes' if valid else 'NO'} |"
            )
            rows.append(row)
            print(row, flush=True)
    summary = (
        f"Mean gap to the best proven bound: ours {mean(ours_gaps):.2f} %, minimal {mean(minimal_gaps):.2f} % "
        f"over {len(ours_gaps)} instances. Ours worse than minimal on: {', '.join(worse) or 'none'}."
    )
    print(summary)
    intro = (
        f"Taillard-style instances (sizes {' '.join(args.sizes)}, seeds {' '.join(map(str, args.seeds))}); "
        f"time limit {args.time_limit:g} s per instance and solver, {args.workers} workers, seed {args.seed}, one after the other; "
        f"Python {platform.python_version()}, {platform.machine()}. 'load avg' is the 1-minute load average "
        "of the shared 2-core machine when the instance started. Gap = (makespan - best bound) / best bound, "
        "the best bound being the larger of the two proven lower bounds."
    )
    reproduce = (
        f"Reproduce: `.venv/bin/python benchmarks/jssp_heldout_bench.py --time-limit {args.time_limit:g} "
        f"--workers {args.workers} --seed {args.seed}`."
    )
    write_markdown(args.out, "Held-out job shops: ours against the minimal CP-SAT model", intro, rows,
                   [summary, reproduce], keep_earlier="Earlier runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
