"""A fleet's booked trips (`optimizer.fleet_timeline`): a new trip takes a gap between trips
booked before it when the vehicle gets there and on to its next pick-up in time; worked out by
hand, and through the dispatching rules on a lot in transfer batches."""
from __future__ import annotations

from dataclasses import replace
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import dispatch, fleet_timeline, vehicles
from optimizer.fleet_timeline import GAPS_TRIED, FleetTimeline, Slot
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem, TransportLeg
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve


def one_op(name: str, station: str, ticks: int) -> Operation:
    return Operation(name, (Alternative(station, ticks),))


def fleet(runs: dict[tuple[str, str], int], home: str | None = "H", size: int = 1) -> FleetTimeline:
    problem = SchedulingProblem(jobs=(Job("J", (one_op("a", "A", 1),)),), capacities={"A": 1},
                                fleets={"agv": size}, homes={"agv": home} if home else {}, empty_runs={"agv": runs})
    return FleetTimeline(problem, "agv", size)


def test_a_trip_fits_between_two_booked_ones_only_with_its_empty_runs():
    # one vehicle at home H, booked A->B 100-110; empty runs H->C 5, D->A 20, any other 0
    timeline = fleet({("H", "C"): 5, ("D", "A"): 20})
    timeline.book(0, 100, "A", "B", 10)
    # C->D for 10 ticks, ready at 0: at C at 5, at D at 15, back at A by 35 <= 100: leaves at 5
    assert timeline.slot(0, "C", "D", 10, leaves=0) == Slot(0, 5, 5, 5)
    # ready at 75: at D at 85, at A at 105 > 100: after the booked trip, from B (empty run 0)
    assert timeline.slot(0, "C", "D", 10, leaves=75) == Slot(0, 110, 110, 0)
    # ready at 70: at A by 100 exactly: fits
    assert timeline.slot(0, "C", "D", 10, leaves=70).depart == 70
    # not before a re-plan's start (120): after the booked trip
    assert timeline.slot(0, "C", "D", 10, leaves=0, not_before=120) == Slot(0, 120, 120, 0)


def test_book_and_unbook_keep_the_trips_in_time_order():
    timeline = fleet({}, home=None, size=2)
    timeline.book(1, 50, "A", "B", 10)
    timeline.book(1, 10, "C", "D", 10)
    assert timeline.trips[1] == [(10, 20, "C", "D"), (50, 60, "A", "B")]
    timeline.unbook(1, 10, "C", "D", 10)
    assert timeline.trips == [[], [(50, 60, "A", "B")]]
    # a vehicle without a home stands anywhere before its first trip: 20-30 fits before 50
    assert timeline.slots("X", "Y", 10, leaves=20) == [Slot(0, 20, 0, 0), Slot(1, 20, 0, 0)]


def test_only_the_first_gaps_are_tried():
    timeline = fleet({}, home=None)
    for n in range(GAPS_TRIED + 1):  # trips of 10 every 15 ticks: gaps of 5
        timeline.book(0, 15 * n, "A", "B", 10)
    wide_open = 15 * GAPS_TRIED + 10  # then a gap of 100 ticks, and one more trip
    timeline.book(0, wide_open + 100, "A", "B", 10)
    assert timeline.slot(0, "A", "B", 5, leaves=0).depart == 10  # the first gap
    # a 10-tick trip fits none of the first GAPS_TRIED gaps; the wide one comes after them
    assert timeline.slot(0, "A", "B", 10, leaves=0).depart == wide_open + 110
    assert timeline.slot(0, "A", "B", 10, leaves=wide_open - 20).depart == wide_open  # tried from there


def test_a_lot_ready_later_takes_the_vehicle_between_another_lots_transfer_batches():
    # L1 in two transfer batches: A (100, a batch done every 50) then B (100); its batches leave A
    # at 50 and 100 on the one AGV (10 ticks each), B runs 60-160. L2: C (60) then D (200), its
    # trip ready at 60. The rules place L1's move first (it ends sooner) and book both its
    # batches; L2's trip then fits between them (60-70, the vehicle free again by 100) and D
    # runs 70-270, the optimum (D cannot start before 70). A vehicle known only by when it is
    # free last took L2 at 110: 320.
    def batched(station: str) -> Operation:
        return Operation(station, (Alternative(station, 100, first_batch=50, last_batch=50),))

    problem = SchedulingProblem(
        jobs=(Job("L1", (batched("A"), batched("B")), transfer_batches=2),
              Job("L2", (one_op("c", "C", 60), one_op("d", "D", 200)))),
        capacities={s: 1 for s in "ABCD"},
        transport={("A", "B"): TransportLeg(10), ("C", "D"): TransportLeg(10)}, fleets={"agv": 1})
    for rule in dispatch.RULES:
        placed = dispatch.list_schedule(problem, rule)
        assert placed.placed[(1, 1)] == ("D", 0, 70) and placed.placed[(0, 1)] == ("B", 0, 60)
        assert sorted(placed.departures.values()) == [50, 60, 100]
    schedule = dispatch.solve(problem)
    assert check_schedule(problem, schedule) == [] and schedule.makespan == 270 == dispatch.simple_lower_bound(problem)
    # whole lots too: L1 as one lot leaves A at 100 (B 110-210) and is placed first (it ends
    # sooner); L2's trip, ready at 60, goes before it (60-70), and D runs 70-270
    whole = replace(problem, jobs=(Job("L1", (one_op("a", "A", 100), one_op("b", "B", 100))), problem.jobs[1]))
    for rule in dispatch.RULES:
        assert dispatch.list_schedule(whole, rule).placed[(1, 1)] == ("D", 0, 70)


@st.composite
def lots_in_transfer_batches(draw) -> SchedulingProblem:
    """Three to six lots of two or three operations on four stations, most in three transfer
    batches, every move a trip of 2-5 ticks on one or two AGVs that drive empty between trips."""
    stations = ["S0", "S1", "S2", "S3"]
    jobs = []
    for j in range(draw(st.integers(3, 6))):
        batches = draw(st.sampled_from([1, 3, 3]))
        ops = []
        for k in range(draw(st.integers(2, 3))):
            unit = draw(st.integers(1, 4))
            alternatives = tuple(Alternative(s, 3 * unit, first_batch=unit, last_batch=unit) if batches > 1
                                 else Alternative(s, 3 * unit)
                                 for s in draw(st.lists(st.sampled_from(stations), min_size=1, max_size=2, unique=True)))
            ops.append(Operation(f"o{k}", alternatives))
        jobs.append(Job(f"J{j}", tuple(ops), units=3, transfer_batches=batches, release=draw(st.integers(0, 4))))
    return SchedulingProblem(
        jobs=tuple(jobs), capacities={s: 1 for s in stations},
        transport={(a, b): TransportLeg(draw(st.integers(2, 5))) for a in stations for b in stations if a != b},
        fleets={"agv": draw(st.integers(1, 2))},
        empty_runs={"agv": {(a, b): draw(st.integers(0, 3)) for a in stations for b in stations if a != b}})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lots_in_transfer_batches(), st.sampled_from([1, GAPS_TRIED]))
def test_batches_leave_in_their_order_whatever_gaps_are_tried(problem, gaps):
    """The dispatching rules and a plan made with the fleet cap, then re-timed (`dispatch.follow`),
    pass the checker, which wants a lot's batches to leave in their order: with one gap tried,
    a later batch could find a gap that an earlier one, searching from an earlier time, did not."""
    with mock.patch.object(fleet_timeline, "GAPS_TRIED", gaps), mock.patch.object(vehicles, "EXACT_MOVES", 0):
        rule = dispatch.solve(problem)
        plan = solve(problem, time_limit=3.0, workers=1)
    assert check_schedule(problem, rule) == []
    assert check_schedule(problem, plan) == []
