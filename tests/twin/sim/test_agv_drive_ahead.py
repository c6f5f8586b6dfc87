"""The twin's AGVs drive ahead to the pick-up as the plan's do: following a plan, a vehicle
sets off empty at the plan's start of its empty leg, so it is at the pick-up as the lot is
done; under dispatching rules (no plan) a station calls a vehicle once the load is ready,
so the trip leaves an empty run later. Times worked out by hand.

The line: stations a then b, two lots of 10 units at 6 s per unit on each (60 s per lot), one
AGV whose loaded leg a -> b takes 5 s and whose empty run back b -> a takes 5 s."""
from __future__ import annotations

import pytest

from optimizer.problem import build_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_to_json
from optimizer.scheduler import solve
from twin.errors import InputError
from twin.model import Layout
from twin.sim.control import plan_from_schedule
from twin.sim.engine import run_replication
from twin.sim.factory import LegSpec, compile_factory
from twin.sim.playback import Playback

LEGS = {(x, y): LegSpec(5.0, 5.0, "agv") for x, y in (("a", "b"), ("b", "a"))}
RUNS = {("a", "a"): 0.0, ("b", "b"): 0.0, ("b", "a"): 5.0, ("a", "b"): 5.0}


def line() -> Layout:
    product = {"id": "p", "family": "f", "demand": 20, "lot_size": 10, "routing": [
        {"id": "cut", "stations": ["a"], "time": 6.0}, {"id": "bend", "stations": ["b"], "time": 6.0}]}
    return Layout.model_validate({
        "name": "line", "floor": {"width": 20.0, "depth": 10.0}, "products": [product],
        "transport": {"agv": {"fleet_size": 1}},
        "stations": [{"id": s, "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": [x, 5.0]}
                     for s, x in (("a", 5.0), ("b", 12.0))]})


def planned():
    model = line()
    problem = build_problem(model, LEGS, empty_runs=RUNS)
    schedule = solve(problem, time_limit=10, workers=1)
    assert check_schedule(problem, schedule) == []
    return schedule, schedule_to_json(problem, schedule, model.name), compile_factory(model, legs=LEGS, empty_runs=RUNS)


def times(run) -> dict:
    return {(r.lot, r.operation): (r.start, r.end) for r in run.operations}


def trips(run) -> list[tuple]:
    return [(t.lot, t.empty_from, t.empty_start, t.start, t.end) for t in run.trips]


# by hand: p#0 is cut 0..60, carried 60..65 (its empty run a -> a is nothing) and bent
# 65..125; the AGV stands at b from 65. p#1 is cut 60..120: the plan sends the AGV back
# empty over 115..120, while p#1 is still being cut, so it loads at 120, drops at 125 and
# p#1 is bent 125..185.
PLAN_TIMES = {("p#0", "cut"): (0, 60), ("p#0", "bend"): (65, 125), ("p#1", "cut"): (60, 120),
              ("p#1", "bend"): (125, 185)}
PLAN_TRIPS = [("p#0", "a", 0, 60, 65), ("p#1", "b", 115, 120, 125)]


def test_plan_sends_the_agv_back_while_the_lot_is_cut():
    schedule, _, _ = planned()
    assert {(a.job, a.operation): (a.start, a.end) for a in schedule.assignments} == PLAN_TIMES
    assert [(t.job, t.empty_from, t.empty_start, t.start, t.end) for t in schedule.transports] == [
        ("p#0", "a", 60, 60, 65), ("p#1", "b", 115, 120, 125)]


def test_following_the_plan_the_twin_drives_ahead_and_keeps_its_times():
    _, doc, factory = planned()
    run = run_replication(factory, plan=plan_from_schedule(doc, factory), trace=True)
    assert times(run) == PLAN_TIMES
    # the twin's vehicle sets off for p#1 at 115, as in the plan: no wait at the pick-up, so
    # its empty run began 5 s before loading; p#0's empty run (a -> a) is nothing at 60
    assert trips(run) == [("p#0", "a", 60.0, 60.0, 65.0), ("p#1", "b", 115.0, 120.0, 125.0)]
    assert run.lead_time_s == pytest.approx((125.0 + 185.0) / 2)


def test_sent_earlier_than_needed_the_agv_waits_at_the_pick_up():
    # a plan whose empty leg for p#1 starts at 100: the AGV is at a from 105 and waits there
    # (idle, no lot) until p#1 is cut at 120; nothing else changes
    _, doc, factory = planned()
    early = [dict(t, empty_start=100.0, empty_end=105.0) if t["job"] == "p#1" else t for t in doc["transports"]]
    run = run_replication(factory, plan=plan_from_schedule(dict(doc, transports=early), factory), trace=True)
    assert times(run) == PLAN_TIMES
    assert trips(run)[1] == ("p#1", "b", 100.0, 120.0, 125.0)
    shown = Playback(run, line())
    waiting, driving = shown.vehicles_at(110.0), shown.vehicles_at(102.5)
    assert [(v.vehicle, v.lot) for v in waiting + driving] == [(0, None), (0, None)]
    # standing at a's pick-up point at 110; at 102.5 halfway back from b's drop point (where
    # the loaded run ends, just before 125) to it
    at_b = shown.vehicles_at(125.0 - 1e-9)[0]
    assert (driving[0].x, driving[0].y) == pytest.approx(((waiting[0].x + at_b.x) / 2, (waiting[0].y + at_b.y) / 2),
                                                         abs=1e-6)
    assert waiting[0].x < at_b.x


def test_a_load_ready_before_the_planned_empty_leg_sets_its_vehicle_off_at_once():
    # a plan that carries p#1 only 130..135 (empty leg 125..130) and bends it 135..195: p#1 is
    # cut at 120 and its vehicle, idle at b, sets off then, not at 125: empty 120..125, carried
    # 125..130; the bend still waits for its planned start
    _, doc, factory = planned()
    later = [dict(t, start=130.0, end=135.0, empty_start=125.0, empty_end=130.0) if t["job"] == "p#1" else t
             for t in doc["transports"]]
    bend = [dict(o, start=135.0, end=195.0) if (o["job"], o["operation"]) == ("p#1", "bend") else o
            for o in doc["operations"]]
    run = run_replication(factory, plan=plan_from_schedule(dict(doc, transports=later, operations=bend), factory),
                          trace=True)
    assert times(run) == {**PLAN_TIMES, ("p#1", "bend"): (135, 195)}
    assert trips(run) == [("p#0", "a", 60.0, 60.0, 65.0), ("p#1", "b", 120.0, 125.0, 130.0)]


def test_under_dispatching_rules_the_agv_is_called_when_the_load_is_ready():
    # no plan: p#1's station calls the AGV at 120, when the lot is cut; it drives back empty
    # 120..125, carries 125..130 and p#1 is bent 130..190, an empty run later than the plan
    run = run_replication(compile_factory(line(), legs=LEGS, empty_runs=RUNS), trace=True)
    assert trips(run) == [("p#0", "a", 60.0, 60.0, 65.0), ("p#1", "b", 120.0, 125.0, 130.0)]
    assert times(run)[("p#1", "bend")] == (130.0, 190.0)


def test_an_empty_leg_after_its_trip_is_refused():
    _, doc, factory = planned()
    bad = [dict(t, empty_start=130.0) if t["job"] == "p#1" else t for t in doc["transports"]]
    with pytest.raises(InputError) as err:
        plan_from_schedule(dict(doc, transports=bad), factory)
    assert str(err.value) == ("schedule: transports[1].empty_start: must be a time between 0 and the trip's start "
                              "(120), got 130.0")


def test_an_agv_trip_without_its_vehicle_beside_named_ones_is_refused():
    # p#1's trip left to the dispatcher: the one AGV would follow its plan (p#0's trip) and
    # could never take it; the schedule must name every AGV trip's vehicle or none
    _, doc, factory = planned()
    partial = [{k: v for k, v in t.items() if k not in ("vehicle", "empty_from", "empty_start", "empty_end")}
               if t["job"] == "p#1" else t for t in doc["transports"]]
    with pytest.raises(InputError) as err:
        plan_from_schedule(dict(doc, transports=partial), factory)
    assert str(err.value) == ("schedule: transports[1]: an AGV trip without a vehicle, while the schedule names the "
                              "vehicle of other AGV trips; name every AGV trip's vehicle or none")
    unnamed = [{k: v for k, v in t.items() if k != "vehicle"} for t in doc["transports"]]
    assert plan_from_schedule(dict(doc, transports=unnamed), factory).vehicles == {}  # none named: the twin dispatches
