"""Changeovers as family blocks (`optimizer.family_blocks`): exact with enough blocks, a
restriction without a false proof when capped. Every schedule passes the independent checker;
the optima are worked out by hand in the comments."""
from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from optimizer import dispatch, family_blocks, scheduler
from optimizer.fjspt import read_fjspt
from optimizer.problem import Alternative, Job, Operation, OperatorPool, SchedulingProblem
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve
from twin.errors import NoFeasibleSchedule
from twin.shifts import Calendar


def lot(name: str, family: str, *ops: tuple[str, int], release: int = 0) -> Job:
    return Job(name, tuple(Operation(f"o{i}", (Alternative(s, d),)) for i, (s, d) in enumerate(ops)),
               product=name, family=family, release=release)


def x_y_x() -> SchedulingProblem:
    """One lane M, a 1-tick changeover between X and Y. X1 and Y1 take 2 ticks on M and then a
    long tail on their own stations (10 on N, 9 on P); X2 (2 ticks on M) is released at 4.
      X1 Y1 X2: X1 0-2 (done 12), Y1 3-5 (done 14), X2 6-8  -> 14
      Y1 X1 X2: Y1 0-2 (done 11), X1 3-5 (done 15)          -> 15
      X1 X2 Y1: X1 0-2, X2 4-6, Y1 7-9 (done 18)            -> 18
    So the optimum, 14, runs family X twice on the lane: it needs two blocks of X."""
    jobs = (lot("X1", "X", ("M", 2), ("N", 10)), lot("Y1", "Y", ("M", 2), ("P", 9)),
            lot("X2", "X", ("M", 2), release=4))
    return SchedulingProblem(jobs=jobs, capacities={"M": 1, "N": 1, "P": 1},
                             changeovers={"M": {("X", "Y"): 1, ("Y", "X"): 1}})


def solved(problem: SchedulingProblem, **kw):
    schedule = solve(problem, time_limit=5.0, workers=1, **kw)
    assert check_schedule(problem, schedule) == []
    return schedule


def test_a_family_run_twice_on_a_lane_is_optimal():
    schedule = solved(x_y_x())
    assert (schedule.status, schedule.makespan) == ("optimal", 14)
    on_m = sorted((a.start, a.job, a.changeover) for a in schedule.assignments if a.station == "M")
    assert on_m == [(0, "X1", 0), (3, "Y1", 1), (6, "X2", 1)]


def test_two_families_on_one_lane_group_with_the_cheaper_changeover_first():
    # five 2-tick lots on one lane, X->Y costs 5 and Y->X 1: Y Y (1) X X X = 4 + 1 + 6 = 11,
    # against X X X (5) Y Y = 15 and anything with more than one changeover (at least 12)
    jobs = tuple(lot(f"{f}{i}", f, ("M", 2)) for f, n in (("X", 3), ("Y", 2)) for i in range(n))
    problem = SchedulingProblem(jobs=jobs, capacities={"M": 1}, changeovers={"M": {("X", "Y"): 5, ("Y", "X"): 1}})
    schedule = solved(problem)
    assert (schedule.status, schedule.makespan) == ("optimal", 11)
    order = [a.job[0] for a in sorted(schedule.assignments, key=lambda a: a.start)]
    assert order == ["Y", "Y", "X", "X", "X"]
    assert sorted(a.changeover for a in schedule.assignments) == [0, 0, 0, 0, 1]


def test_no_changeover_is_skipped_through_an_empty_block():
    """F->G and G->F take 9 ticks, any change through H none (no triangle inequality). F1 (1 tick,
    released at 0), G1 (1 tick, at 1), H1 and H2 (1 tick each, at 10):
      F1 0-1, G1 10-11 (9 after F1), H1 H2 11-13       -> 13
      F1 0-1, H1 10-11, G1 11-12, H2 12-13              -> 13
      G1 1-2, F1 11-12, H1 H2 12-14                     -> 14
    so 13; a block of H present without an operation in it would let G1 follow F1 at once (12)."""
    jobs = (lot("F1", "F", ("M", 1)), lot("G1", "G", ("M", 1), release=1),
            lot("H1", "H", ("M", 1), release=10), lot("H2", "H", ("M", 1), release=10))
    table = {(f, g): 9 if {f, g} == {"F", "G"} else 0 for f in "FGH" for g in "FGH" if f != g}
    problem = SchedulingProblem(jobs=jobs, capacities={"M": 1}, changeovers={"M": table})
    schedule = solved(problem, hint=False)
    assert (schedule.status, schedule.makespan) == ("optimal", 13)


def test_exact_runs_count_the_families_a_lane_can_alternate():
    problem = x_y_x()
    keys = [(0, 0), (1, 0), (2, 0)]
    assert family_blocks.exact_runs(problem, keys) == {"X": 2, "Y": 1}
    placed = {(0, 0): ("M", 0, 0), (1, 0): ("M", 0, 3), (2, 0): ("M", 0, 6)}
    assert family_blocks.reference_runs(problem, placed, "M") == {"X": 2, "Y": 1}


def test_capped_blocks_hold_the_reference_schedule(monkeypatch):
    problem = x_y_x()
    monkeypatch.setattr(family_blocks, "EXACT_SIZE", 0)
    monkeypatch.setattr(family_blocks, "MIN_RUNS", 1)
    members = {"M": [(0, 0), (1, 0), (2, 0)]}
    assert family_blocks.plan_runs(problem, members, None) == family_blocks.Runs({"M": {"X": 1, "Y": 1}}, True)
    x_twice = {(0, 0): ("M", 0, 0), (1, 0): ("M", 0, 3), (2, 0): ("M", 0, 6)}
    assert family_blocks.plan_runs(problem, members, x_twice) == family_blocks.Runs({"M": {"X": 2, "Y": 1}}, False)


def test_only_the_stations_too_large_are_capped(monkeypatch):
    # M: 3 operations (X Y X), one lane, exact runs X 2, Y 1: 3 blocks, 2 + 1 + 2 memberships
    # + 9 arcs = 14; N2: the same on 2 lanes, 28. Room for 20: M stays exact, N2 is capped
    problem = x_y_x()
    more = tuple(lot(f"{f}{n}", f, ("N2", 1)) for n, f in enumerate("XYX", start=3))
    problem = SchedulingProblem(jobs=problem.jobs + more, capacities={**problem.capacities, "N2": 2},
                                changeovers=problem.changeovers)
    members = {"M": [(0, 0), (1, 0), (2, 0)], "N2": [(3, 0), (4, 0), (5, 0)]}
    monkeypatch.setattr(family_blocks, "MIN_RUNS", 1)
    monkeypatch.setattr(family_blocks, "EXACT_SIZE", 20)
    assert family_blocks.plan_runs(problem, members, None) == family_blocks.Runs(
        {"M": {"X": 2, "Y": 1}, "N2": {"X": 1, "Y": 1}}, True)
    monkeypatch.setattr(family_blocks, "EXACT_SIZE", 42)
    assert family_blocks.plan_runs(problem, members, None) == family_blocks.Runs(
        {"M": {"X": 2, "Y": 1}, "N2": {"X": 2, "Y": 1}}, False)


def test_the_campaign_model_runs_each_family_once_unless_the_reference_splits_it():
    problem = x_y_x()
    members = {"M": [(0, 0), (1, 0), (2, 0)]}
    assert family_blocks.plan_runs(problem, members, None) == family_blocks.Runs({"M": {"X": 2, "Y": 1}}, False)
    assert family_blocks.plan_runs(problem, members, None, campaigns=True) == family_blocks.Runs(
        {"M": {"X": 1, "Y": 1}}, True)
    x_twice = {(0, 0): ("M", 0, 0), (1, 0): ("M", 0, 3), (2, 0): ("M", 0, 6)}
    assert family_blocks.plan_runs(problem, members, x_twice, campaigns=True) == family_blocks.Runs(
        {"M": {"X": 2, "Y": 1}}, False)


def test_the_exact_model_after_the_campaign_phase_still_finds_a_split_optimum(monkeypatch):
    """A warm start X1 X2 Y1 (18, one run of X) makes the campaign model hold one block of X:
    its best is Y1 X1 X2 (15). The exact model, hinted with that, must still reach X1 Y1 X2 (14,
    X twice) and prove it."""
    problem = x_y_x()
    x_once = dispatch.ListSchedule(
        placed={(0, 0): ("M", 0, 0), (0, 1): ("N", 0, 2), (2, 0): ("M", 0, 4), (1, 0): ("M", 0, 7),
                (1, 1): ("P", 0, 9)}, departures={})
    monkeypatch.setattr(dispatch, "best_placement", lambda *args, **kwargs: x_once)
    phases = []
    real_phase = scheduler._campaign_phase

    def spied(*args, **kwargs):
        found = real_phase(*args, **kwargs)
        phases.append(dispatch.placed_objective(problem, found.placed, "makespan"))
        return found

    monkeypatch.setattr(scheduler, "_campaign_phase", spied)
    schedule = solved(problem)
    assert phases == [15]
    assert (schedule.status, schedule.makespan, schedule.solver) == ("optimal", 14, "cpsat")
    on_m = sorted((a.start, a.job) for a in schedule.assignments if a.station == "M")
    assert on_m == [(0, "X1"), (3, "Y1"), (6, "X2")]
    # a deterministic budget (the layout search's) has no campaign phase
    assert solve(problem, time_limit=5.0, workers=1, deterministic_time=5.0).makespan == 14
    assert phases == [15]


def test_no_campaign_phase_under_a_callers_constraints_or_a_split_warm_start(monkeypatch):
    problem = x_y_x()
    x_twice = dispatch.ListSchedule(
        placed={(0, 0): ("M", 0, 0), (0, 1): ("N", 0, 2), (1, 0): ("M", 0, 3), (1, 1): ("P", 0, 5),
                (2, 0): ("M", 0, 6)}, departures={})
    x_once = dispatch.ListSchedule(
        placed={(0, 0): ("M", 0, 0), (0, 1): ("N", 0, 2), (2, 0): ("M", 0, 4), (1, 0): ("M", 0, 7),
                (1, 1): ("P", 0, 9)}, departures={})
    assert scheduler._campaigns_first(problem, x_once, True, None, None, "makespan")
    assert not scheduler._campaigns_first(problem, x_twice, True, None, None, "makespan")  # already exact
    assert not scheduler._campaigns_first(problem, x_once, True, lambda model, v: None, None, "makespan")
    assert not scheduler._campaigns_first(problem, x_once, "horizon", None, None, "makespan")
    assert not scheduler._campaigns_first(problem, x_once, True, None, None, "weighted_tardiness")
    monkeypatch.setattr(family_blocks, "EXACT_SIZE", 0)  # the model itself capped: no second capped model
    monkeypatch.setattr(family_blocks, "MIN_RUNS", 1)
    assert not scheduler._campaigns_first(problem, x_once, True, None, None, "makespan")


def test_a_capped_model_claims_no_proof(monkeypatch):
    """With one block of X the model cannot reach 14; its optimum, 15, is a schedule but no
    proof: the answer is `feasible`, with the simple lower bound, not CP-SAT's 15."""
    problem = x_y_x()
    monkeypatch.setattr(family_blocks, "EXACT_SIZE", 0)
    monkeypatch.setattr(family_blocks, "MIN_RUNS", 1)
    schedule = solved(problem, hint=False)
    assert (schedule.status, schedule.makespan) == ("feasible", 15)
    assert schedule.lower_bound == dispatch.simple_lower_bound(problem) == 12


def test_a_capped_model_without_a_schedule_in_it_says_so(monkeypatch):
    """Within a horizon of 14 only X1 Y1 X2 (two runs of X) fits; one block of X holds no
    schedule, which the error names rather than calling the problem infeasible."""
    problem = replace(x_y_x(), horizon=14)
    assert solved(problem, hint=False).makespan == 14
    monkeypatch.setattr(family_blocks, "EXACT_SIZE", 0)
    monkeypatch.setattr(family_blocks, "MIN_RUNS", 1)
    with pytest.raises(NoFeasibleSchedule) as caught:
        solve(problem, time_limit=5.0, workers=1, hint=False)
    assert str(caught.value) == ("no schedule with at most 1 runs of a product family on each lane of a station "
                                 "with changeovers (a model with more would be too large)")


class _Built(Exception):
    pass


def test_the_warm_start_hints_every_block_and_batch_order(monkeypatch):
    """A hint left open is not completed in time on a large model (the lights-out sample: CP-SAT
    found no schedule in 10 s until the batch order was hinted): the warm start sets every
    literal of the blocks (presence, membership, circuit arcs) and of the batch machine's order."""
    lane = SchedulingProblem(jobs=tuple(lot(f"{f}{i}", f, ("M", 2)) for f in "XY" for i in range(3)),
                             capacities={"M": 2}, changeovers={"M": {("X", "Y"): 3, ("Y", "X"): 3}})
    oven = SchedulingProblem(
        jobs=tuple(Job(f"L{n}", (Operation("bake", (Alternative("oven", 60),)),), units=5, family=f)
                   for n, f in enumerate("ABA")),
        capacities={"oven": 1}, batch_sizes={"oven": 10}, changeovers={"oven": {("A", "B"): 100, ("B", "A"): 100}})
    for problem in (lane, oven):
        seen = {}

        def stop(model, **_):
            seen["hinted"] = set(model.proto.solution_hint.vars)
            raise _Built

        monkeypatch.setattr(scheduler, "_solve", stop)
        with pytest.raises(_Built):
            solve(problem, time_limit=5.0, workers=1, constrain=lambda model, v: seen.update(v=v))
        v = seen["v"]
        literals = [lit for blocks in v.blocks for block in blocks.blocks for lit in (block.present, block.start, block.end)]
        literals += [lit for blocks in v.blocks for lit in (*blocks.member.values(), *blocks.arcs.values())]
        literals += [lit for pair in v.order.values() for lit in pair]
        assert literals and v.blocks
        assert [lit for lit in literals if lit is not True and lit.Index() not in seen["hinted"]] == []


def _best_by_enumeration(problem: SchedulingProblem) -> int:
    """The optimal makespan of lots with one operation each on station M, by trying every split
    into lanes and every order on each lane (each operation as early as its release and the
    lane's previous operation plus the changeover allow)."""
    lots = range(len(problem.jobs))

    def lane_end(order: tuple[int, ...]) -> int:
        end, previous = 0, None
        for j in order:
            job = problem.jobs[j]
            setup = 0 if previous is None else problem.changeover_ticks("M", previous, job.family)
            end = max(job.release, end + setup) + job.operations[0].alternatives[0].duration
            previous = job.family
        return end

    best = None
    lanes = problem.capacities["M"]
    for split in itertools.product(range(lanes), repeat=len(lots)):
        ends = [min(lane_end(order) for order in itertools.permutations([j for j in lots if split[j] == lane]))
                for lane in range(lanes)]
        best = max(ends) if best is None else min(best, max(ends))
    return best


@st.composite
def one_station(draw) -> SchedulingProblem:
    """Up to five lots on one station of 1 or 2 lanes, three families and any changeover table
    (also one without the triangle inequality, where a detour through a third family is shorter)."""
    families = "FGH"
    jobs = tuple(lot(f"J{n}", draw(st.sampled_from(families)), ("M", draw(st.integers(1, 4))),
                     release=draw(st.integers(0, 6))) for n in range(draw(st.integers(1, 5))))
    table = {(f, g): draw(st.integers(0, 9)) for f in families for g in families if f != g}
    return SchedulingProblem(jobs=jobs, capacities={"M": draw(st.integers(1, 2))}, changeovers={"M": table})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_station())
def test_blocks_are_exact_against_enumeration(problem):
    schedule = solved(problem, hint=False)
    assert (schedule.status, schedule.makespan) == ("optimal", _best_by_enumeration(problem))


def interleaved_subsolvers(capfd, problem: SchedulingProblem) -> str:
    """The subsolvers CP-SAT's log lists for the LNS thread in each of its searches when `solve`
    runs on two workers (the campaign phase's and the exact model's)."""
    capfd.readouterr()
    solve(problem, time_limit=2.0, workers=2, log=True)
    lines = [line for line in capfd.readouterr().out.splitlines() if "interleaved subsolvers:" in line]
    assert lines, "CP-SAT reached no search on two workers"
    return "\n".join(lines)


def twelve_lots_on_two_lanes() -> SchedulingProblem:
    """Twelve lots of three families on two lanes with changeovers: the family blocks are
    ordered by circuits."""
    jobs = tuple(lot(f"{f}{i}", f, ("M", 2 + (i * 7 + len(f)) % 5), ("N", 3 + i % 4))
                 for i, f in enumerate(["X", "Y", "Z"] * 4))
    setups = {(a, b): 1 + (ord(a) + 2 * ord(b)) % 4 for a in "XYZ" for b in "XYZ" if a != b}
    return SchedulingProblem(jobs=jobs, capacities={"M": 2, "N": 1}, changeovers={"M": setups})


def test_the_lanes_circuits_get_no_routing_neighbourhoods_but_vehicle_routes_do(capfd):
    # CP-SAT's routing neighbourhoods relax nothing on the blocks' circuits (scheduler.ROUTING_NEIGHBOURHOODS)
    lanes = twelve_lots_on_two_lanes()
    assert family_blocks.plan_runs(lanes, scheduler._changeover_members(lanes), None).per_station["M"]
    assert "routing" not in interleaved_subsolvers(capfd, lanes)
    # a flexible job shop whose two AGVs are routed keeps them
    routed = read_fjspt(Path(__file__).resolve().parents[2] / "benchmarks/instances/fjspt/gen_fjspt05.txt")
    listed = interleaved_subsolvers(capfd, routed)
    assert all(name in listed for name in scheduler.ROUTING_NEIGHBOURHOODS)


def test_the_campaign_phase_leaves_its_interleaved_thread_to_the_neighbourhoods(capfd):
    """The campaign phase starts from the warm start, so the helpers that look for a first
    schedule, and RINS/RENS, are left out of its search (scheduler.CAMPAIGN_PARAMETERS); the
    exact model's search keeps them."""
    campaign, exact = (line.split("[", 1)[1].rstrip("]").split(", ")
                       for line in interleaved_subsolvers(capfd, twelve_lots_on_two_lanes()).splitlines())
    helpers = {"ls", "feasibility_pump", "rins/rens"}
    assert not helpers & set(campaign)
    assert helpers <= set(exact)
    assert any(name.endswith("_lns") for name in campaign)


def search_logs(capfd, problem: SchedulingProblem) -> list[str]:
    """CP-SAT's log of each search `solve` runs on two workers, in order (the campaign phase's
    first when there is one)."""
    capfd.readouterr()
    solve(problem, time_limit=2.0, workers=2, log=True)
    return capfd.readouterr().out.split("Starting CP-SAT solver")[1:]


def lns_only(log: str) -> bool:
    """Whether the search of this log ran neighbourhoods alone: its parameters (the log's first
    lines; the subsolver list comes only once presolve is done, which a loaded machine's last
    tenth of a second may not reach)."""
    return "use_lns_only: true" in log.split("Initial optimization model")[0]


def test_the_campaign_phase_runs_only_neighbourhoods_where_the_bottlenecks_crew_breaks(capfd, monkeypatch):
    """With the crews' first break as the campaign model's tie-break (a manned bottleneck whose
    crew goes off shift before the horizon) on a problem of at least BREAK_LNS_OPERATIONS
    operations, both workers of the campaign phase run neighbourhoods (scheduler.BREAK_PARAMETERS);
    without a crew, with one always on shift, or on a smaller problem (where the default search
    proves optima in time), the default search keeps its thread; the exact model's search keeps
    it in every case."""
    lanes = twelve_lots_on_two_lanes()  # N, one lane, is the bottleneck
    assert max(dispatch.lower_bound_terms(lanes)[1].items(), key=lambda item: item[1])[0] == {"N"}
    on_and_off = Calendar(100.0, ((0.0, 20.0), (30.0, 100.0)))  # off shift 20-30 of every 100 ticks
    breaks = replace(lanes, pools={"crew": OperatorPool(1, on_and_off)}, manned={"N": ("crew",)})
    assert lanes.n_operations == 24 < scheduler.BREAK_LNS_OPERATIONS
    campaign, exact = search_logs(capfd, breaks)
    assert not lns_only(campaign)  # too small: the default search stays
    monkeypatch.setattr(scheduler, "BREAK_LNS_OPERATIONS", 24)
    for pools, only in [({}, False), ({"crew": OperatorPool(1, on_and_off)}, True),
                        ({"crew": OperatorPool(1, Calendar(None, ()))}, False)]:
        problem = replace(lanes, pools=pools, manned={"N": ("crew",)} if pools else {})
        campaign, exact = search_logs(capfd, problem)
        assert lns_only(campaign) is only, pools
        assert not lns_only(exact)
        if only:  # and CP-SAT follows it: no full-problem search (listed once presolve is done)
            assert "full problem subsolver" not in campaign


def test_a_crew_that_staffs_all_its_stations_keeps_its_shifts_by_start_domains_in_the_campaign_model():
    """A pool with an operator for every lane of the stations it alone mans (`scheduler._staffs_all`)
    needs its Cumulative only for its shifts: the campaign model keeps its operations inside the
    on-shift stretches by their start domains instead, the exact model keeps the Cumulative, and
    the plan stays on shift (the independent checker)."""
    on_and_off = Calendar(100.0, ((0.0, 20.0), (30.0, 100.0)))  # off shift 20-30 of every 100 ticks
    problem = replace(twelve_lots_on_two_lanes(), pools={"crew": OperatorPool(1, on_and_off)}, manned={"N": ("crew",)})
    assert scheduler._staffs_all(problem) == {"crew"}
    assert scheduler._staffs_all(replace(problem, capacities={"M": 2, "N": 2})) == set()  # two lanes, one operator
    two_pools = replace(problem, pools={"crew": OperatorPool(1, on_and_off), "other": OperatorPool(1, on_and_off)},
                        manned={"N": ("crew", "other")})
    assert scheduler._staffs_all(two_pools) == set()

    def cumulatives(campaigns: bool) -> int:
        model = cp_model.CpModel()
        scheduler._build(model, problem, 400, None, None, "makespan", 0, None, None, campaigns=campaigns)
        return str(model.Proto()).count("cumulative {")

    assert cumulatives(campaigns=False) == 2  # lane-sharing M, and the crew with its off-shift blocks
    assert cumulatives(campaigns=True) == 1

    def status_with_first_lot_on_n_at(start: int) -> int:  # its 3 ticks on N: 18-21 crosses the break
        model = cp_model.CpModel()
        scheduler._build(model, problem, 400, None, None, "makespan", 0,
                         lambda m, v: m.Add(v.start[(0, 1)] == start), None, campaigns=True)
        return cp_model.CpSolver().Solve(model)

    assert status_with_first_lot_on_n_at(18) == cp_model.INFEASIBLE
    assert status_with_first_lot_on_n_at(30) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    schedule = solved(problem)  # the checker finds no operation on N across an off-shift time
    assert [a.pool for a in schedule.assignments if a.station == "N"] == ["crew"] * 12
