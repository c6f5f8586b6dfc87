"""The independent checker catches each kind of broken schedule; KPIs; the JSON document
and its schema; the `schedule` and `schema` commands."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml

from twin.errors import InputError, LayoutError, NoFeasibleSchedule
from twin.io import load_layout

from optimizer.cli import main
from optimizer.problem import Alternative, Job, Operation, PhysicsTime, SchedulingProblem, TransportLeg
from optimizer.kpis import kpis
from optimizer.schedule import Schedule, Transport, check_schedule, make_schedule
from optimizer.schedule_json import schedule_from_json, schedule_json_schema, schedule_to_json
from optimizer.planning import ScheduleOptions, schedule_layout
from optimizer.scheduler import solve

SAMPLES = Path(__file__).resolve().parents[2] / "layouts"


def problem() -> SchedulingProblem:
    """J1: A(3) -> B(2); J2: B(4) -> A(1); J3 (family Y): C(2); 2 ticks A<->B; changeover X->Y on C.
    Optimal makespan 7 (see test_scheduler.test_transport_gaps)."""
    def job(name, family, *ops, **kw):
        return Job(name, tuple(Operation(o, (Alternative(s, d),)) for o, s, d in ops), product=name, family=family, **kw)

    return SchedulingProblem(
        jobs=(
            Job("J1", (Operation("a", (Alternative("A", 3, physics=True),)), Operation("b", (Alternative("B", 2),))),
            product="J1", family="X", units=10, due=5, weight=2.0),
            job("J2", "X", ("b", "B", 4), ("a", "A", 1), ("c", "C", 1), units=5),
            job("J3", "Y", ("c", "C", 2), units=5, release=1),
        ),
        capacities={"A": 1, "B": 1, "C": 1},
        transport={
            ("A", "B"): TransportLeg(2, 6.0, "agv"), ("B", "A"): TransportLeg(2, 6.0, "agv"),
            ("A", "C"): TransportLeg(1, 3.0, "conveyor"), ("B", "C"): TransportLeg(1, 2.0, "agv"),
        },
        changeovers={"C": {("X", "Y"): 4}},
        tick=0.5,
        physics_times=(PhysicsTime("J1", "a", "A", "pick", 0.1),),
    )


def good() -> Schedule:
    placed = {
        (0, 0): ("A", 0, 0), (0, 1): ("B", 0, 5),
        (1, 0): ("B", 0, 0), (1, 1): ("A", 0, 6), (1, 2): ("C", 0, 8),
        (2, 0): ("C", 0, 1),
    }
    return make_schedule(problem(), placed, status="feasible", lower_bound=6, objective="makespan", solver="test")


def moved(schedule: Schedule, job: str, operation: str, **changes) -> Schedule:
    assignments = tuple(
        replace(a, **changes) if (a.job, a.operation) == (job, operation) else a for a in schedule.assignments
    )
    return replace(schedule, assignments=assignments)


def test_a_good_schedule_passes():
    schedule = good()
    assert check_schedule(problem(), schedule) == []
    assert schedule.makespan == 9 and schedule.objective_value == 9.0
    assert [t.start for t in schedule.transports] == [3, 4, 7]


def test_wrong_station():
    broken = moved(good(), "J1", "a", station="C")
    assert "J1/a: station 'C' cannot do this operation" in check_schedule(problem(), broken)


def test_wrong_duration():
    broken = moved(good(), "J1", "a", end=2)
    assert "J1/a: lasts 2 ticks on A, should be 3" in check_schedule(problem(), broken)


def test_overlap_beyond_capacity():
    # J2/a moved onto A at 1..2, while J1/a runs 0..3
    broken = moved(good(), "J2", "a", start=1, end=2)
    errors = check_schedule(problem(), broken)
    assert "A: 2 operations at time 1, capacity 1" in errors
    assert "A lane 0: J1/a and J2/a overlap" in errors


def test_precedence_broken():
    broken = moved(good(), "J1", "b", start=2, end=4)
    errors = check_schedule(problem(), broken)
    assert any(e.startswith("J1/b: starts at 2, before a ends at 3") for e in errors)


def test_transport_gap_too_short():
    broken = moved(good(), "J1", "b", start=4, end=6)  # needs 3 + 2
    errors = check_schedule(problem(), broken)
    assert "J1/b: starts at 4, before a ends at 3 plus 2 (transport A->B needs 2 ticks)" in errors


def test_changeover_missing():
    # J3/c (family Y) moved right after J2/c (family X) on C: X->Y needs 4 ticks in between
    schedule = moved(good(), "J3", "c", start=9, end=11)
    errors = check_schedule(problem(), replace(schedule, makespan=11, objective_value=11.0))
    assert any("changeover X->Y needs 4 ticks" in e for e in errors)


def test_changeover_reported_wrongly():
    broken = moved(good(), "J2", "c", changeover=3)
    assert "J2/c: reports changeover 3 on C lane 0, should be 0" in check_schedule(problem(), broken)


def test_wrong_makespan():
    errors = check_schedule(problem(), replace(good(), makespan=8))
    assert "makespan is 9, schedule says 8" in errors


def test_missing_and_duplicate_operations():
    schedule = good()
    missing = replace(schedule, assignments=schedule.assignments[1:])
    assert "J1/a: not scheduled" in check_schedule(problem(), missing)
    twice = replace(schedule, assignments=schedule.assignments + schedule.assignments[:1])
    assert "J1/a: scheduled 2 times" in check_schedule(problem(), twice)


def test_release_lane_and_transports():
    early = moved(good(), "J3", "c", start=0, end=2)
    assert "J3/c: starts at 0, before the release at 1" in check_schedule(problem(), early)
    no_lane = moved(good(), "J1", "a", lane=1)
    assert "J1/a: lane 1 does not exist on A (capacity 1)" in check_schedule(problem(), no_lane)
    no_moves = replace(good(), transports=())
    assert any(e.startswith("transports do not match") for e in check_schedule(problem(), no_moves))


def retimed(schedule: Schedule, job: str, start: int, end: int) -> Schedule:
    """The schedule with the (only) trip of `job` moved to start..end."""
    transports = tuple(replace(t, start=start, end=end) if t.job == job else t for t in schedule.transports)
    return replace(schedule, transports=transports)


def test_fleet_caps_the_trips_under_way():
    # J1 rides A->B over 3..5 and J2 B->A over 4..6: two AGVs at time 4
    errors = check_schedule(replace(problem(), fleets={"agv": 1}), good())
    assert errors == ["agv: 2 trips under way at time 4, the fleet has 1"]
    assert check_schedule(replace(problem(), fleets={"agv": 2}), good()) == []
    # the conveyor leg A->C is not a fleet leg, whatever the fleet
    assert check_schedule(replace(problem(), fleets={"agv": 2, "conveyor": 1}), good()) == []


def test_trip_outside_its_window():
    # J1/a ends at 3 on A, the leg to B takes 2, J1/b starts at 5 on B
    assert check_schedule(problem(), retimed(good(), "J1", 2, 4)) == ["J1 A->B: leaves at 2, before a ends at 3"]
    assert check_schedule(problem(), retimed(good(), "J1", 4, 6)) == ["J1 A->B: arrives at 6, after b starts at 5"]
    assert check_schedule(problem(), retimed(good(), "J1", 3, 4)) == ["J1 A->B: trip lasts 1 ticks, the leg takes 2"]


def test_trip_on_the_wrong_mover():
    broken = replace(good(), transports=tuple(
        replace(t, mover="conveyor") if t.job == "J1" else t for t in good().transports
    ))
    assert check_schedule(problem(), broken) == ["J1 A->B: moved by conveyor, the leg's mover is agv"]


def test_a_trip_may_leave_late():
    # J2/b ends on B at 4; its lot waits, leaves at 5 and reaches A at 7, as J2/a starts
    late = make_schedule(
        problem(), {(0, 0): ("A", 0, 0), (0, 1): ("B", 0, 5), (1, 0): ("B", 0, 0), (1, 1): ("A", 0, 7),
                    (1, 2): ("C", 0, 9), (2, 0): ("C", 0, 1)},
        status="feasible", lower_bound=6, objective="makespan", solver="test", departures={(1, 1): 5},
    )
    assert Transport("J2", "B", "A", 5, 7, "agv", 6.0) in late.transports
    assert check_schedule(problem(), late) == []


def test_horizon():
    assert "J2/c: ends at 9, after the horizon 8" in check_schedule(replace(problem(), horizon=8), good())


def test_kpis():
    figures = kpis(problem(), good())
    assert figures.makespan == 4.5  # 9 ticks of 0.5 s
    assert figures.throughput_per_hour == pytest.approx(20 / (4.5 / 3600))
    assert figures.utilisation == {"A": pytest.approx(4 / 9), "B": pytest.approx(6 / 9), "C": pytest.approx(3 / 9)}
    assert figures.bottleneck == "B"
    assert figures.agv_distance == 6.0 + 6.0  # J1 A->B, J2 B->A; J2 A->C is by conveyor
    assert figures.conveyor_distance == 3.0
    assert figures.agv_peak_trips == 2  # J1 A->B over 3..5 and J2 B->A over 4..6 overlap
    assert figures.average_wip == pytest.approx((7 + 9 + 2) / 9)
    assert figures.weighted_tardiness == 2.0 * (7 - 5) * 0.5
    # the document's kpis object: every field, physics times as plain rows
    assert figures.to_dict() == {
        "makespan": 4.5, "throughput_per_hour": figures.throughput_per_hour, "units": 20, "lots": 3,
        "utilisation": figures.utilisation, "bottleneck": "B", "agv_distance": 12.0, "agv_empty_distance": 0.0, "conveyor_distance": 3.0,
        "agv_peak_trips": 2, "average_wip": figures.average_wip, "weighted_tardiness": 2.0,
        "physics_times": [{"product": "J1", "operation": "a", "station": "A", "task": "pick", "unit_seconds": 0.1}],
    }


def test_json_validates_and_loads_back_equal():
    schema = schedule_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for objective in ("makespan", "weighted_tardiness"):
        p = problem()
        schedule = solve(p, time_limit=5.0, workers=1, objective=objective)
        assert check_schedule(p, schedule) == []
        doc = json.loads(json.dumps(schedule_to_json(p, schedule, "small")))
        jsonschema.validate(doc, schema)
        assert doc["layout"] == "small" and doc["makespan"] == schedule.makespan * 0.5
        assert doc["operations"][0]["start"] == schedule.assignments[0].start * 0.5
        assert schedule_from_json(doc) == schedule
        sources = {(o["job"], o["operation"]): o["time_source"] for o in doc["operations"]}
        assert sources[("J1", "a")] == "physics" and sources[("J2", "a")] == "layout"


def test_bad_json_is_an_input_error():
    doc = schedule_to_json(problem(), good(), "small")
    doc["operations"][0].pop("station")
    with pytest.raises(InputError, match=r"schedule JSON operations/0: 'station' is a required property"):
        schedule_from_json(doc)


# --- commands ------------------------------------------------------------------------------------


def tiny_layout() -> dict:
    return {
        "name": "tiny",
        "floor": {"width": 20.0, "depth": 10.0},
        "stations": [
            {"id": "saw", "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": [4.0, 5.0]},
            {"id": "drill", "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": [12.0, 5.0]},
        ],
        "products": [
            {"id": "p", "family": "f", "demand": 20, "lot_size": 10, "due": 500.0,
             "routing": [{"id": "cut", "stations": ["saw"], "time": 3.0},
                         {"id": "bore", "stations": ["drill"], "time": 2.0}]},
            {"id": "q", "family": "g", "demand": 10, "lot_size": 10,
             "routing": [{"id": "bore", "station_kind": "machine", "time": 4.0}]},
        ],
        "changeovers": [{"stations": ["drill"], "from_family": "f", "to_family": "g", "time": 30.0}],
    }


def test_schedule_command_writes_valid_json(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_layout()))
    out = tmp_path / "schedule.json"
    code = main(["schedule", str(path), "--out", str(out), "--time-limit", "5", "--workers", "1", "--seed", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("tiny: optimal (cpsat), makespan ") and "\nbusiest station " in printed
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, schedule_json_schema())
    assert doc["layout"] == "tiny" and len(doc["operations"]) == 5 and doc["transports"]


def test_schedule_command_exit_codes(tmp_path, capsys, monkeypatch):
    assert main(["schedule", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "s.json")]) == 2
    bad = tiny_layout()
    bad["products"][0]["routing"][0]["stations"] = ["laser"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert main(["schedule", str(path), "--out", str(tmp_path / "s.json")]) == 2
    assert "laser" in capsys.readouterr().err

    def impossible(problem, **kw):
        raise NoFeasibleSchedule("no schedule satisfies the problem")

    import optimizer.scheduler

    monkeypatch.setitem(optimizer.scheduler.SOLVERS, "cpsat", impossible)
    good_path = tmp_path / "tiny.yaml"
    good_path.write_text(yaml.safe_dump(tiny_layout()))
    assert main(["schedule", str(good_path), "--out", str(tmp_path / "s.json")]) == 3
    assert "no schedule satisfies the problem" in capsys.readouterr().err
    assert main(["schedule", str(good_path), "--solver", "tabu"]) == 2


def test_schema_command(capsys):
    assert main(["schema", "schedule"]) == 0
    assert json.loads(capsys.readouterr().out) == schedule_json_schema()
    assert main(["schema", "layout"]) == 0
    assert "properties" in json.loads(capsys.readouterr().out)


def test_schedule_command_keeps_agv_trips_within_the_fleet(tmp_path, capsys):
    # two lots finish together on saw and lathe; with one AGV the second waits for it
    data = tiny_layout()
    data["stations"].append({"id": "lathe", "kind": "manual", "footprint": {"width": 2.0, "depth": 2.0},
                             "position": [4.0, 1.5]})
    data["stations"][1]["capacity"] = 2
    data["transport"] = {"agv": {"fleet_size": 1}}
    data["products"] = [
        {"id": "p", "family": "f", "demand": 1, "lot_size": 1,
         "routing": [{"id": "cut", "stations": ["saw"], "time": 10.0}, {"id": "bore", "stations": ["drill"], "time": 5.0}]},
        {"id": "q", "family": "f", "demand": 1, "lot_size": 1,
         "routing": [{"id": "turn", "stations": ["lathe"], "time": 10.0}, {"id": "bore", "stations": ["drill"], "time": 5.0}]},
    ]
    data.pop("changeovers")
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "s.json"
    assert main(["schedule", str(path), "--out", str(out), "--time-limit", "5", "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["kpis"]["agv_peak_trips"] == 1
    trips = sorted((t["start"], t["end"]) for t in doc["transports"])
    assert len(trips) == 2 and trips[0][1] <= trips[1][0]
    assert "note" not in printed


def test_schedule_layout_validates_solves_and_checks(tmp_path, monkeypatch, physics):
    import optimizer.planning

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_layout()))
    layout = load_layout(path)
    result = schedule_layout(layout, tmp_path, physics, ScheduleOptions(time_limit=5, workers=1, seed=1))
    assert result.check == [] and result.schedule.status == "optimal"
    assert check_schedule(result.problem, result.schedule) == []
    doc = result.to_json()
    jsonschema.validate(doc, schedule_json_schema())
    assert doc["layout"] == "tiny" and len(doc["operations"]) == 5
    # the checker's findings are returned, not hidden
    monkeypatch.setattr(optimizer.planning, "check_schedule", lambda problem, schedule: ["wrong"])
    assert schedule_layout(layout, tmp_path, physics, ScheduleOptions(time_limit=5, workers=1, solver="dispatch")).check == ["wrong"]
    bad = tiny_layout()
    bad["products"][0]["routing"][0]["stations"] = ["laser"]
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(LayoutError, match="laser"):
        schedule_layout(load_layout(path), tmp_path, physics, ScheduleOptions(time_limit=5, workers=1))


def test_a_plan_under_a_wall_clock_limit_gets_the_least_empty_vehicles(monkeypatch, physics):
    """The assignment's time is kept back before the solver, so a solver that ends after its
    budget (CP-SAT stops tens of milliseconds late) does not cost the plan its least-empty
    vehicles, as a look at the clock after the solver did (on the electronics sample: 1,382
    empty metres instead of 1,017 in one 6-s plan)."""
    import time

    import optimizer.planning as planning
    from optimizer.vehicle_assignment import drive_least_empty

    real, raw = planning.get_solver, []

    def late(name):
        def solve_late(problem, *, time_limit, **kwargs):
            raw.append(real(name)(problem, time_limit=time_limit, **kwargs))
            time.sleep(0.3)
            return raw[-1]
        return solve_late

    monkeypatch.setattr(planning, "get_solver", late)
    path = SAMPLES / "electronics_assembly.yaml"
    result = schedule_layout(load_layout(path), path.parent, physics, ScheduleOptions(time_limit=3.0))
    assert drive_least_empty(result.problem, raw[0]) is not raw[0]  # the solver's own vehicles drive more
    assert drive_least_empty(result.problem, result.schedule) is result.schedule
