"""Same seed, same result (whatever the worker count); two layouts of one factory draw the
same random numbers per element."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict

import pytest

from optimizer.cli.evaluate import _mapper
from twin.io import layout_from_data
from twin.sim.engine import run_replication
from twin.sim.factory import compile_factory
from twin.sim.randomness import stable_key, stream
from twin.sim.replications import run_replications

TASK_TIMES = {("cell", "pick"): 4.0}


def varied(layout_data: dict) -> dict:
    """The small factory with random times, breakdowns and finite buffers."""
    routing = layout_data["products"][0]["routing"]
    routing[0]["variability"] = {"kind": "lognormal", "cv": 0.3}
    routing[1]["variability"] = {"kind": "triangular", "low": 0.7, "high": 1.6}
    routing[2]["variability"] = {"kind": "exponential"}
    layout_data["products"][1]["routing"][0]["variability"] = {"kind": "empirical", "samples": [15, 20, 30]}
    layout_data["stations"][0].update(mtbf=600.0, mttr=60.0, output_buffer=1)
    layout_data["stations"][1].update(input_buffer=1)
    for product in layout_data["products"]:
        product["lot_size"] = 5
    return layout_data


def test_same_seed_same_result_and_another_seed_differs(layout_data):
    factory = compile_factory(layout_from_data(varied(layout_data)), TASK_TIMES)
    first = run_replication(factory, seed=7, trace=True)
    assert first.failures["cnc"], "the test needs failures"
    assert asdict(first) == asdict(run_replication(factory, seed=7, trace=True))
    assert first.operations != run_replication(factory, seed=8, trace=True).operations


def test_worker_processes_give_the_inline_result(layout_data):
    factory = compile_factory(layout_from_data(varied(layout_data)), TASK_TIMES)
    inline = run_replications(factory, 4, seed=3)
    pooled = run_replications(factory, 4, _mapper(2), seed=3)
    assert [asdict(r) for r in pooled] == [asdict(r) for r in inline]
    assert len({r.lead_time_s for r in inline}) == 4  # replications differ from each other


@pytest.mark.ray
def test_ray_tasks_give_the_inline_result(layout_data):
    """`evaluate --backend ray`: replications as Ray tasks on a local Ray, the same numbers."""
    ray = pytest.importorskip("ray")
    factory = compile_factory(layout_from_data(varied(layout_data)), TASK_TIMES)
    inline = run_replications(factory, 4, seed=3)
    try:
        remote = run_replications(factory, 4, _mapper(2, "ray"), seed=3)
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert [asdict(r) for r in remote] == [asdict(r) for r in inline]


def test_an_address_without_ray_is_refused(tmp_path, capsys):
    from optimizer.cli import main

    assert main(["evaluate", "layouts/does-not-matter.yaml", "--address", "10.0.0.1:6379"]) == 2
    assert "--address names a Ray cluster: give it with --backend ray" in capsys.readouterr().err


def test_stream_keys_do_not_depend_on_the_interpreter(tmp_path):
    """Python salts `hash` per process; the stream key must not change with it."""
    code = "from twin.sim.randomness import stable_key; print(stable_key('station', 'cnc', 'process'))"
    keys = {
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": salt},
                       capture_output=True, text=True, check=True).stdout.strip()
        for salt in ("1", "2")
    }
    assert keys == {str(stable_key("station", "cnc", "process"))}


def test_streams_depend_on_seed_replication_and_element_only():
    a = stream(1, 0, "station", "cnc", "process").random(3)
    assert (a == stream(1, 0, "station", "cnc", "process").random(3)).all()
    for other in (stream(2, 0, "station", "cnc", "process"), stream(1, 1, "station", "cnc", "process"),
                  stream(1, 0, "station", "wash", "process")):
        assert not (a == other.random(3)).any()


def test_two_layouts_of_one_factory_see_the_same_draws(layout_data):
    data = varied(layout_data)
    here = layout_from_data(data)
    data["stations"][0]["position"] = [4.0, 2.5]  # the mill moves: other transport legs
    there = layout_from_data(data)
    runs = [run_replication(compile_factory(layout, TASK_TIMES), seed=5, trace=True) for layout in (here, there)]
    starts = [{(r.lot, r.operation): r.start for r in run.operations} for run in runs]
    assert starts[0] != starts[1], "the layouts must differ in time"

    def durations(run, station):
        """Working seconds of each operation at a station, in the order it did them (repairs taken out)."""
        ops = sorted((r for r in run.operations if r.station == station), key=lambda r: r.start)
        repairs = run.failures.get(station, [])
        return [round(r.end - r.start - sum(up - down for _, down, up in repairs if r.start <= down < r.end), 6)
                for r in ops]

    for station in ("cnc", "wash", "cell"):
        assert durations(runs[0], station) == durations(runs[1], station)
    assert [up - down for _, down, up in runs[0].failures["cnc"]] == [up - down for _, down, up in runs[1].failures["cnc"]]
