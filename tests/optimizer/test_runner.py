"""The backends: inline, local processes (with a worker that dies), and a real local Ray."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from optimizer import runner as runner_module
from optimizer.runner import InlineRunner, LocalRunner, Stopped, WorkerLost, make_runner
from optimizer.search.config import SearchConfig
from twin.errors import InputError


def square_plus(context, item):
    return item * item + context["offset"]


def die_once(context, item):
    """Kill the worker process the first time it sees item 3 (a marker file remembers)."""
    marker = Path(context["folder"]) / f"died-{item}"
    if item == 3 and not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return item, os.getpid()


def always_die(context, item):
    os._exit(1)


def test_inline_and_local_give_every_result_with_the_context():
    items = list(range(20))
    with make_runner("local", 1, {"offset": 5}) as inline:
        assert isinstance(inline, InlineRunner)
        got_inline = dict(inline.map_unordered(square_plus, items))
    with make_runner("local", 2, {"offset": 5}) as local:
        assert isinstance(local, LocalRunner)
        got_local = dict(local.map_unordered(square_plus, iter(items)))
    assert got_inline == got_local == {i: i * i + 5 for i in items}


def test_local_runner_uses_two_processes_and_retries_a_task_whose_worker_died(tmp_path):
    with LocalRunner({"folder": str(tmp_path)}, workers=2) as runner:
        results = dict(runner.map_unordered(die_once, range(8)))
    assert sorted(results) == list(range(8))
    assert (tmp_path / "died-3").exists()
    assert os.getpid() not in {pid for _, pid in results.values()}


def test_local_runner_gives_up_on_a_task_that_always_kills_its_worker():
    with LocalRunner({}, workers=2, max_retries=1) as runner:
        with pytest.raises(WorkerLost, match="died 2 times"):
            list(runner.map_unordered(always_die, range(3)))


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _within(seconds: float, condition) -> bool:
    """Whether `condition()` holds within `seconds`, polled."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_worker_signalled_before_its_initializer_leaves_ctrl_c_to_the_parent_and_ends_on_sigterm(
        tmp_path, monkeypatch):
    """Set at the fork, not by the initializer: the signals reach the worker while it is still
    in its (here slow) initializer, with the parent's handlers raising KeyboardInterrupt as the
    command's do. Inherited, Ctrl-C would have ended the worker's initializer and SIGTERM would
    have run the parent's handler in the worker."""
    ready = tmp_path / "initializing"
    monkeypatch.setattr(runner_module, "_init_worker", lambda context: (ready.write_text("x"), time.sleep(30)))
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    local = LocalRunner({}, workers=1)
    try:
        local._submit(square_plus, 1)  # forks the worker
        (worker,) = local._pool._processes.values()
        assert _within(20, ready.exists)
        os.kill(worker.pid, signal.SIGINT)
        worker.join(0.5)
        assert worker.is_alive()  # Ctrl-C is the parent's
        os.kill(worker.pid, signal.SIGTERM)
        # not `join` then `exitcode`: the pool's own manager thread joins a dead worker too, and the
        # thread whose waitpid loses that race reads None until the other records the code (CI, once)
        assert _within(10, lambda: worker.exitcode is not None)
        assert worker.exitcode == -signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
        local.close()


def test_stop_event_ends_the_map():
    stop = threading.Event()
    with make_runner("local", 2, {"offset": 0}) as runner:
        got = []
        with pytest.raises(Stopped):
            for item, result in runner.map_unordered(square_plus, range(10_000), stop=stop):
                got.append(result)
                stop.set()
        assert 1 <= len(got) < 10_000


def test_bad_backend_settings_name_the_valid_ones():
    with pytest.raises(InputError, match="unknown backend 'spark'; valid: local, ray"):
        make_runner("spark", 2, {})
    with pytest.raises(InputError, match="at least 1"):
        make_runner("local", 0, {})
    with pytest.raises(InputError, match="^an address is only used with the ray backend$"):
        SearchConfig(backend="local", address="10.0.0.1:6379").check()  # the one place that checks it


# --- a real local Ray ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_runner_cls():
    ray = pytest.importorskip("ray")
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray workers cannot import tests
    from optimizer.runner import RayRunner

    yield RayRunner
    if ray.is_initialized():
        ray.shutdown()


@pytest.mark.ray
def test_ray_backend_runs_tasks_and_retries_a_lost_worker(ray_runner_cls, tmp_path):
    import ray

    runner = ray_runner_cls({"folder": str(tmp_path), "offset": 1}, workers=2)
    try:
        assert ray.cluster_resources().get("CPU") == 2
        assert dict(runner.map_unordered(square_plus, range(10))) == {i: i * i + 1 for i in range(10)}
        results = dict(runner.map_unordered(die_once, range(6)))  # item 3 kills its worker once
        assert sorted(results) == list(range(6)) and (tmp_path / "died-3").exists()
    finally:
        runner.close()
    assert not ray.is_initialized()  # the runner started this Ray, so it stops it


@pytest.mark.ray
def test_ray_search_screens_exactly_what_the_local_search_screens(ray_runner_cls, tmp_path, physics):
    from optimizer.search.run import run_search
    from optimizer.store import RunStore
    from search_fixtures import write_tiny_layout

    tiny = write_tiny_layout(tmp_path)
    small = dict(candidates=40, shortlist=3, time_limit=0.5, chunk_size=10)  # 0.25 CP-SAT units per plan
    local = run_search(tiny, SearchConfig(**small, workers=1), out_dir=tmp_path / "local", physics=physics)
    remote = run_search(tiny, SearchConfig(**small, workers=2, backend="ray"), out_dir=tmp_path / "ray", physics=physics)
    with RunStore.open(local.run_dir) as a, RunStore.open(remote.run_dir) as b:
        assert [(r.key, r.flow_distance, r.floor_area) for r in a.screen_records()] == \
               [(r.key, r.flow_distance, r.floor_area) for r in b.screen_records()]
    assert remote.screened == 40 and remote.scheduled == 3 and remote.best.key == local.best.key
    with RunStore.open(local.run_dir) as a, RunStore.open(remote.run_dir) as b:
        # stage 2: one plan per design, whichever process made it (a plan the wall-clock net cut
        # short is not repeatable, so none may be cut here)
        assert a.wall_clock_cuts() == b.wall_clock_cuts() == set()
        assert [(r.seq, r.status, r.makespan, r.agv_distance) for r in a.schedule_records()] == \
               [(r.seq, r.status, r.makespan, r.agv_distance) for r in b.schedule_records()]
        assert all(a.schedule_json(r.seq) == b.schedule_json(r.seq) for r in a.schedule_records())
    # the running twin's replications (stage 3) are the same on Ray as in one local process
    with RunStore.open(local.run_dir) as a, RunStore.open(remote.run_dir) as b:
        sims = a.simulation_records()
        assert len(sims) >= 4 * SearchConfig().replications  # 3 designs and the as-is layout
        assert [(r.seq, r.replication, r.kpis) for r in sims] == \
               [(r.seq, r.replication, r.kpis) for r in b.simulation_records()]
    assert remote.decision.recommended.seq == local.decision.recommended.seq


@pytest.mark.ray
def test_ray_optimize_cell_finds_the_same_best_cell_as_local_processes(ray_runner_cls, tmp_path):
    from test_cell_search import layout_of, strip_cell
    from twin.physics import Physics

    from optimizer.cell_search import cell_key, optimize_cell

    layout = layout_of(strip_cell(0.3, 0.77))
    with Physics(tmp_path / "cache", use_cache=False) as physics:
        local = optimize_cell(layout, None, "cell", physics, candidates=8, seed=5, workers=1)
        remote = optimize_cell(layout, None, "cell", physics, candidates=8, seed=5, workers=2, backend="ray")
    assert remote.evaluated == local.evaluated == 8
    assert (cell_key(remote.cell), remote.best) == (cell_key(local.cell), local.best)
    assert remote.best < remote.before  # the planted cell improves
