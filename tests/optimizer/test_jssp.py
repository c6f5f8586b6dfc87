"""OR-Library job-shop files: reading, exact error messages, the bench rows and command."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin.errors import InputError

from optimizer.cli import main
from optimizer.jssp import bench_instances, parse_jssp, read_jssp

JSSP = Path(__file__).resolve().parents[3] / "shared/benchmarks/jssp"


def test_read_ft06():
    problem = read_jssp(JSSP / "ft06.txt")
    assert problem.name == "ft06"
    assert len(problem.jobs) == 6 and problem.capacities == {f"m{i}": 1 for i in range(6)}
    first = problem.jobs[0].operations
    assert [(op.alternatives[0].station, op.alternatives[0].duration) for op in first[:3]] == [
        ("m2", 1), ("m0", 3), ("m1", 6)
    ]
    assert problem.transport == {} and problem.changeovers == {}


def test_zero_durations_and_comments_are_accepted():
    problem = parse_jssp("# tiny\n2 2\n0 0 1 5\n\n1 3 0 0\n", source="tiny.txt")
    assert [op.alternatives[0].duration for job in problem.jobs for op in job.operations] == [0, 5, 3, 0]
    from optimizer.schedule import check_schedule
    from optimizer.scheduler import solve

    schedule = solve(problem, time_limit=2.0, workers=1)
    assert schedule.makespan == 8 and check_schedule(problem, schedule) == []  # m1 carries 5 + 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "bad.txt: empty file, expected 'n_jobs n_machines' on the first line"),
        ("2\n0 1\n", "bad.txt: line 1: expected 'n_jobs n_machines', got '2'"),
        ("0 2\n", "bad.txt: line 1: n_jobs and n_machines must be at least 1"),
        ("2 2\n0 1 1 1\n", "bad.txt: expected 2 job lines, found 1"),
        ("1 2\n0 1 1\n", "bad.txt: line 2: odd number of values, expected machine/duration pairs"),
        ("1 2\n0 1 2 4\n", "bad.txt: line 2: machine 2 out of range 0..1"),
        ("1 2\n0 -1 1 4\n", "bad.txt: line 2: negative duration -1"),
        ("1 2\n0 x 1 4\n", "bad.txt: line 2: 'x' is not an integer"),
    ],
)
def test_bad_files_say_what_and_where(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_jssp(path)
    assert str(err.value) == message.replace("bad.txt", str(path))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope.txt: no such file$"):
        read_jssp(tmp_path / "nope.txt")


def test_bench_rows_are_checked():
    (row,) = bench_instances([JSSP / "ft06.txt"], time_limit=10.0, workers=2, seed=0)
    assert set(row) == {"name", "makespan", "lower_bound", "optimal", "seconds", "valid"}
    assert (row["name"], row["makespan"], row["lower_bound"], row["optimal"], row["valid"]) == ("ft06", 55, 55, True, True)


def test_the_bench_loads_the_tabu_search_before_the_first_clock_starts(monkeypatch):
    """The compiled loop takes about a second to load: a bench pays it once, before the first
    job shop's time limit, not inside it."""
    from optimizer import instance_files, jobshop_tabu

    events = []
    monkeypatch.setattr(jobshop_tabu, "warm_up", lambda: events.append("warm_up"))
    monkeypatch.setattr(instance_files, "bench_row", lambda problem, **budget: events.append("solve") or {})
    list(bench_instances([JSSP / "ft06.txt", JSSP / "ft06.txt"], time_limit=1.0, workers=1, seed=0))
    assert events == ["warm_up", "solve", "solve"]


def test_bench_command(capsys, tmp_path):
    assert main(["bench", "jssp", str(JSSP / "ft06.txt"), "--time-limit", "10"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["makespan"] == 55 and row["valid"]
    with pytest.raises(SystemExit) as info:
        main(["bench", "jssp", str(tmp_path / "nope.txt")])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"argument FILE: {tmp_path / 'nope.txt'}: file not found")
