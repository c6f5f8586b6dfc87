"""Re-planning from the live state (`optimizer.replan`) on small factories whose answers are
checked here, not taken from the code: the AGVs are the plan's vehicles (trips made keep
their vehicle and departure, the independent checker checks every empty run from where each
vehicle stands), and an outage on one station leaves the other stations' work where it was."""
from __future__ import annotations

import pytest

from twin.io import layout_from_data

from optimizer.problem import layout_problem
from optimizer.replan import Outage, reschedule
from optimizer.schedule import check_schedule, make_schedule
from optimizer.scheduler import solve


def two_lines(operators: bool = False) -> dict:
    """Two products of six lots, each on its own pair of machines; three AGVs with a home and
    empty runs carry both lines' lots from cut to drill."""
    def machine(sid: str, x: float, y: float) -> dict:
        return {"id": sid, "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": [x, y]}

    def product(pid: str, line: str) -> dict:
        return {"id": pid, "family": pid, "demand": 60, "lot_size": 10,
                "routing": [{"id": "cut", "stations": [f"cut_{line}"], "time": 6.0},
                            {"id": "drill", "stations": [f"drill_{line}"], "time": 4.0}]}

    data = {
        "name": "two_lines",
        "floor": {"width": 30.0, "depth": 20.0, "grid": 1.0, "aisle_width": 1.5,
                  "docks": [{"id": "in", "kind": "receiving", "position": [0.0, 10.0]},
                            {"id": "out", "kind": "shipping", "position": [30.0, 10.0]}]},
        "stations": [machine("cut_a", 8.0, 5.0), machine("drill_a", 20.0, 5.0),
                     machine("cut_b", 8.0, 15.0), machine("drill_b", 20.0, 15.0)],
        "transport": {"agv": {"speed": 1.0, "fleet_size": 3, "load_time": 5.0}},
        "products": [product("a", "a"), product("b", "b")],
    }
    if operators:  # one pool of two for both cutting machines, on shift all the time planned here
        data["operators"] = {"time_zero": "06:00", "pools": [
            {"id": "cutters", "size": 2, "stations": ["cut_a", "cut_b"],
             "shifts": [{"start": "06:00", "end": "22:00"}]}]}
    return data


@pytest.fixture(scope="module")
def problem():
    return layout_problem(layout_from_data(two_lines()), {})


def late_b_plan(problem, late: int = 30):
    """A checked plan in which line b's work starts `late` ticks after it could: room for a
    re-plan to pull it forward without need."""
    placed, departures = {}, {}
    for j, job in enumerate(problem.jobs):
        shift = late if job.product == "b" else 0
        lot = int(job.lot)
        cut = 60 * lot + shift
        placed[(j, 0)] = (f"cut_{job.product}", 0, cut)
        placed[(j, 1)] = (f"drill_{job.product}", 0, cut + 76)
        departures[(j, 1)] = cut + 60
    plan = make_schedule(problem, placed, status="feasible", lower_bound=0, objective="makespan", solver="cpsat",
                         departures=departures)
    assert check_schedule(problem, plan) == []
    return plan


def _ops(schedule) -> dict:
    return {(a.job, a.operation): a for a in schedule.assignments}


@pytest.mark.parametrize("stable", [True, False])
def test_an_outage_on_one_line_leaves_the_other_lines_work_where_it_was(problem, stable):
    old = late_b_plan(problem)
    now, repair = 100, 200  # drill_a fails at 100 while a#0 drills (76-116) and is back at 200
    replan = reschedule(problem, old, now, [Outage("drill_a", now, repair)], time_limit=10, stable=stable)
    new = replan.schedule
    assert replan.check == [] and check_schedule(problem, new) == []  # vehicles and empty runs included
    before, after = _ops(old), _ops(new)
    assert after[("a#0", "drill")].start >= repair  # cut short: drilled again after the repair
    for key, a in before.items():  # what started before now and no outage touched stays
        if a.start < now and key != ("a#0", "drill"):
            assert (after[key].station, after[key].start) == (a.station, a.start)
    made = {(t.job, t.from_station, t.to_station, t.start, t.vehicle) for t in old.transports if t.start < now}
    assert made <= {(t.job, t.from_station, t.to_station, t.start, t.vehicle) for t in new.transports}
    moved_b = [key for key, a in before.items() if a.job.startswith("b") and a.start >= now
               and (after[key].station, after[key].start) != (a.station, a.start)]
    if stable:
        assert moved_b == []  # line b never needed to move
    else:
        assert moved_b  # without the second objective, CP-SAT moves line b's work for nothing
    # b's cuts are kept until 150 and follow one another (60 each): b#5 cuts 330-390, drills
    # after its 16-tick trip, 406-446; line a, six drills of 40 from 200, ends before that
    assert new.makespan == 446


def test_kept_and_new_operations_name_their_operators():
    problem = layout_problem(layout_from_data(two_lines(operators=True)), {})
    old = solve(problem, time_limit=10, workers=1)
    assert check_schedule(problem, old) == []
    replan = reschedule(problem, old, 100, [Outage("cut_b", 100, 200)], time_limit=10)
    assert replan.check == [] and check_schedule(problem, replan.schedule) == []  # operators included
    cuts = [a for a in replan.schedule.assignments if a.station.startswith("cut")]
    assert {a.pool for a in cuts} == {"cutters"}
    before = _ops(old)
    assert all(before[(a.job, a.operation)].pool == a.pool for a in cuts if a.start < 100)


def test_a_capped_changeover_model_keeps_room_for_the_plans_family_runs(monkeypatch):
    """Lots X Y X Y X of 10 ticks on one lane, released 11 ticks apart (a 1-tick changeover
    between families), run in that order: X three times. Re-planned at 41 (X, Y, X done, Y
    running) with the blocks capped at two runs a family, the past alone has two runs of X; the
    plan's three keep room for the last X, 44-54, instead of 'no schedule with at most 2 runs'."""
    from optimizer import family_blocks
    from optimizer.problem import Alternative, Job, Operation, SchedulingProblem

    jobs = tuple(Job(f"{f}{n}", (Operation("press", (Alternative("M", 10),)),), product=f, family=f, release=11 * n)
                 for n, f in enumerate("XYXYX"))
    problem = SchedulingProblem(jobs=jobs, capacities={"M": 1}, changeovers={"M": {("X", "Y"): 1, ("Y", "X"): 1}})
    current = solve(problem, time_limit=10.0, workers=1)
    assert [(a.job, a.start) for a in sorted(current.assignments, key=lambda a: a.start)] == [
        ("X0", 0), ("Y1", 11), ("X2", 22), ("Y3", 33), ("X4", 44)]
    monkeypatch.setattr(family_blocks, "EXACT_SIZE", 0)
    replan = reschedule(problem, current, 41, [], time_limit=2.0)  # a capped model proves nothing: the whole limit
    assert replan.check == []
    assert {a.job: (a.start, a.end) for a in replan.schedule.assignments}["X4"] == (44, 54)
    assert replan.schedule.makespan == 54
