"""Flexible job shops with AGVs (fjspt files): reading, exact error messages, hand-solved
optima under the family's conventions, and the `bench fjspt` rows on the shared instances
(checked against the published optima, never against hard-coded makespans)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin.errors import InputError

from optimizer.cli import main
from optimizer.fjspt import bench_instances, parse_fjspt, read_fjspt
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve

FJSPT = Path(__file__).resolve().parents[3] / "shared/benchmarks/fjspt"
shared = pytest.mark.skipif(not FJSPT.is_dir(), reason="the shared benchmark folder is not on this machine")

# J1: one operation on m1 (3); J2: one on m2 (3); both wait at L/U. Travel: L/U->m1 2,
# L/U->m2 5, m1->L/U 1, m2->L/U 6. One AGV: J1 to m1 over 0..2 (ends 5), empty back to L/U by 3,
# J2 to m2 over 3..8, ends 11. J2 first: to m2 over 0..5, empty back by 11, J1 to m1 over
# 11..13, ends 16. Optimum 11. Two AGVs: J2 to m2 over 0..5, ends 8.
TWO_JOBS = "2 2\n1 1 1 3\n1 1 2 3\n0 2 5\n1 0 3\n6 3 0\n"


@pytest.mark.parametrize("agvs, optimum", [(1, 11), (2, 8)])
def test_hand_solved_optima(agvs, optimum):
    problem = parse_fjspt(TWO_JOBS, source="two.txt", agvs=agvs)
    schedule = solve(problem, time_limit=10.0, workers=1)
    assert (schedule.status, schedule.makespan) == ("optimal", optimum)
    assert check_schedule(problem, schedule) == []
    assert sorted((t.job, t.from_station, t.to_station) for t in schedule.transports) == [
        ("j1", "LU", "m1"), ("j2", "LU", "m2")]
    if agvs == 1:
        second = max(schedule.transports, key=lambda t: t.start)
        assert (second.empty_from, second.empty_start, second.empty_end, second.start) == ("m1", 2, 3, 3)


def test_the_file_becomes_jobs_from_load_unload_and_a_fleet_at_home():
    problem = parse_fjspt(TWO_JOBS, source="two.txt", agvs=3)
    assert problem.name == "two" and problem.capacities == {"m1": 1, "m2": 1}
    assert {job.origin for job in problem.jobs} == {"LU"}
    assert (problem.fleets, problem.homes) == ({"agv": 3}, {"agv": "LU"})
    assert problem.transport_ticks("m2", "LU") == 6 and problem.transport_ticks("LU", "m2") == 5
    assert problem.empty_ticks("agv", "m1", "m2") == 3 and problem.empty_ticks("agv", "m1", "m1") == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("2 2\n1 1 1 3\n1 1 2 3\n0 2 5\n1 0 3\n", "bad.txt: expected a 3 x 3 travel-time matrix after the 2 job lines, found 2 lines"),
        ("2 2\n1 1 1 3\n1 1 2 3\n0 2 5\n1 0\n6 3 0\n", "bad.txt: line 5: a travel-time row needs 3 values, got 2"),
        ("2 2\n1 1 1 3\n1 1 2 3\n0 2 5\n1 0 -3\n6 3 0\n", "bad.txt: line 5: travel times must be >= 0"),
        ("2 2\n1 1 1 3\n1 1 2 3\n0 2 5\n1 0 x\n6 3 0\n", "bad.txt: line 5: 'x' is not an integer"),
        ("2 2\n1 1 3 3\n1 1 2 3\n0 2 5\n1 0 3\n6 3 0\n", "bad.txt: line 2: operation 1: machine 3 out of range 1..2"),
        ("", "bad.txt: empty file, expected 'n_jobs n_machines' on the first line"),
    ],
)
def test_bad_files_say_what_and_where(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_fjspt(path)
    assert str(err.value) == message.replace("bad.txt", str(path))


@shared
@pytest.mark.parametrize("name", ["fjspt03", "fjspt05"])
def test_bench_rows_agree_with_the_published_optima(name):
    (row,) = bench_instances([FJSPT / f"{name}.txt"], time_limit=5.0, workers=2, seed=0)
    assert set(row) == {"name", "makespan", "lower_bound", "optimal", "seconds", "valid", "trips"}
    assert row["name"] == name and row["valid"] and row["trips"] > 0
    optimum = json.loads((FJSPT / "bounds.json").read_text())[name]["optimum"]
    # a valid schedule cannot beat the proven optimum; a proven bound cannot exceed it
    assert row["makespan"] >= optimum and row["lower_bound"] <= optimum
    if row["optimal"]:
        assert row["makespan"] == optimum


def test_bench_command(capsys, tmp_path):
    instance = tmp_path / "two.txt"
    instance.write_text(TWO_JOBS)
    assert main(["bench", "fjspt", str(instance), "--time-limit", "5", "--agvs", "1", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["name"], row["makespan"], row["optimal"], row["valid"], row["trips"]) == ("two", 11, True, True, 2)
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "fjspt", str(instance), "--agvs", "0"])
    assert exit_info.value.code == 2
    assert "--agvs: must be at least 1, got 0" in capsys.readouterr().err
