"""A conveyor with a pitch holds length / pitch lots; a full belt blocks its feeder."""
from __future__ import annotations

import pytest

from optimizer.schedule import peak_overlap
from twin.io import layout_from_data
from twin.sim.engine import run_replication
from twin.sim.factory import compile_factory


def belt_line(pitch: float | None, machine_input: int | None = 1):
    """A 1 s feeder and a 10 s machine joined by a 9 m belt at 1 m/s, one place after the
    feeder and `machine_input` before the machine; 3,000 lots wait at the feeder."""
    conveyor = {"id": "belt", "from": "feeder", "to": "machine", "speed": 1.0}
    if pitch is not None:
        conveyor["pitch"] = pitch
    return layout_from_data({
        "name": "belt", "floor": {"width": 20.0, "depth": 10.0},
        "stations": [
            {"id": "feeder", "kind": "machine", "footprint": {"width": 1.0, "depth": 1.0}, "position": [5.0, 5.0],
             "output_buffer": 1},
            {"id": "machine", "kind": "machine", "footprint": {"width": 1.0, "depth": 1.0}, "position": [15.0, 5.0],
             **({} if machine_input is None else {"input_buffer": machine_input})},
        ],
        "transport": {"conveyors": [conveyor]},
        "products": [{"id": "p", "family": "f", "demand": 3000, "lot_size": 1, "routing": [
            {"id": "feed", "stations": ["feeder"], "time": 1.0},
            {"id": "make", "stations": ["machine"], "time": 10.0}]}],
    })


def test_a_full_belt_blocks_its_feeder():
    run = run_replication(compile_factory(belt_line(pitch=3.0)), horizon=20_000.0, warmup=1_000.0, trace=True)
    on_belt, _ = peak_overlap((t.start, t.end) for t in run.trips)
    assert on_belt == 3  # 9 m / 3 m
    assert run.throughput_per_hour == pytest.approx(360.0, rel=0.01)  # the machine's pace
    assert run.stations["machine"]["busy"] == pytest.approx(1.0)
    # the feeder works 1 s in every 10 and waits, blocked, for the rest
    assert run.stations["feeder"]["busy"] == pytest.approx(0.1, abs=0.002)
    assert run.stations["feeder"]["blocked"] == pytest.approx(0.9, abs=0.002)


def test_a_belt_without_pitch_takes_every_lot():
    run = run_replication(compile_factory(belt_line(pitch=None, machine_input=None)), horizon=2_500.0,
                          warmup=100.0, trace=True)
    assert run.stations["feeder"]["blocked"] == 0.0
    on_belt, _ = peak_overlap((t.start, t.end) for t in run.trips)
    assert on_belt == 9  # a lot every second for the belt's 9 s
    assert run.stations["feeder"]["busy"] == pytest.approx(1.0, abs=0.01)
