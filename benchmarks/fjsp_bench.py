"""Flexible job shops: our scheduler next to PyJobShop's flexible job-shop model on CP-SAT.

Each `.fjs` file is solved by `factory-twin bench fjsp` (`optimizer.fjsp.bench_instances`) and
by PyJobShop (`pyjobshop.read` + `pyjobshop.solve(solver="ortools")`: an optional interval per
machine mode, NoOverlap per machine, end-before-start precedences, makespan) at the same time
limit and number of workers, one after the other. PyJobShop's answer is converted to our
Schedule and checked by `optimizer.schedule.check_schedule` like ours, never trusted. The gap
is to the best known makespan (`upper` in bounds.json). PyJobShop is a benchmark-only
dependency (`pip install pyjobshop`). The 1-minute load average of the shared machine is
recorded with every instance.

    .venv/bin/python benchmarks/fjsp_bench.py [FILES...] [--time-limit 60] [--workers 2]
        [--out benchmarks/results/fjsp.md]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.tables import mean, write_markdown  # noqa: E402
from optimizer.fjsp import bench_instances, machine_id, read_fjs  # noqa: E402
from optimizer.problem import SchedulingProblem  # noqa: E402
from optimizer.schedule import Schedule, check_schedule, make_schedule  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared/benchmarks/fjsp"


def pyjobshop_schedule(path: Path, problem: SchedulingProblem, time_limit: float, workers: int,
                       seed: int) -> tuple[Schedule | None, float]:
    """PyJobShop's answer as our Schedule (None when it found none) and its wall seconds. Its
    reader adds the tasks job by job in file order, so task t is our (job, operation) number t."""
    try:
        import pyjobshop
    except ImportError:
        raise SystemExit("benchmarks/fjsp_bench.py needs PyJobShop: .venv/bin/pip install -e '.[bench]'") from None

    data = pyjobshop.read(path)
    started = time.perf_counter()
    result = pyjobshop.solve(data, solver="ortools", time_limit=time_limit, num_workers=workers, random_seed=seed)
    seconds = time.perf_counter() - started
    if not result.best.tasks:
        return None, seconds
    keys = [(j, k) for j, job in enumerate(problem.jobs) for k in range(len(job.operations))]
    placed = {
        key: (machine_id(task.resources[0] + 1), 0, task.start) for key, task in zip(keys, result.best.tasks)
    }
    status = "optimal" if result.status.value == "Optimal" else "feasible"
    return make_schedule(problem, placed, status=status, lower_bound=result.lower_bound, objective="makespan",
                         solver="pyjobshop"), seconds


def gap(value: float | None, best: float | None) -> float | None:
    if value is None or not best:
        return None
    return 100.0 * (value - best) / best


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help=f"instance files (default: every *.fjs in {DEFAULT_DIR})")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bounds", default=str(DEFAULT_DIR / "bounds.json"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/fjsp.md"))
    args = parser.parse_args(argv)

    files = [Path(f) for f in args.files] or sorted(DEFAULT_DIR.glob("*.fjs"))
    bounds = json.loads(Path(args.bounds).read_text()) if Path(args.bounds).exists() else {}
    header = (
        "| instance | best known | ours makespan | ours bound | ours gap | ours s | PyJobShop makespan "
        "| PyJobShop bound | PyJobShop gap | PyJobShop s | load avg | valid |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    print(header, flush=True)
    rows, ours_gaps, theirs_gaps, worse, shorter = [header], [], [], [], []
    for path in files:
        problem = read_fjs(path)
        best = bounds.get(problem.name, {}).get("upper")
        load = os.getloadavg()[0]
        (ours,) = bench_instances([path], time_limit=args.time_limit, workers=args.workers, seed=args.seed)
        theirs, theirs_s = pyjobshop_schedule(path, problem, args.time_limit, args.workers, args.seed)
        valid = ours["valid"] and (theirs is None or not check_schedule(problem, theirs))
        ours_gap = gap(ours["makespan"], best)
        theirs_gap = gap(theirs.makespan if theirs else None, best)
        if ours_gap is not None and theirs_gap is not None:
            ours_gaps.append(ours_gap)
            theirs_gaps.append(theirs_gap)
        if theirs is not None and ours["makespan"] > theirs.makespan:
            worse.append(problem.name)
        if theirs is None or ours["makespan"] < theirs.makespan:
            shorter.append(problem.name)
        row = (
            f"| {problem.name} | {best if best is not None else '-'} | {ours['makespan']} | {ours['lower_bound']} "
            f"| {cell(ours_gap)} | {ours['seconds']:.1f} "
            + (
                f"| {theirs.makespan} | {math.ceil(theirs.lower_bound - 1e-6)} | {cell(theirs_gap)} | {theirs_s:.1f} "
                if theirs is not None else "| none | - | - | - "
            )
            + f"| {load:.1f} | {'yes' if valid else 'NO'} |"
        )
        rows.append(row)
        print(row, flush=True)
    summary = (
        f"Mean gap to the best known: ours {mean(ours_gaps):.2f} %, PyJobShop {mean(theirs_gaps):.2f} % "
        f"over {len(ours_gaps)} instances." if ours_gaps else "No best-known values for these instances."
    ) + f" Ours shorter than PyJobShop on {len(shorter)} of {len(files)}; worse on: {', '.join(worse) or 'none'}."
    print(summary)
    intro = (
        f"Time limit {args.time_limit:g} s per instance and solver, {args.workers} workers, seed {args.seed}, "
        f"one after the other; Python {platform.python_version()}, ortools {_version('ortools')}, "
        f"pyjobshop {_version('pyjobshop')}, {platform.machine()}. 'ours' is `factory-twin bench fjsp`; "
        "both schedules checked by `optimizer.schedule.check_schedule` (column valid). Gap = (makespan - best "
        "known) / best known. 'load avg' is the 1-minute load average of the shared 2-core machine when "
        "the instance started."
    )
    reproduce = (
        f"Reproduce: `.venv/bin/python benchmarks/fjsp_bench.py {' '.join(args.files) + ' ' if args.files else ''}"
        f"--time-limit {args.time_limit:g} --workers {args.workers} --seed {args.seed}` "
        "(needs PyJobShop: `.venv/bin/pip install -e '.[bench]'`)."
    )
    write_markdown(args.out, "Flexible job shops: ours against PyJobShop on CP-SAT", intro, rows, [summary, reproduce])
    return 0


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    sys.exit(main())
