"""The simple lower bound (`dispatch.simple_lower_bound`), the one reported with a dispatching
schedule or a capped changeover model: hand-solved cases where it is tight."""
from __future__ import annotations

from optimizer import dispatch
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve


def steps(*ops: tuple[str, int]) -> tuple[Operation, ...]:
    return tuple(Operation(f"o{i}", (Alternative(s, d),)) for i, (s, d) in enumerate(ops))


def optimum(problem: SchedulingProblem) -> int:
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == [] and schedule.status == "optimal"
    return schedule.makespan


def test_a_station_bound_counts_the_least_head_and_tail():
    # two lots A(2) -> B(5) -> C(2): B is busy 10 ticks, not before 2 and with 2 to go after:
    # 14 (the load alone gave 10), which A 0-2 2-4, B 2-7 7-12, C 7-9 12-14 reaches
    problem = SchedulingProblem(jobs=tuple(Job(f"J{n}", steps(("A", 2), ("B", 5), ("C", 2))) for n in range(2)),
                                capacities={"A": 1, "B": 1, "C": 1})
    assert dispatch.simple_lower_bound(problem) == 14 == optimum(problem)


def test_a_batch_machine_and_what_follows_it():
    # two lots of 5 units prepared on their own benches (10), baked together in a 10-unit oven
    # (60), packed one after the other (5 each): the packer cannot start before 10 + 60 = 70 and
    # has 10 ticks of work: 80; the oven alone: 10 + 60 * 10 units / 10 + 5 = 75
    problem = SchedulingProblem(
        jobs=tuple(Job(f"L{n}", steps((f"bench{n}", 10), ("oven", 60), ("pack", 5)), units=5, family="A")
                   for n in range(2)),
        capacities={"bench0": 1, "bench1": 1, "oven": 1, "pack": 1}, batch_sizes={"oven": 10})
    assert dispatch.simple_lower_bound(problem) == 80 == optimum(problem)
