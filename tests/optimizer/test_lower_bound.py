"""The simple lower bound (`dispatch.simple_lower_bound`), the one reported with every schedule
(with the transports; CP-SAT's own when that is higher): hand-solved cases where it is tight,
and never above the optimum, with the transports or without them."""
from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optimizer import dispatch
from optimizer.problem import Alternative, Job, Operation, OperatorPool, SchedulingProblem, TransportLeg
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve
from twin.shifts import Calendar

# on shift 0-40 and 60-100 of every 100 ticks: a break at 40-60
SPLIT = Calendar(100.0, ((0.0, 40.0), (60.0, 100.0)))


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
    # its terms: the longest job 2 + 5 + 2; A's 4 ticks from 0 with 7 to go, C's from 7
    assert dispatch.lower_bound_terms(problem) == (9, {frozenset("A"): 11, frozenset("B"): 14, frozenset("C"): 11})


def test_the_reported_bound_counts_the_transports():
    # the line of the test above with a 3-tick conveyor between any two stations: B cannot start
    # before 2 + 3, has 10 ticks of work, then 3 + 2 to go: 20, which A 0-2 2-4, B 5-10 10-15,
    # C 13-15 18-20 reaches; without the transports the bound is 14
    problem = SchedulingProblem(jobs=tuple(Job(f"J{n}", steps(("A", 2), ("B", 5), ("C", 2))) for n in range(2)),
                                capacities={"A": 1, "B": 1, "C": 1},
                                transport={(a, b): TransportLeg(3, mover="conveyor") for a in "ABC" for b in "ABC"
                                           if a != b})
    assert dispatch.simple_lower_bound(problem, transports=False) == 14
    assert dispatch.simple_lower_bound(problem) == 20 == optimum(problem)
    rule = dispatch.solve(problem)  # a dispatching schedule reports the simple bound
    assert (rule.status, rule.lower_bound) == ("feasible", 20)


def test_a_batch_machine_and_what_follows_it():
    # two lots of 5 units prepared on their own benches (10), baked together in a 10-unit oven
    # (60), packed one after the other (5 each): the packer cannot start before 10 + 60 = 70 and
    # has 10 ticks of work: 80; the oven alone: 10 + 60 * 10 units / 10 + 5 = 75
    problem = SchedulingProblem(
        jobs=tuple(Job(f"L{n}", steps((f"bench{n}", 10), ("oven", 60), ("pack", 5)), units=5, family="A")
                   for n in range(2)),
        capacities={"bench0": 1, "bench1": 1, "oven": 1, "pack": 1}, batch_sizes={"oven": 10})
    assert dispatch.simple_lower_bound(problem) == 80 == optimum(problem)


def test_a_lot_in_transfer_batches_leaves_only_its_last_batch_as_a_tail():
    # L1 in two transfer batches: A (10 ticks, first batch done after 2) -> B (10, its last
    # batch alone 2), so B may start at 2 and end 2 after A; L2: A (4) -> C (12). On A, 14 ticks
    # of work and the least tail 2 (L1's last batch on B, not B's 10): 16, which L2 first
    # reaches: L2 A 0-4, C 4-16; L1 A 4-14, B 6-16. (L1 first: L2 ends 10 + 4 + 12 = 26.)
    def batched(station, duration):
        return Operation(station, (Alternative(station, duration, first_batch=2, last_batch=2),))

    problem = SchedulingProblem(
        jobs=(Job("L1", (batched("A", 10), batched("B", 10)), transfer_batches=2),
              Job("L2", steps(("A", 4), ("C", 12)))),
        capacities={"A": 1, "B": 1, "C": 1})
    assert dispatch.simple_lower_bound(problem) == 16 == optimum(problem)


AGV = {("A", "B"): TransportLeg(10, mover="agv")}  # one move, A to B, 10 ticks on a vehicle


def test_one_vehicle_carries_the_lots_one_after_the_other():
    # four lots A (1 tick, 4 lanes) -> B (1 tick, 4 lanes), each moved on the one AGV (10): the
    # trips run 1-11, 11-21, 21-31, 31-41 and the last lot ends on B at 42. The stations and
    # the longest job say 12; the fleet: from 1, 40 ticks of trips, then 1 to go: 42
    problem = SchedulingProblem(jobs=tuple(Job(f"L{n}", steps(("A", 1), ("B", 1))) for n in range(4)),
                                capacities={"A": 4, "B": 4}, transport=AGV, fleets={"agv": 1})
    assert max(dispatch.lower_bound_terms(problem)[0], *dispatch.lower_bound_terms(problem)[1].values()) == 12
    assert dispatch.fleet_lower_bounds(problem) == {"agv": 42}
    assert dispatch.simple_lower_bound(problem) == 42 == optimum(problem)
    assert dispatch.simple_lower_bound(problem, transports=False) == 2  # CP-SAT's makespan domain
    # two vehicles halve the trips' time: 1 + 20 + 1
    two = SchedulingProblem(jobs=problem.jobs, capacities=problem.capacities, transport=AGV, fleets={"agv": 2})
    assert dispatch.simple_lower_bound(two) == 22 == optimum(two)


def test_each_transfer_batch_is_a_trip_of_its_own():
    # one lot of 4 units, 1 tick each on A and on B, moving on one unit at a time on the one
    # AGV: batches arrive at 11, 21, 31, 41, so B ends at 42 at the earliest (38-42, each batch
    # there by the time B needs it); a whole lot would take one trip: 4 + 10 + 4 = 18
    def unit_batches(station):
        return Operation(station, (Alternative(station, 4, first_batch=1, last_batch=1),))

    problem = SchedulingProblem(jobs=(Job("L", (unit_batches("A"), unit_batches("B")), units=4, transfer_batches=4),),
                                capacities={"A": 1, "B": 1}, transport=AGV, fleets={"agv": 1})
    assert dispatch.fleet_lower_bounds(problem) == {"agv": 1 + 40 + 1}
    assert dispatch.simple_lower_bound(problem) == 42 == optimum(problem)
    whole = SchedulingProblem(jobs=(Job("L", steps(("A", 4), ("B", 4))),), capacities={"A": 1, "B": 1},
                              transport=AGV, fleets={"agv": 1})
    assert dispatch.simple_lower_bound(whole) == 18 == optimum(whole)


def test_a_move_some_station_choice_makes_without_a_vehicle_is_no_fleet_work():
    # B or C after A, C fed by a conveyor: a plan may send every lot to C, so no trip is sure
    problem = SchedulingProblem(
        jobs=tuple(Job(f"L{n}", (Operation("a", (Alternative("A", 1),)),
                                 Operation("b", (Alternative("B", 1), Alternative("C", 1))))) for n in range(4)),
        capacities={"A": 4, "B": 4, "C": 4},
        transport={**AGV, ("A", "C"): TransportLeg(10, mover="conveyor")}, fleets={"agv": 1})
    assert dispatch.fleet_lower_bounds(problem) == {}
    assert dispatch.simple_lower_bound(problem) == 12 == optimum(problem)


@pytest.mark.parametrize("crew,lots,optimum_,always_on", [
    # 6 lots fitted on either bench (20 ticks, a crew of 2): four before the break, two at
    # 60-80, then packed on a two-lane packer (5): 85. The benches' 120 ticks of work from 0 on
    # 2 lanes, 80 of it before the break: done no earlier than 80, and 5 to go (without the
    # shifts, as CP-SAT's domain gets it: 120 / 2 + 5 = 65)
    (2, 6, 85, 65),
    # a crew of 1 runs one bench at a time: 0-20, 20-40, then 60-80 and the pack: 85
    (1, 3, 85, 35),
])
def test_interchangeable_manned_benches_count_their_operators_shifts(crew, lots, optimum_, always_on):
    problem = SchedulingProblem(
        jobs=tuple(Job(f"L{n}", (Operation("fit", (Alternative("A", 20), Alternative("B", 20))),
                                 Operation("pack", (Alternative("P", 5),)))) for n in range(lots)),
        capacities={"A": 1, "B": 1, "P": 2}, pools={"crew": OperatorPool(crew, SPLIT)},
        manned={"A": ("crew",), "B": ("crew",)})
    assert dispatch.simple_lower_bound(problem) == optimum_ == optimum(problem)
    assert dispatch.simple_lower_bound(problem, shifts=False) == always_on


def test_without_shifts_interchangeable_stations_share_their_work():
    # the same benches unmanned: 6 x 20 on 2 lanes from 0 is 60, and 5 to go: 65, which
    # three lots per bench and the packer reach (a bench alone bounded nothing: no operation
    # can only run on it)
    problem = SchedulingProblem(
        jobs=tuple(Job(f"L{n}", (Operation("fit", (Alternative("A", 20), Alternative("B", 20))),
                                 Operation("pack", (Alternative("P", 5),)))) for n in range(6)),
        capacities={"A": 1, "B": 1, "P": 2})
    assert dispatch.simple_lower_bound(problem) == 65 == optimum(problem)


@st.composite
def small_problem(draw) -> SchedulingProblem:
    """Up to four lots of up to three operations on four stations (capacity 1 or 2, one of them
    perhaps a batch machine), one or two stations per operation, durations 0-6, releases, some
    lots in transfer batches (never on the batch machine), transport between some stations (by
    conveyor, or by a fleet of one or two AGVs) and perhaps a crew with breaks on some of the
    other stations."""
    stations = ["S0", "S1", "S2", "S3"]
    capacities = {s: draw(st.sampled_from([1, 1, 2])) for s in stations}
    batch_sizes = {"S3": draw(st.sampled_from([2, 4]))} if draw(st.booleans()) else {}
    if batch_sizes:
        capacities["S3"] = 1
    jobs = []
    for j in range(draw(st.integers(1, 4))):
        batched = draw(st.booleans())
        ops = []
        for k in range(draw(st.integers(1, 3))):
            alternatives = []
            for s in draw(st.lists(st.sampled_from(stations[:3] if batched else stations), min_size=1, max_size=2,
                                   unique=True)):
                d = draw(st.integers(0, 6))
                first, last = (draw(st.integers(1, d)), draw(st.integers(1, d))) if batched and d else (None, None)
                alternatives.append(Alternative(s, d, first_batch=first, last_batch=last))
            ops.append(Operation(f"o{k}", tuple(alternatives)))
        jobs.append(Job(f"J{j}", tuple(ops), units=draw(st.integers(1, 3)), family="A", release=draw(st.integers(0, 5)),
                        transfer_batches=2 if batched else 1))
    mover = draw(st.sampled_from(["conveyor", "agv"]))  # an AGV fleet carries one lot at a time
    fleets = {"agv": draw(st.integers(1, 2))} if mover == "agv" else {}
    transport = {(a, b): TransportLeg(draw(st.integers(0, 3)), mover=mover)
                 for a in stations for b in stations if a != b and draw(st.booleans())}
    pools, manned = {}, {}
    if draw(st.booleans()):  # a crew on some stations, on shift for 6-9 of every 10 ticks (every operation fits)
        pools = {"crew": OperatorPool(draw(st.integers(1, 2)), Calendar(10.0, ((0.0, float(draw(st.integers(6, 9)))),)))}
        manned = {s: ("crew",) for s in draw(st.lists(st.sampled_from(stations[:3]), min_size=1, max_size=3, unique=True))}
    return SchedulingProblem(jobs=tuple(jobs), capacities=capacities, transport=transport, batch_sizes=batch_sizes,
                             pools=pools, manned=manned, fleets=fleets)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problem())
def test_the_bounds_never_exceed_the_optimum(problem):
    """The simple bound (without shifts) is the least makespan every CP-SAT model allows, the
    full one makes an answer that reaches it optimal, and with transports it is the tabu
    search's, added to the model as a constraint: a bound above the optimum would make a worse schedule optimal. So
    the optimum here comes from a model without it."""
    with mock.patch.object(dispatch, "simple_lower_bound", lambda problem, shifts=True, transports=True: 0):
        schedule = solve(problem, time_limit=10.0, workers=1, hint=False)
    assume(schedule.status == "optimal")
    assert check_schedule(problem, schedule) == []
    assert dispatch.simple_lower_bound(problem, transports=False) <= schedule.makespan
    assert dispatch.simple_lower_bound(problem) <= schedule.makespan


@st.composite
def fleet_problem(draw) -> SchedulingProblem:
    """Three to five lots of two or three operations on three stations, every move between two
    stations a trip of 3-8 ticks on one or two AGVs (perhaps driving empty between trips), some
    lots in two transfer batches: problems where the fleet, not a station, often bounds the plan."""
    stations = ["S0", "S1", "S2"]
    jobs = []
    for j in range(draw(st.integers(3, 5))):
        batched = draw(st.booleans())
        ops = []
        for k in range(draw(st.integers(2, 3))):
            d = draw(st.integers(1, 3))
            first, last = (draw(st.integers(1, d)), draw(st.integers(1, d))) if batched else (None, None)
            ops.append(Operation(f"o{k}", tuple(Alternative(s, d, first_batch=first, last_batch=last)
                                                for s in draw(st.lists(st.sampled_from(stations), min_size=1,
                                                                       max_size=2, unique=True)))))
        jobs.append(Job(f"J{j}", tuple(ops), release=draw(st.integers(0, 3)), transfer_batches=2 if batched else 1))
    transport = {(a, b): TransportLeg(draw(st.integers(3, 8)), mover="agv") for a in stations for b in stations if a != b}
    empty = {"agv": {(a, b): draw(st.integers(0, 2)) for a in stations for b in stations if a != b}}
    return SchedulingProblem(jobs=tuple(jobs), capacities={s: 1 for s in stations}, transport=transport,
                             fleets={"agv": draw(st.integers(1, 2))}, empty_runs=empty if draw(st.booleans()) else {})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet_problem())
def test_the_fleet_bound_never_exceeds_the_optimum(problem):
    """As above, on problems where every move between stations needs a vehicle (the fleet's
    term was above every other in 17-32 of 60 drawn problems): the optimum from a model that is
    not told the bound."""
    with mock.patch.object(dispatch, "simple_lower_bound", lambda problem, shifts=True, transports=True: 0):
        schedule = solve(problem, time_limit=10.0, workers=1, hint=False)
    assume(schedule.status == "optimal")
    assert check_schedule(problem, schedule) == []
    assert dispatch.simple_lower_bound(problem) <= schedule.makespan
