"""The tail step after the campaign phase (`scheduler._tail_phase`): the stations after the
bottleneck (`dispatch.bottleneck`, `dispatch.tail_stations`) re-sequenced alone, every other
station keeping the incumbent's order. Hand-solved cases."""
from __future__ import annotations

from optimizer import dispatch, scheduler
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem

LINE = {"A": 2, "B1": 5, "B2": 5, "C": 2}


def steps(*ops: tuple[str, ...], duration: dict[str, int]) -> tuple[Operation, ...]:
    """One operation per tuple of interchangeable stations."""
    return tuple(Operation(f"o{i}", tuple(Alternative(s, duration[s]) for s in stations))
                 for i, stations in enumerate(ops))


def line(lots: int, b: int = 5, route: tuple[tuple[str, ...], ...] = (("A",), ("B1", "B2"), ("C",))
         ) -> SchedulingProblem:
    """Lots along `route` (default A(2) -> B1 or B2 (b) -> C(2))."""
    duration = {**LINE, "B1": b, "B2": b}
    return SchedulingProblem(jobs=tuple(Job(f"L{n}", steps(*route, duration=duration)) for n in range(lots)),
                             capacities={s: 1 for s in LINE})


def test_the_bottleneck_is_the_largest_term_of_the_bound():
    # six lots: A has 12 ticks of work from 0 and then 7 to go (19); the pair B1/B2 30 ticks on
    # two lanes from 2, then 2 to go (2 + 15 + 2 = 19); C 12 ticks from 7 (19): a three-way tie,
    # which the station names break (A). With 8 ticks a lot on B the pair's term is
    # 2 + 48 / 2 + 2 = 28, A's 0 + 12 + 10 and C's 10 + 12 + 0 (22): the pair.
    assert dispatch.bottleneck(line(6)) == frozenset({"A"})
    assert dispatch.bottleneck(line(6, b=8)) == frozenset({"B1", "B2"})
    assert dispatch.simple_lower_bound(line(6, b=8)) == 28
    # one lot: every station's term is the lot's own 9 ticks, none above the longest job
    assert dispatch.bottleneck(line(1)) == frozenset()


def test_the_tail_is_what_only_follows_the_bottleneck():
    assert dispatch.tail_stations(line(6, b=8)) == frozenset({"C"})
    # C also before the pair in one lot's route: not the tail; nothing after A's bottleneck
    mixed = line(6, b=8)
    back = Job("X", steps(("C",), ("B1", "B2"), duration={**LINE, "B1": 8, "B2": 8}))
    mixed = SchedulingProblem(jobs=mixed.jobs + (back,), capacities=mixed.capacities)
    assert dispatch.bottleneck(mixed) == frozenset({"B1", "B2"})
    assert dispatch.tail_stations(mixed) == frozenset()
    # with A the bottleneck (the tie above) everything after it is the tail
    assert dispatch.tail_stations(line(6)) == frozenset({"B1", "B2", "C"})


# J0: B (10) -> T (1); J1: B (10) -> T (9). B's term 0 + 20 + 1 = 21 is the bound (T's 10 + 10,
# the longest lot's 19): B is the bottleneck, T the tail.
TWO = SchedulingProblem(jobs=(Job("J0", steps(("B",), ("T",), duration={"B": 10, "T": 1})),
                              Job("J1", steps(("B",), ("T",), duration={"B": 10, "T": 9}))),
                        capacities={"B": 1, "T": 1})


def tail_step(placed: dict) -> dispatch.ListSchedule | None:
    return scheduler._tail_phase(TWO, dispatch.ListSchedule(placed, {}), 0, "makespan", None, seconds=10.0,
                                 workers=1, seed=0, log=False, parameters=None)


def test_the_tail_step_reorders_the_tail_and_keeps_the_bottleneck_order():
    assert dispatch.tail_stations(TWO) == frozenset({"T"})
    # B: J0 0-10, J1 10-20; T: J1 20-29, J0 29-30 (30). With B's order kept the best is J0 on T
    # at 10-11 and J1 at 20-29 (29); the optimum, J1 first on B, would be 21 (J1 B 0-10, T
    # 10-19; J0 B 10-20, T 20-21), which the step must not reach: it keeps B's order.
    found = tail_step({(0, 0): ("B", 0, 0), (1, 0): ("B", 0, 10), (1, 1): ("T", 0, 20), (0, 1): ("T", 0, 29)})
    assert found is not None
    placed = found.placed
    assert (placed[0, 0], placed[1, 0]) == (("B", 0, 0), ("B", 0, 10))  # B's order and times kept
    assert 10 <= placed[0, 1][2] <= 19 and placed[1, 1] == ("T", 0, 20)  # J0 on T before J1 (any time in between)
    assert dispatch.makespan(TWO, placed) == 29


def test_the_tail_step_returns_nothing_when_the_tail_is_already_best():
    assert tail_step({(0, 0): ("B", 0, 0), (1, 0): ("B", 0, 10), (0, 1): ("T", 0, 10), (1, 1): ("T", 0, 20)}) is None
