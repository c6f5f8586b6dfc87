"""The tabu search on machine sequences (`optimizer.jobshop_tabu`): which problems it takes,
that its schedules pass the independent checker and never lose to their start, and a known
optimum it reaches."""
from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from optimizer import dispatch, jobshop_tabu
from optimizer.fjsp import read_fjs
from optimizer.jssp import read_jssp
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem, TransportLeg
from optimizer.schedule import check_schedule, make_schedule

JSSP = Path(__file__).resolve().parents[3] / "shared/benchmarks/jssp"
FJSP = Path(__file__).resolve().parents[3] / "shared/benchmarks/fjsp"
NEVER = float("inf")  # no wall-clock stop: these runs end by their number of moves


def schedule_of(problem: SchedulingProblem, placed):
    return make_schedule(problem, placed, status="feasible", lower_bound=0, objective="makespan", solver="tabu")


def shop(n_jobs: int, n_machines: int, seed: int, *, releases: bool = False, transport: int = 0,
         flexible: bool = False) -> SchedulingProblem:
    """Each job visits every machine once in a random order; optionally random releases, a
    fixed transport time between machines (a conveyor: no fleet) and, flexible, a second
    machine (the next one, another duration) for each operation."""
    rng = random.Random(seed)
    machines = [f"m{m}" for m in range(n_machines)]

    def alternatives(m: int) -> tuple[Alternative, ...]:
        first = Alternative(machines[m], rng.randint(1, 30))
        return (first, Alternative(machines[(m + 1) % n_machines], rng.randint(1, 30))) if flexible else (first,)

    jobs = tuple(
        Job(f"j{j}", tuple(Operation(f"o{k}", alternatives(m)) for k, m in enumerate(rng.sample(range(n_machines), n_machines))),
            product=f"j{j}", family=f"j{j}", release=rng.randint(0, 40) if releases else 0)
        for j in range(n_jobs)
    )
    legs = {(a, b): TransportLeg(transport, mover="conveyor") for a in machines for b in machines if a != b} if transport else {}
    return SchedulingProblem(jobs=jobs, capacities={m: 1 for m in machines}, transport=legs)


@pytest.mark.parametrize("path, moves, optimum", [
    (JSSP / "ft06.txt", 3000, 55),  # Fisher and Thompson's 6x6
    (FJSP / "mk01.fjs", 500, 40),  # Brandimarte's first flexible job shop, proven optimal
])
def test_known_optima_are_reached(path, moves, optimum):
    problem = read_jssp(path) if path.suffix == ".txt" else read_fjs(path)
    start = dispatch.list_schedule(problem, "fifo").placed
    assert schedule_of(problem, start).makespan > optimum
    improved = schedule_of(problem, jobshop_tabu.improve(problem, start, stop_at=NEVER, max_iterations=moves).placed)
    assert check_schedule(problem, improved) == []
    assert improved.makespan == optimum


@pytest.mark.parametrize("seed, releases, transport, flexible", [
    (1, False, 0, False), (2, True, 0, False), (3, True, 7, False), (4, False, 12, False),
    (5, False, 0, True), (6, True, 9, True),
])
def test_schedules_are_valid_and_never_worse_than_the_start(seed, releases, transport, flexible):
    problem = shop(8, 5, seed, releases=releases, transport=transport, flexible=flexible)
    assert problem.is_job_shop()
    start = dispatch.list_schedule(problem, "spt").placed
    before = schedule_of(problem, start).makespan
    improved = schedule_of(problem, jobshop_tabu.improve(problem, start, stop_at=NEVER, seed=seed, max_iterations=500).placed)
    assert check_schedule(problem, improved) == []
    assert improved.makespan <= before


def test_operations_move_to_an_idle_machine():
    # three one-operation jobs, all started on A (3 + 4 + 2 = 9 ticks); on B they take 5, 4, 6.
    # The work needs at least 9 / 2 ticks on two machines, so 5; reached by J1, J3 on A, J2 on B
    jobs = tuple(Job(name, (Operation("o", (Alternative("A", a), Alternative("B", b))),), product=name, family=name)
                 for name, a, b in (("J1", 3, 5), ("J2", 4, 4), ("J3", 2, 6)))
    problem = SchedulingProblem(jobs=jobs, capacities={"A": 1, "B": 1})
    start = {(0, 0): ("A", 0, 0), (1, 0): ("A", 0, 3), (2, 0): ("A", 0, 7)}
    improved = schedule_of(problem, jobshop_tabu.improve(problem, start, stop_at=NEVER, max_iterations=100).placed)
    assert check_schedule(problem, improved) == []
    assert improved.makespan == 5
    assert {a.job: a.station for a in improved.assignments} == {"J1": "A", "J2": "B", "J3": "A"}


@pytest.mark.parametrize("size, moves", [((10, 6, 5), 300),
                                         ((10, 10, 3), 30_000)])  # its elite pool fills: restarts relinked
def test_same_seed_same_moves_same_schedule(size, moves):
    problem = shop(*size)
    start = dispatch.list_schedule(problem, "mwkr").placed
    runs = [jobshop_tabu.improve(problem, start, stop_at=NEVER, seed=3, max_iterations=moves) for _ in range(2)]
    assert runs[0] == runs[1]
    assert check_schedule(problem, schedule_of(problem, runs[0].placed)) == []


def test_a_job_back_on_its_machine_through_a_zero_length_operation():
    # J: C(2), A(5), B(0), A(1), C(3): a critical block on A holding J's two operations tempts
    # the search to swap them, which would make a cycle through B (found while writing this
    # test: the move is made, undone and made tabu)
    def op(name, station, duration):
        return Operation(name, (Alternative(station, duration),))

    jobs = (
        Job("J", (op("c1", "C", 2), op("a1", "A", 5), op("b", "B", 0), op("a2", "A", 1), op("c2", "C", 3)),
            product="J", family="J"),
        Job("K", (op("a", "A", 4), op("b", "B", 4)), product="K", family="K"),
        Job("L", (op("c", "C", 2), op("b", "B", 1)), product="L", family="L"),
    )
    problem = SchedulingProblem(jobs=jobs, capacities={"A": 1, "B": 1, "C": 1})
    assert problem.is_job_shop()
    start = dispatch.list_schedule(problem, "fifo").placed
    improved = schedule_of(problem, jobshop_tabu.improve(problem, start, stop_at=NEVER, max_iterations=50).placed)
    assert check_schedule(problem, improved) == []
    # K before J on A: K A 0-4 B 4-8, J C 2-4 A 4-9 A 9-10 C 10-13, L C 0-2 B 2-3: 13. K after
    # J's first A (ends >= 7) ends >= 7 + 4 + 4 = 15; so 13 is the optimum
    assert improved.makespan == 13


def test_only_job_shops_fixed_by_their_stations_and_sequences_are_job_shops():
    base = shop(3, 3, 1)
    flexible = SchedulingProblem(
        jobs=(Job("F", (Operation("o", (Alternative("m0", 2), Alternative("m1", 3))),), product="F", family="F"),),
        capacities={"m0": 1, "m1": 1})
    lanes = SchedulingProblem(jobs=base.jobs, capacities={**base.capacities, "m0": 2})
    changeovers = SchedulingProblem(jobs=base.jobs, capacities=base.capacities,
                                    changeovers={"m0": {("a", "b"): 3}})
    fleet = SchedulingProblem(jobs=base.jobs, capacities=base.capacities,
                              transport={("m0", "m1"): TransportLeg(4)}, fleets={"agv": 1})
    batch = SchedulingProblem(jobs=base.jobs, capacities=base.capacities, batch_sizes={"m0": 2})
    assert base.is_job_shop() and flexible.is_job_shop()
    assert not any(p.is_job_shop() for p in (lanes, changeovers, fleet, batch))


@pytest.mark.parametrize("seed, releases, transport, zero", [(7, False, 0, False), (8, True, 5, False),
                                                            (9, False, 0, True), (10, True, 4, True)])
def test_the_incremental_evaluation_agrees_with_a_full_pass(seed, releases, transport, zero):
    # 200 critical swaps, each evaluated incrementally (`evaluate_swap`: only the heads and
    # tails that change), then compared with heads, tails and makespan recomputed from scratch
    # for the same sequences; `zero`: every third operation, each job's last among them, takes
    # no time (so the makespan may be set by a zero-length operation and a swap may make a cycle)
    problem = shop(10, 6, seed, releases=releases, transport=transport)
    if zero:
        problem = replace(problem, jobs=tuple(
            replace(job, operations=tuple(
                replace(op, alternatives=(Alternative(op.alternatives[0].station, 0),)) if k % 3 == 2 else op
                for k, op in enumerate(job.operations)))
            for job in problem.jobs))
    g = jobshop_tabu._Graph.of(problem)
    state = jobshop_tabu._State(g, *jobshop_tabu._sequences(g, dispatch.list_schedule(problem, "spt").placed))
    rng = random.Random(seed)
    rng_state = jobshop_tabu._rng(seed)
    cycles = 0
    for _ in range(200):
        moves = state.critical_swaps(rng_state)
        if not moves:
            break
        u, v = rng.choice(moves)
        state.swap(u, v)
        if not state.evaluate_swap(u, v):  # left as it was: heads, tails and order untouched
            state.swap(v, u)
            cycles += 1
        fresh = jobshop_tabu._State(g, state.st[jobshop_tabu.STATION].tolist(), {})
        fresh.st[jobshop_tabu.MPREV], fresh.st[jobshop_tabu.MNEXT] = state.st[jobshop_tabu.MPREV], state.st[jobshop_tabu.MNEXT]
        assert fresh.evaluate()
        for row in (jobshop_tabu.HEAD, jobshop_tabu.TAIL):
            assert state.st[row].tolist() == fresh.st[row].tolist()
        assert state.makespan == fresh.makespan
    assert cycles == 0 or zero


def test_a_makespan_set_by_a_zero_length_operation_still_gives_moves():
    # j0: cut on m for 2 ticks, then a zero-length check at z, 10 ticks of conveyor away; j1:
    # cut on m for 6. Started with j1 first on m: j0 is cut 6..8 and checked at 18, the
    # makespan, which only the zero-length check reaches. With j0 first: checked at 12, j1
    # done at 8, so 12 (by hand).
    jobs = (Job("j0", (Operation("cut", (Alternative("m", 2),)), Operation("check", (Alternative("z", 0),))),
                product="j0", family="j0"),
            Job("j1", (Operation("cut", (Alternative("m", 6),)),), product="j1", family="j1"))
    problem = SchedulingProblem(jobs=jobs, capacities={"m": 1, "z": 1},
                                transport={("m", "z"): TransportLeg(10, mover="conveyor")})
    start = {(1, 0): ("m", 0, 0), (0, 0): ("m", 0, 6), (0, 1): ("z", 0, 18)}
    assert check_schedule(problem, schedule_of(problem, start)) == [] and schedule_of(problem, start).makespan == 18
    improved = schedule_of(problem, jobshop_tabu.improve(problem, start, stop_at=NEVER, max_iterations=50).placed)
    assert check_schedule(problem, improved) == []
    assert improved.makespan == 12


def two_machine_jobs(*durations: tuple[int, int]) -> SchedulingProblem:
    """One-operation jobs, each on A or B with the given durations."""
    jobs = tuple(Job(f"J{i}", (Operation("o", (Alternative("A", a), Alternative("B", b))),), product=f"J{i}",
                     family=f"J{i}") for i, (a, b) in enumerate(durations))
    return SchedulingProblem(jobs=jobs, capacities={"A": 1, "B": 1})


def test_the_lower_bound_shares_flexible_work_among_its_stations():
    # shortest durations 3 + 4 + 2 = 9 on {A, B}: at least ceil(9 / 2) = 5; the longest job, 4
    problem = two_machine_jobs((3, 5), (4, 4), (2, 6))
    assert dispatch.simple_lower_bound(problem, transports=False) == dispatch.simple_lower_bound(problem) == 5


def test_the_lower_bound_adds_the_least_head_and_tail_of_a_station_group():
    # J0: X(6) then M(2); J1: X(5) then M(3); J2: Y(4) then M(1). Every operation on M starts
    # after at least 4 ticks and nothing follows: 4 + 2 + 3 + 1 = 10. X: 6 + 5 + least tail 2 =
    # 13; the longest job 8. By hand, X runs J1 (0-5) then J0 (5-11), M then 11-13: 13.
    def op(name, station, duration):
        return Operation(name, (Alternative(station, duration),))

    jobs = (Job("J0", (op("x", "X", 6), op("m", "M", 2)), product="J0", family="J0"),
            Job("J1", (op("x", "X", 5), op("m", "M", 3)), product="J1", family="J1"),
            Job("J2", (op("y", "Y", 4), op("m", "M", 1)), product="J2", family="J2"))
    problem = SchedulingProblem(jobs=jobs, capacities={"X": 1, "Y": 1, "M": 1})
    assert dispatch.simple_lower_bound(problem) == 13
    # with a conveyor of 3 ticks between any two stations, each job's second operation starts 3
    # later: M's least head 4 + 3 -> 7 + 6 = 13; X's least tail 3 + 2 -> 6 + 5 + 5 = 16
    moved = replace(problem, transport={(a, b): TransportLeg(3, mover="conveyor") for a in "XYM" for b in "XYM"
                                        if a != b})
    assert dispatch.simple_lower_bound(moved) == 16
    assert dispatch.simple_lower_bound(moved, transports=False) == 13  # what CP-SAT's makespan domain gets


def test_the_search_stops_at_the_lower_bound():
    problem = two_machine_jobs((3, 5), (4, 4), (2, 6))
    start = {(0, 0): ("A", 0, 0), (1, 0): ("A", 0, 3), (2, 0): ("A", 0, 7)}  # 9 ticks on A
    found = jobshop_tabu.improve(problem, start, stop_at=NEVER, max_iterations=1000,
                                 lower_bound=dispatch.simple_lower_bound(problem))
    assert (found.makespan, found.stopped) == (5, "bound")
    assert found.iterations < 10 and found.iterations == found.improvements[-1][0]
    assert schedule_of(problem, found.placed).makespan == 5


@pytest.mark.parametrize("patience", [30, 200])
def test_the_search_stops_after_its_patience_without_a_better_schedule(patience):
    problem = read_fjs(FJSP / "mk01.fjs")  # reaches 40 in a few hundred moves; the bound is 39
    start = dispatch.list_schedule(problem, "fifo").placed
    found = jobshop_tabu.improve(problem, start, stop_at=NEVER, max_iterations=100_000, patience=patience,
                                 lower_bound=dispatch.simple_lower_bound(problem))
    assert found.stopped == "stagnation"
    last = found.improvements[-1][0]
    assert found.iterations == last + patience
    assert all(b - a < patience for (a, _), (b, _) in zip(((0, 0),) + found.improvements, found.improvements))
    assert schedule_of(problem, found.placed).makespan == found.makespan == found.improvements[-1][1]
    # the same search without the stop makes the same moves up to there
    longer = jobshop_tabu.improve(problem, start, stop_at=NEVER, max_iterations=found.iterations)
    assert longer.improvements == found.improvements and longer.stopped == "moves"


def test_the_tabu_table_keeps_every_live_entry_while_it_drops_the_spent_ones():
    # the compiled loop's hash table against a dict: 20,000 moves, each making one of 500 keys
    # tabu for up to 1.5 x the base tenure; the table (16 x (base + 2) slots) drops spent entries
    # when half full, which must never lose a live one nor fill up
    base_tenure = 12
    table = jobshop_tabu._tabu_table(base_tenure)
    sc = np.zeros(jobshop_tabu._SCALARS, dtype=np.int64)
    rng = random.Random(5)
    model: dict[int, int] = {}
    for iteration in range(1, 20_001):
        sc[jobshop_tabu._ITERATION] = iteration
        key = rng.randrange(500) * 7919  # spread out, as pair keys are
        until = iteration + base_tenure + rng.randrange(base_tenure // 2 + 1)
        jobshop_tabu._make_tabu(table, sc, key, until)
        model[key] = until
        assert sc[jobshop_tabu._TABU_USED] <= table.shape[1] // 2 + 1
        if iteration % 97 == 0:
            for k in range(0, 500 * 7919, 7919):
                found = jobshop_tabu._tabu_until(table, k)
                if model.get(k, 0) > iteration:
                    assert found == model[k]
                else:
                    assert found <= iteration


def test_the_compiled_loop_stops_by_the_clock_and_by_cancel_between_its_slices():
    # no move limit: only the clock (0.3 s from now) or the event (set from another thread after
    # 0.3 s) can end these searches; each returns a valid schedule no worse than its start
    problem = shop(15, 10, 11)
    start = dispatch.list_schedule(problem, "mwkr").placed
    before = schedule_of(problem, start).makespan
    by_clock = jobshop_tabu.improve(problem, start, stop_at=time.monotonic() + 0.3)
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    by_cancel = jobshop_tabu.improve(problem, start, stop_at=NEVER, cancel=cancel)
    timer.join()
    for found, why in ((by_clock, "clock"), (by_cancel, "cancelled")):
        assert found.stopped == why and found.iterations > 0
        improved = schedule_of(problem, found.placed)
        assert check_schedule(problem, improved) == [] and improved.makespan == found.makespan <= before


def sequences_of(state) -> dict[int, list[int]]:
    """Each station's operations in sequence order, read from the machine links."""
    mprev, mnext = state.st[jobshop_tabu.MPREV], state.st[jobshop_tabu.MNEXT]
    out = {}
    for o in range(state.st.shape[1]):
        if mprev[o] < 0 and state.st[jobshop_tabu.DUR, o] > 0:
            seq = [o]
            while mnext[seq[-1]] >= 0:
                seq.append(int(mnext[seq[-1]]))
            out[int(state.st[jobshop_tabu.STATION, o])] = seq
    return out


@pytest.mark.parametrize("seed, releases, transport, flexible", [
    (12, False, 0, False), (13, True, 0, False), (14, False, 6, False), (15, True, 9, False),
    (16, False, 0, True), (17, True, 5, True),
])
def test_a_relinking_walk_ends_at_its_guide_and_keeps_its_shortest_schedule(seed, releases, transport, flexible):
    # from the spt schedule towards the mwkr one with steps enough to get there: each step moves
    # one operation to the guide's place on the guide's station (from later on the station or from
    # another one); on these shops every step finds a move without a cycle and the walk ends at
    # the guide. What it keeps is the shortest schedule on the way, checked by the independent
    # checker
    problem = shop(8, 5, seed, releases=releases, transport=transport, flexible=flexible)
    g = jobshop_tabu._Graph.of(problem)
    start = jobshop_tabu._State(g, *jobshop_tabu._sequences(g, dispatch.list_schedule(problem, "spt").placed))
    guide = jobshop_tabu._State(g, *jobshop_tabu._sequences(g, dispatch.list_schedule(problem, "mwkr").placed))
    assert sequences_of(start) != sequences_of(guide)
    if flexible:
        assert start.st[jobshop_tabu.STATION].tolist() != guide.st[jobshop_tabu.STATION].tolist()
    out = np.zeros_like(guide.st[:jobshop_tabu._SAVED])
    shortest = jobshop_tabu._relink(g.chains, g.option_start, g.options, g.ticks, start.st, start.sc,
                                    guide.st[:jobshop_tabu._SAVED].copy(), jobshop_tabu._rng(seed), out, 0.0,
                                    float(len(g.keys)))
    assert sequences_of(start) == sequences_of(guide)
    assert start.st[jobshop_tabu.STATION].tolist() == guide.st[jobshop_tabu.STATION].tolist()
    assert 0 <= shortest <= guide.makespan
    kept = jobshop_tabu._State(g, out[jobshop_tabu.STATION].tolist(), {})
    kept.st[jobshop_tabu.MPREV], kept.st[jobshop_tabu.MNEXT] = out[jobshop_tabu.MPREV], out[jobshop_tabu.MNEXT]
    assert kept.evaluate() and kept.makespan == shortest
    placed = {key: (g.names[kept.st[jobshop_tabu.STATION, o]], 0, int(kept.st[jobshop_tabu.HEAD, o]))
              for o, key in enumerate(g.keys)}
    schedule = schedule_of(problem, placed)
    assert check_schedule(problem, schedule) == [] and schedule.makespan == shortest


def test_the_elite_pool_keeps_the_shortest_distinct_schedules():
    # twelve schedules of a 6x4 shop (random sequences), some offered twice: the pool of eight
    # keeps the eight shortest distinct ones, each once
    problem = shop(6, 4, 16)
    g = jobshop_tabu._Graph.of(problem)
    rng = random.Random(16)
    offered: list[tuple[int, np.ndarray]] = []
    while len(offered) < 12:
        state = jobshop_tabu._State(g, *jobshop_tabu._sequences(g, dispatch.list_schedule(problem, "spt").placed))
        for _ in range(rng.randrange(1, 30)):  # random critical swaps from the spt schedule
            moves = state.critical_swaps(jobshop_tabu._rng(rng.randrange(1 << 30)))
            if not moves:
                break
            u, v = rng.choice(moves)
            state.swap(u, v)
            assert state.evaluate()
        if all(not np.array_equal(state.st[jobshop_tabu.MNEXT], s[jobshop_tabu.MNEXT]) for _, s in offered):
            offered.append((state.makespan, state.st[:jobshop_tabu._SAVED].copy()))
    elite = np.zeros((jobshop_tabu._ELITE, jobshop_tabu._SAVED, len(g.keys)), dtype=np.int64)
    makespans = np.zeros(jobshop_tabu._ELITE, dtype=np.int64)
    count = 0
    for makespan, schedule in offered + offered[:4]:
        count = jobshop_tabu._add_elite(elite, makespans, count, schedule, makespan)
    assert count == jobshop_tabu._ELITE
    assert sorted(makespans.tolist()) == sorted(m for m, _ in offered)[:jobshop_tabu._ELITE]
    kept = [elite[e, jobshop_tabu.MNEXT].tolist() for e in range(count)]
    assert len({tuple(k) for k in kept}) == count
    for e in range(count):  # each kept schedule is one of those offered, with its own makespan
        assert any(np.array_equal(elite[e], s) and makespans[e] == m for m, s in offered)
