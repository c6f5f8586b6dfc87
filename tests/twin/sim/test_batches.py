"""Batch machines in the running twin, against hand-computed throughput, and a plan with
shared batches replayed on time."""
from __future__ import annotations

from typing import Any

import pytest
from sim_fixtures import instant_factory

from optimizer.problem import build_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_to_json
from optimizer.scheduler import solve
from twin.io import layout_from_data
from twin.sim.control import plan_from_schedule
from twin.sim.engine import run_replication
from twin.sim.factory import LegSpec, compile_factory


def oven_layout(products: list[tuple[str, int, int]], size: int = 10, bake: float = 600.0,
                extra: dict[str, Any] | None = None) -> Any:
    """One oven of `size` units baking `bake` s a batch; products (family, demand, lot size)
    released at t = 0, each lot prepared on a bench (1 s a unit) first."""
    return layout_from_data({
        "name": "oven", "floor": {"width": 20.0, "depth": 20.0},
        "stations": [{"id": "oven", "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "batch_size": size,
                      **(extra or {})},
                     {"id": "bench", "kind": "machine", "footprint": {"width": 1.0, "depth": 1.0}, "capacity": 100}],
        "products": [{"id": f"p{n}", "family": family, "demand": demand, "lot_size": lot,
                      "routing": [{"id": "prep", "stations": ["bench"], "time": 1.0},
                                  {"id": "bake", "stations": ["oven"], "time": bake}]}
                     for n, (family, demand, lot) in enumerate(products)],
    })


def test_a_batch_oven_bakes_its_size_every_cycle():
    # 100 units in lots of 5, all prepared by 5 s: ten full batches of 10, 600 s each
    run = run_replication(instant_factory(oven_layout([("A", 100, 5)])), trace=True)
    assert run.end == 5 + 10 * 600
    bakes = sorted({(r.start, r.end) for r in run.operations if r.operation == "bake"})
    assert bakes == [(5 + 600 * n, 5 + 600 * (n + 1)) for n in range(10)]
    assert run.stations["oven"]["busy"] == pytest.approx(6000 / 6005)


def test_steady_throughput_is_the_batch_size_over_the_cycle():
    # lots of 5 arrive far faster than the oven bakes: it runs full batches back to back, so
    # over 10 h it ships 10 units every 600 s = 60 units/h (a unit-by-unit oven: 6 units/h)
    layout = oven_layout([("A", 5, 5)])
    data = layout.model_dump(by_alias=True, exclude_defaults=True)
    data["products"][0].update(rate=600.0, arrivals={"kind": "fixed"})
    run = run_replication(instant_factory(layout_from_data(data)), horizon=36_000.0 + 10, warmup=3_610.0)
    assert run.throughput_per_hour == pytest.approx(60.0, rel=0.02)


def test_families_and_big_lots_batch_by_the_rule():
    # a lot of family A and one of B (5 units each) never share: 2 batches; a 25-unit lot runs
    # alone as 3 batches
    run = run_replication(instant_factory(oven_layout([("A", 5, 5), ("B", 5, 5)])))
    assert run.end == 5 + 2 * 600
    run = run_replication(instant_factory(oven_layout([("A", 25, 25)])))
    assert run.end == 25 + 3 * 600


def test_a_plan_with_shared_batches_is_replayed_on_time():
    layout = oven_layout([("A", 20, 5), ("B", 10, 5)])
    legs = {(a.id, b.id): LegSpec(10.0, 5.0, "conveyor") for a in layout.stations for b in layout.stations if a != b}
    problem = build_problem(layout, legs)
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == []
    # by hand: 6 lots of 5 in 3 shared batches (A, A, B), the first after prep (5 s) and
    # the trip (10 s): 15 + 3 x 600
    assert schedule.makespan == 15 + 3 * 600
    doc = schedule_to_json(problem, schedule, layout.name)
    factory = compile_factory(layout, {}, legs=legs)
    run = run_replication(factory, plan=plan_from_schedule(doc, factory), trace=True)
    replayed = {(r.lot, r.operation): (r.start, r.end) for r in run.operations}
    assert all(replayed[(a.job, a.operation)] == (a.start, a.end) for a in schedule.assignments)
