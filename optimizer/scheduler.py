"""The CP-SAT scheduler: a flexible job shop with transport gaps, lanes and changeovers.

The model is built in named steps (`_variables`, `_constraints`, `_objective`, `_hint`,
`_solve`, `_solution`); only integers reach CP-SAT. One file of about 550 lines because the
steps share one variable record (`_Vars`) and read best top to bottom, as one model.

- Each operation has a start and an end. An operation with one alternative gets one fixed-size
  interval; with several, one optional interval per station sharing the start, a presence
  literal each, exactly one present.
- Consecutive operations of a job: `start >= end + transport`, the transport depending on the
  pair of stations chosen (no gap on the same station).
- Limited fleets (the AGVs): a move that may take a fleet leg gets a departure
  `d >= end(previous)`, and each fleet leg it may take an optional interval `[d, d + ticks)`,
  present when both its stations are chosen, with `start >= d + ticks`; a Cumulative per
  mover keeps the trips under way within the fleet (so a lot may wait for a free vehicle).
- Stations: capacity 1 -> NoOverlap; capacity c > 1 without changeovers -> Cumulative (lanes are
  assigned afterwards by interval colouring, always possible since at most c overlap); a
  station with changeovers gets explicit lanes, each with NoOverlap and a successor circuit
  (AddCircuit) whose arcs force `start_next >= end_prev + changeover(prev family, next family)`.
  Zero-length operations occupy no lane.
- Redundant: a Cumulative over each set of interchangeable stations (energy across
  alternatives), which lifts the lower bound on flexible problems.
- Objectives: makespan, or weighted tardiness (weights scaled to integers).
- Search: branch on the earliest start first (plus CP-SAT's portfolio); strong disjunctive
  propagation.
- Warm start: the best dispatching-rule schedule (fleet-aware too) gives the hint and, for
  makespan, the horizon.
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from ortools.sat.python import cp_model

from twin.errors import NoFeasibleSchedule

from optimizer import dispatch as dispatch_mod
from optimizer.names import SolverName
from optimizer.problem import SchedulingProblem
from optimizer.schedule import Schedule, make_schedule, validate_objective

Key = tuple[int, int]  # (job index, operation index)
WARM_START_SHARE = 0.5  # of a wall-clock time limit that the dispatching-rule warm start may use


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
    arcs: dict[tuple[str, int], dict[tuple[int, int], cp_model.IntVar]] = field(default_factory=dict)
    arc_nodes: dict[tuple[str, int], list[Key]] = field(default_factory=dict)
    departure: dict[Key, cp_model.IntVar] = field(default_factory=dict)  # moves that may take a fleet leg
    trip: dict[tuple[int, int, str, str], cp_model.IntVar] = field(default_factory=dict)  # both stations open
    makespan: cp_model.IntVar | None = None
    tardiness: dict[int, cp_model.IntVar] = field(default_factory=dict)
    weights: dict[int, int] = field(default_factory=dict)
    weight_scale: float = 1.0
    stop_at: float | None = None  # a time.monotonic() value by which the model must be built


class _OutOfTime(Exception):
    """Building the model would overrun the wall-clock limit (the quadratic lane circuits of a
    large problem take minutes), so the warm start stands as the answer."""


def _check_clock(v: _Vars) -> None:
    if v.stop_at is not None and time.monotonic() > v.stop_at:
        raise _OutOfTime


def _safe_horizon(problem: SchedulingProblem) -> int:
    """An upper bound on the end of some optimal semi-active schedule, whatever the objective."""
    total = max((job.release for job in problem.jobs), default=0)
    max_transport = max((leg.ticks for leg in problem.transport.values()), default=0)
    for job in problem.jobs:
        for op in job.operations:
            total += max(a.duration for a in op.alternatives)
            total += max(
                (max(table.values(), default=0) for s, table in problem.changeovers.items()
                 if any(a.station == s for a in op.alternatives)),
                default=0,
            )
        total += max_transport * max(0, len(job.operations) - 1)
    return total


def _explicit_lanes(problem: SchedulingProblem, station: str) -> bool:
    return problem.has_changeovers(station)


# --- step 1: variables ---------------------------------------------------------------------


def _variables(model: cp_model.CpModel, problem: SchedulingProblem, horizon: int) -> _Vars:
    v = _Vars(horizon=horizon)
    for j, job in enumerate(problem.jobs):
        earliest = job.release
        prev_stations: list[str] | None = None
        for k, op in enumerate(job.operations):
            if prev_stations is not None:
                earliest += min(
                    problem.transport_ticks(a, b.station) for a in prev_stations for b in op.alternatives
                )
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
            earliest += shortest
            prev_stations = [a.station for a in op.alternatives]
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
        for k in range(1, len(job.operations)):
            before, after = job.operations[k - 1], job.operations[k]
            gaps = {
                (a.station, b.station): problem.transport_ticks(a.station, b.station)
                for a in before.alternatives for b in after.alternatives
            }
            base = min(gaps.values())
            model.Add(v.start[(j, k)] >= v.end[(j, k - 1)] + base)
            for (sa, sb), gap in gaps.items():
                if gap <= base:
                    continue
                enforce = [lit for lit in (v.presence[(j, k - 1, sa)], v.presence[(j, k, sb)]) if lit is not True]
                ct = model.Add(v.start[(j, k)] >= v.end[(j, k - 1)] + gap)
                if enforce:
                    ct.OnlyEnforceIf(enforce)
        last = len(job.operations) - 1
        model.Add(v.end[(j, last)] <= v.horizon)

    _fleet_trips(model, problem, v)
    _pooled_capacity(model, problem, v)
    # stations
    for station, capacity in problem.capacities.items():
        _check_clock(v)
        members: list[tuple[Key, int]] = []
        for j, job in enumerate(problem.jobs):
            for k, op in enumerate(job.operations):
                duration = op.duration_on(station)
                if duration is not None and duration > 0:
                    members.append(((j, k), duration))
        if not members:
            continue
        intervals = [v.interval[(j, k, station)] for (j, k), _ in members]
        if capacity == 1:
            model.AddNoOverlap(intervals)
        else:
            model.AddCumulative(intervals, [1] * len(intervals), capacity)
        if not _explicit_lanes(problem, station):
            continue
        for lane in range(capacity):
            if capacity == 1:
                lane_lit = {key: v.presence[(key[0], key[1], station)] for key, _ in members}
            else:
                lane_lit = {key: v.lane[(key[0], key[1], station, lane)] for key, _ in members}
                model.AddNoOverlap(v.lane_interval[(key[0], key[1], station, lane)] for key, _ in members)
            _lane_circuit(model, problem, v, station, lane, [key for key, _ in members], lane_lit)


def _fleet_trips(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> None:
    """Trips that hold a vehicle of a limited fleet. A move that may take a fleet leg gets one
    departure (after the previous operation ends), and each fleet leg it may take an interval
    from it, present when both stations are chosen, that the next operation starts after; one
    Cumulative per mover, unless its possible moves cannot outnumber its vehicles."""
    trips: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    moves: dict[str, set[Key]] = defaultdict(set)
    for j, job in enumerate(problem.jobs):
        for k in range(1, len(job.operations)):
            legs = [
                (a.station, b.station, leg)
                for a in job.operations[k - 1].alternatives for b in job.operations[k].alternatives
                if (leg := problem.fleet_leg(a.station, b.station)) is not None
            ]
            if not legs:
                continue
            depart = model.NewIntVar(0, v.horizon, f"dep_{j}_{k}")
            model.Add(depart >= v.end[(j, k - 1)])
            v.departure[(j, k)] = depart
            for sa, sb, leg in legs:
                name = f"trip_{j}_{k}_{sa}_{sb}"
                here, there = v.presence[(j, k - 1, sa)], v.presence[(j, k, sb)]
                if here is True or there is True:  # a fixed station: the trip is as present as the other
                    present = there if here is True else here
                else:  # present exactly when both stations are chosen
                    present = model.NewBoolVar(name)
                    model.AddImplication(present, here)
                    model.AddImplication(present, there)
                    model.AddBoolOr([here.Not(), there.Not(), present])
                    v.trip[(j, k, sa, sb)] = present
                arrives = model.Add(v.start[(j, k)] >= depart + leg.ticks)
                if present is True:
                    trips[leg.mover].append(model.NewFixedSizeIntervalVar(depart, leg.ticks, name))
                else:
                    arrives.OnlyEnforceIf(present)
                    trips[leg.mover].append(model.NewOptionalFixedSizeIntervalVar(depart, leg.ticks, present, name))
                moves[leg.mover].add((j, k))
    for mover, intervals in trips.items():
        if len(moves[mover]) > problem.fleets[mover]:
            model.AddCumulative(intervals, [1] * len(intervals), problem.fleets[mover])


def _pooled_capacity(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars) -> None:
    """Redundant: for each set of interchangeable stations G (the alternatives of a flexible
    operation), every operation that must run somewhere in G occupies one of G's lanes, so at
    most sum(capacity) of them run at once. Gives CP-SAT energy reasoning across alternatives."""
    groups = {
        frozenset(a.station for a in op.alternatives)
        for job in problem.jobs for op in job.operations if len(op.alternatives) > 1
    }
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


def _lane_circuit(model, problem: SchedulingProblem, v: _Vars, station: str, lane: int, keys: list[Key],
                  lane_lit: dict) -> None:
    """Successor model of one lane: node 0 is the lane's start/end, node i+1 is keys[i]."""
    def lit_of(x):
        return model.NewConstant(1) if x is True else x

    arcs: list[tuple[int, int, object]] = []
    arc_vars: dict[tuple[int, int], cp_model.IntVar] = {}
    empty = model.NewBoolVar(f"empty_{station}_{lane}")
    arcs.append((0, 0, empty))
    arc_vars[(0, 0)] = empty
    for i, key in enumerate(keys):
        present = lit_of(lane_lit[key])
        arcs.append((i + 1, i + 1, present.Not()))
        model.AddImplication(present, empty.Not())
        for node_from, node_to, name in ((0, i + 1, "first"), (i + 1, 0, "last")):
            lit = model.NewBoolVar(f"{name}_{station}_{lane}_{key}")
            arcs.append((node_from, node_to, lit))
            arc_vars[(node_from, node_to)] = lit
    jobs = problem.jobs
    for i, a in enumerate(keys):
        _check_clock(v)
        for b_index, b in enumerate(keys):
            if a == b or (a[0] == b[0] and a[1] > b[1]):  # a job's later operation never precedes an earlier one
                continue
            lit = model.NewBoolVar(f"arc_{station}_{lane}_{a}_{b}")
            setup = problem.changeover_ticks(station, jobs[a[0]].family, jobs[b[0]].family)
            model.Add(v.start[b] >= v.end[a] + setup).OnlyEnforceIf(lit)
            arcs.append((i + 1, b_index + 1, lit))
            arc_vars[(i + 1, b_index + 1)] = lit
    model.AddCircuit(arcs)
    v.arcs[(station, lane)] = arc_vars
    v.arc_nodes[(station, lane)] = keys


# --- step 3: objective ---------------------------------------------------------------------


def _objective(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars, objective: str) -> None:
    lasts = [(j, v.end[(j, len(job.operations) - 1)]) for j, job in enumerate(problem.jobs)]
    # search: branch on the earliest start first, at its smallest value (a schedule-generation
    # scheme); on plain job shops it finds near-optimal schedules more reliably than the
    # default branching, at no cost to the proofs (benchmarks/jssp_bench.py)
    model.AddDecisionStrategy(
        [v.start[key] for key in sorted(v.start)], cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE
    )
    if objective == "makespan":
        lower = dispatch_mod.simple_lower_bound(problem)
        v.makespan = model.NewIntVar(min(lower, v.horizon), v.horizon, "makespan")
        for _, end in lasts:
            model.Add(v.makespan >= end)
        model.Minimize(v.makespan)
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


# --- warm start -----------------------------------------------------------------------------


def _hint(model: cp_model.CpModel, problem: SchedulingProblem, v: _Vars, warm: dispatch_mod.ListSchedule) -> None:
    """Hint every decision of a dispatching schedule: starts, stations, lanes, lane arcs,
    departures (a move off a fleet leg leaves as the previous operation ends)."""
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
    for (station, lane), arc_vars in v.arcs.items():
        _check_clock(v)
        keys = v.arc_nodes[(station, lane)]
        node = {key: i + 1 for i, key in enumerate(keys)}
        on_lane = sorted(
            (placed[key][2], node[key]) for key in keys
            if placed[key][0] == station and placed[key][1] == lane
        )
        chosen = set()
        sequence = [n for _, n in on_lane]
        if not sequence:
            chosen.add((0, 0))
        else:
            path = [0] + sequence + [0]
            chosen.update(zip(path, path[1:]))
        for pair, lit in arc_vars.items():
            model.AddHint(lit, pair in chosen)
    for (j, k), depart in v.departure.items():
        station, _, start = placed[(j, k - 1)]
        ready = start + problem.jobs[j].operations[k - 1].duration_on(station)
        model.AddHint(depart, warm.departures.get((j, k), ready))
    for (j, k, sa, sb), lit in v.trip.items():
        model.AddHint(lit, placed[(j, k - 1)][0] == sa and placed[(j, k)][0] == sb)
    ends = dispatch_mod.job_ends(problem, placed)
    if v.makespan is not None:
        model.AddHint(v.makespan, max(ends.values(), default=0))
    for j, t in v.tardiness.items():
        model.AddHint(t, max(0, ends[j] - problem.jobs[j].due))


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
) -> Schedule:
    """The best schedule CP-SAT finds within `time_limit` seconds.

    Warm start, by `hint`: True gives CP-SAT the best dispatching-rule schedule as a hint and
    (makespan objective) its makespan as the horizon; "horizon" uses only the horizon; False
    neither; None (default) is True for problems with alternatives or changeovers and
    "horizon" otherwise: on plain job shops CP-SAT's own first solutions are good and the hint
    slowed its proofs in our runs. `parameters` sets extra CP-SAT parameters by name.
    `deterministic_time` caps the search in CP-SAT's deterministic time units, which do not
    depend on the machine's load: with it, a fixed seed and `workers=1`, the result is the
    same on every run as long as the wall-clock `time_limit` is not reached first. Raises NoFeasibleSchedule when the problem is infeasible or no schedule is known
    when the time runs out.
    """
    validate_objective(objective)
    started = time.monotonic()
    warm = None
    if hint is None:
        flexible = any(len(op.alternatives) > 1 for job in problem.jobs for op in job.operations)
        hint = True if flexible or any(problem.has_changeovers(s) for s in problem.capacities) else "horizon"
    if hint:
        # Under a wall-clock budget the warm start may use at most half of it (one rule always
        # runs); under a deterministic budget every rule runs, so the result stays repeatable.
        # The first rule must finish within the whole wall-clock limit, which is a hard bound.
        wall = deterministic_time is None
        deadline = started + WARM_START_SHARE * time_limit if wall else None
        warm = dispatch_mod.best_placement(problem, objective=objective, seed=seed, deadline=deadline,
                                           stop_at=started + time_limit if wall else None)
    horizon = _safe_horizon(problem)
    warm_makespan = None
    if warm is not None:
        warm_makespan = max(dispatch_mod.job_ends(problem, warm.placed).values(), default=0)
        if objective == "makespan":
            horizon = min(horizon, warm_makespan)
    if problem.horizon is not None:
        horizon = min(horizon, problem.horizon)
        if warm_makespan is not None and warm_makespan > problem.horizon:
            warm = None

    if warm is not None and deterministic_time is None and time.monotonic() - started >= time_limit:
        return _warm_schedule(problem, warm, objective)  # the warm start took the whole wall-clock budget

    model = cp_model.CpModel()
    v = _variables(model, problem, horizon)
    v.stop_at = started + time_limit if deterministic_time is None else None
    try:
        _constraints(model, problem, v)
        _objective(model, problem, v, objective)
        if warm is not None and hint != "horizon":
            _hint(model, problem, v, warm)
        _check_clock(v)
    except _OutOfTime:
        if warm is None:
            raise NoFeasibleSchedule(f"the time limit of {time_limit:g} s ran out while the CP-SAT model was being "
                                     "built; give a longer time limit") from None
        return _warm_schedule(problem, warm, objective)  # building the model took the rest of the budget

    status, solver = _solve(
        model, time_limit=max(0.01, time_limit - (time.monotonic() - started)), workers=workers, seed=seed,
        log=log, parameters=parameters, deterministic_time=deterministic_time,
    )
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = solver.BestObjectiveBound()
        if objective == "weighted_tardiness":
            bound = bound / v.weight_scale
        found = _solution(problem, v, solver)
        return make_schedule(
            problem, found.placed, status="optimal" if status == cp_model.OPTIMAL else "feasible",
            lower_bound=max(0.0, bound), objective=objective, solver="cpsat", departures=found.departures,
        )
    if status == cp_model.INFEASIBLE:
        where = f" within the horizon of {problem.horizon} ticks" if problem.horizon is not None else ""
        raise NoFeasibleSchedule(f"no schedule satisfies the problem{where} (proven by CP-SAT)")
    if status == cp_model.MODEL_INVALID:  # a bug in this module, not in the input
        raise RuntimeError(f"invalid CP-SAT model: {model.Validate()}")
    if warm is not None:  # time ran out before CP-SAT reported anything; the warm start stands
        return _warm_schedule(problem, warm, objective)
    raise NoFeasibleSchedule(f"no schedule found within the time limit of {time_limit:g} s")


def _warm_schedule(problem: SchedulingProblem, warm: dispatch_mod.ListSchedule, objective: str) -> Schedule:
    """The dispatching-rule warm start as the answer, labelled `dispatch`."""
    return make_schedule(
        problem, _assign_lanes(problem, warm.placed), status="feasible",
        lower_bound=dispatch_mod.simple_lower_bound(problem) if objective == "makespan" else 0,
        objective=objective, solver="dispatch", departures=warm.departures,
    )


def _solve(
    model: cp_model.CpModel, *, time_limit: float, workers: int, seed: int, log: bool, parameters: dict | None,
    deterministic_time: float | None = None,
) -> tuple[int, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = deterministic_time
    solver.parameters.catch_sigint_signal = False  # Ctrl-C belongs to the caller (run store, CLI)
    solver.parameters.num_workers = max(1, int(workers))
    solver.parameters.random_seed = int(seed)
    solver.parameters.log_search_progress = log
    # stronger disjunctive reasoning: on classic job shops it proves optima several times faster
    solver.parameters.use_strong_propagation_in_disjunctive = True
    for name, value in (parameters or {}).items():
        if isinstance(value, (list, tuple)):
            getattr(solver.parameters, name).extend(value)
        else:
            setattr(solver.parameters, name, value)
    return solver.Solve(model), solver


def _solution(problem: SchedulingProblem, v: _Vars, solver: cp_model.CpSolver) -> dispatch_mod.ListSchedule:
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
        (j, k): solver.Value(depart) for (j, k), depart in v.departure.items()
        if problem.fleet_leg(placed[(j, k - 1)][0], placed[(j, k)][0]) is not None
    }
    return dispatch_mod.ListSchedule(_assign_lanes(problem, placed), departures)


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
