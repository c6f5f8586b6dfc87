"""The CP-SAT scheduler: a flexible job shop with transport gaps, lanes and changeovers.

The model is built in named steps (`_variables`, `_constraints`, `_objective`, `_hint`,
`_solve`, `_solution`); only integers reach CP-SAT. One file of about 1,500 lines because the
steps share one variable record (`_Vars`) and read best top to bottom, as one model.

- Each operation has a start and an end. An operation with one alternative gets one fixed-size
  interval; with several, one optional interval per station sharing the start, a presence
  literal each, exactly one present.
- Consecutive operations of a job: `start >= end + transport`, the transport depending on the
  pair of stations chosen (no gap on the same station); a lot in transfer batches gets a
  start-start and an end-end lag instead (`_batch_lags`).
- Fleets (the AGVs): a move that may take a fleet leg (from the previous station, or from the
  lot's origin) gets a departure `d >= end(previous)`, and each fleet leg it may take a choice
  `[d, d + ticks)`, present when both its ends are chosen, with `start >= d + ticks`;
  `optimizer.vehicles` makes the fleet's vehicles carry them: routes with empty runs from the
  home (exact), or the fleet cap, re-timed afterwards by `dispatch.follow` when empty runs
  were left out (a relaxation, so the bound holds).
- Stations: capacity 1 -> NoOverlap; capacity c > 1 without changeovers -> Cumulative (lanes are
  assigned afterwards by interval colouring, always possible since at most c overlap); a
  station with changeovers gets explicit lanes, each with NoOverlap and a few blocks per
  product family in a circuit with the changeovers between blocks (`optimizer.family_blocks`:
  exact on small problems; on large ones capped, always holding the warm start, and then
  CP-SAT's bound is replaced by the simple one and nothing is called optimal).
  Zero-length operations occupy no lane.
- Batch machines: a Cumulative on units, and per pair of operations whose units fit together
  one after the other or, when they may share a batch, at the same start.
- Operators: a Cumulative per pool of its size, holding every operation on a station it can
  run (an optional interval per pool when several can) and fixed intervals of the whole pool
  over its off-shift times up to the horizon, so each manned operation lies inside one
  on-shift stretch.
- Redundant: a Cumulative over each set of interchangeable stations (energy across
  alternatives), which lifts the lower bound on flexible problems.
- Objectives: makespan, or weighted tardiness (weights scaled to integers).
- Search: on problems of up to LARGE_PROBLEM_OPERATIONS operations, branch on the earliest
  start first (plus CP-SAT's portfolio), with strong disjunctive propagation when no operation
  has alternatives; above, CP-SAT's own search (with strong disjunctive propagation again in
  `_proof_first`'s CP-SAT phase on 15x15-sized plain job shops).
- Warm start: the best dispatching-rule schedule (fleet-aware too) gives the hint and, for
  makespan, the horizon. On a large plain job shop or a flexible one
  (`SchedulingProblem.is_job_shop`: stations of capacity 1, no fleets, changeovers, operators or
  batches) under makespan, a tabu search on the stations and machine sequences improves it first,
  for up to TABU_SHARE of the budget (less when it reaches its lower bound or stops improving),
  while CP-SAT searches from the dispatch schedule on the other workers (on a plain job shop over
  SECOND_TABU_OPERATIONS with two workers, a second tabu search does); CP-SAT's LNS then starts
  from the better schedule, which it would not reach in the limit
  (benchmarks/jssp_heldout_bench.py, benchmarks/fjsp_bench.py). When the tabu schedule ends within
  a tick (or BOUND_PROBE_GAP) of the lower bound, CP-SAT first looks for a schedule at the bound
  itself (`_bound_probe`).
- Proof first: a large plain job shop of at most SECOND_TABU_OPERATIONS operations (15x15) with
  two workers under the clock gets the order the other way round: CP-SAT unhinted first, where
  it proves what it can, then two tabu searches, the one from CP-SAT's schedule followed by
  machines re-sequenced exactly once it stalls (`_proof_first`, `jobshop_shuffle`).
- Campaigns first: on a problem with changeovers whose model is exact, under a wall-clock
  budget, CP-SAT first searches the campaign model (each family in one run per lane, or as many
  as the warm start has) for CAMPAIGN_SHARE of the budget, and the exact model then starts from
  its schedule, so the bound and any proof are the exact model's (`_campaign_phase`;
  benchmarks/sample_quality_bench.py).
"""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import TYPE_CHECKING, Callable

from ortools.sat.python import cp_model

from twin.errors import NoFeasibleSchedule

from optimizer import dispatch as dispatch_mod
from optimizer import family_blocks, jobshop_shuffle, vehicles
from optimizer.interrupts import stop_on_interrupt
from optimizer.names import SolverName
from optimizer.problem import SchedulingProblem, trip_key
from optimizer.schedule import Schedule, make_schedule, validate_objective

if TYPE_CHECKING:
    from optimizer import jobshop_tabu

Key = tuple[int, int]  # (job index, operation index)
WARM_START_SHARE = 0.1  # of a wall-clock time limit that the dispatching-rule warm start may use
# Above this many operations a problem is "large": CP-SAT gets no strong disjunctive
# propagation (except in `_proof_first`'s phase) and no fixed branching, which is how the minimal
# job-shop model runs, and a plain job shop the tabu search's warm start
# (benchmarks/jssp_heldout_bench.py: 15x15 to 20x20 instances).
# The shared job shops (up to 20x5 and 10x10) are small and keep the proof-oriented setup.
LARGE_PROBLEM_OPERATIONS = 200
# Of the budget, what the tabu search may use on a large plain job shop (the rest is CP-SAT's,
# which proves the lower bound and polishes the tabu schedule with its LNS); under a
# deterministic budget the tabu search makes TABU_MOVES_PER_UNIT moves per unit of it instead:
# about the moves it makes in the wall time CP-SAT spends on a unit (a 15x15 job shop on one
# worker: 2.9 s a unit; the compiled search makes 150,000-360,000 moves a CPU-second). It was
# 2,000 when the search ran in Python; with the compiled search, at 2 units on twelve training
# 15x15 runs, 2,000 gave a mean makespan of 1,225.2 and 500,000 1,195.4 (docs/measurements_log.md).
TABU_SHARE = 0.5
TABU_MOVES_PER_UNIT = 500_000
# The tabu search stops after this many moves per operation without a better schedule, and
# CP-SAT gets the rest of the budget. Traced on the fjsp set (50-150 operations, seeds 0 and 1):
# where CP-SAT proves the optimum in seconds the search sat on its best for up to 2,700 moves
# per operation (mk01, la03_edata), and where CP-SAT is weak (la01_rdata, la03_rdata) it
# still improved after 400-1,400. 500 was chosen when a move cost Python time (25,000 moves
# took 3-5 s on la02_rdata); compiled, they take 0.1 s. At 60 s, 2,000 ended the rdata
# instances and mk05 no worse than 500 and twice better, and 10,000 reached mk05's 172 where
# 2,000 stopped at 173 (seed 1: the search's last improvement came after 238,000 moves without
# one); on the training 15x15 job shops at 10 s, 500 / 2,000 / 10,000 were alike
# (docs/measurements_log.md).
TABU_PATIENCE = 10_000
# Above this many operations a plain job shop under a wall-clock budget with two workers gets a
# second tabu search (another seed) on the other core instead of CP-SAT beside the first
# (`_SecondTabu`). Measured on training job shops (Taillard seeds 101-106, 10 s,
# docs/measurements_log.md): on 20x15 and 20x20 (300 and 400 operations) the better of two searches,
# polished by CP-SAT, was shorter in 16 of 30 runs and longer in 3 (mean 1,494.7 -> 1,490.2 on 24 of
# them); on 15x15 (225) the two set-ups were alike, and those now get CP-SAT first
# (PROOF_FIRST_SHARE). With more workers CP-SAT beside the search gets the other cores.
SECOND_TABU_OPERATIONS = 250
SECOND_TABU_SEED = 7919  # added to the caller's seed: the second search's own random path
# A plain job shop above LARGE_PROBLEM_OPERATIONS and up to SECOND_TABU_OPERATIONS, with two
# workers or more under the clock, gets CP-SAT first: the plain model unhinted on every worker for
# PROOF_FIRST_SHARE of the budget, then (unless it proved its schedule) two tabu searches, from
# CP-SAT's schedule and from the dispatch schedule, for the rest (`_proof_first`). On 15x15 job
# shops the plain model proves many instances within the budget, and a tabu schedule given as a
# hint or as the makespan's upper bound kept CP-SAT from those proofs (tl15x15_3: bound 985-993
# where unhinted it proves 1,133); the tabu search has its 5-s makespan after about 2 s in most
# runs. On the held-out 15x15 job shops (seeds 0-7, README) this set-up was worse than the
# minimal model in 3 of 32 runs and proved tl15x15_3 in all 8, where the tabu search first was
# worse in 7 and proved it in none.
# That CP-SAT phase runs with strong disjunctive propagation (`_solve`), though the problem is
# large: the minimal model's formulation at 7.5 s with it against without (held-out and training
# 15x15, solver seeds 0-5, 60 pairs) ended shorter in 37 runs and longer in 4, and proved 26
# optima against 13; through the scheduler, worse than the minimal model in 4 of 80 runs (seeds
# 0-7) where it had been worse in 15; with it in the shuffle's steps too, 7 of 120 (seeds 0-11;
# docs/measurements_log.md, "Strong disjunctive propagation on 15x15" and "The held-out 15x15 with
# seeds 8-11"; README).
PROOF_FIRST_SHARE = 0.75
# In `_proof_first` the tabu search from CP-SAT's schedule stops after this many moves per
# operation without a better schedule, and machines re-sequenced exactly (`jobshop_shuffle`) go on
# from its best for the rest of the budget: the search's region holds it (tl15x15_4 at 1,139 for
# 30 s, its optimum 1,136). From the same CP-SAT schedules of the 15x15 training and held-out
# instances (seeds 0-13; 102 runs CP-SAT did not prove), the tail ended shorter than with the two
# tabu searches alone in 20 runs and longer in 5 (docs/measurements_log.md, "Machines re-sequenced
# exactly after the tabu search").
SHUFFLE_AFTER_MOVES = 1_500
# Flexible problems get the tabu search from this many operations (the fjsp benchmarks have
# 50-150); CP-SAT alone proves smaller ones in well under a second, which the tabu search,
# taking its whole share, would only delay.
TABU_MIN_OPERATIONS = 40
# Presolve's probing tries Booleans both ways; on a model with more than this many it can
# take most of a 10 s budget (the lights-out sample: 42,504 probed in 5.4 s of wall clock,
# 0.14 deterministic units, and CP-SAT stopped after presolve), so such models skip it.
PROBING_MAX_BOOLEANS = 30_000
# Of a wall-clock budget left after the warm start, what the campaign phase may use on a problem
# with changeovers (`_campaign_phase`); the exact model gets the rest, from the campaign's
# schedule, or all that is left when the campaign model is proven optimal sooner. At 0.8 the exact
# phase's 1.5 s of a default plan improved none of 16 auto_parts and food_packaging plans and 5 of
# 12 electronics ones by 1-192 s; 0.95 ended electronics plans shorter in 27 of 64 seeds and
# longer in 15, food_packaging and auto_parts alike (docs/measurements_log.md, "more of the budget
# for the campaigns"). Under a deterministic budget (the layout search's stage 2: one worker, 0.375
# units) there is no campaign phase: its second presolve and search start cost as much wall time as
# the whole solve did (`make run`'s best electronics layout, under cProfile: the exact phase's 0.26
# units took about 2.7 s, as the whole solve's 0.375 did before), and `make run`'s scheduling took
# 427-447 s with it against 350 s without (docs/measurements_log.md).
CAMPAIGN_SHARE = 0.95
# The campaign phase starts from a schedule (the warm start, its hint), so CP-SAT's helpers for
# finding a first one (feasibility jump, violation local search, the feasibility pump) and
# RINS/RENS are left out: with two workers they share the one interleaved thread with the
# neighbourhoods, which made most of the improvements in logged runs of the samples. The default
# command, interleaved seed by seed with the code before (docs/measurements_log.md, "The campaign
# phase's thread to the neighbourhoods"), within 2 % of the 10-minute best in 3 of 16
# electronics_assembly runs against 1, 9 of 12 food_packaging runs against 8 and 8 of 8 auto_parts
# runs against 6.
CAMPAIGN_PARAMETERS: dict[str, object] = {
    "use_feasibility_jump": False, "ignore_subsolvers": ["ls", "feasibility_pump", "rins/rens"],
}
# Where the campaign model has the crews' first break as a tie-break (`_before_first_break`: the
# bottleneck is manned and its crew goes off shift before the horizon), both workers run
# neighbourhoods: on the electronics sample the default search's thread made no improvement after
# the hint in logged runs, and the default command, interleaved seed by seed with the code before,
# ended within 2 % of the 10-minute best in 58 of 96 runs against 39 (docs/measurements_log.md,
# "Both workers on neighbourhoods where the crews break"). Everywhere (no gate) it had cost
# food_packaging, with no crews, whose default search made most of its improvements. Only from
# BREAK_LNS_OPERATIONS operations on: neighbourhoods alone prove an optimum late, and on small
# problems the default search proves the campaign model in time (changeover problems with a crew
# that breaks, 10 s: 36 operations proven in 1.5-2.6 s with it, in 8.5-9.6 s without; 72 proven by
# neither; the electronics sample has 180).
BREAK_PARAMETERS: dict[str, object] = {"use_lns_only": True}
BREAK_LNS_OPERATIONS = 100
# When the tabu search's schedule is within BOUND_PROBE_GAP of the lower bound (relative, at
# least one tick), CP-SAT first looks for a schedule *at* the bound, unhinted, with its own
# branching and one worker, for up to BOUND_PROBE_SHARE of the time left (`_bound_probe`):
# with the makespan capped there, propagation all but fixes the critical job, and a schedule or
# a proof that none exists comes in seconds where improving from the tabu schedule one tick at
# a time took the whole minute, or never came (la01_vdata at 570 against 571, mk02's proof at
# 26; docs/measurements_log.md).
BOUND_PROBE_GAP = 0.01
BOUND_PROBE_SHARE = 0.25
# CP-SAT's neighbourhoods for circuit constraints. They are meant for routes; on the circuits
# that order a lane's family blocks (`family_blocks`) they relaxed nothing (difficulty 1e-7, no
# neighbourhood closed) and took a quarter of the LNS thread's wall time (electronics sample,
# 471-s campaign phase), so a model without vehicle routes leaves them out (`_search_flags`).
ROUTING_NEIGHBOURHOODS = ("routing_random_lns", "routing_path_lns", "routing_full_path_lns")


@dataclass
class _Vars:
    horizon: int
    start: dict[Key, cp_model.IntVar] = field(default_factory=dict)
    end: dict[Key, object] = field(default_factory=dict)  # start + duration, or an IntVar
    duration: dict[Key, cp_model.IntVar] = field(default_factory=dict)  # flexible operations only
    presence: dict[tuple[int, int, str], object] = field(default_factory=dict)  # literal or True
    interval: dict[tuple[int, int, str], cp_model.IntervalVar] = field(default_factory=dict)
    lane: dict[tuple[int, int, str, int], object] = field(default_factory=dict)  # explicit lanes
    lane_interval: dict[tuple[int, int, str, int], cp_model.IntervalVar] = field(default_factory=dict)
    blocks: list[family_blocks.LaneBlocks] = field(default_factory=list)  # lanes with changeovers
    reference: dict[Key, tuple[str, int, int]] | None = None  # the warm start: its family runs fit the blocks
    campaigns: bool = False  # the campaign phase's model (`family_blocks.plan_runs`)
    fixed_branching: bool = True  # branch on the earliest start (small problems, `_objective`)
    restricted: bool = False  # fewer family blocks than a schedule may need: CP-SAT's bound is no bound
    departure: dict[Key, cp_model.IntVar] = field(default_factory=dict)  # moves that may take a fleet leg
    trip: dict[tuple[int, int, str, str], cp_model.IntVar] = field(default_factory=dict)  # both stations open
    routes: dict[str, vehicles.Routes] = field(default_factory=dict)  # fleets with the exact vehicle model
    crew: dict[tuple[int, int, str, str], object] = field(default_factory=dict)  # (j, k, station, pool): literal
    same: dict[tuple[str, Key, Key], cp_model.IntVar] = field(default_factory=dict)  # share one batch (a < b)
    order: dict[tuple[str, Key, Key], tuple[cp_model.IntVar, cp_model.IntVar]] = field(default_factory=dict)  # a before b, b before a
    # (j, k, station, pool): the operation, held by that pool, ends by the pool's first off-shift
    # time (the campaign model's tie-break, `_before_first_break`), and that time
    before_break: dict[tuple[int, int, str, str], tuple[cp_model.IntVar, int]] = field(default_factory=dict)
    makespan: cp_model.IntVar | None = None
    tardiness: dict[int, cp_model.IntVar] = field(default_factory=dict)
    weights: dict[int, int] = field(default_factory=dict)
    weight_scale: float = 1.0
    stop_at: float | None = None  # a time.monotonic() value by which the model must be built


class _OutOfTime(Exception):
    """Building the model would overrun the wall-clock limit (a large problem's quadratic parts,
    such as the pairs on a batch machine, take seconds), so the warm start stands as the answer."""


def _check_clock(v: _Vars) -> None:
    if v.stop_at is not None and time.monotonic() > v.stop_at:
        raise _OutOfTime


def _safe_horizon(problem: SchedulingProblem) -> int:
    """An upper bound on the end of some optimal semi-active schedule, whatever the objective."""
    total = max((job.release for job in problem.jobs), default=0)
    max_transport = max((leg.ticks for leg in problem.transport.values()), default=0)
    max_transport += max((t for table in problem.empty_runs.values() for t in table.values()), default=0)
    for job in problem.jobs:
        for op in job.operations:
            total += max(a.duration for a in op.alternatives)
            total += max(
                (max(table.values(), default=0) for s, table in problem.changeovers.items()
                 if any(a.station == s for a in op.alternatives)),
                default=0,
            )
        # every trip one after the other (one per transfer batch for a lot in batches)
        total += max_transport * sum(problem.batch_trips(job, k) for k in range(job.origin is None, len(job.operations)))
        # a manned operation may wait up to one calendar period for a stretch it fits in
        total += sum(max((_period(problem, p) for a in op.alternatives for p in problem.operator_pools(a.station, a.duration)),
                         default=0) for op in job.operations)
    return total


def _large(problem: SchedulingProblem) -> bool:
    return problem.n_operations > LARGE_PROBLEM_OPERATIONS


def _flexible(problem: SchedulingProblem) -> bool:
    return any(len(op.alternatives) > 1 for job in problem.jobs for op in job.operations)


def _plain_job_shop(problem: SchedulingProblem) -> bool:
    """One station per operation, no changeovers, no limited fleet: a classic job shop."""
    return (
        not _flexible(problem)
        and not any(problem.has_changeovers(s) for s in problem.capacities)
        and not any(problem.fleet_leg(a, b) for a, b in problem.transport)
        and not problem.manned
    )
def _period(problem: SchedulingProblem, pool_id: str) -> int:
    period = problem.pools[pool_id].calendar.period
    return 0 if period is None else int(period)


def _explicit_lanes(problem: SchedulingProblem, station: str) -> bool:
    return problem.has_changeovers(station)


# --- step 1: variables ---------------------------------------------------------------------


def _variables(model: cp_model.CpModel, problem: SchedulingProblem, horizon: int) -> _Vars:
    v = _Vars(horizon=horizon)
    for j, job in enumerate(problem.jobs):
        earliest = job.release
        for k, op in enumerate(job.operations):
            pick_ups = problem.pick_ups(job, k)
            if pick_ups:
                earliest += min(problem.transport_ticks(a, b.station) for a in pick_ups for b in op.alternatives)
            shortest = min(a.duration for a in op.alternatives)
            start = model.NewIntVar(earliest, max(earliest, horizon - shortest), f"s_{j}_{k}")
            v.start[(j, k)] = start
            if len(op.alternatives) == 1:
                alt = op.alternatives[0]
                v.end[(j, k)] = start + alt.duration
                v.presence[(j, k, alt.station)] = True
                v.interval[(j, k, alt.station)] = model.NewFixedSizeIntervalVar(start, alt.duration, f"i_{j}_{k}")
            else:
                literals = []
                for alt in op.alternatives:
                    lit = model.NewBoolVar(f"p_{j}_{k}_{alt.station}")
                    literals.append((lit, alt.duration))
                    v.presence[(j, k, alt.station)] = lit
                    v.interval[(j, k, alt.station)] = model.NewOptionalFixedSizeIntervalVar(
                        start, alt.duration, lit, f"i_{j}_{k}_{alt.station}"
                    )
                model.AddExactlyOne(lit for lit, _ in literals)
                duration = model.NewIntVarFromDomain(
                    cp_model.Domain.FromValues(sorted({d for _, d in literals})), f"d_{j}_{k}"
                )
                model.Add(duration == sum(d * lit for lit, d in literals))
                v.duration[(j, k)] = duration
                end = model.NewIntVar(earliest + shortest, horizon, f"e_{j}_{k}")
                model.Add(end == start + duration)
                v.end[(j, k)] = end
            earliest += min(a.first for a in op.alternatives)  # the whole duration without transfer batches
    # explicit lanes where changeovers need a sequence per lane
    for station, capacity in problem.capacities.items():
        if not _explicit_lanes(problem, station) or capacity == 1:
            continue
        for j, job in enumerate(problem.jobs):
            for k, op in enumerate(job.operations):
                duration = op.duration_on(station)
                if duration is None or duration == 0:
                    continue
                lane_lits = []
                for lane in range(capacity):
                    lit = model.NewBoolVar(f"l_{j}_{k}_{station}_{lane}")
                    lane_lits.append(lit)
                    v.lane[(j, k, station, lane)] = lit
                    v.lane_interval[(j, k, station, lane)] = model.NewOptionalFixedSizeIntervalVar(
                        v.start[(j, k)], duration, lit, f"li_{j}_{k}_{station}_{lane}"
                    )
                presence = v.presence[(j, k, station)]
                if presence is True:
                    model.AddExactlyOne(lane_lits)
                else:
                    model.Add(sum(lane_lits) == presence)
    return v


# --- step 2: constraints -------------------------------------------------------------------


def _constraints(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> None:
    # precedence with transport gaps
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            pick_ups = problem.pick_ups(job, k)
            if not pick_ups:
                continue
            if job.batched and k > 0:
                _batch_lags(model, problem, v, j, k)
                continue
            ready = v.end[(j, k - 1)] if k > 0 else job.release
            gaps = {
                (sa, b.station): problem.transport_ticks(sa, b.station)
                for sa in pick_ups for b in job.operations[k].alternatives
            }
            base = min(gaps.values())
            model.Add(v.start[(j, k)] >= ready + base)
            for (sa, sb), gap in gaps.items():
                if gap <= base:
                    continue
                enforce = [lit for lit in (_present(v, j, k - 1, sa), v.presence[(j, k, sb)]) if lit is not True]
                ct = model.Add(v.start[(j, k)] >= ready + gap)
                if enforce:
                    ct.OnlyEnforceIf(enforce)
        last = len(job.operations) - 1
        model.Add(v.end[(j, last)] <= v.horizon)

    _fleet_trips(model, problem, v)
    _operators(model, problem, v)
    _pooled_capacity(model, problem, v)
    # stations: the operations of non-zero length each may run, in (job, operation) order
    on_station: dict[str, list[tuple[Key, int]]] = defaultdict(list)
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            for alt in op.alternatives:
                if alt.duration > 0:
                    on_station[alt.station].append(((j, k), alt.duration))
    for station, capacity in problem.capacities.items():
        _check_clock(v)
        members = on_station.get(station, [])
        if not members:
            continue
        intervals = [v.interval[(j, k, station)] for (j, k), _ in members]
        if station in problem.batch_sizes:
            _batch_machine(model, problem, v, station, members)
        elif capacity == 1:
            model.AddNoOverlap(intervals)
        else:
            model.AddCumulative(intervals, [1] * len(intervals), capacity)
    _changeover_lanes(model, problem, v)


def _changeover_lanes(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> None:
    """Each lane of a station with changeovers: its own NoOverlap (a single lane has the
    station's) and its family blocks (`optimizer.family_blocks`), as many as the warm start's
    runs need at least."""
    members = _changeover_members(problem)
    runs = family_blocks.plan_runs(problem, members, v.reference, campaigns=v.campaigns)
    v.restricted = runs.restricted
    for station, keys in members.items():
        capacity = problem.capacities[station]
        for lane in range(capacity):
            if capacity == 1:
                lane_lit = {key: v.presence[(key[0], key[1], station)] for key in keys}
            else:
                lane_lit = {key: v.lane[(key[0], key[1], station, lane)] for key in keys}
                model.AddNoOverlap(v.lane_interval[(key[0], key[1], station, lane)] for key in keys)
            v.blocks.append(family_blocks.constrain_lane(
                model, problem, station, lane, keys, lane_lit, v.start, v.end, v.horizon, runs.per_station[station],
                check_clock=lambda: _check_clock(v)))


def _batch_lags(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars, j: int, k: int) -> None:
    """A lot moving on in transfer batches: operation k starts once the first batch of k - 1
    is done and carried over, and ends no earlier than the last batch carried over and
    processed (start-start and end-end lags with the transport, per pair of stations)."""
    job = problem.jobs[j]
    for a in job.operations[k - 1].alternatives:
        for b in job.operations[k].alternatives:
            gap = problem.transport_ticks(a.station, b.station)
            enforce = [lit for lit in (v.presence[(j, k - 1, a.station)], v.presence[(j, k, b.station)]) if lit is not True]
            for ct in (model.Add(v.start[(j, k)] >= v.start[(j, k - 1)] + a.first + gap),
                       model.Add(v.end[(j, k)] >= v.end[(j, k - 1)] + gap + b.last)):
                if enforce:
                    ct.OnlyEnforceIf(enforce)


def _present(v: _Vars, j: int, k: int, station: str) -> object:
    """Operation k of job j runs on `station` (True before the first operation: the origin)."""
    return True if k < 0 else v.presence[(j, k, station)]


def _fleet_trips(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> None:
    """Trips that need a vehicle of a fleet. A move that may take a fleet leg gets one
    departure (after the previous operation ends, or the release when the lot starts at its
    origin), and each fleet leg it may take a choice, present when both its ends are chosen,
    that the next operation starts after; `optimizer.vehicles` keeps the fleet's trips feasible.
    A lot in transfer batches takes one trip per batch: batch i leaves once it is done on the
    previous station and arrives before the next one needs it (`SchedulingProblem.batch_ready`,
    `batch_need`), the batches in order."""
    moves: dict[str, list[vehicles.Move]] = defaultdict(list)
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            legs = [
                (sa, b.station, leg)
                for sa in problem.pick_ups(job, k) for b in op.alternatives
                if (leg := problem.fleet_leg(sa, b.station)) is not None
            ]
            if not legs:
                continue
            presence = {}
            for sa, sb, leg in legs:
                here, there = _present(v, j, k - 1, sa), v.presence[(j, k, sb)]
                if here is True or there is True:  # a fixed end: the trip is as present as the other
                    present = there if here is True else here
                else:  # present exactly when both ends are chosen
                    present = model.NewBoolVar(f"trip_{j}_{k}_{sa}_{sb}")
                    model.AddImplication(present, here)
                    model.AddImplication(present, there)
                    model.AddBoolOr([here.Not(), there.Not(), present])
                    v.trip[(j, k, sa, sb)] = present
                presence[(sa, sb)] = (present, here, there)
            trips = problem.batch_trips(job, k)
            previous = None
            for i in range(trips):
                key = trip_key(j, k, i)
                depart = model.NewIntVar(0, v.horizon, f"dep_{j}_{k}_{i}")
                if trips == 1:
                    model.Add(depart >= (v.end[(j, k - 1)] if k > 0 else job.release))
                else:
                    model.Add(depart >= v.start[(j, k - 1)])
                    if previous is not None:
                        model.Add(depart >= previous)  # the batches leave in order
                previous = depart
                v.departure[key] = depart
                choices: dict[str, list[vehicles.Choice]] = defaultdict(list)
                for sa, sb, leg in legs:
                    present, here, there = presence[(sa, sb)]
                    need = problem.batch_need(job, k, sb, i)
                    constraints = [model.Add(v.start[(j, k)] + need >= depart + leg.ticks)]
                    if trips > 1:
                        constraints.append(model.Add(depart >= v.start[(j, k - 1)] + problem.batch_ready(job, k - 1, sa, i)))
                    if present is not True:
                        for ct in constraints:
                            ct.OnlyEnforceIf(present)
                    choices[leg.mover].append(vehicles.Choice(sa, sb, leg.ticks, present, here, there))
                for mover, group in choices.items():
                    moves[mover].append(vehicles.Move(key, depart, tuple(group), job.batched))
    for mover, group in moves.items():
        routes = vehicles.constrain(model, problem, mover, group, v.horizon)
        if routes is not None:
            v.routes[mover] = routes


def _batch_machine(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars, station: str,
                   members: list[tuple[Key, int]]) -> None:
    """A batch machine: its operations' units (up to the batch size each) never overfill it at
    once, and two operations whose units would fit together either run one after the other or,
    when they may share a batch, start at once (same duration, so they end at once). Quadratic in
    the operations that may use the machine."""
    size = problem.batch_sizes[station]
    units = [min(problem.jobs[key[0]].units, size) for key, _ in members]
    model.AddCumulative([v.interval[(j, k, station)] for (j, k), _ in members], units, size)
    for a, (key_a, dur_a) in enumerate(members):
        for b in range(a + 1, len(members)):
            key_b, dur_b = members[b]
            if (key_a[0] == key_b[0] and not problem.jobs[key_a[0]].batched) or units[a] + units[b] > size:
                continue  # a whole lot's operations follow each other; too many units cannot overlap
            name = f"{station}_{key_a}_{key_b}"
            before, after = model.NewBoolVar(f"before_{name}"), model.NewBoolVar(f"after_{name}")
            model.Add(v.start[key_a] + dur_a <= v.start[key_b]).OnlyEnforceIf(before)
            model.Add(v.start[key_b] + dur_b <= v.start[key_a]).OnlyEnforceIf(after)
            v.order[(station, key_a, key_b)] = (before, after)
            options = [before, after]
            if problem.can_share(station, key_a, key_b):
                same = model.NewBoolVar(f"same_{name}")
                model.Add(v.start[key_a] == v.start[key_b]).OnlyEnforceIf(same)
                v.same[(station, key_a, key_b)] = same
                options.append(same)
            absent = [lit.Not() for lit in (v.presence[(*key_a, station)], v.presence[(*key_b, station)]) if lit is not True]
            model.AddBoolOr(options + absent)


def _operators(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> None:
    """Each operation of non-zero length on a manned station holds one operator of one pool
    that can run it; a pool's Cumulative also holds its whole size over every off-shift time
    before the horizon, so an operation fits inside one on-shift stretch. In the campaign model
    a pool that staffs all its stations at once (`_staffs_all`) has no Cumulative: its
    operations' starts keep them inside its on-shift stretches instead (`_on_shift`)."""
    held: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    on_shift = {pool_id: problem.pools[pool_id].calendar.windows_until(v.horizon)
                for pool_id in (_staffs_all(problem) if v.campaigns else ())}
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            for alt in op.alternatives:
                pool_ids = problem.operator_pools(alt.station, alt.duration)
                if not pool_ids:
                    continue
                present = v.presence[(j, k, alt.station)]
                if len(pool_ids) == 1:
                    v.crew[(j, k, alt.station, pool_ids[0])] = present
                    if pool_ids[0] in on_shift:
                        _on_shift(model, v.start[(j, k)], alt.duration, present, on_shift[pool_ids[0]])
                    else:
                        held[pool_ids[0]].append(v.interval[(j, k, alt.station)])
                    continue
                literals = []
                for pool_id in pool_ids:
                    lit = model.NewBoolVar(f"crew_{j}_{k}_{alt.station}_{pool_id}")
                    literals.append(lit)
                    v.crew[(j, k, alt.station, pool_id)] = lit
                    held[pool_id].append(model.NewOptionalFixedSizeIntervalVar(
                        v.start[(j, k)], alt.duration, lit, f"held_{j}_{k}_{alt.station}_{pool_id}"))
                model.Add(sum(literals) == (1 if present is True else present))
    for pool_id, intervals in held.items():
        pool = problem.pools[pool_id]
        operations = len(intervals)
        at = 0
        for start, end in pool.calendar.windows_until(v.horizon) + [(v.horizon, v.horizon)]:
            start, end = int(start), int(end)
            if start > at:
                intervals.append(model.NewFixedSizeIntervalVar(at, start - at, f"off_{pool_id}_{at}"))
            at = max(at, end)
        model.AddCumulative(intervals, [1] * operations + [pool.size] * (len(intervals) - operations), pool.size)


def _staffs_all(problem: SchedulingProblem) -> set[str]:
    """The operator pools with an operator for every lane of every station they man, where no
    other pool mans those stations: their Cumulative can only keep work inside the shifts.
    Why: on the electronics sample (both crews staff all their stations) the campaign phase's
    neighbourhood search reached the 2 % line of the 10-minute best in 26 of 32 runs with start
    domains instead, against 12 with the Cumulatives (docs/measurements_log.md, "The crews' shifts
    as start domains")."""
    stations: dict[str, list[str]] = defaultdict(list)
    for station, pool_ids in problem.manned.items():
        for pool_id in pool_ids:
            stations[pool_id].append(station)
    return {pool_id for pool_id, manned in stations.items()
            if all(problem.manned[s] == (pool_id,) for s in manned)
            and problem.pools[pool_id].size >= sum(problem.capacities[s] for s in manned)}


def _on_shift(model: cp_model.CpModel, start: cp_model.IntVar, duration: int, present: object,
              stretches: list[tuple[float, float]]) -> None:
    """The operation (when `present`) starts where it ends within one of its pool's on-shift
    `stretches` before the horizon, as the pool's Cumulative would have it (`_operators`)."""
    fits = [[int(a), int(b) - duration] for a, b in stretches if int(b) - int(a) >= duration]
    ct = model.AddLinearExpressionInDomain(start, cp_model.Domain.FromIntervals(fits))
    if present is not True:
        ct.OnlyEnforceIf(present)


def _pooled_capacity(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> None:
    """Redundant: for each set of interchangeable stations G (the alternatives of a flexible
    operation), every operation that must run somewhere in G occupies one of G's lanes, so at
    most sum(capacity) of them run at once. Gives CP-SAT energy reasoning across alternatives."""
    # in the order they first appear, not a set's: the model, and so CP-SAT's search for a seed,
    # must not depend on the process's string hashing
    groups = dict.fromkeys(  # operations sharing a batch occupy one lane together: no batch machine here
        frozenset(a.station for a in op.alternatives)
        for job in problem.jobs for op in job.operations
        if len(op.alternatives) > 1 and not any(a.station in problem.batch_sizes for a in op.alternatives)
    )
    for group in groups:
        intervals = []
        for j, job in enumerate(problem.jobs):
            for k, op in enumerate(job.operations):
                if not all(a.station in group for a in op.alternatives):
                    continue
                if all(a.duration == 0 for a in op.alternatives):
                    continue
                if len(op.alternatives) == 1:
                    intervals.append(v.interval[(j, k, op.alternatives[0].station)])
                else:
                    intervals.append(
                        model.NewIntervalVar(v.start[(j, k)], v.duration[(j, k)], v.end[(j, k)], f"pool_{j}_{k}")
                    )
        if len(intervals) > 1:
            model.AddCumulative(intervals, [1] * len(intervals), sum(problem.capacities[s] for s in group))


# --- step 3: objective ---------------------------------------------------------------------


def _objective(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars, objective: str) -> None:
    lasts = [(j, v.end[(j, len(job.operations) - 1)]) for j, job in enumerate(problem.jobs)]
    # search: branch on the earliest start first, at its smallest value (a schedule-generation
    # scheme); on small job shops it finds near-optimal schedules more reliably than the
    # default branching, at no cost to the proofs (benchmarks/jssp_bench.py); on large ones
    # CP-SAT's own branching found better schedules (benchmarks/jssp_heldout_bench.py)
    if not _large(problem) and v.fixed_branching:
        model.AddDecisionStrategy(
            [v.start[key] for key in sorted(v.start)], cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE
        )
    if objective == "makespan":
        # the simple bound without the operators' shifts or transports: with shifts (the
        # electronics sample's 22,718 against CP-SAT's own 21,198) the search did worse (mean of
        # 16 seeds at 8.5 s: 25,999 against 25,621 with no bound in the domain); the whole bound
        # is reported (`_found_schedule`)
        lower = dispatch_mod.simple_lower_bound(problem, shifts=False, transports=False)
        v.makespan = model.NewIntVar(min(lower, v.horizon), v.horizon, "makespan")
        for _, end in lasts:
            model.Add(v.makespan >= end)
        early, most = _before_first_break(model, problem, v) if v.campaigns else (0, 0)
        model.Minimize(v.makespan * (most + 1) - early if most else v.makespan)
        return
    scale = 1000
    raw = {j: int(round(job.weight * scale)) for j, job in enumerate(problem.jobs) if job.due is not None}
    divisor = math.gcd(*raw.values()) if raw and any(raw.values()) else 1
    v.weights = {j: w // divisor for j, w in raw.items() if w}
    v.weight_scale = scale / divisor
    terms = []
    for j, end in lasts:
        if j not in v.weights:
            continue
        due = problem.jobs[j].due
        t = model.NewIntVar(0, max(0, v.horizon - due), f"tardy_{j}")
        model.Add(t >= end - due)
        v.tardiness[j] = t
        terms.append(v.weights[j] * t)
    model.Minimize(sum(terms) if terms else 0)


def _before_first_break(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> tuple[object, int]:
    """The bottleneck's manned work (ticks) that ends by its operator pool's first off-shift time,
    and the most there can be; the bottleneck is the set of stations with the largest term of
    the simple lower bound (`dispatch.lower_bound_terms`; every set on a tie). The campaign model
    minimises makespan x (that most + 1) minus it: among schedules of one makespan, the one that
    fits more of the bottleneck's work before the first break is better.
    Why: on the electronics sample the search settles on plateaus of one makespan that differ in
    how much of the display benches' work (the bottleneck, manned) the crew fits before its
    break (20,360 s in a 25,098-s schedule, 21,440 s in the 24,558-s best); with the makespan
    alone CP-SAT's neighbourhoods see no difference between a plateau's schedules and rarely
    make the many moves at once that lead off it; with this tie-break they move towards the
    better ones (docs/measurements_log.md, "The crews' first break as a tie-break"). Counting every
    pool's work, not the bottleneck's, cost auto_parts, whose bottleneck (the lathes) is
    unmanned."""
    _, terms_by_set = dispatch_mod.lower_bound_terms(problem)
    if not terms_by_set:
        return 0, 0
    largest = max(terms_by_set.values())
    bottleneck = {s for group, term in terms_by_set.items() if term == largest for s in group}
    breaks: dict[str, int | None] = {}
    terms, most = [], 0
    for (j, k, station, pool_id), held in v.crew.items():
        if station not in bottleneck:
            continue
        if pool_id not in breaks:  # the end of the pool's first on-shift stretch, if before the horizon
            first = next(problem.pools[pool_id].calendar.stretches(), None)
            breaks[pool_id] = int(first[1]) if first is not None and first[1] < v.horizon else None
        at = breaks[pool_id]
        duration = problem.jobs[j].operations[k].duration_on(station)
        if at is None or duration > at:
            continue
        early = model.NewBoolVar(f"before_break_{j}_{k}_{station}_{pool_id}")
        model.Add(v.start[(j, k)] + duration <= at).OnlyEnforceIf(early)
        if held is not True:
            model.AddImplication(early, held)
        v.before_break[(j, k, station, pool_id)] = (early, at)
        terms.append(duration * early)
        most += duration
    return sum(terms), most


# --- warm start -----------------------------------------------------------------------------


def _hint(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars, warm: dispatch_mod.ListSchedule) -> None:
    """Hint every decision of a dispatching schedule: starts, stations, lanes, family blocks,
    batch machines' order literals, departures (a move off a fleet leg leaves as the previous
    operation ends). A large model with a literal left open may never complete the hint."""
    placed = warm.placed
    for (j, k), (station, lane, start) in placed.items():
        op = problem.jobs[j].operations[k]
        model.AddHint(v.start[(j, k)], start)
        for alt in op.alternatives:
            lit = v.presence[(j, k, alt.station)]
            if lit is not True:
                model.AddHint(lit, alt.station == station)
        for s in problem.capacities:
            for ln in range(problem.capacities[s]):
                lit = v.lane.get((j, k, s, ln))
                if lit is not None:
                    model.AddHint(lit, s == station and ln == lane)
    for lane_blocks in v.blocks:
        _check_clock(v)
        family_blocks.hint_lane(model, problem, lane_blocks, placed)
    for key, depart in v.departure.items():
        model.AddHint(depart, warm.departures.get(key, _trip_ready(problem, placed, key)))
    for (j, k, sa, sb), lit in v.trip.items():
        model.AddHint(lit, placed[(j, k - 1)][0] == sa and placed[(j, k)][0] == sb)
    for routes in v.routes.values():
        departures = {key: warm.departures.get(key, _trip_ready(problem, placed, key)) for key in v.departure}
        for (a, b), chosen in vehicles.route_hints(routes, warm.vehicles, departures).items():
            if a != b:  # a self-loop is a trip's absence, hinted with its stations
                model.AddHint(routes.arcs[(a, b)], chosen)
    for (station, a, b), (before, after) in v.order.items():  # as they lie (a hint left open is not completed on a large problem)
        dur_a, dur_b = (problem.jobs[j].operations[k].duration_on(station) for j, k in (a, b))
        model.AddHint(before, placed[a][2] + dur_a <= placed[b][2])
        model.AddHint(after, placed[b][2] + dur_b <= placed[a][2])
    for (station, a, b), lit in v.same.items():
        model.AddHint(lit, placed[a][0] == placed[b][0] == station and placed[a][2] == placed[b][2])
    for (j, k, station, pool_id), lit in v.crew.items():
        if lit is not True and lit is not v.presence[(j, k, station)]:
            model.AddHint(lit, placed[(j, k)][0] == station and warm.pools.get((j, k)) == pool_id)
    for (j, k, station, pool_id), (early, at) in v.before_break.items():
        on, _, start = placed[(j, k)]
        model.AddHint(early, on == station and warm.pools.get((j, k)) == pool_id
                      and start + problem.jobs[j].operations[k].duration_on(station) <= at)
    ends = dispatch_mod.job_ends(problem, placed)
    if v.makespan is not None:
        model.AddHint(v.makespan, max(ends.values(), default=0))
    for j, t in v.tardiness.items():
        model.AddHint(t, max(0, ends[j] - problem.jobs[j].due))


def _trip_ready(problem: SchedulingProblem, placed: dict[Key, tuple[str, int, int]], key: tuple[int, ...]) -> int:
    """When a trip (`trip_key`) may leave: its lot ready, or its transfer batch done."""
    j, k, *batch = key
    job = problem.jobs[j]
    if k == 0 or problem.batch_trips(job, k) == 1:
        return _ready(problem, placed, j, k)
    station, _, start = placed[(j, k - 1)]
    return start + problem.batch_ready(job, k - 1, station, batch[0] if batch else 0)


def _ready(problem: SchedulingProblem, placed: dict[Key, tuple[str, int, int]], j: int, k: int) -> int:
    """When the lot of job j can leave for operation k: the previous operation's end, or its release."""
    if k == 0:
        return problem.jobs[j].release
    station, _, start = placed[(j, k - 1)]
    return start + problem.jobs[j].operations[k - 1].duration_on(station)


# --- step 4: solve --------------------------------------------------------------------------


def _assign_lanes(problem: SchedulingProblem, placed: dict[Key, tuple[str, int, int]]) -> dict[Key, tuple[str, int, int]]:
    """Lanes for stations without explicit lanes: interval colouring in start order."""
    by_station: dict[str, list[tuple[int, int, Key]]] = {}
    for key, (station, _, start) in placed.items():
        if _explicit_lanes(problem, station):
            continue
        duration = problem.jobs[key[0]].operations[key[1]].duration_on(station)
        by_station.setdefault(station, []).append((start, start + duration, key))
    out = dict(placed)
    for station, items in by_station.items():
        free = [0] * problem.capacities[station]
        for start, end, key in sorted(items):
            if end == start:
                out[key] = (station, 0, start)
                continue
            lane = next((ln for ln, f in enumerate(free) if f <= start), None)
            if lane is None:  # cannot happen for a solution that respects the capacity
                lane = min(range(len(free)), key=free.__getitem__)
            free[lane] = end
            out[key] = (station, lane, start)
    return out


def solve(
    problem: SchedulingProblem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    objective: str = "makespan",
    hint: bool | str | None = None,
    log: bool = False,
    parameters: dict | None = None,
    deterministic_time: float | None = None,
    constrain: Callable[[cp_model.CpModel, _Vars], None] | None = None,
    retime: Callable[[dispatch_mod.ListSchedule], dispatch_mod.ListSchedule] | None = None,
    reference: dict[Key, tuple[str, int, int]] | None = None,
) -> Schedule:
    """The best schedule CP-SAT finds within `time_limit` seconds.

    Warm start, by `hint`: True gives CP-SAT the best dispatching-rule schedule as a hint and
    (makespan objective) its makespan as the horizon; "horizon" uses only the horizon; False
    neither. None (default): True, except on small plain job shops (CP-SAT's own first schedules
    are good there), which get "horizon"; a large plain job shop or a flexible one
    (`SchedulingProblem.is_job_shop`) under makespan gets the dispatch schedule improved by the tabu
    search as hint and horizon, except a plain one of at most SECOND_TABU_OPERATIONS with two
    workers under the clock, which gets CP-SAT first and the tabu searches after it
    (`_proof_first`). With changeovers, a hint and a wall-clock budget, CP-SAT first
    searches the campaign model for CAMPAIGN_SHARE of it (`_campaign_phase`; not under
    `constrain` or `retime`).
    `parameters` sets extra CP-SAT parameters by name.
    `deterministic_time` caps the search in CP-SAT's deterministic time units, which do not
    depend on the machine's load: with it, a fixed seed and `workers=1`, the result is the
    same on every run as long as the wall-clock `time_limit` is not reached first.
    Raises NoFeasibleSchedule when the problem is infeasible, no schedule is known when the time
    runs out, or a capped changeover model (`family_blocks`) holds no schedule.
    `constrain(model, variables)` adds constraints of the caller's after the model is built
    (`optimizer.replan` pins what already happened); `retime` replaces `dispatch.follow` where
    a plan made without empty runs is re-timed (a re-plan keeps its past). Such plans are
    re-timed as CP-SAT reports them, and the best as run is the answer (`_BestRetimed`; under
    `constrain` only the last). `reference` (station,
    lane, start by operation) is a schedule whose family runs a capped changeover model keeps
    room for (default: the warm start; `optimizer.replan` gives the plan it re-plans).
    """
    validate_objective(objective)
    started = time.monotonic()
    warm = None
    floor = 0  # a lower bound on the makespan that CP-SAT is told (the tabu search's)
    tabu = (hint is None and (_large(problem) or (_flexible(problem) and problem.n_operations >= TABU_MIN_OPERATIONS))
            and objective == "makespan" and problem.is_job_shop())
    if hint is None:
        hint = True if not _plain_job_shop(problem) or tabu else "horizon" if not _large(problem) else False
    if hint:
        # Under a wall-clock budget the warm start may use WARM_START_SHARE of it (one rule always
        # runs; CP-SAT improves on it faster than more rules do); under a deterministic budget
        # every rule runs, so the result stays repeatable; before the tabu search one rule runs
        # (the search gets the time). The first rule must finish within the whole wall-clock
        # limit, which is a hard bound.
        wall = deterministic_time is None
        deadline = started if tabu else (started + WARM_START_SHARE * time_limit if wall else None)
        warm = dispatch_mod.best_placement(problem, objective=objective, seed=seed, deadline=deadline,
                                           stop_at=started + time_limit if wall else None)
        if tabu and _proof_pays(problem, deterministic_time, workers, constrain):
            return _proof_first(problem, warm, started, time_limit, workers=workers, seed=seed, log=log,
                                parameters=parameters)
        if tabu:
            # no side search under a caller's constraints: its model would not have them
            warm, deterministic_time, floor = _tabu_warm_start(problem, warm, started, time_limit, deterministic_time,
                                                               seed, workers if constrain is None else 1)
            if deterministic_time is None and _probe_pays(problem, warm, floor):
                at_bound, floor = _bound_probe(
                    problem, floor, constrain, seed=seed, log=log, parameters=parameters,
                    seconds=BOUND_PROBE_SHARE * (time_limit - (time.monotonic() - started)))
                warm = at_bound or warm
    horizon = _safe_horizon(problem)
    warm_makespan = None
    if warm is not None:
        warm_makespan = dispatch_mod.makespan(problem, warm.placed)
        if objective == "makespan":
            horizon = min(horizon, warm_makespan)
    if problem.horizon is not None:
        horizon = min(horizon, problem.horizon)
        if warm_makespan is not None and warm_makespan > problem.horizon:
            warm = None

    if warm is not None and deterministic_time is None and time.monotonic() - started >= time_limit:
        return _warm_schedule(problem, warm, objective)  # the warm start took the whole wall-clock budget

    warm_solver = "dispatch"  # who made the warm start, as the answer's label when it stands
    stop_at = started + time_limit if deterministic_time is None else None
    if deterministic_time is None and _campaigns_first(problem, warm, hint, constrain, retime, objective):
        campaign = _campaign_phase(
            problem, warm, horizon, floor, objective, stop_at, workers=workers, seed=seed, log=log,
            parameters=parameters, seconds=CAMPAIGN_SHARE * (time_limit - (time.monotonic() - started)))
        if campaign is not None:  # (makespan only: `_campaigns_first`) its makespan is the horizon
            warm, warm_solver, reference = campaign, "cpsat", campaign.placed
            horizon = min(horizon, dispatch_mod.makespan(problem, warm.placed))

    if reference is None and warm is not None:
        reference = warm.placed  # the warm start's family runs: the capped blocks keep it in the model
    model = cp_model.CpModel()
    try:
        v = _build(model, problem, horizon, reference, stop_at, objective, floor, constrain,
                   warm if hint != "horizon" else None)
    except _OutOfTime:
        if warm is None:
            raise NoFeasibleSchedule(f"the time limit of {time_limit:g} s ran out while the CP-SAT model was being "
                                     "built; give a longer time limit") from None
        return _warm_schedule(problem, warm, objective, solver=warm_solver)  # building the model took the rest

    flags = _search_flags(problem, model)  # before the clock is read: counting Booleans takes time on large models
    kept = _best_as_run(problem, v, objective, retime)
    # it sees every schedule only without a caller's constraints: they may set another objective
    # (`optimizer.replan`'s least shift), by which CP-SAT's last schedule is the best
    status, solver = _solve(
        model, time_limit=max(0.01, time_limit - (time.monotonic() - started)), workers=workers, seed=seed,
        log=log, parameters=parameters, deterministic_time=deterministic_time,
        callback=kept if constrain is None else None, **flags,
    )
    cut = _wall_clock_cut(status, solver, deterministic_time)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return replace(_found_schedule(problem, v, solver, status, objective, warm, warm_solver, kept),
                       wall_clock_cut=cut)
    if status == cp_model.INFEASIBLE and v.restricted and warm is not None:
        return _warm_schedule(problem, warm, objective, solver=warm_solver)  # cannot be: the blocks hold it
    if status == cp_model.INFEASIBLE and v.restricted:
        raise NoFeasibleSchedule(f"no schedule with at most {family_blocks.MIN_RUNS} runs of a product family on "
                                 "each lane of a station with changeovers (a model with more would be too large)")
    if status == cp_model.INFEASIBLE:
        where = f" within the horizon of {problem.horizon} ticks" if problem.horizon is not None else ""
        raise NoFeasibleSchedule(f"no schedule satisfies the problem{where} (proven by CP-SAT)")
    if status == cp_model.MODEL_INVALID:  # a bug in this module, not in the input
        raise RuntimeError(f"invalid CP-SAT model: {model.Validate()}")
    if warm is not None:  # time ran out before CP-SAT reported anything; the warm start stands
        return replace(_warm_schedule(problem, warm, objective, solver=warm_solver), wall_clock_cut=cut)
    raise NoFeasibleSchedule(f"no schedule found within the time limit of {time_limit:g} s")


def _build(model: cp_model.CpModel, problem: SchedulingProblem, horizon: int,
           reference: dict[Key, tuple[str, int, int]] | None, stop_at: float | None, objective: str, floor: int,
           constrain: Callable[[cp_model.CpModel, _Vars], None] | None, hint: dispatch_mod.ListSchedule | None,
           campaigns: bool = False, fixed_branching: bool = True) -> _Vars:
    """The model's steps in order; raises _OutOfTime when building passes `stop_at`."""
    v = _variables(model, problem, horizon)
    v.reference = reference
    v.campaigns = campaigns
    v.fixed_branching = fixed_branching
    v.stop_at = stop_at
    _constraints(model, problem, v)
    _objective(model, problem, v, objective)
    if floor:
        model.Add(v.makespan >= floor)  # proves at once a tabu schedule that reached the bound
    if constrain is not None:
        constrain(model, v)
    if hint is not None:
        _hint(model, problem, v, hint)
    _check_clock(v)
    return v


def _changeover_members(problem: SchedulingProblem) -> dict[str, list[Key]]:
    """The operations of non-zero length that may run on each station with changeovers, in
    (job, operation) order, the stations in the problem's order (the order the lanes are built in)."""
    members: dict[str, list[Key]] = defaultdict(list)
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            for alt in op.alternatives:
                if alt.duration > 0 and _explicit_lanes(problem, alt.station):
                    members[alt.station].append((j, k))
    return {s: members[s] for s in problem.capacities if s in members}


def _campaigns_first(problem: SchedulingProblem, warm: dispatch_mod.ListSchedule | None, hint: bool | str,
                     constrain: object, retime: object, objective: str) -> bool:
    """Whether the campaign phase runs: a warm start to hint, the makespan objective (where it
    was measured), no caller's constraints or re-timing (a re-plan pins its past, which may need
    more runs), and an exact changeover model that holds more runs of some family on some lane
    than the campaign model does."""
    if warm is None or hint is not True or constrain is not None or retime is not None or objective != "makespan":
        return False
    members = _changeover_members(problem)
    if not members:
        return False
    exact = family_blocks.plan_runs(problem, members, warm.placed)
    campaigns = family_blocks.plan_runs(problem, members, warm.placed, campaigns=True)
    return not exact.restricted and campaigns.per_station != exact.per_station


def _campaign_phase(problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, horizon: int, floor: int,
                    objective: str, stop_at: float | None, *, seconds: float, workers: int, seed: int, log: bool,
                    parameters: dict | None) -> dispatch_mod.ListSchedule | None:
    """CP-SAT on the campaign model (`family_blocks.plan_runs(campaigns=True)`: each family in
    as few runs per lane as the warm start has, at least one; the bottleneck's manned work before
    its crew's first break as a tie-break, `_before_first_break`), hinted with the warm start,
    searched with CAMPAIGN_PARAMETERS (and BREAK_PARAMETERS, `_lns_only`). Its best schedule,
    when better than the warm start (where the fleets were relaxed: of every schedule it found,
    the best as re-timed by the vehicles, `_BestRetimed`, so it is a plan on its own). On the
    samples the exact model's search, from the dispatch schedule, settled in a different local
    optimum each run; the smaller model reached better ones in the same time
    (docs/measurements_log.md, "campaigns first")."""
    model = cp_model.CpModel()
    try:
        v = _build(model, problem, horizon, warm.placed, stop_at, objective, floor, None, warm, campaigns=True)
    except _OutOfTime:
        return None
    kept = _best_as_run(problem, v, objective)
    status, solver = _solve(model, time_limit=max(0.01, seconds), workers=workers, seed=seed, log=log,
                            parameters={**CAMPAIGN_PARAMETERS, **(BREAK_PARAMETERS if _lns_only(problem, v) else {}),
                                        **(parameters or {})},
                            callback=kept, **_search_flags(problem, model))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    found = _solution(problem, v, solver)
    if kept is not None:
        found = kept.best_with(found)
    better = (dispatch_mod.placed_objective(problem, found.placed, objective)
              < dispatch_mod.placed_objective(problem, warm.placed, objective))
    return found if better else None


def _lns_only(problem: SchedulingProblem, v: _Vars) -> bool:
    """Whether the campaign phase runs neighbourhoods alone (BREAK_PARAMETERS): the crews' first
    break is its tie-break and the problem has at least BREAK_LNS_OPERATIONS operations."""
    return bool(v.before_break) and problem.n_operations >= BREAK_LNS_OPERATIONS


def _probe_pays(problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, floor: int) -> bool:
    """Whether the schedule lies within BOUND_PROBE_GAP of the lower bound `floor` (and above it)."""
    return floor < dispatch_mod.makespan(problem, warm.placed) <= floor + max(1, math.floor(BOUND_PROBE_GAP * floor))


def _bound_probe(problem: SchedulingProblem, floor: int,
                 constrain: Callable[[cp_model.CpModel, _Vars], None] | None, *, seconds: float,
                 seed: int, log: bool, parameters: dict | None) -> tuple[dispatch_mod.ListSchedule | None, int]:
    """CP-SAT on the problem with every lot done by `floor`, the makespan's lower bound: no hint
    (the tabu schedule lies above it), CP-SAT's own branching (faster here than the earliest-start
    one) and one worker, so a seed's search is the same on every run (two were no faster on
    la01_vdata; docs/measurements_log.md). A schedule found is optimal; a proof that none exists
    lifts the bound by one tick. Returns the schedule (or None) and the bound."""
    model = cp_model.CpModel()
    v = _build(model, problem, floor, None, None, "makespan", 0, constrain, None, fixed_branching=False)
    status, solver = _solve(model, time_limit=max(0.01, seconds), workers=1, seed=seed, log=log,
                            parameters=parameters, strong_disjunctive=False, probing=_probing_pays(model))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _solution(problem, v, solver), floor
    return None, floor + 1 if status == cp_model.INFEASIBLE else floor


def _tabu_search() -> ModuleType:
    """`optimizer.jobshop_tabu`, imported when a job shop needs it: importing numba, which
    compiles it, takes 0.3-0.4 s of a factory plan's budget, and factory plans never use it."""
    from optimizer import jobshop_tabu
    return jobshop_tabu


def _tabu_warm_start(problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, started: float, time_limit: float,
                     deterministic_time: float | None, seed: int,
                     workers: int) -> tuple[dispatch_mod.ListSchedule, float | None, int]:
    """The dispatch schedule improved by the tabu search for up to TABU_SHARE of the budget, the
    deterministic budget left to CP-SAT (the wall clock is read afresh by the caller) and a
    lower bound, for CP-SAT's makespan. The search stops early at the lower bound
    (`dispatch.simple_lower_bound`) or after TABU_PATIENCE moves per operation without a better
    schedule, and CP-SAT gets the rest. With two workers or more, CP-SAT searches from the
    dispatch schedule on the other cores meanwhile (`_SideSearch`); the better schedule and the
    better bound go on. Under a deterministic budget the search makes at most a fixed number of
    moves and its stops count moves, and the side search has one worker and a fixed share of the
    deterministic budget, so the result stays repeatable. A large plain job shop with two workers
    under the clock gets a second tabu search instead (`_SecondTabu`, SECOND_TABU_OPERATIONS)."""
    wall = deterministic_time is None
    moves = None if wall else int(TABU_SHARE * deterministic_time * TABU_MOVES_PER_UNIT)
    # by the clock: its share; by moves: the whole wall-clock limit stays the hard bound
    stop_at = started + (TABU_SHARE if wall else 1.0) * time_limit
    floor = dispatch_mod.simple_lower_bound(problem)
    patience = TABU_PATIENCE * problem.n_operations
    side: _SideSearch | _SecondTabu | None = None
    if wall and workers == 2 and not _flexible(problem) and problem.n_operations > SECOND_TABU_OPERATIONS:
        side = _SecondTabu(problem, warm, floor, patience)
        side.start(stop_at=stop_at, seed=seed + SECOND_TABU_SEED)
    elif workers > 1:
        side = _SideSearch(problem, warm, floor)
        side.start(seconds=max(0.01, (stop_at if wall else started + time_limit) - time.monotonic()),
                   deterministic_time=None if wall else TABU_SHARE * deterministic_time,
                   workers=workers - 1 if wall else 1, seed=seed)
    try:
        found = _tabu_search().improve(problem, warm.placed, stop_at=stop_at, seed=seed, max_iterations=moves,
                                     lower_bound=floor, patience=patience,
                                     cancel=side.proven if side is not None and wall else None)
    except BaseException:
        if side is not None:
            side.finish(stop=True)
        raise
    left = None if wall else deterministic_time - found.iterations / TABU_MOVES_PER_UNIT
    best = dispatch_mod.ListSchedule(found.placed, {})
    if side is not None:
        other, makespan, bound = side.finish(stop=wall)
        floor = max(floor, bound)
        if other is not None and makespan < found.makespan:
            best = other
    return best, left, floor


def _proof_pays(problem: SchedulingProblem, deterministic_time: float | None, workers: int,
                constrain: object) -> bool:
    """Whether `_proof_first` runs: a plain job shop of more than LARGE_PROBLEM_OPERATIONS and at
    most SECOND_TABU_OPERATIONS operations, two workers or more, a wall-clock budget (under a
    deterministic one the result must not depend on where the clock cuts the proof), no caller's
    constraints and no horizon (the tabu searches know neither)."""
    return (_plain_job_shop(problem) and _large(problem) and problem.n_operations <= SECOND_TABU_OPERATIONS
            and workers >= 2 and deterministic_time is None and constrain is None and problem.horizon is None)


def _proof_first(problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, started: float, time_limit: float, *,
                 workers: int, seed: int, log: bool, parameters: dict | None) -> Schedule:
    """CP-SAT on the plain model, unhinted, on every worker for PROOF_FIRST_SHARE of the budget;
    its schedule when proven. Otherwise two tabu searches for the rest, one from CP-SAT's
    schedule (this thread, `seed`; once it stalls, SHUFFLE_AFTER_MOVES, machines re-sequenced
    exactly from its best, `jobshop_shuffle`) and one from the dispatch schedule `warm`
    (`_SecondTabu`), and the shortest of the schedules, with CP-SAT's bound. CP-SAT's own
    descent is the one that proves; a known schedule, as hint or as upper bound, took it off
    that path (docs/measurements_log.md). That phase has strong disjunctive propagation, which
    the other large problems do not (see PROOF_FIRST_SHARE)."""
    stop_at = started + time_limit
    model = cp_model.CpModel()
    found, bound = None, 0
    try:
        v = _build(model, problem, _safe_horizon(problem), None, stop_at, "makespan", 0, None, None)
    except _OutOfTime:
        v = None
    if v is not None:
        seconds = started + PROOF_FIRST_SHARE * time_limit - time.monotonic()
        flags = {**_search_flags(problem, model), "strong_disjunctive": True}  # see PROOF_FIRST_SHARE
        status, solver = _solve(model, time_limit=max(0.01, seconds), workers=workers, seed=seed, log=log,
                                parameters=parameters, **flags)
        if status == cp_model.OPTIMAL:
            return _found_schedule(problem, v, solver, status, "makespan", warm)
        if status == cp_model.MODEL_INVALID:  # a bug in this module, not in the input
            raise RuntimeError(f"invalid CP-SAT model: {model.Validate()}")
        if status == cp_model.FEASIBLE:
            found = _solution(problem, v, solver)
            bound = math.ceil(solver.BestObjectiveBound() - 1e-6)
    floor = max(dispatch_mod.simple_lower_bound(problem), bound)
    second = _SecondTabu(problem, warm, floor, TABU_PATIENCE * problem.n_operations)
    second.start(stop_at=stop_at, seed=seed + SECOND_TABU_SEED)
    try:
        first = _tabu_search().improve(problem, (found or warm).placed, stop_at=stop_at, seed=seed, lower_bound=floor,
                                     patience=SHUFFLE_AFTER_MOVES * problem.n_operations, cancel=second.proven)
        shuffled = None
        if first.stopped == "stagnation":
            shuffled = jobshop_shuffle.improve(problem, first.placed, stop_at=stop_at, seed=seed, lower_bound=floor,
                                               cancel=second.proven)
    except BaseException:
        second.finish(stop=True)
        raise
    other, other_makespan, _ = second.finish(stop=True)
    candidates = [(first.makespan, "tabu", first.placed), (other_makespan, "tabu", other.placed)]
    if shuffled is not None:
        candidates.append((shuffled.makespan, "shuffle", shuffled.placed))
    if found is not None:  # CP-SAT's first: it stands on a tie
        candidates.insert(0, (dispatch_mod.makespan(problem, found.placed), "cpsat", found.placed))
    makespan, label, placed = min(candidates, key=lambda c: c[0])
    return make_schedule(problem, _assign_lanes(problem, placed), status="optimal" if makespan <= floor else "feasible",
                         lower_bound=floor, objective="makespan", solver=label)


class _SideSearch:
    """CP-SAT on the cores the tabu search leaves idle: the search runs on one core, and
    CP-SAT's Solve releases the interpreter, so a thread can run it meanwhile. From the
    dispatch schedule (hint and horizon) with the tabu search's lower bound. On 15x15 job shops
    at 10 s, CP-SAT alone sometimes beat the tabu search and CP-SAT one after the other."""

    def __init__(self, problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, floor: int) -> None:
        self.problem = problem
        horizon = min(_safe_horizon(problem), dispatch_mod.makespan(problem, warm.placed))
        if problem.horizon is not None:
            horizon = min(horizon, problem.horizon)
        self.model = cp_model.CpModel()
        self.v = _variables(self.model, problem, horizon)
        _constraints(self.model, problem, self.v)
        _objective(self.model, problem, self.v, "makespan")
        self.model.Add(self.v.makespan >= floor)
        _hint(self.model, problem, self.v, warm)
        self.solver = cp_model.CpSolver()
        self.status = cp_model.UNKNOWN
        self.proven = threading.Event()  # set when CP-SAT proves its schedule optimal
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None  # raised in the thread, raised again by `finish`

    def start(self, *, seconds: float, deterministic_time: float | None, workers: int, seed: int) -> None:
        def run() -> None:
            try:
                self.status, _ = _solve(self.model, time_limit=seconds, workers=workers, seed=seed, log=False,
                                        parameters=None, deterministic_time=deterministic_time,
                                        strong_disjunctive=False,
                                        probing=_probing_pays(self.model), solver=self.solver)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread by `finish`
                self.error = exc
                return
            if self.status == cp_model.OPTIMAL:
                self.proven.set()

        self.thread = threading.Thread(target=run, name="cpsat-beside-tabu", daemon=True)
        self.thread.start()

    def finish(self, *, stop: bool) -> tuple[dispatch_mod.ListSchedule | None, int, int]:
        """Waits for CP-SAT (stopping it first if `stop`): its schedule (None if it found none),
        that schedule's makespan and the lower bound it proved."""
        assert self.thread is not None
        try:
            self._join(stop)
        except BaseException:  # Ctrl-C while waiting: CP-SAT must not search on behind the caller's back
            self._join(True)
            raise
        if self.error is not None:
            raise self.error
        if self.status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, 0, 0
        found = _solution(self.problem, self.v, self.solver)
        return found, round(self.solver.ObjectiveValue()), math.ceil(self.solver.BestObjectiveBound() - 1e-6)

    def _join(self, stop: bool) -> None:
        assert self.thread is not None
        while self.thread.is_alive():
            if stop:
                self.solver.StopSearch()  # again until it returns: a stop before Solve starts is lost
            self.thread.join(0.05)


class _SecondTabu:
    """A second tabu search, with its own seed, on the core CP-SAT would take beside the first
    (`jobshop_tabu.improve` runs compiled without the interpreter's lock, so a thread runs it
    meanwhile). On large plain job shops the two searches often end on different plateaus and
    the better one goes on, where CP-SAT beside the search changed the result by 0-5 units in
    10 s (docs/measurements_log.md).
    The same interface as `_SideSearch`: `proven` is set when its schedule reaches the lower bound,
    and `finish` stops it."""

    def __init__(self, problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, floor: int, patience: int) -> None:
        self.problem, self.warm, self.floor, self.patience = problem, warm, floor, patience
        self.proven = threading.Event()
        self.cancel = threading.Event()
        self.found: jobshop_tabu.Result | None = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None  # raised in the thread, raised again by `finish`

    def start(self, *, stop_at: float, seed: int) -> None:
        def run() -> None:
            try:
                self.found = _tabu_search().improve(self.problem, self.warm.placed, stop_at=stop_at, seed=seed,
                                                  lower_bound=self.floor, patience=self.patience, cancel=self.cancel)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread by `finish`
                self.error = exc
                return
            if self.found.stopped == "bound":
                self.proven.set()

        self.thread = threading.Thread(target=run, name="second-tabu-search", daemon=True)
        self.thread.start()

    def finish(self, *, stop: bool) -> tuple[dispatch_mod.ListSchedule | None, int, int]:
        """Stops the search (whatever `stop` says: it runs only under a wall-clock budget, where
        the first search's end is the phase's end) and returns its schedule, that schedule's
        makespan and no bound (0)."""
        assert self.thread is not None
        self.cancel.set()  # read between the search's slices (at most milliseconds apart)
        try:
            self.thread.join()
        except BaseException:  # Ctrl-C while waiting: wait for that slice, so nothing searches on
            self.thread.join()
            raise
        if self.error is not None:
            raise self.error
        assert self.found is not None
        return dispatch_mod.ListSchedule(self.found.placed, {}), self.found.makespan, 0


def _found_schedule(problem: SchedulingProblem, v: _Vars, solver: cp_model.CpSolver, status: int, objective: str,
                    warm: dispatch_mod.ListSchedule | None, warm_solver: str = "dispatch",
                    kept: _BestRetimed | None = None) -> Schedule:
    """CP-SAT's schedule as the answer (where the fleets were relaxed: the best as re-timed of
    the final one and those `kept` saw, `_best_as_run`, and then the warm start's instead when
    that is better)."""
    bound = solver.BestObjectiveBound()
    if objective == "weighted_tardiness":
        bound = bound / v.weight_scale
    found = _solution(problem, v, solver)
    proven = status == cp_model.OPTIMAL
    if v.restricted:  # the optimum of a restriction: neither its bound nor its proof hold for the problem
        bound = dispatch_mod.simple_lower_bound(problem) if objective == "makespan" else 0.0
        proven = proven and dispatch_mod.placed_objective(problem, found.placed, objective) <= bound
    elif objective == "makespan":  # the simple bound counts the operators' shifts, which CP-SAT's relaxation does not
        bound = max(bound, dispatch_mod.simple_lower_bound(problem))
        proven = proven or dispatch_mod.placed_objective(problem, found.placed, objective) <= bound
    if vehicles.relaxed(problem):  # planned without empty runs: re-timed, the bound still holds
        solved = dispatch_mod.placed_objective(problem, found.placed, objective)
        found = (kept if kept is not None else _BestRetimed(problem, v, objective)).best_with(found)
        schedule = make_schedule(problem, found.placed, status="feasible", lower_bound=max(0.0, bound),
                                 objective=objective, solver="cpsat", departures=found.departures,
                                 vehicles=found.vehicles, pools=found.pools)
        if proven and schedule.objective_value <= solved + 1e-9:
            schedule = replace(schedule, status="optimal", lower_bound=schedule.objective_value, gap=0.0)
        rule = None if warm is None else _warm_schedule(problem, warm, objective, max(0.0, bound), warm_solver)
        return rule if rule is not None and rule.objective_value < schedule.objective_value else schedule
    return make_schedule(
        problem, found.placed, status="optimal" if proven else "feasible",
        lower_bound=max(0.0, bound), objective=objective, solver="cpsat", departures=found.departures,
        vehicles=found.vehicles, pools=found.pools,
    )


def _best_as_run(problem: SchedulingProblem, v: _Vars, objective: str,
                 retime: Callable[[dispatch_mod.ListSchedule], dispatch_mod.ListSchedule] | None = None,
                 ) -> _BestRetimed | None:
    """Where the fleets are relaxed (`vehicles.relaxed`), a keeper of the best schedule as
    re-timed by `retime` (default `dispatch.follow`); otherwise None: the plan is the answer."""
    return _BestRetimed(problem, v, objective, retime) if vehicles.relaxed(problem) else None


class _BestRetimed(cp_model.CpSolverSolutionCallback):
    """Every schedule CP-SAT reports on a model without empty runs, re-timed so that a vehicle
    carries every trip (`retime`, default `dispatch.follow`), keeping the best as run. The
    re-timing is greedy: it can push a manned operation past its crew's break and everything
    after it, so the schedule that is best as planned (the last one found) need not be the best
    as run (docs/measurements_log.md, "The best plan as run"). Reading and re-timing one electronics
    schedule takes 3-5 ms; the samples' 10-s runs report 6-26."""

    def __init__(self, problem: SchedulingProblem, v: _Vars, objective: str,
                 retime: Callable[[dispatch_mod.ListSchedule], dispatch_mod.ListSchedule] | None = None) -> None:
        super().__init__()
        self.problem, self.v, self.objective = problem, v, objective
        self.retime = retime or (lambda plan: dispatch_mod.follow(problem, plan.placed, plan.departures, plan.pools))
        self.best: dispatch_mod.ListSchedule | None = None
        self.value = math.inf

    def on_solution_callback(self) -> None:
        self.offer(_solution(self.problem, self.v, self))

    def offer(self, found: dispatch_mod.ListSchedule) -> None:
        """Re-time `found` and keep it if it is the best so far as run (on a tie the later, which
        is the better as planned)."""
        retimed = self.retime(found)
        value = dispatch_mod.placed_objective(self.problem, retimed.placed, self.objective)
        if value <= self.value:
            self.best, self.value = retimed, value

    def best_with(self, final: dispatch_mod.ListSchedule) -> dispatch_mod.ListSchedule:
        """The best re-timed schedule, counting the solver's final one: CP-SAT's response can
        hold another schedule of the same objective than the last one it reported (on the
        electronics sample, 65 of 180 operations placed otherwise)."""
        self.offer(final)
        assert self.best is not None
        return self.best


def _wall_clock_cut(status: int, solver: cp_model.CpSolver, deterministic_time: float | None) -> bool:
    """Whether the wall clock, not the deterministic budget, ended an unproven search: then the
    result depends on the machine's load. (When the deterministic limit ends a search, CP-SAT
    reports at least that much deterministic time; nothing else stops an unproven search.)"""
    if deterministic_time is None or status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        return False
    return solver.deterministic_time < deterministic_time


def _warm_schedule(problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, objective: str,
                   bound: float = 0.0, solver: str = "dispatch") -> Schedule:
    """The warm start as the answer, labelled `solver` (`dispatch`, or `cpsat` when the campaign
    phase made it), with CP-SAT's `bound` when it proved one."""
    return make_schedule(
        problem, _assign_lanes(problem, warm.placed), status="feasible",
        lower_bound=max(bound, dispatch_mod.simple_lower_bound(problem) if objective == "makespan" else 0),
        objective=objective, solver=solver, departures=warm.departures, vehicles=warm.vehicles, pools=warm.pools,
    )


def _solve(
    model: cp_model.CpModel, *, time_limit: float, workers: int, seed: int, log: bool, parameters: dict | None,
    deterministic_time: float | None = None, strong_disjunctive: bool = True, probing: bool = True,
    routing_neighbourhoods: bool = True, solver: cp_model.CpSolver | None = None,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> tuple[int, cp_model.CpSolver]:
    solver = solver or cp_model.CpSolver()  # given: another thread may stop it
    solver.parameters.max_time_in_seconds = time_limit
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = deterministic_time
    solver.parameters.catch_sigint_signal = False  # Ctrl-C belongs to the caller (run store, CLI)
    solver.parameters.num_workers = max(1, int(workers))
    solver.parameters.random_seed = int(seed)
    solver.parameters.log_search_progress = log
    # stronger disjunctive reasoning proves small job-shop optima several times faster and 15x15
    # ones in time more often (PROOF_FIRST_SHARE); on larger ones it slowed every propagation in
    # earlier rounds (a 20x20 job shop's first propagation took 9 of 10 s under a load of 12-24)
    # and through the scheduler on 20x15 and 20x20 it changed nothing measurable now; with optional
    # intervals (alternative stations) it slows presolve's probing (Brandimarte's mk02: 8 of 10 s,
    # no schedule found)
    solver.parameters.use_strong_propagation_in_disjunctive = strong_disjunctive
    if not probing:
        solver.parameters.cp_model_probing_level = 0
    if not routing_neighbourhoods:
        solver.parameters.ignore_subsolvers.extend(ROUTING_NEIGHBOURHOODS)
    for name, value in (parameters or {}).items():
        if isinstance(value, (list, tuple)):
            getattr(solver.parameters, name).extend(value)
        else:
            setattr(solver.parameters, name, value)
    with stop_on_interrupt(solver.stop_search):  # Ctrl-C stops the search now, not at its time limit
        return solver.Solve(model, callback), solver


def _search_flags(problem: SchedulingProblem, model: cp_model.CpModel) -> dict[str, bool]:
    """`_solve`'s strong disjunctive propagation (small problems without alternatives), presolve
    probing (models of at most PROBING_MAX_BOOLEANS Booleans) and the routing neighbourhoods
    (models that route vehicles, ROUTING_NEIGHBOURHOODS)."""
    return {"strong_disjunctive": not _large(problem) and not _flexible(problem),
            "probing": _probing_pays(model), "routing_neighbourhoods": vehicles.routed(problem)}


def _probing_pays(model: cp_model.CpModel) -> bool:
    """Whether the model has at most PROBING_MAX_BOOLEANS 0/1 variables, which presolve's
    probing tries one by one. Counting stops past the cap: reading every variable of the
    lights-out sample's model (105,815) took 0.6 s of its 10."""
    variables = model.proto.variables
    if len(variables) <= PROBING_MAX_BOOLEANS:
        return True
    booleans = 0
    for var in variables:
        if len(var.domain) == 2 and var.domain[0] == 0 and var.domain[1] == 1:
            booleans += 1
            if booleans > PROBING_MAX_BOOLEANS:
                return False
    return True


def _solution(problem: SchedulingProblem, v: _Vars,
              solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> dispatch_mod.ListSchedule:
    """{(job, operation): (station, lane, start)} read back from the solver, and the departures
    of the moves whose chosen stations make a fleet leg (the others leave as the operation ends)."""
    placed: dict[Key, tuple[str, int, int]] = {}
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            station = next(
                a.station for a in op.alternatives
                if v.presence[(j, k, a.station)] is True or solver.BooleanValue(v.presence[(j, k, a.station)])
            )
            lane = 0
            for ln in range(problem.capacities[station]):
                lit = v.lane.get((j, k, station, ln))
                if lit is not None and solver.BooleanValue(lit):
                    lane = ln
            placed[(j, k)] = (station, lane, solver.Value(v.start[(j, k)]))
    departures = {
        key: solver.Value(depart) for key, depart in v.departure.items()
        if problem.fleet_leg(_pick_up(problem, placed, *key[:2]), placed[key[:2]][0]) is not None
    }
    assigned: dict[Key, int] = {}
    for routes in v.routes.values():
        assigned.update(vehicles.route_vehicles(routes, lambda lit: lit is True or solver.BooleanValue(lit)))
    pools = {(j, k): pool_id for (j, k, station, pool_id), lit in v.crew.items()
             if placed[(j, k)][0] == station and (lit is True or solver.BooleanValue(lit))}
    return dispatch_mod.ListSchedule(_assign_lanes(problem, placed), departures,
                                     {key: n for key, n in assigned.items() if key in departures}, pools)


def _pick_up(problem: SchedulingProblem, placed: dict[Key, tuple[str, int, int]], j: int, k: int) -> str | None:
    """Where the lot of job j is before operation k: the previous station, else its origin."""
    return placed[(j, k - 1)][0] if k > 0 else problem.jobs[j].origin


# --- registry ---------------------------------------------------------------------------------

Solver = Callable[..., Schedule]

SOLVERS: dict[SolverName, Solver] = {
    SolverName.CPSAT: solve,
    SolverName.DISPATCH: dispatch_mod.solve,
}


def get_solver(name: str) -> Solver:
    """A solver by name: `solver(problem, *, time_limit, workers, seed, objective,
    deterministic_time=None) -> Schedule`."""
    return SOLVERS[SolverName.parse(name)]
