"""Where the campaign phase's neighbourhoods-only search (`scheduler.BREAK_PARAMETERS`) stops
costing proofs: generated changeover problems whose bottleneck is manned by a crew that breaks
(off shift 20-30 of every 100 ticks), N lots of three families, each lot on M (two lanes,
changeovers between families) and then N (one lane, manned: the bottleneck). Each is solved
twice at the same limit and workers: as the code sets it (neighbourhoods alone from
BREAK_LNS_OPERATIONS operations on) and with neighbourhoods alone forced (the threshold at 0).

For each size the table gives the operations, then for each set-up the status, the makespan and
the wall time of `scheduler.solve`; every schedule passes the independent checker. The threshold
in `optimizer.scheduler.BREAK_LNS_OPERATIONS` is read off this table.

    .venv/bin/python benchmarks/break_lns_bench.py [--lots 6 12 18 24 36] [--variants 2]
        [--time-limit 10] [--workers 2] [--out benchmarks/results/break_lns.md]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.tables import write_markdown  # noqa: E402
from optimizer import scheduler  # noqa: E402
from optimizer.problem import Alternative, Job, Operation, OperatorPool, SchedulingProblem  # noqa: E402
from optimizer.schedule import check_schedule  # noqa: E402
from twin.shifts import Calendar  # noqa: E402

BREAKS = Calendar(100.0, ((0.0, 20.0), (30.0, 100.0)))


def problem(lots: int, variant: int) -> SchedulingProblem:
    """`lots` lots of families X, Y, Z in turn; durations and changeovers vary with `variant`."""
    families = (["X", "Y", "Z"] * lots)[:lots]
    jobs = tuple(
        Job(f"{f}{i}", (Operation("m", (Alternative("M", 2 + (i * 7 + 1 + variant) % 5),)),
                        Operation("n", (Alternative("N", 3 + (i + variant) % 4),))),
            product=f"{f}{i}", family=f)
        for i, f in enumerate(families))
    setups = {(a, b): 1 + (ord(a) + 2 * ord(b) + variant) % 4 for a in "XYZ" for b in "XYZ" if a != b}
    return SchedulingProblem(jobs=jobs, capacities={"M": 2, "N": 1}, changeovers={"M": setups},
                             pools={"crew": OperatorPool(1, BREAKS)}, manned={"N": ("crew",)})


def solved(p: SchedulingProblem, threshold: int, time_limit: float, workers: int) -> str:
    with mock.patch.object(scheduler, "BREAK_LNS_OPERATIONS", threshold):
        started = time.monotonic()
        schedule = scheduler.solve(p, time_limit=time_limit, workers=workers)
        wall = time.monotonic() - started
    assert check_schedule(p, schedule) == [], "a schedule the checker rejects"
    return f"{schedule.status} | {schedule.makespan} | {wall:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, nargs="+", default=[6, 12, 18, 24, 36])
    parser.add_argument("--variants", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "break_lns.md"))
    args = parser.parse_args()
    rows = ["| lots | variant | operations | as set: status | makespan | seconds "
            "| neighbourhoods alone: status | makespan | seconds |",
            "| ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |"]
    loads = [os.getloadavg()[0]]
    for lots in args.lots:
        for variant in range(args.variants):
            p = problem(lots, variant)
            row = (f"| {lots} | {variant} | {p.n_operations} | "
                   f"{solved(p, scheduler.BREAK_LNS_OPERATIONS, args.time_limit, args.workers)} | "
                   f"{solved(p, 0, args.time_limit, args.workers)} |")
            print(row, flush=True)
            rows.append(row)
            loads.append(os.getloadavg()[0])
    write_markdown(
        args.out, "Neighbourhoods alone in the campaign phase, by problem size",
        f"`scheduler.solve` at {args.time_limit:g} s and {args.workers} workers, seed 0, as the code sets it "
        f"(BREAK_LNS_OPERATIONS = {scheduler.BREAK_LNS_OPERATIONS}) and with neighbourhoods alone forced; "
        f"load average {min(loads):.1f}-{max(loads):.1f}.", rows, [])


if __name__ == "__main__":
    main()
