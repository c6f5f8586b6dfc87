"""Job-shop benchmark: our scheduler next to a minimal CP-SAT job-shop model.

The minimal model is the textbook one (one interval per operation, NoOverlap per machine,
precedence, minimise the makespan) with the same time limit and workers; it shows what the
layout-aware model, the dispatching warm start and the horizon cost or gain on plain job
shops. Both answers are checked by `optimizer.schedule.check_schedule`, never trusted.

    .venv/bin/python benchmarks/jssp_bench.py [FILES...] [--time-limit 10] [--workers 2]
        [--out benchmarks/results/jssp.md]

Writes a markdown table (default benchmarks/results/jssp.md) and prints each row as it goes.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.jssp_baseline import minimal_model  # noqa: E402
from benchmarks.tables import write_markdown  # noqa: E402
from optimizer.jssp import bench_instances, read_jssp  # noqa: E402
from optimizer.schedule import check_schedule  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared/benchmarks/jssp"


def gap_to(value: float, optimum: float | None) -> str:
    if optimum is None or value is None:
        return "-"
    return f"{100.0 * (value - optimum) / optimum:.2f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help=f"instance files (default: every *.txt in {DEFAULT_DIR})")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bounds", default=str(DEFAULT_DIR / "bounds.json"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/jssp.md"))
    parser.add_argument("--skip-minimal", action="store_true", help="run only our scheduler")
    args = parser.parse_args(argv)

    files = [Path(f) for f in args.files] or sorted(DEFAULT_DIR.glob("*.txt"), key=_order)
    bounds = json.loads(Path(args.bounds).read_text()) if Path(args.bounds).exists() else {}
    header = (
        "| instance | size | optimum | ours makespan | ours bound | ours optimal | ours gap to opt | ours s "
        "| minimal makespan | minimal bound | minimal gap to opt | minimal s | valid |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [header]
    print(header, flush=True)
    summary = {"ours_optimal": 0, "minimal_optimal": 0, "ours_better": 0, "minimal_better": 0, "n": 0}
    for file in files:
        problem = read_jssp(file)
        optimum = bounds.get(problem.name, {}).get("optimum")
        size = f"{len(problem.jobs)}x{len(problem.capacities)}"
        # ours exactly as `factory-twin bench jssp` runs it (timed, checked by check_schedule)
        (ours,) = bench_instances([file], time_limit=args.time_limit, workers=args.workers, seed=args.seed)
        valid = ours["valid"]
        if args.skip_minimal:
            base, base_s = None, 0.0
        else:
            t0 = time.perf_counter()
            base = minimal_model(problem, args.time_limit, args.workers, args.seed)
            base_s = time.perf_counter() - t0
            valid = valid and (base is None or not check_schedule(problem, base))
        summary["n"] += 1
        summary["ours_optimal"] += ours["optimal"]
        if base is not None:
            summary["minimal_optimal"] += base.status == "optimal"
            summary["ours_better"] += ours["makespan"] < base.makespan
            summary["minimal_better"] += base.makespan < ours["makespan"]
        row = (
            f"| {problem.name} | {size} | {optimum if optimum is not None else '-'} | {ours['makespan']} "
            f"| {ours['lower_bound']} | {'yes' if ours['optimal'] else 'no'} "
            f"| {gap_to(ours['makespan'], optimum)} | {ours['seconds']:.1f} "
            + (
                f"| {base.makespan} | {math.ceil(base.lower_bound - 1e-6)} | {gap_to(base.makespan, optimum)} | {base_s:.1f} "
                if base is not None else "| - | - | - | - "
            )
            + f"| {'yes' if valid else 'NO'} |"
        )
        rows.append(row)
        print(row, flush=True)
    intro = (
        f"Time limit {args.time_limit:g} s per instance and model, {args.workers} workers, seed {args.seed}; "
        f"Python {platform.python_version()}, ortools {_ortools_version()}, {platform.machine()}. "
        "'ours' is `optimizer.scheduler.solve` (dispatching warm start + layout-aware model); "
        "'minimal' is intervals + NoOverlap + precedence + makespan. Both checked by "
        "`optimizer.schedule.check_schedule` (column valid). Gap to opt = (makespan - optimum) / optimum."
    )
    totals = (
        f"Proven optimal: ours {summary['ours_optimal']}/{summary['n']}, minimal {summary['minimal_optimal']}/{summary['n']}. "
        f"Better makespan: ours {summary['ours_better']}, minimal {summary['minimal_better']}."
    )
    reproduce = "Reproduce: `.venv/bin/python benchmarks/jssp_bench.py` (the machine is shared; wall times vary)."
    write_markdown(args.out, "Job-shop benchmark", intro, rows, [totals, reproduce])
    return 0


def _order(path: Path) -> tuple:
    name = path.stem
    family = name.rstrip("0123456789")
    return (["ft", "la", "orb", "abz"].index(family) if family in ("ft", "la", "orb", "abz") else 9, name)


def _ortools_version() -> str:
    import ortools

    return ortools.__version__


if __name__ == "__main__":
    sys.exit(main())
