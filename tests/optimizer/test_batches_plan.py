"""Batch machines in the plan: small cases solved by hand, and the independent checker on
broken batches."""
from __future__ import annotations

from dataclasses import replace

import pytest

from optimizer import dispatch
from optimizer.kpis import kpis
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve


def oven(lots: list[tuple[str, int]], size: int = 10, bake: int = 60, prep: list[int] | None = None,
         changeover: int = 0) -> SchedulingProblem:
    """Lots of (family, units) baked in one oven of `size` units for `bake` ticks a batch, each
    after `prep[n]` ticks on a prep bench of its own (none when `prep` is None)."""
    jobs = []
    for n, (family, units) in enumerate(lots):
        ops = [Operation("bake", (Alternative("oven", bake * -(-units // size)),))]
        if prep is not None:
            ops.insert(0, Operation("prep", (Alternative(f"bench{n}", prep[n]),)))
        jobs.append(Job(f"L{n}", tuple(ops), units=units, family=family))
    capacities = {"oven": 1, **{f"bench{n}": 1 for n in range(len(lots))}}
    changeovers = {"oven": {("A", "B"): changeover, ("B", "A"): changeover}} if changeover else {}
    return SchedulingProblem(jobs=tuple(jobs), capacities=capacities, batch_sizes={"oven": size},
                             changeovers=changeovers)


@pytest.mark.parametrize("solver", ["cpsat", "dispatch"])
@pytest.mark.parametrize("lots,makespan", [
    ([("A", 5)] * 4, 120),  # two lots a batch: two batches
    ([("A", 5), ("B", 5)], 120),  # two families never share
    ([("A", 6)] * 3, 180),  # 6 + 6 units overfill the batch: one lot a batch
    ([("A", 15), ("A", 5)], 180),  # 15 units alone take two batches (120), the 5 a third
    ([("A", 3), ("A", 3), ("A", 4)], 60),  # 10 units: one full batch
])
def test_hand_solved_oven_makespans(solver, lots, makespan):
    problem = oven(lots)
    schedule = solve(problem, time_limit=10.0, workers=1) if solver == "cpsat" else dispatch.solve(problem)
    assert check_schedule(problem, schedule) == []
    assert schedule.makespan == makespan
    assert kpis(problem, schedule).utilisation["oven"] == 1.0  # batches back to back, each counted once


def test_a_lot_waits_for_a_later_one_when_sharing_pays():
    # prepared by 10 and 30: baking them together from 30 ends at 90; one after the other
    # (10-70, 70-130) ends at 130
    problem = oven([("A", 5), ("A", 5)], prep=[10, 30])
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == []
    bakes = sorted((a.start, a.end) for a in schedule.assignments if a.operation == "bake")
    assert bakes == [(30, 90), (30, 90)] and schedule.makespan == 90 and schedule.status == "optimal"


def test_families_batch_together_around_changeovers():
    # A, B, A lots of 5 with a 100-tick changeover between families: bake both A lots in one
    # batch and the B after it: 60 + 100 + 60 = 220 (alternating would take 60+100+60+100+60)
    problem = oven([("A", 5), ("B", 5), ("A", 5)], changeover=100)
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == []
    assert schedule.makespan == 220


def test_the_checker_names_each_batch_rule():
    problem = oven([("A", 5), ("B", 5), ("A", 6)])
    good = solve(problem, time_limit=10.0, workers=1)
    by_job = {a.job: a for a in good.assignments}

    def moved(**jobs_at):
        changed = tuple(replace(a, start=jobs_at[a.job], end=jobs_at[a.job] + 60) if a.job in jobs_at else a
                        for a in good.assignments)
        end = max(a.end for a in changed)
        return replace(good, assignments=changed, makespan=end, objective_value=float(end))

    errors = check_schedule(problem, moved(L0=500, L1=500))
    assert "oven: batch 500-560 mixes families or routing steps (L0/bake, L1/bake)" in errors
    errors = check_schedule(problem, moved(L0=500, L2=500))
    assert "oven: batch 500-560 holds 11 units, the batch size is 10 (L0/bake, L2/bake)" in errors
    errors = check_schedule(problem, moved(L0=500, L2=530))
    assert "oven lane 0: L0/bake and L2/bake overlap" in errors
    assert by_job["L0"].end - by_job["L0"].start == 60


def test_a_lot_in_transfer_batches_never_overlaps_itself_on_a_batch_machine():
    # bake then cure, both 60 in the one oven, the lot in two transfer batches of 30: the
    # lags alone would let the cure start at 30 inside the bake (makespan 90); the oven holds
    # one of them at a time, so the cure runs 60-120
    stage = Alternative("oven", 60, first_batch=30, last_batch=30)
    problem = SchedulingProblem(jobs=(Job("L0", (Operation("bake", (stage,)), Operation("cure", (stage,))),
                                          units=2, transfer_batches=2),),
                                capacities={"oven": 1}, batch_sizes={"oven": 10})
    schedule = solve(problem, time_limit=10.0, workers=1, hint=False)
    assert check_schedule(problem, schedule) == []
    assert schedule.makespan == 120 and schedule.status == "optimal"
