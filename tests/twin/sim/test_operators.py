"""Operators in the running twin, against counts worked out by hand: a manned station works
only while its operator is on shift, an operation starts only when it fits before the next
break, work pauses over a break it runs into, and a pool shared by stations limits them all;
and a layout's plan with operators, which the twin replays on time."""
from __future__ import annotations

from typing import Any

import pytest
from sim_fixtures import instant_factory

from optimizer.problem import build_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json, schedule_to_json
from optimizer.scheduler import solve
from twin.errors import LayoutError
from twin.io import layout_from_data
from twin.sim.control import plan_from_schedule
from twin.sim.engine import run_replication
from twin.sim.factory import LegSpec, compile_factory
from twin.sim.kpis import evaluation_document

DAY = 86_400.0


def bench_layout(time: float, shifts: list[dict[str, Any]], *, lots: int = 200, benches: int = 1, size: int = 1,
                 station: dict[str, Any] | None = None) -> Any:
    """`benches` manual benches, each able to do the one operation of `lots` one-unit lots
    released at t = 0 (00:00), run by a pool of `size` operators on `shifts`."""
    stations = [{"id": f"bench{k}", "kind": "manual", "footprint": {"width": 1.0, "depth": 1.0}, **(station or {})}
                for k in range(benches)]
    return layout_from_data({
        "name": "benches", "floor": {"width": 20.0, "depth": 20.0}, "stations": stations,
        "products": [{"id": "p", "family": "f", "demand": lots, "lot_size": 1,
                      "routing": [{"id": "assemble", "station_kind": "manual", "time": time}]}],
        "operators": {"time_zero": "00:00", "pools": [{"id": "crew", "size": size, "kinds": ["manual"],
                                                       "shifts": shifts}]},
    })


def test_a_station_open_eight_hours_a_day_makes_eight_hours_of_units():
    layout = bench_layout(600.0, [{"start": "08:00", "end": "16:00"}])
    run = run_replication(instant_factory(layout), horizon=3 * DAY)
    assert run.completed_units == 3 * 8 * 3600 // 600  # 144: 48 a day
    crew = run.operators["crew"]
    assert crew["off_shift"] == pytest.approx(16 / 24)
    assert crew["busy"] == pytest.approx(8 / 24) and crew["utilisation"] == pytest.approx(1.0)
    assert run.stations["bench0"]["unmanned"] == pytest.approx(16 / 24)


def test_an_operation_starts_only_when_it_fits_before_the_break():
    # 08:00-12:00 holds 20 operations of 700 s (14,000 s; the 21st would end after 12:00),
    # 12:30-16:00 holds 18 (12,600 s): 38 a day
    layout = bench_layout(700.0, [{"start": "08:00", "end": "16:00", "breaks": [{"start": "12:00", "end": "12:30"}]}])
    run = run_replication(instant_factory(layout), horizon=3 * DAY, trace=True)
    assert run.completed_units == 3 * 38
    starts = sorted(r.start for r in run.operations)
    assert starts[19] == 8 * 3600 + 19 * 700 and starts[20] == 12.5 * 3600
    crew = run.operators["crew"]
    assert crew["busy"] == pytest.approx(38 * 700 / DAY)
    assert crew["off_shift"] == pytest.approx(1 - 7.5 / 24)
    assert crew["utilisation"] == pytest.approx(38 * 700 / (7.5 * 3600))


def test_a_pool_of_two_runs_two_of_three_benches():
    layout = bench_layout(100.0, [], lots=1000, benches=3, size=2)  # no shifts: around the clock
    run = run_replication(instant_factory(layout), horizon=10_050.0)  # the 100th pair ends at 10,000 s
    assert run.completed_units == 2 * 10_000 // 100
    assert run.operators["crew"]["busy"] == pytest.approx(1.0)
    doc = evaluation_document("benches", [run], control="fifo", seed=0, horizon=10_050.0, warmup=0.0, fleet_size=2)
    assert doc["operators"] == {"crew": {"size": 2, "busy": 1.0, "idle": 0.0, "off_shift": 0.0, "utilisation": 1.0}}


def test_work_pauses_over_a_break_it_runs_into():
    # one 1,000 s operation from 00:00 on a shift 00:00-00:20 and 00:30-01:00; the bench fails
    # after 600 s of work (fixed) for a 300 s repair: work 0-600, down 600-900, work 900-1200
    # (the shift ends), unmanned 1200-1800, work 1800-1900
    layout = bench_layout(1000.0, [{"start": "00:00", "end": "00:20"}, {"start": "00:30", "end": "01:00"}], lots=1,
                          station={"mtbf": 600.0, "mttr": 300.0,
                                   "breakdowns": {"uptime": {"kind": "fixed"}, "repair": {"kind": "fixed"}}})
    run = run_replication(instant_factory(layout), trace=True)
    (record,) = run.operations
    assert (record.start, record.end) == (0.0, 1900.0)
    shares = run.stations["bench0"]
    assert shares["busy"] == pytest.approx(1000 / 1900) and shares["down"] == pytest.approx(300 / 1900)
    assert shares["unmanned"] == pytest.approx(600 / 1900)


def operators_layout(layout_data: dict) -> dict:
    """The small layout with a manual bench after the cnc for the covers (50 units x 30 s),
    run by one packer on 06:00-14:00 with a break 10:00-10:30, t = 0 at 09:30."""
    layout_data["stations"].append({"id": "bench", "kind": "manual", "footprint": {"width": 1.0, "depth": 1.0},
                                    "position": [7.0, 2.0]})
    layout_data["products"][1]["routing"].append({"id": "pack", "stations": ["bench"], "time": 30.0})
    layout_data["operators"] = {"time_zero": "09:30", "pools": [{"id": "packers", "size": 1, "kinds": ["manual"],
                                "shifts": [{"start": "06:00", "end": "14:00",
                                            "breaks": [{"start": "10:00", "end": "10:30"}]}]}]}
    return layout_data


TASK_TIMES = {("cell", "pick"): 4.0}


def test_a_layout_plan_keeps_its_operators_on_shift_and_the_twin_replays_it(layout_data):
    layout = layout_from_data(operators_layout(layout_data))
    legs = {(a.id, b.id): LegSpec(10.0, 5.0, "agv") for a in layout.stations for b in layout.stations if a != b}
    problem = build_problem(layout, legs, TASK_TIMES)
    assert problem.manned == {"bench": ("packers",)}
    # from 09:30: on shift 0-1800 (to 10:00), 3600-16200 (10:30-14:00) and from 06:00 the next day
    assert problem.pools["packers"].calendar.windows == ((0.0, 1800.0), (3600.0, 16200.0), (73800.0, 86400.0))
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == []
    # by hand: the cover's milling (1000 s) and the trip (10 s) leave no room for the 1500 s
    # pack before the break, so it runs 3600-5100, the makespan (the brackets end by 4210)
    (pack,) = [a for a in schedule.assignments if a.operation == "pack"]
    assert (pack.start, pack.end, pack.pool) == (3600, 5100, "packers")
    assert schedule.makespan == 5100 and schedule.status == "optimal"
    doc = schedule_to_json(problem, schedule, layout.name)
    assert doc["operators"] == [{"pool": "packers", "size": 1, "on_shift": [[0.0, 1800.0], [3600.0, 5100.0]]}]
    assert schedule_from_json(doc).assignments == schedule.assignments
    factory = compile_factory(layout, TASK_TIMES, legs=legs)
    run = run_replication(factory, plan=plan_from_schedule(doc, factory), trace=True)
    replayed = {(r.lot, r.operation): (r.start, r.end) for r in run.operations}
    assert all(replayed[(a.job, a.operation)] == (a.start, a.end) for a in schedule.assignments)


def test_a_tick_that_does_not_divide_the_day_is_refused(layout_data):
    data = operators_layout(layout_data)
    data["tick"] = 7.0
    layout = layout_from_data(data)
    legs = {(a.id, b.id): LegSpec(10.0, 5.0, "agv") for a in layout.stations for b in layout.stations if a != b}
    with pytest.raises(LayoutError) as info:
        build_problem(layout, legs, TASK_TIMES)
    assert [str(p) for p in info.value.problems] == [
        "tick: must divide a day (86400 s) evenly when operators work shifts, got 7"]
