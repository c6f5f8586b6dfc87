"""The scheduling problem: seconds to ticks, lots, alternatives, physics times, errors."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest

from twin.errors import InputError, LayoutError
from twin.graph import transport_legs
from twin.io import load_layout
from twin.model import Layout

from optimizer.problem import (
    Alternative,
    Job,
    Operation,
    SchedulingProblem,
    TransportLeg,
    build_problem,
    seconds_to_ticks,
    ticks_to_seconds,
)


LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"


@dataclass(frozen=True)
class Leg:  # the contract of twin.graph.Leg
    seconds: float
    distance: float
    mover: str = "agv"
    conveyor: str | None = None


def layout_data(tick: float = 1.0) -> dict:
    """cnc -> (cnc or wash) -> robot cell; two products in two families."""
    return {
        "name": "small",
        "tick": tick,
        "floor": {"width": 20.0, "depth": 12.0},
        "stations": [
            {"id": "cnc", "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "capacity": 2},
            {"id": "wash", "kind": "machine", "footprint": {"width": 2.0, "depth": 1.0}},
            {"id": "cell", "kind": "robot_cell", "footprint": {"width": 2.4, "depth": 2.4},
             "cell": {"robot": "panda", "tasks": [{"id": "pick", "waypoints": [
                 {"name": "a", "xyz": [0.4, 0.0, 0.3], "action": "grip"},
                 {"name": "b", "xyz": [0.0, 0.4, 0.3], "action": "release"}]}]}},
        ],
        "products": [
            {"id": "bracket", "family": "steel", "demand": 100, "lot_size": 40, "release": 10.0, "due": 3600.0,
             "weight": 2.0,
             "routing": [
                 {"id": "mill", "stations": ["cnc"], "time": 30.0, "setup": 5.0},
                 {"id": "clean", "station_kind": "machine", "time": 5.0},
                 {"id": "stack", "stations": ["cell"], "task": "pick", "handling": 1.0},
             ]},
            {"id": "cover", "family": "alu", "demand": 50, "lot_size": 50,
             "routing": [{"id": "mill", "stations": ["cnc"], "time": 20.0}]},
        ],
        "changeovers": [{"stations": ["cnc"], "from_family": "steel", "to_family": "alu", "time": 600.0}],
    }


def legs(*more: str) -> dict[tuple[str, str], Leg]:
    """A leg between every two stations and the dock, like `twin.graph.transport_legs`."""
    ids = ["cnc", "wash", "cell", "dock_in", *more]
    return {(a, b): Leg(seconds=12.5, distance=2.5) for a in ids for b in ids if a != b}


def test_seconds_round_up_to_ticks():
    assert seconds_to_ticks(10.0, 1.0) == 10
    assert seconds_to_ticks(10.2, 1.0) == 11
    assert seconds_to_ticks(0.3 * 3, 0.3) == 3  # float noise does not add a tick
    assert seconds_to_ticks(1.0, 0.5) == 2
    assert ticks_to_seconds(7, 0.5) == 3.5


def test_build_problem_lots_durations_and_transport():
    layout = Layout.model_validate(layout_data())
    problem = build_problem(layout, legs(), {("cell", "pick"): 2.25})
    assert [job.id for job in problem.jobs] == ["bracket#0", "bracket#1", "bracket#2", "cover#0"]
    assert [job.units for job in problem.jobs] == [40, 40, 20, 50]
    lot = problem.jobs[0]
    assert (lot.family, lot.release, lot.due, lot.weight) == ("steel", 10, 3600, 2.0)
    mill, clean, stack = lot.operations
    assert mill.alternatives == (Alternative("cnc", 30 * 40 + 5),)
    assert [a.station for a in clean.alternatives] == ["cnc", "wash"]  # every machine
    assert clean.duration_on("wash") == 200
    assert stack.alternatives == (Alternative("cell", math.ceil((2.25 + 1.0) * 40), physics=True),)
    assert problem.jobs[2].operations[2].duration_on("cell") == 65  # (2.25 + 1) * 20
    assert problem.capacities == {"cnc": 2, "wash": 1, "cell": 1}
    assert problem.transport_ticks("cnc", "wash") == 13  # 12.5 s rounded up
    assert problem.transport[("cnc", "wash")].distance == 2.5
    assert ("cnc", "dock_in") not in problem.transport  # docks are not stations
    assert problem.changeover_ticks("cnc", "steel", "alu") == 600
    assert problem.changeover_ticks("cnc", "alu", "steel") == 0
    assert problem.has_changeovers("cnc") and not problem.has_changeovers("wash")
    assert [(p.product, p.operation, p.station, p.task, p.unit_seconds) for p in problem.physics_times] == [
        ("bracket", "stack", "cell", "pick", 2.25)
    ]


def test_tick_converts_every_time():
    problem = build_problem(Layout.model_validate(layout_data(tick=0.5)), legs(), {("cell", "pick"): 2.25})
    assert problem.jobs[0].operations[0].duration_on("cnc") == 2 * (30 * 40 + 5)
    assert problem.jobs[0].release == 20
    assert problem.transport_ticks("cnc", "wash") == 25
    assert problem.to_seconds(25) == 12.5


def test_missing_task_time_names_the_operation():
    layout = Layout.model_validate(layout_data())
    with pytest.raises(LayoutError) as err:
        build_problem(layout, legs(), {})
    assert str(err.value) == "small: products[0].routing[2].task: no simulated cycle time for task 'pick' on station 'cell'"
    assert err.value.problems[0].path == "products[0].routing[2].task"


def test_operation_without_stations_is_a_layout_error():
    data = layout_data()
    data["products"][1]["routing"][0] = {"id": "paint", "station_kind": "inspection", "time": 3.0}
    with pytest.raises(LayoutError) as err:
        build_problem(Layout.model_validate(data), legs(), {("cell", "pick"): 2.0})
    assert err.value.problems[0].path == "products[1].routing[0].station_kind"
    assert "no station can do this operation" in str(err.value)


def test_unreachable_leg_used_by_a_routing_is_a_layout_error():
    broken = legs() | {("cnc", "cell"): Leg(seconds=math.inf, distance=math.inf)}
    with pytest.raises(LayoutError) as err:
        build_problem(Layout.model_validate(layout_data()), broken, {("cell", "pick"): 2.0})
    assert str(err.value.problems[0]) == "products[0].routing[2]: no transport route cnc -> cell"


def test_missing_leg_used_by_a_routing_is_a_layout_error():
    # no silent 0-tick transport: every leg the routing may take must be given
    partial = {pair: leg for pair, leg in legs().items() if pair != ("wash", "cell")}
    with pytest.raises(LayoutError) as err:
        build_problem(Layout.model_validate(layout_data()), partial, {("cell", "pick"): 2.0})
    assert [str(p) for p in err.value.problems] == ["products[0].routing[2]: no transport route wash -> cell"]


def test_problem_rejects_bad_data():
    op = Operation("o", (Alternative("m", 3),))
    with pytest.raises(InputError, match=r"jobs\[0\].operations\[0\].alternatives: no station can do this operation"):
        SchedulingProblem(jobs=(Job("j", (Operation("o", ()),)),), capacities={"m": 1})
    with pytest.raises(InputError, match=r"unknown station 'x'"):
        SchedulingProblem(jobs=(Job("j", (Operation("o", (Alternative("x", 3),)),)),), capacities={"m": 1})
    with pytest.raises(InputError, match=r"duplicate job id 'j'"):
        SchedulingProblem(jobs=(Job("j", (op,)), Job("j", (op,))), capacities={"m": 1})
    with pytest.raises(InputError, match=r"capacities\[m\]: must be an integer >= 1"):
        SchedulingProblem(jobs=(Job("j", (op,)),), capacities={"m": 0})
    with pytest.raises(InputError, match=r"fleets\[agv\]: must be an integer >= 1"):
        SchedulingProblem(jobs=(Job("j", (op,)),), capacities={"m": 1}, fleets={"agv": 0})


def test_fleet_legs():
    problem = SchedulingProblem(
        jobs=(Job("j", (Operation("o", (Alternative("a", 3),)),)),),
        capacities={"a": 1, "b": 1, "c": 1},
        transport={("a", "b"): TransportLeg(4), ("a", "c"): TransportLeg(2, mover="conveyor"),
                   ("b", "c"): TransportLeg(0), ("a", "a"): TransportLeg(5)},
        fleets={"agv": 2},
    )
    assert problem.fleet_leg("a", "b") == TransportLeg(4)
    # conveyors carry any number of lots; a 0-tick leg or staying put holds no vehicle
    assert problem.fleet_leg("a", "c") is None and problem.fleet_leg("b", "c") is None
    assert problem.fleet_leg("a", "a") is None and problem.fleet_leg("c", "a") is None


def test_build_problem_takes_the_agv_fleet():
    assert build_problem(Layout.model_validate(layout_data()), legs(), {("cell", "pick"): 2.0}).fleets == {"agv": 2}
    data = layout_data() | {"transport": {"agv": {"fleet_size": 5}}}
    assert build_problem(Layout.model_validate(data), legs(), {("cell", "pick"): 2.0}).fleets == {"agv": 5}


@pytest.mark.parametrize("name, fleet", [("auto_parts", 2), ("electronics_assembly", 3), ("food_packaging", 3)])
def test_sample_layouts_schedule_their_agv_fleet(name, fleet):
    layout = load_layout(LAYOUTS / f"{name}.yaml")
    times = {(s.id, task.id): 4.0 for s in layout.stations if s.cell is not None for task in s.cell.tasks}
    problem = build_problem(layout, transport_legs(layout), times)
    assert layout.transport.agv.fleet_size == fleet and problem.fleets == {"agv": fleet}
    assert any(problem.fleet_leg(a, b) is not None for a, b in problem.transport)


def test_empty_runs_in_ticks_and_metres():
    # an empty run of 2.5 s at the layout's AGV speed is that many ticks (rounded up) and
    # 2.5 s x speed metres, the aisle distance twin.graph.empty_runs divided by the speed
    layout = Layout.model_validate(layout_data(tick=2.0))
    problem = build_problem(layout, legs(), {("cell", "pick"): 2.0}, {("cnc", "wash"): 2.5, ("wash", "cell"): math.inf})
    speed = layout.transport.agv.speed
    assert problem.empty_runs == {"agv": {("cnc", "wash"): 2}}
    assert problem.empty_distances == {"agv": {("cnc", "wash"): 2.5 * speed}}
    assert problem.empty_distance("agv", "cnc", "wash") == 2.5 * speed
    assert problem.empty_distance("agv", None, "wash") == 0.0 and problem.empty_distance("agv", "wash", "cnc") == 0.0


def test_robot_cell_or_manual_bench_as_alternatives():
    data = layout_data()
    data["stations"].append({"id": "bench", "kind": "manual", "footprint": {"width": 2.0, "depth": 1.0}})
    data["products"][0]["routing"][2].update(stations=["cell", "bench"], time=12.0)
    problem = build_problem(Layout.model_validate(data), legs("bench"), {("cell", "pick"): 3.5})
    stack = problem.jobs[0].operations[2]
    by_station = {a.station: a for a in stack.alternatives}
    # 40 units: the cell at its physics cycle plus handling, the bench at its typed time
    assert by_station["cell"].duration == math.ceil(40 * (3.5 + 1.0)) and by_station["cell"].physics
    assert by_station["bench"].duration == 40 * 12 and not by_station["bench"].physics
