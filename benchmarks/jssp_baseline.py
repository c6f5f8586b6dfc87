"""Benchmark helpers for classic job shops: the minimal CP-SAT model every CP-SAT user writes
(the yardstick the scheduler must never lose to) and a Taillard-style instance generator for
held-out instances that the shared folder does not contain.

Not product code: `benchmarks/jssp_bench.py` and `benchmarks/jssp_heldout_bench.py` import it.
"""
from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.jssp import parse_jssp
from optimizer.problem import SchedulingProblem
from optimizer.schedule import Schedule, make_schedule


def minimal_model(problem: SchedulingProblem, time_limit: float, workers: int, seed: int = 0) -> Schedule | None:
    """Intervals + NoOverlap per machine + precedences + makespan, CP-SAT's default search.
    None when CP-SAT finds no schedule in time."""
    model = cp_model.CpModel()
    horizon = sum(op.alternatives[0].duration for job in problem.jobs for op in job.operations)
    starts, intervals_by_machine, ends = {}, {}, []
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            alt = op.alternatives[0]
            start = model.NewIntVar(0, horizon, f"s{j}_{k}")
            starts[(j, k)] = (start, alt.station)
            intervals_by_machine.setdefault(alt.station, []).append(
                model.NewFixedSizeIntervalVar(start, alt.duration, f"i{j}_{k}")
            )
            if k:
                model.Add(start >= starts[(j, k - 1)][0] + job.operations[k - 1].alternatives[0].duration)
        ends.append(starts[(j, len(job.operations) - 1)][0] + job.operations[-1].alternatives[0].duration)
    for intervals in intervals_by_machine.values():
        model.AddNoOverlap(intervals)
    makespan = model.NewIntVar(0, horizon, "makespan")
    model.AddMaxEquality(makespan, ends)
    model.Minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    placed = {key: (station, 0, solver.Value(start)) for key, (start, station) in starts.items()}
    return make_schedule(
        problem, placed, status="optimal" if status == cp_model.OPTIMAL else "feasible",
        lower_bound=solver.BestObjectiveBound(), objective="makespan", solver="minimal",
    )


class TaillardRandom:
    """Taillard's (1993) portable generator: Lehmer's x <- 16807 x mod (2^31 - 1) with Schrage's
    trick, `unif(low, high)` uniform on the integers low..high. Same seed, same sequence."""

    M, A, B, C = 2147483647, 16807, 127773, 2836

    def __init__(self, seed: int) -> None:
        if not 0 < seed < self.M:
            raise ValueError(f"seed must be in 1..{self.M - 1}, got {seed}")
        self.seed = seed

    def unif(self, low: int, high: int) -> int:
        k = self.seed // self.B
        self.seed = self.A * (self.seed % self.B) - k * self.C
        if self.seed < 0:
            self.seed += self.M
        return low + int(self.seed / self.M * (high - low + 1))


def taillard_text(n_jobs: int, n_machines: int, time_seed: int, machine_seed: int) -> str:
    """A job shop in OR-Library text the way Taillard generated his: durations uniform on
    1..99 (job by job, machine by machine), each job's machine order a random permutation
    (identity, then swap position i with a uniform position in i..m-1)."""
    times = TaillardRandom(time_seed)
    durations = [[times.unif(1, 99) for _ in range(n_machines)] for _ in range(n_jobs)]
    machines_rng = TaillardRandom(machine_seed)
    orders = []
    for _ in range(n_jobs):
        order = list(range(n_machines))
        for i in range(n_machines):
            swap = machines_rng.unif(i, n_machines - 1)
            order[i], order[swap] = order[swap], order[i]
        orders.append(order)
    lines = [f"{n_jobs} {n_machines}"]
    for j in range(n_jobs):
        lines.append(" ".join(f"{m} {d}" for m, d in zip(orders[j], durations[j])))
    return "\n".join(lines) + "\n"


def taillard_problem(n_jobs: int, n_machines: int, seed: int) -> SchedulingProblem:
    """A held-out instance named `tl<n>x<m>_<seed>`; the machine seed is derived from `seed`."""
    name = f"tl{n_jobs}x{n_machines}_{seed}"
    text = taillard_text(n_jobs, n_machines, seed, (seed * 7919 + 12345) % (TaillardRandom.M - 1) + 1)
    return parse_jssp(text, source=name, name=name)
