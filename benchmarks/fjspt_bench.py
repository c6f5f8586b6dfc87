"""Flexible job shops with AGVs (fjspt01-05): our scheduler against the published optima.

Runs each instance exactly as `factory-twin bench fjspt` does (the CP-SAT scheduler with the
AGVs as vehicles, answers checked by `optimizer.schedule.check_schedule`), under the family's
conventions (shared benchmarks README).

    .venv/bin/python benchmarks/fjspt_bench.py [FILES...] [--time-limit 60] [--workers 2] [--agvs 2]
        [--out benchmarks/results/fjspt.md]

Writes a markdown table (default benchmarks/results/fjspt.md) and prints each row as it goes.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.fjspt import bench_instances, read_fjspt  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared/benchmarks/fjspt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help=f"instance files (default: every *.txt in {DEFAULT_DIR})")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--agvs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bounds", default=str(DEFAULT_DIR / "bounds.json"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/fjspt.md"))
    args = parser.parse_args(argv)

    files = [Path(f) for f in args.files] or sorted(DEFAULT_DIR.glob("*.txt"))
    bounds = json.loads(Path(args.bounds).read_text()) if Path(args.bounds).exists() else {}
    rows = ["| instance | jobs x machines | operations | AGVs | published optimum | makespan | bound | proven optimal "
            "| seconds | loaded trips | valid |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    print(rows[0], flush=True)
    for file in files:
        problem = read_fjspt(file, args.agvs)
        (row,) = bench_instances([file], time_limit=args.time_limit, workers=args.workers, seed=args.seed,
                                 agvs=args.agvs)
        published = bounds.get(problem.name, {})
        optimum = published.get("optimum") if published.get("n_agvs", args.agvs) == args.agvs else None
        line = (f"| {row['name']} | {len(problem.jobs)} x {len(problem.capacities)} | {problem.n_operations} "
                f"| {args.agvs} | {optimum if optimum is not None else '-'} | {row['makespan']} | {row['lower_bound']} "
                f"| {'yes' if row['optimal'] else 'no'} | {row['seconds']:.1f} | {row['trips']} "
                f"| {'yes' if row['valid'] else 'NO'} |")
        rows.append(line)
        print(line, flush=True)
    text = "\n".join([
        "# Flexible job shop with AGVs (fjspt)",
        "",
        f"Time limit {args.time_limit:g} s per instance, {args.workers} workers, seed {args.seed}, {args.agvs} AGVs; "
        f"Python {platform.python_version()}, {platform.machine()}. `optimizer.scheduler.solve` with the AGVs as "
        "vehicles (routes model with empty runs), every answer checked by `optimizer.schedule.check_schedule` "
        "(column valid). Seconds are wall time on the shared 2-core machine.",
        "",
        *rows,
        "",
    ])
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
