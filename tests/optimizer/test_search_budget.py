"""Stage 2's budget: a search's schedule depends on its seed, not on the machine's load, and a
solve the wall-clock safety net does cut is labelled wherever the run shows it.

A loaded machine is made deterministic here: the warm start sleeps (wall-clock time passes
while CP-SAT's deterministic time does not), which is what a busy machine does to a solve."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from factory_app.leaderboard import leaderboard
from optimizer import scheduler
from optimizer.planning import ScheduleOptions, schedule_layout
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json
from optimizer.search import budget
from optimizer.search.config import SearchConfig
from optimizer.search.run import run_search
from search_fixtures import write_tiny_layout
from twin.io import load_layout

LOAD_SECONDS = 2.0  # more than the old net (4 x a time limit of 0.2 s), far less than the new one


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny_layout(tmp_path)


def make_busy(monkeypatch) -> None:
    """From now on every solve loses LOAD_SECONDS of wall clock to other work before CP-SAT starts."""
    real = scheduler.dispatch_mod.best_placement

    def slow_warm_start(*args, **kwargs):
        time.sleep(LOAD_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(scheduler.dispatch_mod, "best_placement", slow_warm_start)


def _schedule(tiny: Path, physics, options: ScheduleOptions):
    return schedule_layout(load_layout(tiny), tiny.parent, physics, options, validate=False)


def test_a_search_schedule_is_the_same_on_a_quiet_and_on_a_busy_machine(tiny, physics, monkeypatch):
    options = budget.stage2_options(SearchConfig(time_limit=0.2))
    assert options.deterministic_time == 0.1 and options.workers == 1
    quiet = _schedule(tiny, physics, options)
    make_busy(monkeypatch)
    busy = _schedule(tiny, physics, options)
    assert not quiet.schedule.wall_clock_cut and not busy.schedule.wall_clock_cut
    assert busy.schedule.solver == quiet.schedule.solver == "cpsat"
    assert busy.schedule.assignments == quiet.schedule.assignments
    assert busy.schedule.transports == quiet.schedule.transports
    assert check_schedule(busy.problem, busy.schedule) == []


def test_a_solve_the_wall_clock_ends_first_is_labelled_and_the_label_survives_json(tiny, physics, monkeypatch):
    # a wall-clock budget alone (the schedule command's) is no cut: the wall clock is the budget
    plain = _schedule(tiny, physics, ScheduleOptions(time_limit=1.0, workers=1))
    assert not plain.schedule.wall_clock_cut and plain.to_json()["wall_clock_cut"] is False
    make_busy(monkeypatch)
    cut = _schedule(tiny, physics, ScheduleOptions(time_limit=LOAD_SECONDS / 2, deterministic_time=0.1, workers=1))
    assert cut.schedule.wall_clock_cut
    assert check_schedule(cut.problem, cut.schedule) == []  # a cut schedule is still a checked one
    doc = cut.to_json()
    assert doc["wall_clock_cut"] is True and schedule_from_json(doc).wall_clock_cut


def test_a_run_whose_solves_were_cut_says_so_in_its_rows_report_and_leaderboard(tiny, tmp_path, physics, monkeypatch):
    monkeypatch.setattr(budget, "WALL_SECONDS_PER_UNIT", 0.0)  # every solve reaches the net at once
    config = SearchConfig(candidates=20, shortlist=2, time_limit=0.2, workers=1, chunk_size=10, simulate=0)
    result = run_search(tiny, config, out_dir=tmp_path / "cut", physics=physics)
    assert result.wall_clock_cuts() == sorted([0] + [r.seq for r in result.leaderboard])
    report = (result.run_dir / "report.md").read_text(encoding="utf-8")
    assert "before their deterministic budget: 3 (as-is, #" in report
    assert f"#{result.best.seq} (dispatch fallback) (wall-clock cut)" in report or \
           f"#{result.best.seq} (wall-clock cut)" in report
    assert all(row["schedule"].endswith("(wall-clock cut)") for row in leaderboard(result))


def test_a_quiet_run_reports_no_cut(tiny, tmp_path, physics):
    config = SearchConfig(candidates=20, shortlist=2, time_limit=0.2, workers=1, chunk_size=10, simulate=0)
    result = run_search(tiny, config, out_dir=tmp_path / "quiet", physics=physics)
    assert result.wall_clock_cuts() == []
    report = (result.run_dir / "report.md").read_text(encoding="utf-8")
    assert "cut short by the wall-clock safety net: none" in report
    assert all(row["schedule"] in ("CP-SAT", "dispatch fallback") for row in leaderboard(result))
