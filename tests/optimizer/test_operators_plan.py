"""Operators in the plan: pools as cumulative resources with shift calendars, against small
cases solved by hand, and the independent checker on broken schedules (a layout's plan and
its replay in the twin: tests/twin/sim/test_operators.py)."""
from __future__ import annotations

from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

from optimizer import dispatch, scheduler
from optimizer.problem import Alternative, Job, Operation, OperatorPool, SchedulingProblem
from optimizer.schedule import check_schedule, make_schedule
from optimizer.scheduler import solve
from twin.shifts import Calendar

# on shift 0-40 and 60-100 of every 100 ticks: stretches [0, 40), [60, 140), [160, 240), ...
SPLIT = Calendar(100.0, ((0.0, 40.0), (60.0, 100.0)))


def benches(durations: list[tuple[str, int]], size: int = 1, calendar: Calendar = SPLIT,
            manned: tuple[str, ...] = ("A", "B")) -> SchedulingProblem:
    jobs = tuple(Job(f"J{n}", (Operation("work", (Alternative(station, ticks),)),))
                 for n, (station, ticks) in enumerate(durations))
    return SchedulingProblem(jobs=jobs, capacities={"A": 1, "B": 1, "M": 1},
                             pools={"crew": OperatorPool(size, calendar)},
                             manned={s: ("crew",) for s in manned})


@pytest.mark.parametrize("solver", ["cpsat", "dispatch"])
@pytest.mark.parametrize("durations,size,makespan", [
    ([("A", 30), ("B", 30)], 1, 90),  # one operator: 0-30, then 30-60 crosses the break: 60-90
    ([("A", 30), ("B", 30)], 2, 30),  # two operators: both at once
    ([("A", 50)], 1, 110),  # too long for 0-40: waits for the 60-140 stretch
    ([("A", 30), ("M", 30)], 1, 30),  # the machine needs nobody
    ([("A", 80), ("B", 10)], 1, 140),  # 80 fills the 60-140 stretch; the 10 runs 0-10 before it
])
def test_hand_solved_makespans(solver, durations, size, makespan):
    problem = benches(durations, size)
    schedule = solve(problem, time_limit=10.0, workers=1) if solver == "cpsat" else dispatch.solve(problem)
    assert check_schedule(problem, schedule) == []
    assert schedule.makespan == makespan
    assert all(a.pool == ("crew" if a.station in "AB" else "") for a in schedule.assignments)


def test_the_better_of_two_pools_is_chosen():
    # a day crew on shift 0-40 only and a night crew on shift 50-100 only: a 45-tick job fits
    # only the night crew's stretch, a 30-tick job the day crew's at 0
    problem = SchedulingProblem(
        jobs=(Job("long", (Operation("work", (Alternative("A", 45),)),)),
              Job("short", (Operation("work", (Alternative("B", 30),)),))),
        capacities={"A": 1, "B": 1},
        pools={"day": OperatorPool(1, Calendar(100.0, ((0.0, 40.0),))),
               "night": OperatorPool(1, Calendar(100.0, ((50.0, 100.0),)))},
        manned={"A": ("day", "night"), "B": ("day", "night")})
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == []
    by_job = {a.job: a for a in schedule.assignments}
    assert (by_job["short"].start, by_job["short"].pool) == (0, "day")
    assert (by_job["long"].start, by_job["long"].pool) == (50, "night")
    assert schedule.makespan == 95


# on shift 10-50 and 60-100 of every 100 ticks
LATE = Calendar(100.0, ((10.0, 50.0), (60.0, 100.0)))


@pytest.mark.parametrize("pools,starts,makespan", [
    # one operator: one bench lot fills 0-40, the other the stretch after the break, 60-100,
    # and each machine follows its bench for 60 ticks
    ({"crew": OperatorPool(1, SPLIT)}, [0, 60], 160),
    # a second pool on another calendar: its operator starts the other lot at 10, its first
    # stretch; the crew's break at 40-60 does not concern it
    ({"crew": OperatorPool(1, SPLIT), "late": OperatorPool(1, LATE)}, [0, 10], 110),
])
def test_manned_lots_start_at_the_stretches_that_hold_them(pools, starts, makespan):
    # the optimum starts the bench lots exactly where a stretch starts and ends the first one
    # exactly where its stretch ends: an off-shift time one tick too long or too short shows
    jobs = tuple(Job(f"J{n}", (Operation("work", (Alternative(bench, 40),)),
                               Operation("machine", (Alternative(machine, 60),))))
                 for n, (bench, machine) in enumerate([("A", "M"), ("B", "N")]))
    problem = SchedulingProblem(jobs=jobs, capacities={"A": 1, "B": 1, "M": 1, "N": 1}, pools=pools,
                                manned={"A": tuple(pools), "B": tuple(pools)})
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == []
    benches_at = sorted(a.start for a in schedule.assignments if a.station in "AB")
    assert (benches_at, schedule.makespan, schedule.status) == (starts, makespan, "optimal")


def test_the_checker_names_each_operator_rule():
    problem = benches([("A", 30), ("B", 30)], 1)
    good = solve(problem, time_limit=10.0, workers=1)
    first, second = sorted(good.assignments, key=lambda a: a.start)

    def broken(*assignments):
        return replace(good, assignments=assignments, makespan=max(a.end for a in assignments),
                       objective_value=float(max(a.end for a in assignments)))

    at_once = broken(first, replace(second, start=0, end=30))
    assert "operators crew: 2 operations at time 0, the pool has 1" in check_schedule(problem, at_once)
    over_break = broken(first, replace(second, start=30, end=60))
    assert (f"{second.job}/work: runs 30-60 on {second.station}, not inside one on-shift stretch of crew"
            in check_schedule(problem, over_break))
    no_pool = broken(first, replace(second, pool=""))
    assert (f"{second.job}/work: needs an operator of crew on {second.station}, the schedule names none"
            in check_schedule(problem, no_pool))
    machine = benches([("A", 30), ("M", 30)], 1)
    plan = solve(machine, time_limit=10.0, workers=1)
    named = replace(plan, assignments=tuple(replace(a, pool="crew") for a in plan.assignments))
    assert "J1/work: names operator pool 'crew', but M needs no operator" in check_schedule(machine, named)


def test_the_campaign_model_ends_the_bottlenecks_manned_work_before_the_first_break():
    # Bench A (manned, the only station: the bottleneck) holds lot S (30 ticks) and lot R,
    # released at 100, which sets the makespan at 130. S fits before the crew's break at 40 or
    # after it (60-90) at that makespan. The hint puts it after: the campaign model's tie-break
    # (scheduler._before_first_break) moves it before, the makespan stays optimal.
    problem = SchedulingProblem(
        jobs=(Job("S", (Operation("work", (Alternative("A", 30),)),)),
              Job("R", (Operation("work", (Alternative("A", 30),)),), release=100)),
        capacities={"A": 1}, pools={"crew": OperatorPool(1, SPLIT)}, manned={"A": ("crew",)})
    warm = dispatch.ListSchedule({(0, 0): ("A", 0, 60), (1, 0): ("A", 0, 100)}, {}, {},
                                 {(0, 0): "crew", (1, 0): "crew"})
    model = cp_model.CpModel()
    v = scheduler._build(model, problem, 130, warm.placed, None, "makespan", 0, None, warm, campaigns=True)
    status, solver = scheduler._solve(model, time_limit=10.0, workers=1, seed=0, log=False, parameters=None)
    assert status == cp_model.OPTIMAL
    found = scheduler._solution(problem, v, solver)
    plan = make_schedule(problem, found.placed, status="optimal", lower_bound=130, objective="makespan",
                         solver="cpsat", pools=found.pools)
    assert check_schedule(problem, plan) == []
    assert found.placed[(1, 0)] == ("A", 0, 100)
    assert found.placed[(0, 0)][2] + 30 <= 40
