"""The scheduler's set-up by problem kind and size: which problems get the dispatching-rule
warm start, and that every set-up still gives schedules the independent checker accepts."""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from optimizer import dispatch, jobshop_shuffle, jobshop_tabu, scheduler
from optimizer.fjsp import read_fjs
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem
from optimizer.schedule import check_schedule
from optimizer.scheduler import LARGE_PROBLEM_OPERATIONS, TABU_MIN_OPERATIONS, solve

FJSP = Path(__file__).resolve().parents[3] / "shared/benchmarks/fjsp"


def random_job_shop(n_jobs: int, n_machines: int, seed: int) -> SchedulingProblem:
    """Each job visits every machine once in a random order, 1..99 ticks per operation."""
    rng = random.Random(seed)
    jobs = []
    for j in range(n_jobs):
        order = rng.sample(range(n_machines), n_machines)
        operations = tuple(Operation(f"o{k}", (Alternative(f"m{m}", rng.randint(1, 99)),)) for k, m in enumerate(order))
        jobs.append(Job(f"j{j}", operations, product=f"j{j}", family=f"j{j}"))
    return SchedulingProblem(jobs=tuple(jobs), capacities={f"m{m}": 1 for m in range(n_machines)})


def flexible_shop(n_jobs: int, seed: int) -> SchedulingProblem:
    """Two operations per job, each on either of two machines (different durations)."""
    rng = random.Random(seed)
    jobs = tuple(
        Job(f"j{j}", tuple(
            Operation(f"o{k}", (Alternative("a", rng.randint(1, 20)), Alternative("b", rng.randint(1, 20))))
            for k in range(2)
        ), product=f"j{j}", family=f"j{j}")
        for j in range(n_jobs)
    )
    return SchedulingProblem(jobs=jobs, capacities={"a": 1, "b": 1})


@pytest.fixture
def warm_starts(monkeypatch):
    calls: list[int] = []
    real = dispatch.best_placement

    def counted(problem, **kwargs):
        calls.append(problem.n_operations)
        return real(problem, **kwargs)

    monkeypatch.setattr(dispatch, "best_placement", counted)
    return calls


@pytest.mark.parametrize(
    "problem, warm",
    [
        (random_job_shop(5, 5, seed=1), True),  # small plain job shop: the warm start's makespan is the horizon
        (random_job_shop(15, 15, seed=2), True),  # large plain job shop: the tabu search's schedule is the hint
        (flexible_shop(8, seed=3), True),  # alternatives: the dispatch schedule is the hint
    ],
)
def test_who_gets_a_warm_start(warm_starts, problem, warm):
    schedule = solve(problem, time_limit=5.0, workers=1)
    assert check_schedule(problem, schedule) == []
    assert schedule.solver == "cpsat"
    assert bool(warm_starts) is warm


def test_the_large_set_up_starts_above_the_threshold():
    assert random_job_shop(15, 15, seed=2).n_operations > LARGE_PROBLEM_OPERATIONS
    assert random_job_shop(5, 5, seed=1).n_operations <= LARGE_PROBLEM_OPERATIONS


def test_large_and_flexible_job_shops_get_the_tabu_search_and_stay_repeatable(monkeypatch):
    calls: list[int] = []
    real = jobshop_tabu.improve

    def counted(problem, placed, **kwargs):
        calls.append(kwargs.get("max_iterations"))
        return real(problem, placed, **kwargs)

    monkeypatch.setattr(jobshop_tabu, "improve", counted)
    problem = random_job_shop(15, 15, seed=2)
    runs = [solve(problem, time_limit=60.0, workers=1, deterministic_time=0.5) for _ in range(2)]
    assert calls[0] and calls == [calls[0]] * 2  # a fixed number of moves under a deterministic budget
    assert check_schedule(problem, runs[0]) == [] and runs[0].makespan >= runs[0].lower_bound
    assert runs[0].assignments == runs[1].assignments
    small = random_job_shop(5, 5, seed=1)
    solve(small, time_limit=5.0, workers=1)
    assert len(calls) == 2  # small job shops are proven by CP-SAT from the horizon alone
    solve(flexible_shop(8, seed=3), time_limit=5.0, workers=1)
    assert len(calls) == 2  # and so are small flexible ones
    flexible = flexible_shop(TABU_MIN_OPERATIONS // 2, seed=4)
    assert flexible.n_operations == TABU_MIN_OPERATIONS
    schedule = solve(flexible, time_limit=60.0, workers=1, deterministic_time=0.5)
    assert len(calls) == 3 and check_schedule(flexible, schedule) == []


@pytest.fixture
def tabu_and_cpsat(monkeypatch):
    """Records each tabu search's result and the deterministic budget CP-SAT then gets."""
    seen: dict[str, list] = {"tabu": [], "cpsat": []}
    real_improve, real_solve = jobshop_tabu.improve, scheduler._solve

    def improve(problem, placed, **kwargs):
        seen["tabu"].append(real_improve(problem, placed, **kwargs))
        return seen["tabu"][-1]

    def solve_model(model, **kwargs):
        seen["cpsat"].append(kwargs["deterministic_time"])
        return real_solve(model, **kwargs)

    monkeypatch.setattr(jobshop_tabu, "improve", improve)
    monkeypatch.setattr(scheduler, "_solve", solve_model)
    return seen


def test_a_stagnant_tabu_search_hands_cp_sat_the_moves_it_did_not_make(tabu_and_cpsat, monkeypatch):
    monkeypatch.setattr(scheduler, "TABU_PATIENCE", 5)  # 5 x 55 moves without a better schedule
    problem = read_fjs(FJSP / "mk01.fjs")
    runs = [solve(problem, time_limit=60.0, workers=1, deterministic_time=2.0) for _ in range(2)]
    first = tabu_and_cpsat["tabu"][0]
    assert first.stopped == "stagnation" and first.iterations == first.improvements[-1][0] + 5 * 55
    assert first.iterations < scheduler.TABU_SHARE * 2.0 * scheduler.TABU_MOVES_PER_UNIT
    assert tabu_and_cpsat["cpsat"][0] == pytest.approx(2.0 - first.iterations / scheduler.TABU_MOVES_PER_UNIT)
    assert tabu_and_cpsat["tabu"][1] == first and runs[0].assignments == runs[1].assignments  # repeatable
    assert check_schedule(problem, runs[0]) == [] and runs[0].makespan <= first.makespan


def test_a_tabu_search_at_the_lower_bound_stops_and_cp_sat_proves_it(tabu_and_cpsat):
    # a chain of 30 operations of 10 ticks on X is the bottleneck (300); ten small jobs fit on Y
    chain = Job("long", tuple(Operation(f"o{k}", (Alternative("X", 10),)) for k in range(30)), product="long",
                family="long")
    small = tuple(Job(f"s{i}", (Operation("o", (Alternative("X", 4), Alternative("Y", 6 + i))),), product=f"s{i}",
                      family=f"s{i}") for i in range(10))
    problem = SchedulingProblem(jobs=(chain, *small), capacities={"X": 1, "Y": 1})
    assert problem.n_operations >= TABU_MIN_OPERATIONS
    schedule = solve(problem, time_limit=60.0, workers=1, deterministic_time=2.0)
    assert [found.stopped for found in tabu_and_cpsat["tabu"]] == ["bound"]
    assert tabu_and_cpsat["cpsat"] == [pytest.approx(2.0 - tabu_and_cpsat["tabu"][0].iterations / 2000)]
    assert (schedule.makespan, schedule.status, schedule.solver) == (300, "optimal", "cpsat")
    assert check_schedule(problem, schedule) == []


def test_cp_sat_searches_beside_the_tabu_search_when_there_are_two_workers(monkeypatch):
    finished: list[tuple] = []
    real_finish = scheduler._SideSearch.finish

    def finish(self, *, stop):
        finished.append((stop, *real_finish(self, stop=stop)[1:]))
        return real_finish(self, stop=stop)  # a second call only reads the finished search again

    monkeypatch.setattr(scheduler._SideSearch, "finish", finish)
    problem = read_fjs(FJSP / "mk01.fjs")  # CP-SAT proves 40 from the dispatch schedule in well under a second
    solve(problem, time_limit=60.0, workers=1, deterministic_time=2.0)
    assert finished == []  # one worker: the tabu search alone
    schedule = solve(problem, time_limit=60.0, workers=2, deterministic_time=2.0)
    # under a deterministic budget the side search is not stopped; its proof is the floor CP-SAT then gets
    assert finished == [(False, 40, 40)]
    assert (schedule.makespan, schedule.status, schedule.lower_bound) == (40, "optimal", 40)
    assert check_schedule(problem, schedule) == []


def test_an_error_in_the_side_search_reaches_the_caller(monkeypatch):
    real_solve = scheduler._solve

    def failing_solve(model, **kwargs):
        if kwargs.get("solver") is not None:  # the side search hands its own solver
            raise MemoryError("side search")
        return real_solve(model, **kwargs)

    monkeypatch.setattr(scheduler, "_solve", failing_solve)
    with pytest.raises(MemoryError, match="side search"):
        solve(read_fjs(FJSP / "mk01.fjs"), time_limit=60.0, workers=2, deterministic_time=2.0)


def test_ctrl_c_while_waiting_for_the_side_search_stops_it(monkeypatch):
    side: list[scheduler._SideSearch] = []
    real_start = scheduler._SideSearch.start

    def start(self, **kwargs):
        side.append(self)
        real_start(self, **{**kwargs, "deterministic_time": 1e6, "seconds": 600.0})  # would search for minutes

    joins = iter([KeyboardInterrupt()])

    def join(self, stop):
        error = next(joins, None)
        if error is not None:
            raise error
        real_join(self, stop)

    real_join = scheduler._SideSearch._join
    monkeypatch.setattr(scheduler._SideSearch, "start", start)
    monkeypatch.setattr(scheduler._SideSearch, "_join", join)
    with pytest.raises(KeyboardInterrupt):
        solve(read_fjs(FJSP / "mk05.fjs"), time_limit=600.0, workers=2, deterministic_time=0.5)
    assert not side[0].thread.is_alive()


def test_a_large_plain_job_shop_gets_a_second_tabu_search_on_the_other_core(monkeypatch):
    runs: list[tuple[int, str, jobshop_tabu.Result]] = []
    real_improve = jobshop_tabu.improve

    def improve(problem, placed, **kwargs):
        found = real_improve(problem, placed, **kwargs)
        runs.append((kwargs["seed"], threading.current_thread().name, found))
        return found

    monkeypatch.setattr(jobshop_tabu, "improve", improve)
    sides: list[scheduler._SideSearch] = []
    real_side_start = scheduler._SideSearch.start
    monkeypatch.setattr(scheduler._SideSearch, "start", lambda self, **kw: (sides.append(self), real_side_start(self, **kw)))
    large = random_job_shop(20, 15, seed=3)  # 300 operations
    assert large.n_operations > scheduler.SECOND_TABU_OPERATIONS
    schedule = solve(large, time_limit=2.0, workers=2, seed=5)
    assert sorted((seed, thread) for seed, thread, _ in runs) == [
        (5, "MainThread"), (5 + scheduler.SECOND_TABU_SEED, "second-tabu-search")]
    assert sides == []  # the second search took the other core
    assert check_schedule(large, schedule) == [] and schedule.makespan <= min(found.makespan for *_, found in runs)

    runs.clear()
    solve(large, time_limit=2.0, workers=1, seed=5)  # one worker: one search
    assert [thread for _, thread, _ in runs] == ["MainThread"] and sides == []
    runs.clear()
    smaller = random_job_shop(15, 15, seed=3)  # 225 operations, one worker: CP-SAT after the search, as before
    assert LARGE_PROBLEM_OPERATIONS < smaller.n_operations <= scheduler.SECOND_TABU_OPERATIONS
    schedule = solve(smaller, time_limit=2.0, workers=1, seed=5)
    assert [thread for _, thread, _ in runs] == ["MainThread"] and sides == []
    assert check_schedule(smaller, schedule) == []


def test_a_15x15_job_shop_gets_cp_sat_first_and_then_two_tabu_searches(monkeypatch):
    # 1 s of 4: too short for a proof, long enough for CP-SAT's first schedules on a busy machine
    monkeypatch.setattr(scheduler, "PROOF_FIRST_SHARE", 0.25)
    events: list[tuple] = []
    shuffled: list = []  # the exact re-sequencing after a stalled search, when there is time left
    real_solve, real_solution, real_improve = scheduler._solve, scheduler._solution, jobshop_tabu.improve
    real_shuffle = jobshop_shuffle.improve

    def solve_model(model, **kwargs):
        events.append(("cpsat", len(model.proto.solution_hint.vars), kwargs["time_limit"], kwargs["workers"],
                       kwargs["strong_disjunctive"]))
        return real_solve(model, **kwargs)

    def solution(problem, v, solver):
        found = real_solution(problem, v, solver)
        events.append(("cpsat schedule", found.placed, solver.BestObjectiveBound()))
        return found

    def improve(problem, placed, **kwargs):
        found = real_improve(problem, placed, **kwargs)
        events.append(("tabu", threading.current_thread().name, kwargs["seed"], placed, found))
        return found

    monkeypatch.setattr(scheduler, "_solve", solve_model)
    monkeypatch.setattr(scheduler, "_solution", solution)
    def shuffle(problem, placed, **kwargs):
        shuffled.append(real_shuffle(problem, placed, **kwargs))
        return shuffled[-1]

    monkeypatch.setattr(jobshop_tabu, "improve", improve)
    monkeypatch.setattr(jobshop_shuffle, "improve", shuffle)
    problem = random_job_shop(15, 15, seed=3)
    schedule = solve(problem, time_limit=4.0, workers=2, seed=5)
    (_, hints, seconds, workers, strong), (_, cpsat_placed, bound) = events[:2]
    assert hints == 0 and seconds <= 0.25 * 4.0 and workers == 2  # unhinted, on both workers, first
    assert strong and not scheduler._search_flags(problem, cp_model.CpModel())["strong_disjunctive"]  # its own
    searches = sorted(events[2:], key=lambda e: e[1])
    assert [(thread, seed) for _, thread, seed, _, _ in searches] == [
        ("MainThread", 5), ("second-tabu-search", 5 + scheduler.SECOND_TABU_SEED)]
    assert searches[0][3] == cpsat_placed  # one from CP-SAT's schedule, one from the dispatch schedule
    assert searches[1][3] == dispatch.best_placement(problem, deadline=0.0).placed
    cpsat_makespan = dispatch.makespan(problem, cpsat_placed)
    tabu_makespan = min(found.makespan for *_, found in searches)
    shuffle_makespan = min((found.makespan for found in shuffled), default=tabu_makespan)
    assert check_schedule(problem, schedule) == []
    assert schedule.makespan == min(cpsat_makespan, tabu_makespan, shuffle_makespan)
    # CP-SAT's schedule stands on a tie, then the tabu searches'
    assert schedule.solver == ("cpsat" if cpsat_makespan <= min(tabu_makespan, shuffle_makespan)
                               else "tabu" if tabu_makespan <= shuffle_makespan else "shuffle")
    assert schedule.lower_bound >= bound - 1e-6 and schedule.makespan >= schedule.lower_bound


def test_cp_sat_first_answers_with_its_proof_and_no_tabu_search(monkeypatch):
    # m0 is the bottleneck: 15 lots of 100 ticks there, then 14 unit operations each; the last
    # lot leaves m0 at 1,500 and needs 14 more ticks, and every lot can start on m0 at once
    rng = random.Random(7)
    jobs = []
    for j in range(15):
        others = rng.sample(range(1, 15), 14)
        ops = (Operation("o0", (Alternative("m0", 100),)),
               *(Operation(f"o{k + 1}", (Alternative(f"m{m}", 1),)) for k, m in enumerate(others)))
        jobs.append(Job(f"j{j}", ops, product=f"j{j}", family=f"j{j}"))
    problem = SchedulingProblem(jobs=tuple(jobs), capacities={f"m{m}": 1 for m in range(15)})
    assert LARGE_PROBLEM_OPERATIONS < problem.n_operations <= scheduler.SECOND_TABU_OPERATIONS
    searches: list[str] = []
    monkeypatch.setattr(jobshop_tabu, "improve", lambda *a, **k: searches.append("tabu"))
    schedule = solve(problem, time_limit=60.0, workers=2)
    assert searches == []
    assert (schedule.makespan, schedule.status, schedule.lower_bound, schedule.solver) == (1514, "optimal", 1514, "cpsat")
    assert check_schedule(problem, schedule) == []


def test_the_better_of_the_two_tabu_searches_goes_on_to_cp_sat(monkeypatch):
    problem = random_job_shop(20, 15, seed=4)
    warm = dispatch.best_placement(problem, deadline=0.0)
    real_improve = jobshop_tabu.improve

    def searches(working: str):
        """`working` makes 20,000 moves, the other none (it returns the dispatch schedule); the
        first search waits for the second, whose search the first one's end would stop."""
        results: dict[str, jobshop_tabu.Result] = {}
        second_done = threading.Event()

        def improve(problem, placed, **kwargs):
            name = threading.current_thread().name
            if name == "MainThread":
                assert second_done.wait(60)
            moves = 20_000 if name == working else 0
            results[name] = real_improve(problem, placed, **{**kwargs, "max_iterations": moves})
            if name != "MainThread":
                second_done.set()
            return results[name]

        monkeypatch.setattr(jobshop_tabu, "improve", improve)
        best, _, _ = scheduler._tabu_warm_start(problem, warm, time.monotonic(), 60.0, None, seed=0, workers=2)
        return best, results

    best, results = searches("MainThread")
    first, second = results["MainThread"], results["second-tabu-search"]
    assert first.makespan < second.makespan == dispatch.makespan(problem, warm.placed)
    assert best.placed == first.placed
    best, results = searches("second-tabu-search")
    first, second = results["MainThread"], results["second-tabu-search"]
    assert second.makespan < first.makespan == dispatch.makespan(problem, warm.placed)
    assert best.placed == second.placed and dispatch.makespan(problem, best.placed) == second.makespan


@pytest.mark.parametrize("size", [random_job_shop(20, 15, seed=3), random_job_shop(15, 15, seed=3)])
def test_an_error_in_the_second_tabu_search_reaches_the_caller(monkeypatch, size):
    real_improve = jobshop_tabu.improve

    def improve(problem, placed, **kwargs):
        if threading.current_thread().name == "second-tabu-search":
            raise MemoryError("second search")
        return real_improve(problem, placed, **kwargs)

    monkeypatch.setattr(jobshop_tabu, "improve", improve)
    monkeypatch.setattr(scheduler, "PROOF_FIRST_SHARE", 0.2)  # the 15x15 job shop: too short for a proof
    with pytest.raises(MemoryError, match="second search"):
        solve(size, time_limit=2.0, workers=2)
