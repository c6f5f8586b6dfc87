"""What one stage-2 schedule costs: the as-is layout of a sample scheduled as the layout search
schedules every design (`optimizer.search.budget.stage2_options`: one CP-SAT worker, a
deterministic budget sized to the problem), for a few seeds and search time limits, one after
the other in this process. Prints the CPU seconds per schedule and each seed's solver and
makespan (and the metres its AGVs drive empty, the schedule's `agv_empty_distance`), so a
slower stage 2 can be told apart as more CPU per schedule or more schedules.

    .venv/bin/python benchmarks/stage2_budget_bench.py [LAYOUT] [--time-limits 1.0,1.5] [--seeds 6]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from optimizer.planning import schedule_layout  # noqa: E402
from optimizer.search.budget import operation_count, stage2_options  # noqa: E402
from optimizer.search.config import SearchConfig  # noqa: E402
from twin.io import load_layout  # noqa: E402
from twin.physics import Physics, task_times  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layout", nargs="?", default=str(ROOT / "layouts" / "electronics_assembly.yaml"))
    parser.add_argument("--time-limits", default="1.5", help="the search's --time-limit values, comma-separated")
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args()
    path = Path(args.layout)
    layout = load_layout(path)
    physics = Physics()
    times = task_times(layout, path.parent, physics)
    for limit in (float(v) for v in args.time_limits.split(",")):
        options = stage2_options(SearchConfig(time_limit=limit), operation_count(layout))
        runs, cpu = [], 0.0
        for seed in range(args.seeds):
            started = time.process_time()
            result = schedule_layout(layout, path.parent, physics, replace(options, seed=seed), task_times=times,
                                     validate=False)
            cpu += time.process_time() - started
            summary = result.summary()
            runs.append(f"{result.schedule.solver} {summary.makespan:,.0f} (empty {summary.kpis.agv_empty_distance:,.0f} m)")
        print(f"--time-limit {limit:g} ({options.deterministic_time:.2f} units): {cpu / args.seeds:.2f} CPU s a "
              f"schedule; seeds 0-{args.seeds - 1}: {', '.join(runs)}", flush=True)


if __name__ == "__main__":
    main()
