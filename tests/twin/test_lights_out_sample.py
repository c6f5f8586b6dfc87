"""The lights-out sample is what its description says: no manual station and no operator,
every machine, robot cell and tester breaks down now and then, a design rate of at least one
phone a second, 24/7; every station has the capacity for that rate (worked out here from the
file and the robot cells' physics cycles), and a short simulation holds it."""
from __future__ import annotations

from pathlib import Path

import pytest

from twin.io import load_layout
from twin.physics import task_times
from twin.sim.engine import run_replication
from twin.sim.factory import compile_factory
from twin.validate import validate_layout

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"


@pytest.fixture(scope="module")
def sample(physics):
    layout = validate_layout(load_layout(LAYOUTS / "lights_out_phone.yaml"), LAYOUTS, physics, source="lights_out")
    return layout, task_times(layout, LAYOUTS, physics)


def design_rate(layout) -> float:
    return sum(p.rate for p in layout.products)


def test_no_hands_and_every_machine_breaks_down(sample):
    layout, _ = sample
    assert not [s.id for s in layout.stations if s.kind == "manual"]
    assert layout.operators.pools == ()
    assert all(p.rate is not None for p in layout.products)
    assert design_rate(layout) >= 3_600
    assert [s.id for s in layout.stations if s.mtbf is None or s.mttr is None] == []
    assert {s.kind for s in layout.stations} >= {"robot_cell", "machine", "inspection"}


def test_every_station_can_carry_the_design_rate(sample):
    layout, cycles = sample
    seconds_per_unit = 3_600 / design_rate(layout)
    for station in layout.stations:
        operations = [op for p in layout.products for op in p.routing
                      if station in layout.candidate_stations(op)]
        assert operations, station.id
        op = operations[0]
        unit = (cycles[(station.id, op.task)] + op.handling) if op.task else op.time
        if station.batch_size is not None:  # a batch machine: at worst one tray per cycle
            unit /= min(station.batch_size, min(p.lot_size for p in layout.products))
        sharing = len(layout.candidate_stations(op))  # alternative stations split the flow
        utilisation = unit / station.capacity / sharing / seconds_per_unit
        assert utilisation < 0.9, (station.id, utilisation)


def test_two_simulated_hours_hold_the_design_rate(sample):
    layout, cycles = sample
    factory = compile_factory(layout, cycles)
    run = run_replication(factory, seed=0, horizon=3 * 3600.0, warmup=3600.0)
    assert run.throughput_per_hour == pytest.approx(design_rate(layout), rel=0.1)
    assert run.completed_units > 0 and run.bottleneck is not None
