"""Transfer batches in the plan and the running twin: start-start and end-end lags with the transport, worked out by
hand, kept by CP-SAT and the dispatching rules, and checked by the independent checker.

The line: station `a` then station `b`, a 5-tick conveyor between them, one lot of 10 units
at 6 ticks per unit on `a`, moving on in batches of 2 (first batch done at 2 * 6 = 12).
"""
from __future__ import annotations

import random
from dataclasses import replace

import pytest

from twin.errors import InputError, LayoutError
from twin.model import Layout
from twin.sim.engine import run_replication
from twin.sim.factory import LegSpec, compile_factory
from twin.validate import layout_problems

from optimizer import dispatch, vehicles
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem, TransportLeg, build_problem
from optimizer.schedule import check_schedule, make_schedule
from optimizer.scheduler import solve

CONVEYOR = {("a", "b"): TransportLeg(5, 5.0, "conveyor")}


def batched(station: str, unit: int, units: int = 10, batch: int | None = 2) -> Alternative:
    """A lot of `units` at `unit` ticks each, moving on in batches of `batch` (None: whole),
    as `build_problem` makes it (the end-end lag takes a full batch)."""
    if batch is None:
        return Alternative(station, unit * units)
    return Alternative(station, unit * units, first_batch=unit * batch, last_batch=unit * batch)


def line(b_unit: int, batch: int | None = 2) -> SchedulingProblem:
    job = Job("lot", (Operation("cut", (batched("a", 6, batch=batch),)),
                      Operation("bend", (batched("b", b_unit, batch=batch),))))
    return SchedulingProblem(jobs=(job,), capacities={"a": 1, "b": 1}, transport=CONVEYOR)


def times(schedule) -> dict[str, tuple[int, int]]:
    return {a.operation: (a.start, a.end) for a in schedule.assignments}


@pytest.mark.parametrize("b_unit, bend", [
    # same speed: the first batch arrives at 12 + 5 = 17 and each later one in time: 17..77
    (6, (17, 77)),
    # b faster (4/unit): the end-end lag binds: the last batch is done at 60, arrives at 65,
    # takes 2 * 4 = 8, so b ends at 73 and starts at 73 - 40 = 33 (batches arrive at 17, 29,
    # 41, 53, 65 and are taken at 33, 41, 49, 57, 65: never before they arrive)
    (4, (33, 73)),
])
def test_two_station_line_by_hand(b_unit, bend):
    problem = line(b_unit)
    for schedule in (solve(problem, time_limit=10, workers=1), dispatch.solve(problem)):
        assert check_schedule(problem, schedule) == []
        assert times(schedule) == {"cut": (0, 60), "bend": bend}
        assert schedule.makespan == bend[1]
        # the conveyor trip reported is the first batch's: it leaves at 12
        assert [(t.start, t.end) for t in schedule.transports] == [(12, 17)]
    assert solve(problem, time_limit=10, workers=1).status == "optimal"


def test_whole_lot_is_todays_behaviour():
    for batch in (None, 10):  # no batch fields, or one batch of the whole lot
        problem = line(6, batch=batch)
        schedule = solve(problem, time_limit=10, workers=1)
        assert check_schedule(problem, schedule) == []
        assert times(schedule) == {"cut": (0, 60), "bend": (65, 125)}


def test_lower_bound_counts_only_the_first_batch_before_the_last_operation():
    # the first batch (12), the 5-tick conveyor and the whole bend (60): 77, the optimum by hand
    # (`test_two_station_line_by_hand`); a whole lot: 60 + 5 + 60 = 125 (`test_whole_lot_...`)
    assert dispatch.simple_lower_bound(line(6), transports=False) == 12 + 60
    assert dispatch.simple_lower_bound(line(6)) == 12 + 5 + 60
    assert dispatch.simple_lower_bound(line(6, batch=None), transports=False) == 120
    assert dispatch.simple_lower_bound(line(6, batch=None)) == 125


def placed_at(problem: SchedulingProblem, bend_start: int):
    return make_schedule(problem, {(0, 0): ("a", 0, 0), (0, 1): ("b", 0, bend_start)},
                         status="feasible", lower_bound=0, objective="makespan", solver="hand")


def test_checker_rejects_a_start_before_the_first_batch_arrives():
    problem = line(6)
    assert check_schedule(problem, placed_at(problem, 17)) == []
    assert check_schedule(problem, placed_at(problem, 16)) == [
        "lot/bend: starts at 16, before the first transfer batch of cut (done at 12) arrives at 17",
        "lot/bend: ends at 76, before the last transfer batch of cut (done at 60, arriving at 65) is processed at 77",
        "lot a->b: arrives at 17, after bend starts at 16",  # the first batch's trip, leaving at 12
    ]


def test_checker_rejects_an_end_before_the_last_batch_is_processed():
    problem = line(4)  # starting at 20 meets the start-start lag, but b would wait for batches
    assert check_schedule(problem, placed_at(problem, 33)) == []
    assert check_schedule(problem, placed_at(problem, 20)) == [
        "lot/bend: ends at 60, before the last transfer batch of cut (done at 60, arriving at 65) is processed at 73",
    ]


def test_checker_rejects_a_trip_leaving_before_the_first_batch_is_done():
    problem = line(6)
    schedule = placed_at(problem, 17)
    early = schedule.transports[0].__class__(**{**schedule.transports[0].__dict__, "start": 11, "end": 16})
    errors = check_schedule(problem, schedule.__class__(**{**schedule.__dict__, "transports": (early,)}))
    assert "lot a->b: leaves at 11, before cut has its first transfer batch done at 12" in errors


def random_shop(seed: int) -> SchedulingProblem:
    """Lots through three stations (one with two alternatives), some in transfer batches."""
    rng = random.Random(seed)
    legs = {(x, y): TransportLeg(rng.randint(0, 6), 1.0, "conveyor") for x in "abc" for y in "abc" if x != y}
    jobs = []
    for n in range(4):
        units, batch = rng.randint(2, 8), rng.choice([None, 1, 2, 3])
        ops = []
        for k, stations in enumerate((["a"], ["b", "c"], ["c"])):
            alts = tuple(batched(s, rng.randint(1, 5), units, batch if batch is None else min(batch, units))
                         for s in stations)
            ops.append(Operation(f"op{k}", alts))
        jobs.append(Job(f"j{n}", tuple(ops), release=rng.randint(0, 10)))
    return SchedulingProblem(jobs=tuple(jobs), capacities={"a": 1, "b": 1, "c": 2}, transport=legs)


@pytest.mark.parametrize("seed", range(6))
def test_random_shops_with_batches_pass_the_checker(seed):
    problem = random_shop(seed)
    rules = dispatch.solve(problem)
    best = solve(problem, time_limit=10, workers=1)
    assert check_schedule(problem, rules) == []
    assert check_schedule(problem, best) == []
    assert best.makespan <= rules.makespan
    assert dispatch.simple_lower_bound(problem) <= best.makespan


def test_batches_on_an_agv_leg_need_their_number():
    job = line(6).jobs[0]
    with pytest.raises(InputError) as err:
        SchedulingProblem(jobs=(job,), capacities={"a": 1, "b": 1},
                          transport={("a", "b"): TransportLeg(5, 5.0, "agv")}, fleets={"agv": 1})
    assert str(err.value) == ("jobs[0].transfer_batches: a lot in transfer batches on the agv leg a -> b needs its "
                              "number of batches (one trip each)")
    with pytest.raises(InputError, match=r"jobs\[0\]\.transfer_batches: must be an integer >= 1"):
        SchedulingProblem(jobs=(replace(job, transfer_batches=0),), capacities={"a": 1, "b": 1})


# --- one AGV trip per transfer batch ----------------------------------------------------------


def agv_line(fleet: int = 1, leg: int = 5, back: int = 5, batch: int = 2, b_unit: int = 6) -> SchedulingProblem:
    """The line with an AGV leg a -> b of `leg` ticks; the fleet's vehicles start at a and
    drive back b -> a empty in `back` ticks."""
    job = Job("lot", (Operation("cut", (batched("a", 6, batch=batch),)),
                      Operation("bend", (batched("b", b_unit, batch=batch),))), transfer_batches=-(-10 // batch))
    return SchedulingProblem(jobs=(job,), capacities={"a": 1, "b": 1},
                             transport={("a", "b"): TransportLeg(leg, 5.0, "agv"), ("b", "a"): TransportLeg(leg, 5.0, "agv")},
                             fleets={"agv": fleet}, homes={"agv": "a"}, empty_runs={"agv": {("b", "a"): back, ("a", "b"): back}})


def batch_trips(schedule) -> list[tuple]:
    return [(t.batch, t.vehicle, t.empty_from, t.start, t.end) for t in sorted(schedule.transports, key=lambda t: t.start)]


@pytest.mark.parametrize("exact_moves", [60, 0])
def test_one_vehicle_carries_each_batch_by_hand(monkeypatch, exact_moves):
    # batches of 2 are done on a at 12, 24, 36, 48, 60; the AGV takes each (5 ticks) and is
    # back at a 5 ticks after each drop, before the next batch is done: they arrive at 17,
    # 29, 41, 53, 65. b (6 per unit) starts at 17 with the first batch and needs batch i at
    # 17 + 12 i: each arrives just in time, b ends at 77, as over a 5-tick conveyor. The same
    # by the routes model and by the fleet cap re-timed (exact_moves 0).
    monkeypatch.setattr(vehicles, "EXACT_MOVES", exact_moves)
    problem = agv_line()
    for schedule in (solve(problem, time_limit=10, workers=1), dispatch.solve(problem)):
        assert check_schedule(problem, schedule) == []
        assert times(schedule) == {"cut": (0, 60), "bend": (17, 77)}
        assert batch_trips(schedule) == [(0, 0, "a", 12, 17)] + [(i, 0, "b", 12 * (i + 1), 12 * (i + 1) + 5)
                                                                  for i in range(1, 5)]


def test_a_slow_return_delays_the_batches_and_the_next_station():
    # the AGV needs 10 ticks back: batch 0 leaves at 12 (arrives 17), batch 1 at 17 + 10 = 27
    # (arrives 32), then 42, 57, 72 (arrive 47, 62, 77). b must have batch i by its start +
    # 60 - (5 - i) * 12, so its start is at least 77 - 48 = 29 (batch 4 binds; batch 1:
    # 32 - 12 = 20): b runs 29..89. Two vehicles alternate and keep up: 77 as before.
    problem = agv_line(back=10)
    for schedule in (solve(problem, time_limit=10, workers=1), dispatch.solve(problem)):
        assert check_schedule(problem, schedule) == []
        assert times(schedule) == {"cut": (0, 60), "bend": (29, 89)}
        assert [t.start for t in sorted(schedule.transports, key=lambda t: t.start)] == [12, 27, 42, 57, 72]
    two = agv_line(fleet=2, back=10)
    best = solve(two, time_limit=10, workers=1)
    assert (best.status, best.makespan) == ("optimal", 77) and check_schedule(two, best) == []
    assert sorted(t.vehicle for t in best.transports) in ([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])


def test_checker_rejects_batch_trips_out_of_their_windows():
    problem = agv_line()
    good = solve(problem, time_limit=10, workers=1)
    trips = sorted(good.transports, key=lambda t: t.start)

    def with_trip(i: int, **changes) -> list[str]:
        changed = [replace(t, **changes) if n == i else t for n, t in enumerate(trips)]
        return check_schedule(problem, replace(good, transports=tuple(changed)))

    # batch 2 is done on a at 36 and needed on b at 17 + 24 = 41
    assert with_trip(2, start=35, end=40, empty_start=30, empty_end=35) == [
        "lot a->b: batch 2 leaves at 35, before it is done on a at 36"]
    assert with_trip(2, start=37, end=42, empty_start=32, empty_end=37) == [
        "lot a->b: batch 2 arrives at 42, after bend needs it at 41"]
    assert with_trip(2, batch=3) == ["lot a->b: trip 3 of 5 carries batch 3, should be 2"]
    missing = check_schedule(problem, replace(good, transports=tuple(trips[:4])))
    assert missing == ["transports do not match the operations (missing [('lot', 'a', 'b')], unexpected [])"]


def test_plan_and_twin_agree_on_one_trip_per_batch():
    # one-piece flow over a 7-s AGV leg, one AGV that returns in no time (the twin's test
    # below): unit i is done on a at 6 (i + 1), the AGV leaves at 6 + 7 i, the last unit
    # arrives at 76 and takes 6 s on b: 82 in the plan as in the twin; two AGVs keep up: 73
    for fleet, end in ((1, 82.0), (2, 73.0)):
        data = layout(1)
        data["transport"] = {"agv": {"fleet_size": fleet}}
        problem = build_problem(Layout.model_validate(data), legs_of("agv", 7.0))
        assert problem.jobs[0].transfer_batches == 10
        schedule = solve(problem, time_limit=10, workers=1)
        assert check_schedule(problem, schedule) == [] and len(schedule.transports) == 10
        assert schedule.makespan == end == twin_run(1, "agv", 7.0, fleet=fleet).lead_time_s
    whole = build_problem(Layout.model_validate(layout(10)), legs_of("agv"))
    assert whole == build_problem(Layout.model_validate(layout(None)), legs_of("agv"))
    assert whole.jobs[0].transfer_batches == 1


@pytest.mark.parametrize("back", [0.0, 5.0])
def test_twin_follows_the_plans_vehicle_for_each_batch(back):
    # two lots in batches of 5 (2 trips each) over 5-s AGV legs, one AGV: the plan names the
    # vehicle and the batch of each trip; the document keeps them and the twin, following
    # the plan, drives the trips in the planned order. With empty runs of no time, and with
    # 5-s empty runs too (the twin's AGV drives ahead to the pick-up at the plan's start of the
    # empty leg, as the plan's does), every operation and trip starts at its planned time.
    from optimizer.schedule_json import schedule_from_json, schedule_to_json
    from twin.sim.control import plan_from_schedule

    data = layout(5)
    data["products"][0]["demand"] = 20
    data["transport"] = {"agv": {"fleet_size": 1}}
    model = Layout.model_validate(data)
    runs = {("a", "a"): 0.0, ("b", "a"): back, ("a", "b"): back, ("b", "b"): 0.0}
    problem = build_problem(model, legs_of("agv"), empty_runs=runs)
    schedule = solve(problem, time_limit=10, workers=1)
    assert check_schedule(problem, schedule) == []
    assert sorted((t.job, t.batch) for t in schedule.transports) == [("p#0", 0), ("p#0", 1), ("p#1", 0), ("p#1", 1)]
    doc = schedule_to_json(problem, schedule, model.name)
    assert schedule_from_json(doc).transports == schedule.transports
    factory = compile_factory(model, legs=legs_of("agv"), empty_runs=runs)
    run = run_replication(factory, plan=plan_from_schedule(doc, factory), trace=True)
    planned = {(a.job, a.operation): (a.start, a.end) for a in schedule.assignments}
    replayed = {(r.lot, r.operation): (round(r.start, 6), round(r.end, 6)) for r in run.operations}
    planned_trips = sorted((t.start, t.job) for t in schedule.transports)
    driven = sorted((round(t.start, 6), t.lot) for t in run.trips)
    assert replayed == planned and driven == planned_trips


def test_batch_ticks_must_fit_the_duration():
    with pytest.raises(InputError, match=r"jobs\[0\]\.operations\[0\]\.alternatives\[0\]\.first_batch: must be an "
                                         r"integer between 0 and the duration \(60\)"):
        SchedulingProblem(jobs=(Job("j", (Operation("x", (Alternative("a", 60, first_batch=61),)),)),),
                          capacities={"a": 1})


# --- the layout field ---------------------------------------------------------------------


def layout(batch: int | None, b_time: float = 6.0) -> dict:
    """The line as a layout file: one lot of 10 units, 6 s per unit on a, `b_time` on b."""
    product = {"id": "p", "family": "f", "demand": 10, "lot_size": 10, "routing": [
        {"id": "cut", "stations": ["a"], "time": 6.0}, {"id": "bend", "stations": ["b"], "time": b_time}]}
    if batch is not None:
        product["transfer_batch"] = batch
    return {"name": "line", "floor": {"width": 20.0, "depth": 10.0}, "products": [product], "stations": [
        {"id": s, "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": [x, 5.0]}
        for s, x in (("a", 5.0), ("b", 12.0))]}


def test_transfer_batch_larger_than_the_lot_is_named():
    assert [str(p) for p in layout_problems(Layout.model_validate(layout(11)))] == [
        "products[0].transfer_batch: must be <= lot_size (10 units)"]
    assert layout_problems(Layout.model_validate(layout(10))) == []


def test_transfer_batch_below_one_is_named():
    from twin.io import layout_from_data

    with pytest.raises(LayoutError) as err:
        layout_from_data(layout(0))
    assert [p.path for p in err.value.problems] == ["products[0].transfer_batch"]


def legs_of(mover: str, seconds: float = 5.0) -> dict:
    return {(x, y): LegSpec(seconds, seconds, mover) for x, y in (("a", "b"), ("b", "a"))}


@pytest.mark.parametrize("b_time, bend", [(6.0, (17, 77)), (4.0, (33, 73))])
def test_plan_of_a_layout_with_batches_on_a_conveyor(b_time, bend):
    problem = build_problem(Layout.model_validate(layout(2, b_time)), legs_of("conveyor"))
    assert problem.jobs[0].operations[0].alternatives[0] == Alternative("a", 60, first_batch=12, last_batch=12)
    schedule = solve(problem, time_limit=10, workers=1)
    assert check_schedule(problem, schedule) == []
    assert times(schedule) == {"cut": (0, 60), "bend": bend}


# --- the running twin ---------------------------------------------------------------------


def twin_run(batch: int | None, mover: str, seconds: float, b_time: float = 6.0, fleet: int = 1):
    data = layout(batch, b_time)
    data["transport"] = {"agv": {"fleet_size": fleet}}
    factory = compile_factory(Layout.model_validate(data), legs=legs_of(mover, seconds))
    return run_replication(factory, trace=True)


@pytest.mark.parametrize("b_time, lead", [(6.0, 77.0), (4.0, 73.0)])
def test_twin_lead_time_with_batches_on_a_conveyor_is_the_plans(b_time, lead):
    run = twin_run(2, "conveyor", 5.0, b_time)
    assert run.lead_time_s == pytest.approx(lead)
    assert [(t.start, t.end) for t in run.trips] == [(12.0 * i, 12.0 * i + 5) for i in range(1, 6)]
    assert twin_run(None, "conveyor", 5.0, b_time).lead_time_s == pytest.approx(60 + 5 + 10 * b_time)


def test_twin_waits_for_each_batch_when_the_last_one_is_short():
    # batches of 3, 3, 3, 1 done on a at 18, 36, 54, 60 reach b at 23, 41, 59, 65; b (4 s per
    # unit) runs 23-35, waits, 41-53, waits, 59-71, 71-75: lead time 75
    run = twin_run(3, "conveyor", 5.0, 4.0)
    assert run.lead_time_s == pytest.approx(75.0)
    assert [(r.operation, r.start, r.end) for r in run.operations] == [("cut", 0.0, 60.0), ("bend", 23.0, 75.0)]


def test_twin_drives_one_agv_trip_per_batch():
    # one-piece flow, 7-s trips, one AGV that returns in no time: unit k is done at 6k but
    # the vehicle is busy, so it leaves at 6 + 7(k - 1); the last unit arrives at 76 and
    # takes 6 s on b: 82. Two AGVs keep up: 60 + 7 + 6 = 73.
    one = twin_run(1, "agv", 7.0)
    assert len(one.trips) == 10
    assert [t.start for t in one.trips] == [6.0 + 7 * k for k in range(10)]
    assert one.lead_time_s == pytest.approx(82.0)
    assert twin_run(1, "agv", 7.0, fleet=2).lead_time_s == pytest.approx(73.0)


def test_twin_refuses_batches_on_a_belt_with_a_pitch():
    data = layout(2)
    belt = {(x, y): LegSpec(5.0, 5.0, "conveyor", places=3) for x, y in (("a", "b"), ("b", "a"))}
    with pytest.raises(LayoutError) as err:
        compile_factory(Layout.model_validate(data), legs=belt)
    assert str(err.value.problems[0]) == ("products[0].transfer_batch: the running twin does not move transfer "
                                          "batches on a belt with a pitch (a -> b)")


def test_twin_replaying_a_batched_plan_keeps_its_times():
    # two lots of 10 in batches of 3 (3, 3, 3, 1) over a 5-s conveyor, b faster than a
    from optimizer.schedule_json import schedule_to_json
    from twin.sim.control import plan_from_schedule

    data = layout(3, 4.0)
    data["products"][0]["demand"] = 20
    model = Layout.model_validate(data)
    problem = build_problem(model, legs_of("conveyor"))
    schedule = solve(problem, time_limit=10, workers=1)
    assert check_schedule(problem, schedule) == []
    factory = compile_factory(model, legs=legs_of("conveyor"))
    run = run_replication(factory, plan=plan_from_schedule(schedule_to_json(problem, schedule, model.name), factory),
                          trace=True)
    planned = {(a.job, a.operation): (a.start, a.end) for a in schedule.assignments}
    replayed = {(r.lot, r.operation): (round(r.start, 6), round(r.end, 6)) for r in run.operations}
    assert replayed == planned
    # by hand for the lot that goes first: its batches arrive at b at 23, 41, 59 and 65; the
    # third one binds (b, at 4 s per unit, would want it 2 * 12 s after its start, so b starts
    # at 35 at the earliest and ends at 75); the plan's end-end lag takes a full last batch
    # (60 + 5 + 3 * 4 = 77), one batch safe: b runs 37..77 and never waits for a batch
    assert sorted(planned.values())[:2] == [(0, 60), (37, 77)]


@pytest.mark.parametrize("exact_moves", [60, 0])
def test_replan_keeps_the_batch_trips_made_and_carries_the_rest(monkeypatch, exact_moves):
    # the AGV line planned by hand (test_one_vehicle_carries_each_batch_by_hand): cut 0..60,
    # bend 17..77, batch i leaves a at 12 (i + 1) on the one vehicle. At now = 30 batches 0
    # and 1 have left (12, 24); b fails from 30 to 40, which cuts the bend short: it starts
    # again at 40. Batch i must be at b by 40 + 12 i and leaves once done (12 (i + 1)): the
    # trips at 36, 48 and 60 arrive at 41, 53 and 65 in time, the vehicle is back at a 5
    # after each drop; the bend runs 40..100 (its end-end lag, 60 + 5 + 12 = 77, is met).
    # Without the outage, the re-plan keeps the plan as it is (makespan 77). The same by the
    # routes model and by the fleet cap re-timed with the past frozen (exact_moves 0).
    from optimizer.replan import Outage, reschedule

    monkeypatch.setattr(vehicles, "EXACT_MOVES", exact_moves)
    problem = agv_line()
    plan = solve(problem, time_limit=10, workers=1)
    assert times(plan) == {"cut": (0, 60), "bend": (17, 77)}
    for stable in (True, False):
        calm = reschedule(problem, plan, 30.0, [], time_limit=5, workers=1, stable=stable)
        assert calm.check == [] and check_schedule(problem, calm.schedule) == []
        assert times(calm.schedule) == {"cut": (0, 60), "bend": (17, 77)} and calm.kept == ((0, 0), (0, 1))
        replan = reschedule(problem, plan, 30.0, [Outage("b", 30.0, 40.0)], time_limit=5, workers=1, stable=stable)
        assert replan.check == [] and check_schedule(problem, replan.schedule) == []
        assert replan.kept == ((0, 0),) and replan.interrupted == ((0, 1),)
        assert times(replan.schedule) == {"cut": (0, 60), "bend": (40, 100)}
        trips = batch_trips(replan.schedule)
        assert trips[:2] == [(0, 0, "a", 12, 17), (1, 0, "b", 24, 29)]  # the trips made, as made
        for batch, vehicle, _, start, end in trips[2:]:  # each batch leaves once done, after now
            assert vehicle == 0 and start >= max(30, 12 * (batch + 1)) and end <= 40 + 12 * batch
        assert [t[0] for t in trips] == [0, 1, 2, 3, 4]


def test_replan_refuses_an_outage_behind_batches_that_left():
    # a fails from 30 to 40, which cuts the cut short after batches 0 and 1 left
    # on the vehicle (at 12 and 24): the cut starts again, so those trips cannot stay, yet the
    # vehicle stands at b
    from optimizer.replan import Outage, reschedule

    problem = agv_line()
    plan = solve(problem, time_limit=10, workers=1)
    with pytest.raises(InputError) as err:
        reschedule(problem, plan, 30.0, [Outage("a", 30.0, 40.0)], time_limit=5, workers=1)
    assert str(err.value) == ("now 30 s: lot lot's trip a->b left at 12 s on vehicle 0, but an outage makes the "
                              "operation it left from start again; re-planning cannot keep the vehicle where that "
                              "trip took it, schedule the layout again instead")
