"""Flexible job-shop `.fjs` files: reading, exact error messages, hand-solved optima, the
checker on broken schedules, and the `bench fjsp` rows on shared instances (checked against
the published bounds, never against hard-coded makespans)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from twin.errors import InputError

from optimizer.cli import main
from optimizer.fjsp import bench_instances, parse_fjs, parse_job_line, read_fjs
from optimizer.schedule import check_schedule, make_schedule
from optimizer.scheduler import solve

FJSP = Path(__file__).resolve().parents[3] / "shared/benchmarks/fjsp"
BOUNDS = json.loads((FJSP / "bounds.json").read_text())

# job 1: one operation, only m1 (5). job 2: o1 on m1 (2) or m2 (6), then o2 on m1 (1) or m2 (3).
# m1 carries 5 whatever happens; j2/o1 on m1 makes m1's load 7, on m2 it ends at 6 and o2 at 7
# or later. 7 is reached: j2/o1 m1 [0,2], j1 m1 [2,7], j2/o2 m2 [2,5]. Optimum 7.
TRADE_OFF = "2 2\n1 1 1 5\n2 2 1 2 2 6 2 1 1 2 3\n"
# three one-operation jobs, 4 ticks on either of two machines: one machine runs two. Optimum 8.
PIGEONHOLE = "3 2 2\n1 2 1 4 2 4\n1 2 1 4 2 4\n1 2 1 4 2 4\n"
# one machine listed twice for the same operation: the shorter duration (3) counts. Optimum 3.
LISTED_TWICE = "1 1\n1 2 1 5 1 3\n"


def test_read_mk01_matches_the_file():
    problem = read_fjs(FJSP / "mk01.fjs")
    assert problem.name == "mk01"
    assert len(problem.jobs) == BOUNDS["mk01"]["n_jobs"]
    assert problem.capacities == {f"m{i}": 1 for i in range(1, BOUNDS["mk01"]["n_machines"] + 1)}
    assert problem.n_operations == BOUNDS["mk01"]["n_ops"]
    # the first job line: "6 2 1 5 3 4 3 5 3 3 5 2 1 2 3 4 6 2 ..."
    first = problem.jobs[0].operations
    assert [(a.station, a.duration) for a in first[0].alternatives] == [("m1", 5), ("m3", 4)]
    assert [(a.station, a.duration) for a in first[1].alternatives] == [("m5", 3), ("m3", 5), ("m2", 1)]
    assert problem.transport == {} and problem.changeovers == {}


def test_every_shared_instance_reads_with_its_operation_count():
    for name, bounds in BOUNDS.items():
        problem = read_fjs(FJSP / f"{name}.fjs")
        assert (len(problem.jobs), len(problem.capacities), problem.n_operations) == (
            bounds["n_jobs"], bounds["n_machines"], bounds["n_ops"]
        ), name


@pytest.mark.parametrize("text, optimum", [(TRADE_OFF, 7), (PIGEONHOLE, 8), (LISTED_TWICE, 3)])
def test_hand_solved_optima(text, optimum):
    problem = parse_fjs(text, source="hand.fjs")
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert check_schedule(problem, schedule) == []
    assert schedule.makespan == optimum
    assert schedule.status == "optimal"


def _hand_schedule(problem, placed):
    return make_schedule(problem, placed, status="feasible", lower_bound=0, objective="makespan", solver="hand")


def test_checker_accepts_the_hand_optimum_and_catches_broken_schedules():
    problem = parse_fjs(TRADE_OFF, source="hand.fjs")
    good = _hand_schedule(problem, {(0, 0): ("m1", 0, 2), (1, 0): ("m1", 0, 0), (1, 1): ("m2", 0, 2)})
    assert good.makespan == 7 and check_schedule(problem, good) == []

    both_on_m1 = _hand_schedule(problem, {(0, 0): ("m1", 0, 2), (1, 0): ("m1", 0, 0), (1, 1): ("m1", 0, 2)})
    assert "m1 lane 0: j2/o2 and j1/o1 overlap" in check_schedule(problem, both_on_m1)
    too_early = _hand_schedule(problem, {(0, 0): ("m1", 0, 2), (1, 0): ("m1", 0, 0), (1, 1): ("m2", 0, 1)})
    assert "j2/o2: starts at 1, before o1 ends at 2 plus 0 (precedence)" in check_schedule(problem, too_early)
    not_allowed = _hand_schedule(problem, {(0, 0): ("m2", 0, 2), (1, 0): ("m1", 0, 0), (1, 1): ("m2", 0, 2)})
    assert check_schedule(problem, not_allowed) == ["j1/o1: station 'm2' cannot do this operation"]
    # j2/o1 moved to m2 but kept m1's 2 ticks: m2 takes 6
    moved = tuple(
        replace(a, station="m2") if (a.job, a.operation) == ("j2", "o1") else a for a in good.assignments
    )
    assert "j2/o1: lasts 2 ticks on m2, should be 6" in check_schedule(problem, replace(good, assignments=moved))
    assert check_schedule(problem, replace(good, makespan=6)) == ["makespan is 7, schedule says 6"]
    dropped = tuple(a for a in good.assignments if a.job != "j1")
    assert "j1/o1: not scheduled" in check_schedule(problem, replace(good, assignments=dropped))


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "bad.fjs: empty file, expected 'n_jobs n_machines [machines per operation]' on the first line"),
        ("2\n", "bad.fjs: line 1: expected 'n_jobs n_machines [machines per operation]', got '2'"),
        ("2 2 1.5 7\n", "bad.fjs: line 1: expected 'n_jobs n_machines [machines per operation]', got '2 2 1.5 7'"),
        ("2 2 x\n", "bad.fjs: line 1: expected 'n_jobs n_machines [machines per operation]', got '2 2 x'"),
        ("2 0\n", "bad.fjs: line 1: n_jobs and n_machines must be at least 1"),
        ("2 2\n1 1 1 5\n", "bad.fjs: expected 2 job lines, found 1"),
        ("1 2\n1 1 1 5\n1 1 2 3\n", "bad.fjs: line 3: unexpected line after the 1 job lines"),
        ("1 2\n1 1 1 y\n", "bad.fjs: line 2: 'y' is not an integer"),
        ("1 2\n0\n", "bad.fjs: line 2: a job needs at least 1 operation, got 0"),
        ("1 2\n2 1 1 5\n", "bad.fjs: line 2: the line ends after 1 of 2 operations"),
        ("1 2\n1 0\n", "bad.fjs: line 2: operation 1: needs at least 1 machine, got 0"),
        ("1 2\n2 1 1 5 2 1 4 2\n", "bad.fjs: line 2: operation 2: the line ends inside its 2 machine/duration pairs"),
        ("1 2\n1 2 1 5 3 4\n", "bad.fjs: line 2: operation 1: machine 3 out of range 1..2"),
        ("1 2\n1 1 0 5\n", "bad.fjs: line 2: operation 1: machine 0 out of range 1..2"),
        ("1 2\n1 1 2 -4\n", "bad.fjs: line 2: operation 1: negative duration -4 on machine 2"),
        ("1 2\n1 1 2 4 9\n", "bad.fjs: line 2: 1 extra value(s) after the last of 1 operations"),
    ],
)
def test_bad_files_say_what_and_where(tmp_path, text, message):
    path = tmp_path / "bad.fjs"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_fjs(path)
    assert str(err.value) == message.replace("bad.fjs", str(path))


def test_comments_and_blank_lines_keep_line_numbers():
    with pytest.raises(InputError) as err:
        parse_fjs("# a comment\n1 2\n\n1 1 3 4\n", source="c.fjs")
    assert str(err.value) == "c.fjs: line 4: operation 1: machine 3 out of range 1..2"


def test_job_line_parser_is_usable_on_its_own():
    job = parse_job_line((7, "2 1 1 5 2 1 2 2 4".split()), n_machines=2, source="x.txt", job=3)
    assert job.id == "j3"
    assert [[(a.station, a.duration) for a in op.alternatives] for op in job.operations] == [
        [("m1", 5)], [("m1", 2), ("m2", 4)]
    ]


@pytest.mark.parametrize("name", ["mk01", "la01_edata"])
def test_bench_rows_agree_with_the_published_bounds(name):
    (row,) = bench_instances([FJSP / f"{name}.fjs"], time_limit=5.0, workers=2, seed=0)
    assert set(row) == {"name", "makespan", "lower_bound", "optimal", "seconds", "valid"}
    assert row["name"] == name and row["valid"]
    best = BOUNDS[name]
    # a valid schedule cannot beat the proven optimum; a proven bound cannot exceed it
    assert row["makespan"] >= best["lower"]
    assert row["lower_bound"] <= best["upper"]
    if row["optimal"]:
        assert row["makespan"] == row["lower_bound"] == best["upper"]


def test_bench_command(capsys, tmp_path):
    assert main(["bench", "fjsp", str(FJSP / "la01_edata.fjs"), "--time-limit", "5", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["name"] == "la01_edata" and row["valid"] and row["makespan"] >= BOUNDS["la01_edata"]["lower"]
    bad = tmp_path / "bad.fjs"
    bad.write_text("1 2\n1 1 3 4\n")
    assert main(["bench", "fjsp", str(bad), "--time-limit", "1"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {bad}: line 2: operation 1: machine 3 out of range 1..2"


def test_the_generated_instances_have_the_shapes_they_are_drawn_from(tmp_path):
    # benchmarks/fjsp_generated.py: Brandimarte-shaped instances beyond the shared folder's mk05,
    # read back by the product's own reader, each within its drawn ranges
    from benchmarks import fjsp_generated

    assert fjsp_generated.main([str(tmp_path)]) == 0
    for name, (jobs, machines, operations, stations, durations) in fjsp_generated.SHAPES.items():
        problem = read_fjs(tmp_path / f"{name}.fjs")
        assert len(problem.jobs) == jobs and len(problem.capacities) <= machines
        for job in problem.jobs:
            assert operations[0] <= len(job.operations) <= operations[1]
            for op in job.operations:
                names = [a.station for a in op.alternatives]
                assert stations[0] <= len(names) <= stations[1] and len(set(names)) == len(names)
                assert all(durations[0] <= a.duration <= durations[1] for a in op.alternatives)
    again = tmp_path / "again"
    fjsp_generated.main([str(again)])  # the same seeds, the same files
    assert all((again / f"{name}.fjs").read_text() == (tmp_path / f"{name}.fjs").read_text()
               for name in fjsp_generated.SHAPES)
