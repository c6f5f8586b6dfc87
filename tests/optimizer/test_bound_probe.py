"""The probe at the lower bound (`scheduler._bound_probe`): when the tabu search ends within a
tick or a percent of the bound, CP-SAT looks for a schedule at the bound first. Checked on
instances whose optimum is known (ft06: 55; mk02: 26, proven in the literature)."""
from __future__ import annotations

from pathlib import Path

from optimizer import dispatch, scheduler
from optimizer.fjsp import read_fjs
from optimizer.jssp import read_jssp
from optimizer.schedule import check_schedule, make_schedule

SHARED = Path(__file__).resolve().parents[3] / "shared/benchmarks"


def _probe(problem, floor):
    return scheduler._bound_probe(problem, floor, None, seconds=30.0, seed=0, log=False, parameters=None)


def test_a_probe_at_the_optimum_finds_a_schedule_there():
    problem = read_jssp(SHARED / "jssp/ft06.txt")
    found, bound = _probe(problem, 55)
    assert found is not None and bound == 55
    schedule = make_schedule(problem, found.placed, status="feasible", lower_bound=bound, objective="makespan",
                             solver="cpsat")
    assert check_schedule(problem, schedule) == []
    assert schedule.makespan == 55


def test_a_probe_below_the_optimum_lifts_the_bound_by_one_tick():
    problem = read_jssp(SHARED / "jssp/ft06.txt")
    assert _probe(problem, 54) == (None, 55)


def test_the_probe_runs_only_within_its_gap_of_the_bound(monkeypatch):
    problem = read_jssp(SHARED / "jssp/ft06.txt")
    warm = dispatch.list_schedule(problem, "mwkr")
    makespan = dispatch.makespan(problem, warm.placed)
    assert 50 < makespan < 100  # one percent of the bound is less than a tick: the gap is one tick
    assert scheduler._probe_pays(problem, warm, makespan - 1)
    assert not scheduler._probe_pays(problem, warm, makespan)  # at the bound already: nothing to find
    assert not scheduler._probe_pays(problem, warm, makespan - 2)
    monkeypatch.setattr(scheduler, "BOUND_PROBE_GAP", 0.05)  # 5 % of 50-100: 2 to 4 ticks
    assert scheduler._probe_pays(problem, warm, makespan - 2)
    assert not scheduler._probe_pays(problem, warm, makespan - 5)


def test_a_probe_proves_that_no_schedule_reaches_a_bound_below_the_optimum():
    problem = read_fjs(SHARED / "fjsp/mk02.fjs")
    assert dispatch.simple_lower_bound(problem) == 25
    assert _probe(problem, 25) == (None, 26)


def test_a_tabu_schedule_one_tick_above_the_bound_gives_way_to_the_probe(monkeypatch):
    """la01_vdata: the tabu search stops at 571 (seeds 0-5), the bound is 570, the optimum;
    before the probe CP-SAT found 570 from the tabu schedule in 2 of 4 runs of 60 s. The probe
    (one worker: its search does not depend on the threads' timing) gets all the time left here,
    so a slow machine does not make the test flaky. The tabu search's patience is held at 2,000
    moves per operation: with the scheduler's longer one, CP-SAT beside the search may reach 570
    itself before the search stops, and the probe would not be needed (a CI run on 64c2e81)."""
    problem = read_fjs(SHARED / "fjsp/la01_vdata.fjs")
    assert dispatch.simple_lower_bound(problem) == 570
    monkeypatch.setattr(scheduler, "BOUND_PROBE_SHARE", 1.0)
    monkeypatch.setattr(scheduler, "TABU_PATIENCE", 2000)
    probes = []
    real = scheduler._bound_probe

    def spied(problem, floor, *args, **kwargs):
        probes.append(floor)
        return real(problem, floor, *args, **kwargs)

    monkeypatch.setattr(scheduler, "_bound_probe", spied)
    schedule = scheduler.solve(problem, time_limit=60.0, workers=2, seed=0)
    assert check_schedule(problem, schedule) == []
    assert (schedule.status, schedule.makespan, schedule.lower_bound) == ("optimal", 570, 570)
    assert probes == [570]
