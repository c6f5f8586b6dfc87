"""What the fleet variants cost stage 2: one short-list schedule of the electronics sample's
as-is placement with 1 to 4 AGVs (its `decisions` range), each under the default run's
deterministic budget, in CPU seconds (so the machine's load matters less than for wall time),
with the solver that made it and its makespan.

    .venv/bin/python benchmarks/fleet_variants_bench.py [--layout layouts/electronics_assembly.yaml]

Not a test: its CPU seconds depend on the machine. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from twin.io import load_layout
    from twin.physics import Physics, task_times

    from optimizer.planning import schedule_layout
    from optimizer.search.budget import operation_count, stage2_options
    from optimizer.search.config import SearchConfig
    from optimizer.search.rows import apply_choices

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", default=str(ROOT / "layouts" / "electronics_assembly.yaml"))
    args = parser.parse_args()
    path = Path(args.layout)
    base = load_layout(path)
    fleet = base.decisions.agv_fleet
    sizes = range(fleet.min, fleet.max + 1) if fleet else [base.transport.agv.fleet_size]
    options = stage2_options(SearchConfig(), operation_count(base))
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| AGVs | CPU s | solver | makespan (s) | checked |\n| ---: | ---: | --- | ---: | --- |")
    with Physics() as physics:
        times = task_times(base, path.parent, physics)
        for size in sizes:
            layout = apply_choices(base, {"agv_fleet": size})
            started = time.process_time()
            result = schedule_layout(layout, path.parent, physics, options, task_times=times, validate=False)
            cpu = time.process_time() - started
            print(f"| {size}{' (as-is)' if size == base.transport.agv.fleet_size else ''} | {cpu:.2f} | "
                  f"{result.schedule.solver} | {result.summary().makespan:,.0f} | {'yes' if not result.check else 'no'} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
