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
import yaml

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


def test_a_layout_with_problems_is_reported_as_such_even_when_the_time_limit_has_run_out(tmp_path, capsys, monkeypatch):
    """Found by benchmarks/broken_inputs.py on a loaded machine: with `--time-limit 2` the start-up
    alone used the limit, and a layout with a station off the floor came back as a time-out
    (exit 3) instead of its problem (exit 2). Validation now looks at the clock only while the
    layout is sound so far; a sound layout still stops at the limit."""
    import twin.io
    from search_fixtures import tiny_layout_data, write_tiny_layout

    _jump_after(monkeypatch, twin.io, "load_layout", 1000.0)  # reading "takes" 1000 s of a 600 s limit
    data = tiny_layout_data()
    data["stations"][0]["position"] = [-5.0, 11.0]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = ["--out", str(tmp_path / "s.json"), "--time-limit", "600"]
    assert main(["schedule", str(bad), *out]) == 2
    assert capsys.readouterr().err == (f"error: {bad}: stations[0].position: station 'saw' reaches outside the floor "
                                       "(24 x 14 m)\n")
    assert main(["schedule", str(write_tiny_layout(tmp_path)), *out]) == 3
    assert "error: the time limit of 600 s ran out while validating the layout" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["schedule", "simulate"])
def test_a_bad_robot_file_is_reported_as_such_even_when_the_time_limit_has_run_out(tmp_path, capsys, monkeypatch,
                                                                                  command):
    """Found by benchmarks/broken_inputs.py: an unknown robot, a URDF outside the folder or not a
    robot came back from `schedule --time-limit 2` on a loaded machine as a time-out (the robot
    files were checked after the clock was looked at), and from `simulate` as exit 2 with the
    problem on stdout only. Robot files are now one of the cheap checks that always run, and
    every command says what is wrong on stderr."""
    import twin.io

    _jump_after(monkeypatch, twin.io, "load_layout", 1000.0)
    data = yaml.safe_load((SAMPLES / "auto_parts.yaml").read_text(encoding="utf-8"))
    robot = next(i for i, s in enumerate(data["stations"]) if s.get("cell"))
    data["stations"][robot]["cell"]["robot"] = "ur5"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    extra = ["--out", str(tmp_path / "s.json"), "--time-limit", "600"] if command == "schedule" else []
    assert main([command, str(bad), *extra]) == 2
    captured = capsys.readouterr()
    assert (f"stations[{robot}].cell.robot: unknown robot 'ur5': use one of kuka_iiwa, panda or a .urdf file next "
            "to the layout") in captured.err
    assert captured.out == "" and "time limit" not in captured.err


def test_evaluate_prints_progress_with_an_estimate_on_stderr_and_keeps_json_clean(tmp_path, capsys, monkeypatch):
    import twin.sim.replications as replications
    from optimizer.cli import progress
    from search_fixtures import write_tiny_layout

    monkeypatch.setenv("FACTORY_TWIN_PROGRESS", "1")  # stderr is not a terminal here
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


def test_progress_goes_to_a_terminal_or_where_the_setting_asks(monkeypatch):
    import io

    from optimizer.cli.progress import progress_wanted

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("FACTORY_TWIN_PROGRESS", raising=False)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert not progress_wanted()  # a log file or a pipe
    monkeypatch.setenv("FACTORY_TWIN_PROGRESS", "1")
    assert progress_wanted()
    monkeypatch.setattr("sys.stderr", Terminal())
    monkeypatch.setenv("FACTORY_TWIN_PROGRESS", "0")
    assert not progress_wanted()
    monkeypatch.delenv("FACTORY_TWIN_PROGRESS")
    assert progress_wanted()


def test_ctrl_c_stops_cp_sat_at_once_instead_of_at_its_time_limit():
    """CP-SAT leaves SIGINT to its caller, and Python handles a signal only between bytecodes,
    so without `stop_on_interrupt` a Ctrl-C waited for the solver's whole time limit. Python's
    own SIGINT handler is set for the test: a shell without job control starts background
    commands with SIGINT ignored, and then no Ctrl-C reaches Python at all (this test hung)."""
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
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))  # the model is built: in solve by then
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            with stop_on_interrupt(solver.stop_search):
                solver.solve(model)
        timer.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 300  # without the watcher: the solver's 3600 s


def test_leaving_the_interrupt_watch_does_not_stop_anything():
    # leaving the block wakes the watcher with a byte that is no signal: stop() is not called
    # and no watcher thread is left behind
    import threading

    from optimizer.interrupts import stop_on_interrupt

    stops = []
    for _ in range(3):
        with stop_on_interrupt(lambda: stops.append(1)):
            pass
    assert stops == []
    assert not [t for t in threading.enumerate() if t.name == "stop-on-interrupt"]
