"""Machines re-sequenced exactly (`optimizer.jobshop_shuffle`): its schedules pass the
independent checker and never lose to their start, it stops where told, and it reaches a known
optimum."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from optimizer import dispatch, jobshop_shuffle
from optimizer.jssp import read_jssp
from optimizer.schedule import check_schedule, make_schedule
from test_jobshop_tabu import shop

JSSP = Path(__file__).resolve().parents[3] / "shared/benchmarks/jssp"


def schedule_of(problem, placed):
    return make_schedule(problem, placed, status="feasible", lower_bound=0, objective="makespan", solver="shuffle")


def test_a_known_optimum_is_reached_and_the_search_stops_there():
    problem = read_jssp(JSSP / "ft06.txt")  # Fisher and Thompson's 6x6, optimum 55
    start = dispatch.list_schedule(problem, "fifo").placed
    assert schedule_of(problem, start).makespan > 55
    found = jobshop_shuffle.improve(problem, start, stop_at=time.monotonic() + 60, seed=1, lower_bound=55)
    improved = schedule_of(problem, found.placed)
    assert check_schedule(problem, improved) == []
    assert improved.makespan == found.makespan == 55


@pytest.mark.parametrize("seed, releases, transport", [(1, False, 0), (2, True, 0), (3, True, 7), (4, False, 12)])
def test_schedules_are_valid_and_never_worse_than_the_start(seed, releases, transport):
    # releases and transport lags (a conveyor between every two machines) are the job shop's too
    problem = shop(8, 5, seed, releases=releases, transport=transport)
    start = dispatch.list_schedule(problem, "spt").placed
    before = schedule_of(problem, start).makespan
    found = jobshop_shuffle.improve(problem, start, stop_at=time.monotonic() + 0.5, seed=seed)
    improved = schedule_of(problem, found.placed)
    assert check_schedule(problem, improved) == []
    assert improved.makespan == found.makespan <= before
    assert found.steps >= 1


def test_lots_that_wait_at_an_origin_start_after_their_carry():
    # every lot waits at m0 and is carried 9 ticks to any other machine before it can start there
    base = shop(8, 5, 6, releases=True, transport=9)
    problem = replace(base, jobs=tuple(replace(job, origin="m0") for job in base.jobs))
    start = dispatch.list_schedule(problem, "spt").placed
    before = schedule_of(problem, start).makespan
    found = jobshop_shuffle.improve(problem, start, stop_at=time.monotonic() + 0.5, seed=6)
    improved = schedule_of(problem, found.placed)
    assert check_schedule(problem, improved) == []
    assert improved.makespan <= before


def test_a_cancelled_or_spent_search_returns_its_start():
    problem = shop(8, 5, 5)
    start = dispatch.list_schedule(problem, "spt").placed
    cancel = threading.Event()
    cancel.set()
    for found in (jobshop_shuffle.improve(problem, start, stop_at=time.monotonic() + 60, cancel=cancel),
                  jobshop_shuffle.improve(problem, start, stop_at=time.monotonic() - 1)):
        assert found.steps == 0
        assert found.placed == {key: (station, 0, begin) for key, (station, _, begin) in start.items()}
