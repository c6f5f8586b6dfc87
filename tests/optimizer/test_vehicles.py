"""AGVs as vehicles: each carries one lot at a time and drives empty from its last drop (or
its home) to the next pick-up. Hand-solved small cases for the CP-SAT models (routes and
lead), the dispatching rules, the independent checker and the schedule document."""
from __future__ import annotations

from dataclasses import replace

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import dispatch, scheduler, vehicles
from optimizer.kpis import kpis
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem, TransportLeg
from optimizer.schedule import check_schedule, make_schedule
from optimizer.schedule_json import schedule_from_json, schedule_json_schema, schedule_to_json
from optimizer.scheduler import solve
from optimizer.vehicle_assignment import SECONDS_PER_TRIP_CUBED, assignment_seconds, drive_least_empty
from twin.errors import InputError


def one_op(name: str, station: str, ticks: int) -> Operation:
    return Operation(name, (Alternative(station, ticks),))


def two_lots(fleet: int = 1, home_runs: tuple[int, int] = (2, 3)) -> SchedulingProblem:
    """J1: A(5) then B(5); J2: C(5) then D(5); both moves are 10-tick, 8 m AGV legs. The AGVs
    start at home H; empty runs H->A, H->C as given, B->C 4, D->A 6, any other 9."""
    places = ("H", "A", "B", "C", "D")
    runs = {(x, y): 9 for x in places for y in places}
    runs.update({("H", "A"): home_runs[0], ("H", "C"): home_runs[1], ("B", "C"): 4, ("D", "A"): 6})
    return SchedulingProblem(
        jobs=(Job("J1", (one_op("a", "A", 5), one_op("b", "B", 5))), Job("J2", (one_op("c", "C", 5), one_op("d", "D", 5)))),
        capacities={s: 1 for s in "ABCD"},
        transport={("A", "B"): TransportLeg(10, 8.0), ("C", "D"): TransportLeg(10, 8.0)},
        fleets={"agv": fleet}, homes={"agv": "H"}, empty_runs={"agv": runs},
    )


def trips(schedule) -> dict[str, tuple]:
    return {t.job: (t.vehicle, t.empty_from, t.empty_start, t.empty_end, t.start, t.end) for t in schedule.transports}


def test_one_vehicle_drives_empty_between_its_trips():
    # J1 first: H->A by 2, leaves A at 5, drops at B at 15; B->C takes 4, so J2 leaves C at 19,
    # reaches D at 29 and ends at 34. J2 first ends at 5 + 10 + 6 + 10 + 5 = 36. Without the
    # empty runs (a plain fleet cap) it would be 30.
    schedule = solve(two_lots(), time_limit=10.0, workers=1)
    assert (schedule.status, schedule.makespan) == ("optimal", 34)
    assert trips(schedule) == {"J1": (0, "H", 3, 5, 5, 15), "J2": (0, "B", 15, 19, 19, 29)}
    assert check_schedule(two_lots(), schedule) == []
    rule = dispatch.solve(two_lots())
    assert check_schedule(two_lots(), rule) == [] and rule.makespan >= 34
    cap = replace(two_lots(), homes={}, empty_runs={})
    assert solve(cap, time_limit=10.0, workers=1).makespan == 30


def test_distance_driven_counts_the_empty_runs():
    # metres of the empty runs: H->A 3, B->C 5, any other 20. The one vehicle's plan (J1
    # first): empty H->A 3 m, loaded A->B 8 m, empty B->C 5 m, loaded C->D 8 m = 24 m, of
    # which 8 m empty; the same plan counted by loaded legs only would say 16 m
    places = ("H", "A", "B", "C", "D")
    metres = {(x, y): 20.0 for x in places for y in places}
    metres.update({("H", "A"): 3.0, ("B", "C"): 5.0})
    problem = replace(two_lots(), empty_distances={"agv": metres})
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert [(t.empty_from, t.from_station) for t in sorted(schedule.transports, key=lambda t: t.start)] == \
        [("H", "A"), ("B", "C")]
    figures = kpis(problem, schedule)
    assert (figures.agv_distance, figures.agv_empty_distance) == (24.0, 8.0)
    # with two vehicles both drive from home: H->A 3 m and H->C 20 m, plus 16 m loaded
    two = replace(two_lots(fleet=2), empty_distances={"agv": metres})
    assert kpis(two, solve(two, time_limit=10.0, workers=1)).agv_distance == 3.0 + 20.0 + 16.0
    # without a home the vehicle starts where its first lot waits (0 m) and then drives empty
    # B->C (5 m) or D->A (20 m), whichever lot goes first
    cap = replace(two_lots(), homes={}, empty_runs={}, empty_distances={"agv": metres})
    assert kpis(cap, solve(cap, time_limit=10.0, workers=1)).agv_empty_distance in (5.0, 20.0)


def test_empty_distances_are_checked():
    with pytest.raises(InputError, match=r"empty_distances\[agv\]\[H->A\]: must be a finite number >= 0"):
        replace(two_lots(), empty_distances={"agv": {("H", "A"): float("nan")}})
    with pytest.raises(InputError, match=r"empty_distances\[belt\]: no fleet 'belt'"):
        replace(two_lots(), empty_distances={"belt": {}})


@pytest.mark.parametrize("home_runs, optimum", [((2, 3), 20), ((8, 9), 24)])
def test_two_vehicles_start_at_home(home_runs, optimum):
    # each lot gets its own vehicle; a lot waits for it when home is farther than 5 ticks
    problem = two_lots(fleet=2, home_runs=home_runs)
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert (schedule.status, schedule.makespan) == ("optimal", optimum)
    assert {t.empty_from for t in schedule.transports} == {"H"}
    assert sorted(t.vehicle for t in schedule.transports) == [0, 1]
    assert check_schedule(problem, schedule) == []
    assert check_schedule(problem, dispatch.solve(problem)) == []


def test_too_many_trips_for_routes_plan_without_empty_runs_then_retime(monkeypatch):
    # the cap relaxation (no empty runs) plans 30, a lower bound; re-timed so that the one
    # vehicle drives empty between the trips, the plan ends at 34 (J1 first) or 36 (J2 first)
    monkeypatch.setattr(vehicles, "EXACT_MOVES", 0)
    relaxed = solve(two_lots(), time_limit=10.0, workers=1, hint=False)
    assert (relaxed.solver, relaxed.status, relaxed.lower_bound) == ("cpsat", "feasible", 30)
    assert relaxed.makespan in (34, 36) and check_schedule(two_lots(), relaxed) == []
    assert [t.vehicle for t in relaxed.transports] == [0, 0]
    best = solve(two_lots(), time_limit=10.0, workers=1)  # the dispatching rules' 34 if better
    assert (best.status, best.makespan, best.lower_bound) == ("feasible", 34, 30)
    # with two vehicles the relaxation's optimum needs no delay: proven optimal
    two = solve(two_lots(fleet=2), time_limit=10.0, workers=1, hint=False)
    assert (two.status, two.makespan) == ("optimal", 20) and check_schedule(two_lots(fleet=2), two) == []


def test_of_the_plans_made_without_empty_runs_the_best_as_run_is_kept_not_the_last():
    # two plans of the cap relaxation, both 30 as planned with the one vehicle: J1 first
    # (J2's trip leaves when J1's has dropped at B, 15) and J2 first (J1's trip leaves at 15).
    # Re-timed with the empty runs, J1 first ends at 34 (B->C 4), J2 first at 36 (D->A 6).
    # CP-SAT reports its schedules in the order found; the later one here runs worse.
    problem = two_lots()
    j1_first = dispatch.ListSchedule({(0, 0): ("A", 0, 0), (0, 1): ("B", 0, 15), (1, 0): ("C", 0, 0),
                                      (1, 1): ("D", 0, 25)}, {(0, 1): 5, (1, 1): 15})
    j2_first = dispatch.ListSchedule({(0, 0): ("A", 0, 0), (0, 1): ("B", 0, 25), (1, 0): ("C", 0, 0),
                                      (1, 1): ("D", 0, 15)}, {(0, 1): 15, (1, 1): 5})
    assert [dispatch.makespan(problem, plan.placed) for plan in (j1_first, j2_first)] == [30, 30]
    retimed = []

    def retime(plan):
        retimed.append(dispatch.follow(problem, plan.placed, plan.departures))
        return retimed[-1]

    kept = scheduler._BestRetimed(problem, None, "makespan", retime)
    kept.offer(j1_first)
    kept.offer(j2_first)
    assert [dispatch.makespan(problem, plan.placed) for plan in retimed] == [34, 36]
    assert kept.best_with(j2_first) is retimed[0]  # the solver's final schedule counts too
    best = make_schedule(problem, kept.best.placed, status="feasible", lower_bound=30.0, objective="makespan",
                         solver="cpsat", departures=kept.best.departures, vehicles=kept.best.vehicles)
    assert (best.makespan, trips(best)["J2"]) == (34, (0, "B", 15, 19, 19, 29))
    assert check_schedule(problem, best) == []
    # on a tie the later schedule (the better as planned) is kept; the final one counts even
    # when it is not the last one reported, and when nothing was reported
    tie = scheduler._BestRetimed(problem, None, "makespan", retime)
    tie.offer(j1_first)
    tie.offer(j1_first)
    assert tie.best is retimed[-1]
    other = scheduler._BestRetimed(problem, None, "makespan", retime)
    other.offer(j2_first)
    assert other.best_with(j1_first) is retimed[-1] and other.value == 34
    fresh = scheduler._BestRetimed(problem, None, "makespan", retime)
    assert dispatch.makespan(problem, fresh.best_with(j2_first).placed) == 36


def test_the_scheduler_answers_with_the_best_plan_as_run_not_the_last_found(monkeypatch):
    # the relaxed two-lot problem, hinted with the rules' plan (34 as planned): CP-SAT reports
    # it, then the relaxation's optimum (30 as planned). A re-timing that has to delay that tight
    # plan by 10 ticks (made so here) runs it at 44, so CP-SAT's first plan is the answer; the
    # last one alone would have lost to the rules' fallback.
    monkeypatch.setattr(vehicles, "EXACT_MOVES", 0)
    problem = two_lots()
    planned = []

    def retime(plan):
        planned.append(dispatch.makespan(problem, plan.placed))
        run = dispatch.follow(problem, plan.placed, plan.departures)
        if planned[-1] > 30:
            return run
        return dispatch.ListSchedule({key: (station, lane, start + 10) for key, (station, lane, start) in run.placed.items()},
                                     {key: depart + 10 for key, depart in run.departures.items()}, run.vehicles)

    schedule = solve(problem, time_limit=10.0, workers=1, retime=retime)
    assert planned == [34, 30, 30]  # the two reported, then the solver's final response
    assert (schedule.solver, schedule.makespan) == ("cpsat", 34)
    assert check_schedule(problem, schedule) == []
    # a caller's constraints may set their own objective (a re-plan's least shift): by that,
    # CP-SAT's last schedule is the best, so it alone is re-timed (and loses to the rules here)
    planned.clear()
    constrained = solve(problem, time_limit=10.0, workers=1, retime=retime, constrain=lambda model, v: None)
    assert planned == [30] and (constrained.solver, constrained.makespan) == ("dispatch", 34)


def test_retiming_sends_the_nearer_of_two_idle_vehicles():
    # two vehicles at home H (H->A 2, H->C 1); J1 runs a on A 0-5 and leaves at 5 on vehicle 0
    # (both equally near), dropping at B at 15; J2, released at 20, runs c on C 20-25 and
    # leaves at 25. Both vehicles can be at C by then: vehicle 0 from B (empty 4), vehicle 1
    # from home (empty 1). The nearer one goes; the one there last (vehicle 0, at 19 against
    # 1) would drive 3 more.
    problem = two_lots(fleet=2, home_runs=(2, 1))
    problem = replace(problem, jobs=(problem.jobs[0], replace(problem.jobs[1], release=20)))
    placed = {(0, 0): ("A", 0, 0), (0, 1): ("B", 0, 15), (1, 0): ("C", 0, 20), (1, 1): ("D", 0, 35)}
    found = dispatch.follow(problem, placed, {(0, 1): 5, (1, 1): 25})
    assert found.vehicles == {(0, 1): 0, (1, 1): 1}
    assert found.departures == {(0, 1): 5, (1, 1): 25}
    schedule = make_schedule(problem, found.placed, status="feasible", lower_bound=0.0, objective="makespan",
                             solver="cpsat", departures=found.departures, vehicles=found.vehicles)
    assert trips(schedule) == {"J1": (0, "H", 3, 5, 5, 15), "J2": (1, "H", 24, 25, 25, 35)}
    assert check_schedule(problem, schedule) == []
    # a vehicle that lets the trip leave earlier still wins over a nearer one
    assert dispatch.pick_vehicle(10, [12, 30], [1, 9]) == 0
    assert dispatch.pick_vehicle(10, [30, 12], [1, 9]) == 1
    assert dispatch.pick_vehicle(40, [30, 12], [9, 1]) == 1
    assert dispatch.pick_vehicle(40, [30, 12], [1, 9]) == 0


def test_a_plan_is_driven_by_the_vehicles_that_drive_least_empty_at_its_times():
    # the same plan with both trips on vehicle 0: J2's trip comes from B (empty 4 ticks, 9 m)
    # where vehicle 1 could come from home (1 tick, 1 m); the plan's times stay, vehicle 1 goes
    problem = two_lots(fleet=2, home_runs=(2, 1))
    metres = {pair: float(ticks) for pair, ticks in problem.empty_runs["agv"].items()}
    metres[("B", "C")] = 9.0
    problem = replace(problem, jobs=(problem.jobs[0], replace(problem.jobs[1], release=20)),
                      empty_distances={"agv": metres})
    placed = {(0, 0): ("A", 0, 0), (0, 1): ("B", 0, 15), (1, 0): ("C", 0, 20), (1, 1): ("D", 0, 35)}
    one = make_schedule(problem, placed, status="feasible", lower_bound=0.0, objective="makespan", solver="cpsat",
                        departures={(0, 1): 5, (1, 1): 25}, vehicles={(0, 1): 0, (1, 1): 0})
    assert check_schedule(problem, one) == [] and kpis(problem, one).agv_empty_distance == 2 + 9
    best = drive_least_empty(problem, one)
    assert check_schedule(problem, best) == []
    assert trips(best) == {"J1": (0, "H", 3, 5, 5, 15), "J2": (1, "H", 24, 25, 25, 35)}
    assert best.assignments == one.assignments and best.makespan == one.makespan
    assert kpis(problem, best).agv_empty_distance == 2 + 1
    assert drive_least_empty(problem, best) is best  # already the least: nothing to change
    # its estimate counts the moves that may take the fleet: two here; a plain cap has no vehicles
    assert assignment_seconds(problem) == SECONDS_PER_TRIP_CUBED * 2 ** 3
    assert assignment_seconds(replace(problem, homes={}, empty_runs={})) == 0.0


def test_a_lot_from_its_origin():
    # J1 waits at L/U (the AGV's home): the trip L->A (3) comes first, so A starts at 3
    problem = SchedulingProblem(
        jobs=(Job("J1", (one_op("a", "A", 4), one_op("b", "B", 1)), origin="L"),),
        capacities={"A": 1, "B": 1},
        transport={("L", "A"): TransportLeg(3), ("A", "B"): TransportLeg(2)},
        fleets={"agv": 1}, homes={"agv": "L"}, empty_runs={"agv": {("A", "A"): 1, ("L", "L"): 0}},
    )
    schedule = solve(problem, time_limit=10.0, workers=1)
    # L->A over 0..3, a 3..7, the AGV waits in A's input and needs 1 tick to the output: A->B 7..9
    assert schedule.makespan == 10 and check_schedule(problem, schedule) == []
    assert trips(schedule)["J1"] == (0, "A", 6, 7, 7, 9)
    assert [(t.from_station, t.start, t.empty_from) for t in schedule.transports] == [("L", 0, "L"), ("A", 7, "A")]
    early = replace(schedule, assignments=tuple(replace(a, start=a.start - 1, end=a.end - 1) if a.operation == "a"
                                                else a for a in schedule.assignments))
    assert "J1/a: starts at 2, before release ends at 0 plus 3 (transport L->A needs 3 ticks)" in check_schedule(problem, early)


# --- the checker --------------------------------------------------------------------------------


def two_vehicle_plan():
    problem = two_lots(fleet=2)
    placed = {(0, 0): ("A", 0, 0), (0, 1): ("B", 0, 15), (1, 0): ("C", 0, 0), (1, 1): ("D", 0, 15)}
    schedule = make_schedule(problem, placed, status="feasible", lower_bound=0, objective="makespan", solver="test",
                             vehicles={(0, 1): 0, (1, 1): 1})
    return problem, schedule


def with_trip(schedule, job: str, **changes):
    return replace(schedule, transports=tuple(replace(t, **changes) if t.job == job else t for t in schedule.transports))


def test_a_good_vehicle_plan_passes():
    problem, schedule = two_vehicle_plan()
    assert check_schedule(problem, schedule) == []
    assert trips(schedule) == {"J1": (0, "H", 3, 5, 5, 15), "J2": (1, "H", 2, 5, 5, 15)}


def test_one_vehicle_cannot_carry_two_lots_at_once():
    problem, schedule = two_vehicle_plan()
    errors = check_schedule(problem, with_trip(schedule, "J2", vehicle=0))
    assert "agv 0: drives empty to J2 C->D from H, but it stands at B" in errors
    assert "agv 0: leaves H for J2 C->D at 2, before it is free at 15" in errors


def test_an_empty_run_too_short_or_too_late():
    problem, schedule = two_vehicle_plan()
    short = with_trip(schedule, "J1", empty_start=4)
    assert check_schedule(problem, short) == ["agv 0: drives empty H->A in 1 ticks for J1 A->B, the run takes 2"]
    late = with_trip(schedule, "J1", empty_start=4, empty_end=6)
    assert check_schedule(problem, late) == ["agv 0: reaches A at 6, after J1 A->B leaves at 5"]
    negative = with_trip(schedule, "J1", empty_start=-1, empty_end=1)
    assert check_schedule(problem, negative) == ["agv 0: leaves H for J1 A->B at -1, before it is free at 0"]


def test_every_trip_needs_a_vehicle_of_the_fleet():
    problem, schedule = two_vehicle_plan()
    assert check_schedule(problem, with_trip(schedule, "J1", vehicle=None)) == ["J1 A->B: no vehicle of the agv fleet"]
    assert check_schedule(problem, with_trip(schedule, "J1", vehicle=2)) == [
        "J1 A->B: vehicle 2 does not exist (the agv fleet has 2)"]
    assert check_schedule(problem, with_trip(schedule, "J1", empty_from=None)) == ["J1 A->B: agv 0 has no empty leg"]
    # a plain fleet cap (no home, no empty runs) may leave the vehicles out
    cap = replace(problem, homes={}, empty_runs={})
    assert check_schedule(cap, with_trip(schedule, "J1", vehicle=None)) == []


def test_the_document_keeps_vehicles_and_empty_legs():
    problem, schedule = two_vehicle_plan()
    doc = schedule_to_json(problem, schedule, "two")
    jsonschema.validate(doc, schedule_json_schema())
    first = doc["transports"][0]
    assert (first["vehicle"], first["empty_from"], first["empty_start"], first["empty_end"]) == (0, "H", 3.0, 5.0)
    assert schedule_from_json(doc).transports == schedule.transports
    del first["empty_from"]
    with pytest.raises(jsonschema.ValidationError, match="'empty_from' is a dependency of 'vehicle'"):
        jsonschema.validate(doc, schedule_json_schema())


# --- property: random small flexible job shops with vehicles -------------------------------------


@st.composite
def shops_with_vehicles(draw) -> SchedulingProblem:
    stations = [f"S{i}" for i in range(draw(st.integers(1, 3)))]
    places = stations + ["H"]
    jobs = []
    for j in range(draw(st.integers(1, 4))):
        ops = []
        for k in range(draw(st.integers(1, 3))):
            chosen = draw(st.lists(st.sampled_from(stations), min_size=1, max_size=len(stations), unique=True))
            ops.append(Operation(f"o{k}", tuple(Alternative(s, draw(st.integers(0, 6))) for s in chosen)))
        jobs.append(Job(f"J{j}", tuple(ops), release=draw(st.integers(0, 5)), origin=draw(st.sampled_from([None, "H"]))))
    return SchedulingProblem(
        jobs=tuple(jobs),
        capacities={s: draw(st.integers(1, 2)) for s in stations},
        transport={(a, b): TransportLeg(draw(st.integers(0, 4))) for a in places for b in stations if a != b},
        fleets={"agv": draw(st.integers(1, 2))},
        homes={"agv": "H"} if draw(st.booleans()) else {},
        empty_runs={"agv": {(a, b): draw(st.integers(0, 5)) for a in places for b in places}},
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops_with_vehicles(), st.sampled_from([0, 60]))
def test_every_vehicle_schedule_passes_the_checker(problem, exact_moves):
    """Routes model (60) and relaxation re-timed (0), and the dispatching rules: all checked;
    a proven optimum is never worse than the rules, nor better than the other model's proof."""
    original = vehicles.EXACT_MOVES
    try:
        vehicles.EXACT_MOVES = exact_moves
        model = solve(problem, time_limit=5.0, workers=1)
    finally:
        vehicles.EXACT_MOVES = original
    assert check_schedule(problem, model) == []
    rule = dispatch.solve(problem)
    assert check_schedule(problem, rule) == []
    if model.status == "optimal":
        assert model.makespan <= rule.makespan
        exact = solve(problem, time_limit=5.0, workers=1)
        if exact.status == "optimal":
            assert exact.makespan == model.makespan
