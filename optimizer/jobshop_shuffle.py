"""Machines re-sequenced exactly: the step after the tabu search on a plain job shop.

A shuffle (Applegate and Cook, 1991) frees the sequences of a random subset of the machines,
holds every other machine's order as precedences, and lets CP-SAT solve what is left (to
optimality when it can within STEP_SECONDS) with the makespan capped at the best so far; a
schedule no longer is kept and the next subset is drawn. Why: the tabu search's N5 moves settle
in one region of a 15x15 job shop (tl15x15_4 at 1,139 for 30 s, its optimum 1,136), and
re-sequencing 12 of its 15 machines at once leaves that region, at tens of milliseconds a step
(docs/measurements_log.md, "Machines re-sequenced exactly after the tabu search").

The problem is a plain job shop (`SchedulingProblem.is_job_shop` with one station per operation):
a job's operations follow each other with the transport time between their stations as a lag,
its first starts no earlier than its release plus the transport from its origin, and operations
of zero length take no station.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer import dispatch
from optimizer.problem import SchedulingProblem

Key = tuple[int, int]  # (job index, operation index)
Placed = dict[Key, tuple[str, int, int]]

# the share of the machines freed in each step: 12 of 15 reached tl15x15_4's optimum in 3 of 4
# runs, 10 of 15 in 2 of 4
FREE_SHARE = 0.8
STEP_SECONDS = 1.0  # at most per step; steps on 15x15 job shops took 20-150 ms in the runs measured


@dataclass(frozen=True)
class Result:
    """The shortest schedule found (every operation at its start, lane 0), its makespan and
    the steps made."""

    placed: Placed
    makespan: int
    steps: int


def improve(problem: SchedulingProblem, placed: Placed, *, stop_at: float, seed: int = 0, lower_bound: int = 0,
            cancel: threading.Event | None = None) -> Result:
    """A schedule at least as short as `placed` (a feasible schedule of a plain job shop): shuffle
    steps until `stop_at` (a `time.monotonic()` value), a makespan of `lower_bound`, or `cancel`."""
    keys = [(j, k) for j, job in enumerate(problem.jobs) for k in range(len(job.operations))]
    station = {(j, k): problem.jobs[j].operations[k].alternatives[0].station for j, k in keys}
    duration = {(j, k): problem.jobs[j].operations[k].alternatives[0].duration for j, k in keys}
    machines = sorted({station[key] for key in keys if duration[key] > 0})
    on_machine = {m: [key for key in keys if station[key] == m and duration[key] > 0] for m in machines}
    free_count = max(2, round(FREE_SHARE * len(machines)))
    rng = random.Random(seed)
    best_placed = {key: (station[key], 0, placed[key][2]) for key in keys}
    best = dispatch.makespan(problem, best_placed)
    # what every step holds, built once: each job's first start no earlier than its release and
    # carry, each later start its least distance (`earliest_after`) after the one before, the
    # makespan over every end; each step adds its own machine constraints, cap and hint to a copy
    # (a copy keeps the variables' indices, so this model's variables name the copy's too)
    base = cp_model.CpModel()
    s = {key: base.NewIntVar(0, best, f"s{key}") for key in keys}
    for j, job in enumerate(problem.jobs):
        if job.operations:
            base.Add(s[(j, 0)] >= problem.release_on(job, station[(j, 0)]))
    for j, k in keys:
        if k > 0:
            gap = problem.earliest_after(problem.jobs[j], k, station[(j, k - 1)], 0, station[(j, k)])
            base.Add(s[(j, k)] >= s[(j, k - 1)] + gap)
    makespan = base.NewIntVar(min(lower_bound, best), best, "makespan")
    for key in keys:
        base.Add(makespan >= s[key] + duration[key])
    base.Minimize(makespan)
    steps = 0
    while best > lower_bound and time.monotonic() < stop_at and not (cancel is not None and cancel.is_set()):
        steps += 1
        free = set(rng.sample(machines, min(free_count, len(machines))))
        model = base.Clone()
        model.Add(makespan <= best)
        for key in keys:
            model.AddHint(s[key], best_placed[key][2])
        model.AddHint(makespan, best)
        for m in machines:
            if m in free:
                model.AddNoOverlap([model.NewFixedSizeIntervalVar(s[key], duration[key], f"i{key}")
                                    for key in on_machine[m]])
            else:  # the machine's order as it is
                order = sorted(on_machine[m], key=lambda key: (best_placed[key][2], key))
                for a, b in zip(order, order[1:]):
                    model.Add(s[b] >= s[a] + duration[a])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, min(STEP_SECONDS, stop_at - time.monotonic()))
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = steps
        # from the same 2-s tabu schedules of 15x15 job shops (63 runs of 2.5 s), with it shorter in
        # 19 and longer in none (docs/measurements_log.md, "Strong disjunctive propagation on 15x15")
        solver.parameters.use_strong_propagation_in_disjunctive = True
        if solver.Solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # never longer: the cap is the best
            best_placed = {key: (station[key], 0, int(solver.Value(s[key]))) for key in keys}
            best = dispatch.makespan(problem, best_placed)
    return Result(best_placed, best, steps)
