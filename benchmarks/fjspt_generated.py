"""Flexible job shops with AGVs the shared folder does not hold: new job sets on the layout of
fjspt01-05 (the five share one travel matrix), shaped like them, with their optima proven by a
reference model written here from the family's conventions alone, so that
`benchmarks/fjspt_bench.py` checks ours against optima nobody tuned for.

Each job set: 5-7 jobs of 2-5 operations (13-19 in all, as in fjspt01-05); each operation runs on
either machine of one of the four pairs (1, 2), (3, 4), (5, 6), (7, 8), never the pair of the
job's previous operation, for an even number of ticks from 6 to 40, the same on both machines.
Drawn with a fixed seed per instance.

The reference model (`reference_optimum`, CP-SAT, independent of `optimizer.scheduler` and
`optimizer.vehicles`): one optional interval per operation and machine, NoOverlap per machine;
one loaded trip per operation (from L/U for a job's first), leaving after the previous operation
ends and arriving, after the travel time of the chosen machines, before the operation starts;
each AGV's trips a circuit through its home (L/U at time 0), every arc an empty run of the
matrix's travel time from the last drop to the next pick-up; the makespan the last operation's
end (conventions: the shared benchmarks' README).

    .venv/bin/python benchmarks/fjspt_generated.py OUT_DIR [--reference-seconds 600] [--check-published]
    .venv/bin/python benchmarks/fjspt_bench.py OUT_DIR/*.txt --bounds OUT_DIR/bounds.json --out ...
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from ortools.sat.python import cp_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.fjspt import LOAD_UNLOAD, MOVER, location, read_fjspt  # noqa: E402
from optimizer.problem import SchedulingProblem  # noqa: E402

LAYOUT_OF = ROOT.parent / "shared/benchmarks/fjspt/fjspt01.txt"  # its travel matrix: the family's layout
PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8))
INSTANCES = 10
AGVS = 2

Operation = list[tuple[int, int]]  # (machine from 1, duration)


def layout_matrix() -> list[list[int]]:
    """The family's travel matrix (fjspt01's, as the product reads it): row and column 0 are L/U."""
    problem = read_fjspt(LAYOUT_OF)
    runs, places = problem.empty_runs[MOVER], range(len(problem.capacities) + 1)
    return [[runs[location(a), location(b)] for b in places] for a in places]


def job_set(seed: int) -> list[list[Operation]]:
    """5-7 jobs of 2-5 operations, 13-19 operations in all, each on one pair of machines."""
    rng = random.Random(seed)
    while True:
        jobs = []
        for _ in range(rng.randint(5, 7)):
            pair, operations = None, []
            for _ in range(rng.randint(2, 5)):
                pair = rng.choice([p for p in PAIRS if p != pair])
                duration = 2 * rng.randint(3, 20)
                operations.append([(machine, duration) for machine in pair])
            jobs.append(operations)
        if 13 <= sum(len(job) for job in jobs) <= 19:
            return jobs


def instance_text(jobs: list[list[Operation]], matrix: list[list[int]]) -> str:
    """The fjspt file: `n_jobs n_machines`, the job lines in `.fjs` syntax, the travel matrix."""
    lines = [f"{len(jobs)} {len(matrix) - 1}"]
    for job in jobs:
        parts = [len(job)]
        for alternatives in job:
            parts.append(len(alternatives))
            for machine, duration in alternatives:
                parts += [machine, duration]
        lines.append(" ".join(map(str, parts)))
    lines += ["\t".join(map(str, row)) for row in matrix]
    return "\n".join(lines) + "\n"


def reference_optimum(problem: SchedulingProblem, seconds: float) -> tuple[int, int, bool]:
    """(makespan, lower bound, proven) of the reference model within `seconds`, 2 workers, on
    an fjspt problem as `optimizer.fjspt` reads it: its jobs, its fleet's size and empty-run
    times (the matrix, L/U included); nothing else of the product's model."""
    jobs = [[[(a.station, a.duration) for a in op.alternatives] for op in job.operations] for job in problem.jobs]
    matrix = problem.empty_runs[MOVER]
    model = cp_model.CpModel()
    horizon = sum(max(d for _, d in op) for job in jobs for op in job) + 2 * max(matrix.values()) * sum(
        len(job) for job in jobs)
    start, end, chosen = {}, {}, {}
    by_machine: dict[str, list] = {}
    for j, job in enumerate(jobs):
        for k, alternatives in enumerate(job):
            start[j, k] = model.NewIntVar(0, horizon, "")
            end[j, k] = model.NewIntVar(0, horizon, "")
            literals = []
            for machine, duration in alternatives:
                lit = chosen[j, k, machine] = model.NewBoolVar("")
                literals.append(lit)
                interval = model.NewOptionalIntervalVar(start[j, k], duration, end[j, k], lit, "")
                by_machine.setdefault(machine, []).append(interval)
            model.AddExactlyOne(literals)
            if k:
                previous = {m for m, _ in job[k - 1]}
                if previous & {m for m, _ in alternatives}:
                    raise ValueError("the reference model needs a trip between any two consecutive operations")
    for intervals in by_machine.values():
        model.AddNoOverlap(intervals)

    # trips: trip (j, k) carries job j to operation k, from L/U or a station of operation k - 1
    trips = [(j, k) for j, job in enumerate(jobs) for k in range(len(job))]
    pick, drop = {}, {}
    origins = {t: [LOAD_UNLOAD] if t[1] == 0 else [m for m, _ in jobs[t[0]][t[1] - 1]] for t in trips}
    targets = {t: [m for m, _ in jobs[t[0]][t[1]]] for t in trips}

    def at(place: str, j: int, k: int) -> list:
        """The literals that put operation k of job j at `place` (none for L/U before k = 0)."""
        return [] if place == LOAD_UNLOAD else [chosen[j, k, place]]

    for (j, k) in trips:
        pick[j, k] = model.NewIntVar(0, horizon, "")
        drop[j, k] = model.NewIntVar(0, horizon, "")
        if k:
            model.Add(pick[j, k] >= end[j, k - 1])
        model.Add(start[j, k] >= drop[j, k])
        for a in origins[j, k]:
            for b in targets[j, k]:
                model.Add(drop[j, k] == pick[j, k] + matrix[a, b]).OnlyEnforceIf(
                    at(a, j, k - 1) + at(b, j, k))

    # each AGV: a circuit through its home (node 0) over the trips it makes (nodes 1..T)
    on = {t: [] for t in trips}
    for _ in range(problem.fleets[MOVER]):
        arcs = [(0, 0, model.NewBoolVar(""))]  # the AGV makes no trip
        for i, t in enumerate(trips, start=1):
            skip = model.NewBoolVar("")
            arcs.append((i, i, skip))
            on[t].append(skip.Not())
            first, last = model.NewBoolVar(""), model.NewBoolVar("")
            arcs += [(0, i, first), (i, 0, last)]
            for a in origins[t]:  # empty from L/U at time 0 to the first pick-up
                model.Add(pick[t] >= matrix[LOAD_UNLOAD, a]).OnlyEnforceIf([first] + at(a, t[0], t[1] - 1))
            for n, u in enumerate(trips, start=1):
                if u == t:
                    continue
                arc = model.NewBoolVar("")
                arcs.append((i, n, arc))
                for b in targets[t]:  # empty from t's drop to u's pick-up
                    for a in origins[u]:
                        model.Add(pick[u] >= drop[t] + matrix[b, a]).OnlyEnforceIf(
                            [arc] + at(b, t[0], t[1]) + at(a, u[0], u[1] - 1))
        model.AddCircuit(arcs)
    for t in trips:
        model.AddExactlyOne(on[t])

    makespan = model.NewIntVar(0, horizon, "makespan")
    for (j, k) in start:
        if k == len(jobs[j]) - 1:
            model.Add(makespan >= end[j, k])
    model.Minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"the reference model found no schedule in {seconds:g} s")
    return int(solver.ObjectiveValue()), int(solver.BestObjectiveBound()), status == cp_model.OPTIMAL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="where the .txt files and bounds.json go (created if missing)")
    parser.add_argument("--reference-seconds", type=float, default=600.0,
                        help="time limit of the reference model per instance (default 600)")
    parser.add_argument("--check-published", action="store_true",
                        help="first run the reference model on the shared fjspt01-05 against their published optima")
    args = parser.parse_args(argv)
    if args.check_published:
        published = json.loads((LAYOUT_OF.parent / "bounds.json").read_text())
        for path in sorted(LAYOUT_OF.parent.glob("fjspt*.txt")):
            started = time.monotonic()
            makespan, bound, proven = reference_optimum(read_fjspt(path, AGVS), args.reference_seconds)
            print(f"{path.stem}: reference {makespan} (bound {bound}, {'proven' if proven else 'not proven'}) "
                  f"in {time.monotonic() - started:.1f} s; published {published[path.stem]['optimum']}", flush=True)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    matrix = layout_matrix()
    bounds = {}
    for i in range(INSTANCES):
        name = f"gen_fjspt{i + 1:02d}"
        jobs = job_set(2000 + i)
        (out / f"{name}.txt").write_text(instance_text(jobs, matrix))
        started = time.monotonic()
        makespan, bound, proven = reference_optimum(read_fjspt(out / f"{name}.txt", AGVS), args.reference_seconds)
        bounds[name] = {"n_agvs": AGVS, "optimum" if proven else "best_known": makespan, "optimal": proven}
        print(f"{name}: {len(jobs)} jobs, {sum(map(len, jobs))} operations; reference {makespan} "
              f"(bound {bound}, {'proven' if proven else 'not proven'}) in {time.monotonic() - started:.1f} s",
              flush=True)
    (out / "bounds.json").write_text(json.dumps(bounds, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
