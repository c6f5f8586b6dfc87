"""Following a CP-SAT schedule with variability and failures off reproduces it: no operation
starts earlier than planned, each starts exactly on time when nothing holds it up, and the
replayed times pass the scheduler's independent checker."""
from __future__ import annotations

import math

import pytest

from optimizer.problem import build_problem, layout_problem
from optimizer.schedule import Assignment, Schedule, Transport, check_schedule, objective_value
from optimizer.schedule_json import schedule_to_json
from optimizer.scheduler import solve
from twin.errors import InputError
from twin.graph import empty_runs, transport_legs
from twin.io import layout_from_data
from twin.sim.control import plan_from_schedule
from twin.sim.engine import run_replication
from twin.sim.factory import LegSpec, compile_factory

TASK_TIMES = {("cell", "pick"): 4.0}  # whole seconds, so the plan's ticks lose nothing to rounding


def planned(layout_data: dict, fleet_size: int, vehicles: bool = False):
    """The plan of the small layout and the twin of the same factory; with `vehicles`, AGVs
    that drive empty (routed runs) from the layout's home in both."""
    layout_data["transport"]["agv"]["fleet_size"] = fleet_size
    layout = layout_from_data(layout_data)
    problem = build_problem(layout, transport_legs(layout), TASK_TIMES, empty_runs(layout) if vehicles else None)
    schedule = solve(problem, time_limit=10.0, workers=1, seed=0)
    assert check_schedule(problem, schedule) == []
    # the twin moves lots in the plan's (whole-tick) transport and empty-run times
    legs = {pair: LegSpec(leg.ticks * problem.tick, leg.distance, leg.mover) for pair, leg in problem.transport.items()}
    empty = {pair: ticks * problem.tick for pair, ticks in problem.empty_runs.get("agv", {}).items()}
    factory = compile_factory(layout, TASK_TIMES, legs=legs, empty_runs=empty)
    return problem, schedule, factory, schedule_to_json(problem, schedule, layout.name)


def replayed_schedule(problem, run) -> Schedule:
    """The replay's operation and trip times as a Schedule in ticks, for the checker."""
    def ticks(seconds: float) -> int:
        assert seconds == pytest.approx(round(seconds), abs=1e-6)
        return int(round(seconds / problem.tick))

    jobs = {job.id: job for job in problem.jobs}
    assignments = tuple(
        Assignment(r.lot, r.product, jobs[r.lot].lot, r.operation, r.station, r.lane, ticks(r.start), ticks(r.end),
                   ticks(r.changeover))
        for r in run.operations
    )
    transports = tuple(
        Transport(t.lot, t.from_station, t.to_station, ticks(t.start), ticks(t.end),
                  "conveyor" if t.vehicle < 0 else "agv", problem.transport[(t.from_station, t.to_station)].distance,
                  *((t.vehicle, t.empty_from, ticks(t.empty_start), ticks(t.empty_start + t.empty_seconds))
                    if t.vehicle >= 0 else ()))
        for t in run.trips
    )
    value = objective_value(problem, assignments, "makespan")
    return Schedule("feasible", max(a.end for a in assignments), 0.0, 1.0, assignments, transports, "makespan", value)


def delayed(doc: dict, after: float, delay: float) -> dict:
    """The plan with every operation from `after` on started `delay` seconds later: still
    feasible (gaps only grow), and no longer as early as the factory allows."""
    ops = [dict(o, start=o["start"] + delay, end=o["end"] + delay) if o["start"] >= after else o
           for o in doc["operations"]]
    return dict(doc, operations=ops)


@pytest.mark.parametrize("fleet_size,delay", [(2, 0.0), (12, 0.0), (12, 500.0)])
def test_replay_keeps_the_plan(layout_data, fleet_size, delay):
    problem, schedule, factory, doc = planned(layout_data, fleet_size)
    after = problem.to_seconds(schedule.makespan) / 2
    doc = delayed(doc, after, delay)
    run = run_replication(factory, plan=plan_from_schedule(doc, factory), trace=True)
    plan = {(o["job"], o["operation"]): o for o in doc["operations"]}
    assert len(run.operations) == len(plan)
    for record in run.operations:
        target = plan[(record.lot, record.operation)]
        assert (record.station, record.lane) == (target["station"], target["lane"])
        assert record.start >= target["start"] - 1e-9
        if fleet_size == 12:  # a vehicle for every trip: nothing holds a lot up
            assert record.start == pytest.approx(target["start"], abs=1e-9)
    assert check_schedule(problem, replayed_schedule(problem, run)) == []


@pytest.mark.parametrize("fleet_size", [1, 2])
def test_replay_with_vehicles_that_drive_empty(layout_data, fleet_size):
    """Plan and twin start the AGVs at the same home and drive the same empty runs: each of
    the twin's trips is made by the vehicle the plan gave it, in the plan's order, and its
    vehicle drives ahead to the pick-up as the plan's does, so every operation and every trip
    starts at its planned time; the trips, with their vehicles and empty runs, pass the
    plan's checker."""
    problem, schedule, factory, doc = planned(layout_data, fleet_size, vehicles=True)
    assert problem.homes == {"agv": factory.agv_home} == {"agv": "in"}
    assert any(t.vehicle is not None and t.empty_end > t.empty_start for t in schedule.transports)
    run = run_replication(factory, plan=plan_from_schedule(doc, factory), trace=True)
    plan = {(o["job"], o["operation"]): o for o in doc["operations"]}
    assert all(r.start == pytest.approx(plan[(r.lot, r.operation)]["start"], abs=1e-9) for r in run.operations)
    departures = {(t["job"], t["from"], t["to"]): t["start"] for t in doc["transports"] if t.get("vehicle") is not None}
    assert {(t.lot, t.from_station, t.to_station): t.start for t in run.trips if t.vehicle >= 0} == pytest.approx(
        departures, abs=1e-9)
    planned_vehicle = {(t["job"], t["from"], t["to"]): t["vehicle"] for t in doc["transports"] if t.get("vehicle") is not None}
    agv_trips = [t for t in run.trips if t.vehicle >= 0]
    assert len(agv_trips) == len(planned_vehicle) > 0
    assert {(t.lot, t.from_station, t.to_station): t.vehicle for t in agv_trips} == planned_vehicle
    if fleet_size == 2:
        assert len(set(planned_vehicle.values())) == 2  # both vehicles have work, so following them matters
    replayed = replayed_schedule(problem, run)
    assert any(t.empty_from == "in" for t in replayed.transports)
    assert check_schedule(problem, replayed) == []


def test_plan_and_twin_share_the_home_and_empty_runs(layout_data):
    layout_data["transport"]["agv"]["home"] = "wash"
    layout = layout_from_data(layout_data)
    problem = layout_problem(layout, TASK_TIMES)
    factory = compile_factory(layout, TASK_TIMES)
    assert problem.homes == {"agv": "wash"} and factory.agv_home == "wash"
    plan_runs = problem.empty_runs["agv"]
    assert plan_runs and set(plan_runs) == set(factory.empty_runs)
    for pair, seconds in factory.empty_runs.items():  # the plan rounds each run up to whole ticks
        assert plan_runs[pair] == math.ceil(seconds / problem.tick - 1e-9)


def test_a_trip_on_a_vehicle_the_layout_does_not_have_is_refused(layout_data):
    _, _, factory, doc = planned(layout_data, 2, vehicles=True)
    trips = [dict(t, vehicle=5) if t.get("vehicle") is not None else t for t in doc["transports"]]
    first = next(i for i, t in enumerate(trips) if t.get("vehicle") is not None)
    with pytest.raises(InputError, match=rf"s.json: transports\[{first}\].vehicle: the layout has 2 AGVs "
                                         r"\(0 to 1\), not 5"):
        plan_from_schedule(dict(doc, transports=trips), factory, "s.json")


def test_a_schedule_of_another_layout_is_refused(layout_data):
    _, _, factory, doc = planned(layout_data, 2)
    other = dict(doc, layout="elsewhere")
    with pytest.raises(InputError, match="s.json: the schedule is for layout 'elsewhere', not 'small'"):
        plan_from_schedule(other, factory, "s.json")
    moved = dict(doc, operations=[dict(doc["operations"][0], station="wash")] + doc["operations"][1:])
    first = doc["operations"][0]
    with pytest.raises(InputError) as info:
        plan_from_schedule(moved, factory, "s.json")
    assert str(info.value) == f"s.json: operations[0].station: 'wash' cannot do {first['job']}/{first['operation']}"
    short = dict(doc, operations=doc["operations"][1:])
    with pytest.raises(InputError, match=r"s.json: 1 operations of the layout are not planned, e.g. "):
        plan_from_schedule(short, factory, "s.json")
