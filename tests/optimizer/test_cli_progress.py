"""Long commands: the time limit of `schedule` bounds reading and validation too (robot-cell
physics included), stopping at the next cell with exit 3 and where the time went; long but
legal work prints progress with an estimate on stderr, never on stdout; Ctrl-C stops CP-SAT
at once. Time is moved by hand or work is slowed by a sleep, so the tests do not depend on
the machine's speed."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

import twin.clock
from optimizer.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "layouts"


def _jump_after(monkeypatch, module, name: str, seconds: float) -> list[str]:
    """Make `module.name` (a function) move the clock `seconds` forward each call; returns the
    list of calls it records."""
    real_now, real_fn, offset, calls = twin.clock.monotonic, getattr(module, name), [0.0], []

    def jumping(*args, **kwargs):
        calls.append(name)
        result = real_fn(*args, **kwargs)
        offset[0] += seconds
        return result

    monkeypatch.setattr(twin.clock, "monotonic", lambda: real_now() + offset[0])
    monkeypatch.setattr(module, name, jumping)
    return calls


def test_the_time_limit_stops_validation_at_the_next_robot_and_says_where_the_time_went(tmp_path, capsys, monkeypatch):
    import twin.safety

    calls = _jump_after(monkeypatch, twin.safety, "envelope_radius", 1000.0)  # each robot "takes" 1000 s
    out = tmp_path / "s.json"
    assert main(["schedule", str(SAMPLES / "electronics_assembly.yaml"), "--out", str(out), "--time-limit", "600"]) == 3
    err = capsys.readouterr().err
    assert calls == ["envelope_radius"]  # the sample's second robot is never measured
    assert re.search(r"^error: the time limit of 600 s ran out while measuring robot reach envelopes "
                     r"\(stations\[\d+\] '\w+'\), 1 of 2 done; the time went to: .*measuring robot reach envelopes "
                     r"10\d\d\.\d s; give a longer time limit", err, re.M), err
    assert "Traceback" not in err and not out.exists()


def test_the_time_limit_stops_the_robot_cell_measurements_between_cells(tmp_path, capsys, monkeypatch):
    import twin.physics.simulate as simulate

    calls = _jump_after(monkeypatch, simulate, "simulate_cell", 1000.0)
    assert main(["schedule", str(SAMPLES / "auto_parts.yaml"), "--out", str(tmp_path / "s.json"),
                 "--time-limit", "600"]) == 3
    err = capsys.readouterr().err
    assert len(calls) == 1
    assert "error: the time limit of 600 s ran out while measuring robot cells in physics (stations[" in err
    assert "1 of 3 done" in err and "Traceback" not in err


def test_evaluate_prints_progress_with_an_estimate_on_stderr_and_keeps_json_clean(tmp_path, capsys, monkeypatch):
    import twin.sim.replications as replications
    from optimizer.cli import progress
    from search_fixtures import write_tiny_layout

    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.01)
    real = replications.run_replication

    def slow(*args, **kwargs):  # at least 0.5 s of replications, however fast the machine
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(replications, "run_replication", slow)
    assert main(["evaluate", str(write_tiny_layout(tmp_path)), "--replications", "10", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["replications"] == 10  # stdout is the document alone
    lines = captured.err.splitlines()
    assert lines and all(line.startswith("progress: ") for line in lines)
    estimates = [re.fullmatch(r"progress: simulating replications: (\d+) of 10 done, about (\d+) s left "
                              r"\((\d+) s elapsed\)", line) for line in lines]
    estimates = [m for m in estimates if m]
    assert estimates, lines
    assert all(1 <= int(m.group(1)) <= 10 and int(m.group(2)) >= 0 for m in estimates)


def test_a_short_command_prints_no_progress(tmp_path, capsys):
    from search_fixtures import write_tiny_layout

    assert main(["evaluate", str(write_tiny_layout(tmp_path)), "--replications", "2", "--json"]) == 0
    assert capsys.readouterr().err == ""


def test_ctrl_c_stops_cp_sat_at_once_instead_of_at_its_time_limit():
    """CP-SAT leaves SIGINT to its caller, and Python handles a signal only between bytecodes,
    so without `stop_on_interrupt` a Ctrl-C waited for the solver's whole time limit."""
    import os
    import random
    import signal
    import threading

    from ortools.sat.python import cp_model

    from optimizer.interrupts import stop_on_interrupt

    rng, model, machines = random.Random(0), cp_model.CpModel(), {m: [] for m in range(20)}
    ends = []
    for job in range(20):  # a 20 x 20 job shop: never proven optimal within the limit below
        previous = None
        for m in rng.sample(range(20), 20):
            start, end = model.new_int_var(0, 100_000, ""), model.new_int_var(0, 100_000, "")
            machines[m].append(model.new_interval_var(start, rng.randint(1, 99), end, ""))
            if previous is not None:
                model.add(start >= previous)
            previous = end
        ends.append(previous)
    for intervals in machines.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, 100_000, "")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 3600.0
    solver.parameters.num_workers = 1
    solver.parameters.catch_sigint_signal = False  # as optimizer.scheduler sets it
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))  # the model is built: in solve by then
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        with stop_on_interrupt(solver.stop_search):
            solver.solve(model)
    timer.join()
    assert time.monotonic() - started < 300  # without the watcher: the solver's 3600 s
