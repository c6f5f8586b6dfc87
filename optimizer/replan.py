"""Rescheduling from the shop floor's live state: a new schedule that keeps what already
happened, works around stations that are down, and moves what has not started only where it
must.

The live state is the schedule being carried out, the time `now` (seconds from its start)
and the outages (`station X is down from 10:42 for 30 minutes`). What happened is read from
the schedule: an operation that started before `now` and that no outage of its station
touched is kept as it ran (station, lane, start, end); one that an outage interrupted, or
that should have started while its station was down, is done again after the repair (the
conservative reading: interrupted work restarts), as is everything after it in its lot. The
rest is scheduled anew by CP-SAT (`optimizer.scheduler.solve`) on the same problem with
these pins: kept operations fixed where they ran, trips that left before `now` fixed to
their departure, destination and vehicle, nothing new before `now`, and each outage a fixed
block on every lane of its station.

AGVs are the plan's vehicles (`optimizer.vehicles`): each carries one lot and drives empty
from its last drop. A vehicle's trips that left before `now` stay its trips, in their order,
so at `now` it stands where the last of them took it (its home if none; an empty run towards
a trip not yet made is not counted as made), and its next trip starts from there. A lot in
transfer batches on a fleet leg makes one trip per batch (as in the plan): each batch's trip
that left is kept on its vehicle, the batches not yet carried leave from `now` on. When an
outage makes an operation start again after one of its batches (or, for an outage declared
back in time, its lot) had already left on a vehicle, that trip can be neither kept nor
forgotten (it put its vehicle somewhere), and re-planning refuses with a clear message. Where the
plan's CP-SAT model leaves the empty runs out (a fleet with many possible trips) and re-times
its answer, the re-timing keeps the past as it is too (`dispatch.follow` with `Frozen`).

Two objectives, one after the other: first the plan's own (makespan or weighted tardiness),
then, no worse on it, the least disturbance of the work not yet started (`shift`: how far
each operation moves from its planned start, and its duration again when it changes
station), so an outage on one station leaves the other stations' work where it was.

The result is checked by the independent checker (vehicles and empty runs included), and
against the pins and the outages here.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat.python import cp_model

from twin.errors import InputError, NoFeasibleSchedule

from optimizer import dispatch
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem, trip_key
from optimizer.schedule import Schedule, Transport, check_schedule, make_schedule
from optimizer.scheduler import solve

Key = tuple[int, int]  # (job index, operation index)
TripKey = tuple[int, ...]  # a trip: its move, plus the transfer batch from the second (`trip_key`)
DOWN_FAMILY = "station down"
SHIFT_SHARE = 0.5  # of the time limit for the first objective; the least disturbance gets the rest


@dataclass(frozen=True)
class Outage:
    """A station out of use from `start` to `end` (seconds from the schedule's start)."""

    station: str
    start: float
    end: float


@dataclass(frozen=True)
class Replan:
    """The new schedule of the whole problem and what happened to the old one: `kept`
    operations ran as planned, `interrupted` ones were cut by an outage and start again,
    `check` is what the independent checker and the outage check found (empty: sound)."""

    schedule: Schedule
    kept: tuple[Key, ...]
    interrupted: tuple[Key, ...]
    check: list[str]


def _ticks(seconds: float, tick: float, what: str) -> int:
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"{what}: must be a finite number of seconds >= 0, got {seconds!r}")
    return int(round(seconds / tick))


def _outage_ticks(problem: SchedulingProblem, outages: list[Outage]) -> list[tuple[str, int, int]]:
    out = []
    for i, outage in enumerate(outages):
        if outage.station not in problem.capacities:
            raise InputError(f"down[{i}].station: no station {outage.station!r}")
        start = _ticks(outage.start, problem.tick, f"down[{i}].start")
        end = _ticks(outage.end, problem.tick, f"down[{i}].end")
        if end <= start:
            raise InputError(f"down[{i}].end: must be after its start ({outage.start:g} s), got {outage.end:g}")
        out.append((outage.station, start, end))
    return out


def _split(problem: SchedulingProblem, current: Schedule, now: int,
           down: list[tuple[str, int, int]]) -> tuple[dict[Key, Any], list[Key]]:
    """The kept assignments by key, and the interrupted keys."""
    index = _operation_index(problem)
    by_key = {index[(a.job, a.operation)]: a for a in current.assignments}
    kept: dict[Key, Any] = {}
    interrupted: list[Key] = []
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            a = by_key[(j, k)]
            if a.start >= now:
                break  # not started: this and the rest of the lot are planned anew
            touched = any(s == a.station and start < max(a.end, a.start + 1) and a.start < end
                          for s, start, end in down)
            if touched:
                if a.start < now and any(s == a.station and a.start < start for s, start, _ in down):
                    interrupted.append((j, k))
                break
            kept[(j, k)] = a
    return kept, interrupted


@dataclass(frozen=True)
class _Past:
    """What the live state fixes: kept operations, the trips under way or done (by move, with
    their vehicle when the fleet has vehicles), and `now` in ticks."""

    kept: dict[Key, Any]
    interrupted: list[Key]
    trips: dict[TripKey, Transport]
    now: int


def reschedule(problem: SchedulingProblem, current: Schedule, now: float, outages: list[Outage], *,
               time_limit: float = 10.0, workers: int = 1, seed: int = 0, objective: str = "makespan",
               stable: bool = True) -> Replan:
    """A new schedule of `problem` from the live state; `stable` adds the second objective
    (least disturbance of work not yet started). Raises InputError when the schedule does not
    belong to the problem or an outage names no station, NoFeasibleSchedule when CP-SAT finds
    none in time."""
    errors = check_schedule(problem, current)
    if errors:
        raise InputError("schedule: it does not fit this layout: " + "; ".join(errors[:3]))
    now_ticks = _ticks(now, problem.tick, "now")
    down = _outage_ticks(problem, outages)
    kept, interrupted = _split(problem, current, now_ticks, down)
    past = _Past(kept, interrupted, _trips_made(problem, current, now_ticks, kept), now_ticks)
    _refuse_lost_vehicles(problem, current, past, now)

    n = len(problem.jobs)
    blockers = [Job(f"{DOWN_FAMILY}: {station} #{i}.{lane}", (Operation("down", (Alternative(station, end - start),)),),
                    family=DOWN_FAMILY, release=start, weight=0.0)
                for i, (station, start, end) in enumerate(down) for lane in range(problem.capacities[station])]
    # a zero-length job released at `now`: the scheduler's horizon then reaches past `now`
    clock = Job("now", (Operation("now", (Alternative(next(iter(problem.capacities)), 0),)),), release=now_ticks,
                weight=0.0)
    augmented = replace(problem, jobs=(*problem.jobs, *blockers, clock))
    pinned_blocks = [(n + b, start) for b, (_, start, _) in enumerate(
        (d for d in down for _ in range(problem.capacities[d[0]])))]
    planned = {(a.job, a.operation): a for a in current.assignments}
    frozen = dispatch.Frozen(operations=frozenset([*kept, *((j, 0) for j, _ in pinned_blocks)]),
                             trips={key: t.vehicle for key, t in past.trips.items() if t.vehicle is not None},
                             not_before=now_ticks)

    def retime(found: dispatch.ListSchedule) -> dispatch.ListSchedule:
        return dispatch.follow(augmented, found.placed, found.departures, found.pools, frozen)

    def pin(model: cp_model.CpModel, v: Any) -> None:
        _pin(model, v, problem, past)
        for j, start in pinned_blocks:
            model.Add(v.start[(j, 0)] == start)

    def pin_and_hint(model: cp_model.CpModel, v: Any) -> None:
        pin(model, v)
        _hint_plan(model, v, problem, past, planned)

    started = time.monotonic()
    # a capped changeover model keeps room for the plan's family runs (the past's among them)
    index = _operation_index(problem)
    reference = {index[(a.job, a.operation)]: (a.station, a.lane, a.start) for a in current.assignments}
    options = dict(workers=workers, seed=seed, objective=objective, hint=False, retime=retime, reference=reference)
    try:
        first = solve(augmented, time_limit=time_limit * (SHIFT_SHARE if stable else 1.0), constrain=pin_and_hint,
                      **options)
    except NoFeasibleSchedule:
        if not stable:
            raise
        stable = False  # none found in its share (a busy machine): the whole time goes to the first objective
        first = solve(augmented, time_limit=max(0.5, time_limit - (time.monotonic() - started)),
                      constrain=pin_and_hint, **options)
    solved = first
    if stable:
        def least_shift(model: cp_model.CpModel, v: Any) -> None:
            pin(model, v)
            _no_worse(model, v, augmented, first)
            model.Minimize(_shift(model, v, problem, past, planned))
            model.proto.search_strategy.clear()  # earliest-first branching would pull work forward
            _hint_schedule(model, v, augmented, first)

        rest = max(0.5, time_limit - (time.monotonic() - started))
        try:
            calm = solve(augmented, time_limit=rest, constrain=least_shift, **options)
        except NoFeasibleSchedule:  # no time left to find one: the first answer stands
            calm = first
        if calm.objective_value <= first.objective_value:
            solved = replace(calm, status=first.status if calm.objective_value == first.objective_value else "feasible",
                             lower_bound=first.lower_bound)
    schedule = _original_part(problem, solved, past)
    check = check_schedule(problem, schedule) + outage_problems(schedule, down, problem.tick)
    check += [f"{a.job}/{a.operation}: moved although it had started before now"
              for key, a in kept.items() if _moved(schedule, a)]
    kept_ids = {(a.job, a.operation) for a in kept.values()}
    check += [f"{a.job}/{a.operation}: starts at {a.start * problem.tick:g} s, before now"
              for a in schedule.assignments if a.start < now_ticks and (a.job, a.operation) not in kept_ids]
    check += _trip_problems(problem, schedule, past)
    return Replan(schedule, tuple(sorted(kept)), tuple(interrupted), check)


def _trips_made(problem: SchedulingProblem, current: Schedule, now: int,
                kept: dict[Key, Any]) -> dict[TripKey, Transport]:
    """The trips that left before `now`, by their trip key (the move, and the transfer batch
    for a lot in transfer batches on a fleet leg: one trip per batch): those into a kept
    operation, and those whose lot (batch) had really left (from a kept operation, or from
    its origin)."""
    where = {(a.job, a.operation): a.station for a in current.assignments}
    out: dict[TripKey, Transport] = {}
    by_job = {job.id: j for j, job in enumerate(problem.jobs)}
    for t in current.transports:
        if t.start >= now:
            continue
        j = by_job[t.job]
        job = problem.jobs[j]
        for k, op in enumerate(job.operations):
            before = where[(job.id, job.operations[k - 1].id)] if k > 0 else job.origin
            key = trip_key(j, k, t.batch)
            if (before, where[(job.id, op.id)]) == (t.from_station, t.to_station) and key not in out:
                if (j, k) in kept or k == 0 or (j, k - 1) in kept:
                    out[key] = t
                break
    return out


def _refuse_lost_vehicles(problem: SchedulingProblem, current: Schedule, past: _Past, now: float) -> None:
    """A vehicle's trip that left before `now` from an operation that is done again (an outage
    cut it after a transfer batch had left, or an outage declared back in time) cannot stay
    in the new schedule (its batch would leave before it is done), yet it took the vehicle
    somewhere; the model knows a vehicle's place at `now` only from its trips kept, so it
    would plan that vehicle from the wrong place: refused."""
    made = set(past.trips.values())
    for t in current.transports:
        if t.start < past.now and t.vehicle is not None and problem.has_vehicles(t.mover) and t not in made:
            batch = f" (transfer batch {t.batch})" if problem.fleet_leg(t.from_station, t.to_station) and t.batch else ""
            raise InputError(
                f"now {now:g} s: lot {t.job}'s trip {t.from_station}->{t.to_station}{batch} left at "
                f"{t.start * problem.tick:g} s on vehicle {t.vehicle}, but an outage makes the operation it left from "
                "start again; re-planning cannot keep the vehicle where that trip took it, schedule the layout again "
                "instead")


def _pin(model: cp_model.CpModel, v: Any, problem: SchedulingProblem, past: _Past) -> None:
    """Kept operations where they ran, trips made where they went (on their vehicles), nothing
    new before now."""
    for key, depart in v.departure.items():  # one per trip: per move, or per transfer batch
        trip = past.trips.get(key)
        if trip is None:  # a trip not yet made leaves from now on
            model.Add(depart >= past.now)
        else:
            model.Add(depart == trip.start)
    for (j, k), station in {key[:2]: trip.to_station for key, trip in past.trips.items()}.items():
        _choose(model, v, j, k, station)  # once per move, however many batch trips it made
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            a = past.kept.get((j, k))
            if a is None:
                model.Add(v.start[(j, k)] >= past.now)
                continue
            _choose(model, v, j, k, a.station)
            model.Add(v.start[(j, k)] == a.start)
            lane = v.lane.get((j, k, a.station, a.lane))
            if lane is not None:
                model.Add(lane == 1)
            crew = v.crew.get((j, k, a.station, a.pool))
            if crew is not None and crew is not True:  # its operator stays its operator
                model.Add(crew == 1)
    for routes in v.routes.values():  # each vehicle's trips made stay its trips, in their order
        node = {move.key: i + 1 for i, move in enumerate(routes.moves)}
        chains: dict[int, list[tuple[int, int]]] = {}
        for key, t in past.trips.items():
            if key in node and t.vehicle is not None:
                chains.setdefault(t.vehicle, []).append((t.start, node[key]))
        for chain in chains.values():
            path = [0] + [n for _, n in sorted(chain)]
            for pair in zip(path, path[1:]):
                model.Add(routes.arcs[pair] == 1)


def _shift(model: cp_model.CpModel, v: Any, problem: SchedulingProblem, past: _Past, planned: dict) -> Any:
    """How much the work not yet started moves: ticks from its planned start, plus its planned
    duration when it changes station."""
    terms = []
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            if (j, k) in past.kept:
                continue
            old = planned[(job.id, op.id)]
            moved = model.NewIntVar(0, v.horizon, f"shift_{j}_{k}")
            model.add_abs_equality(moved, v.start[(j, k)] - old.start)
            terms.append(moved)
            present = v.presence.get((j, k, old.station))
            if present is not None and present is not True:
                terms.append((old.end - old.start) * (1 - present))
    return sum(terms)


def _no_worse(model: cp_model.CpModel, v: Any, problem: SchedulingProblem, first: Schedule) -> None:
    """The first objective no worse than the first answer's (both in ticks)."""
    ends: dict[str, int] = {}
    for a in first.assignments:
        ends[a.job] = max(ends.get(a.job, 0), a.end)
    if v.makespan is not None:
        model.Add(v.makespan <= first.makespan)
        return
    bound = sum(v.weights[j] * max(0, ends[problem.jobs[j].id] - problem.jobs[j].due) for j in v.tardiness)
    model.Add(sum(v.weights[j] * t for j, t in v.tardiness.items()) <= bound)


def _hint_schedule(model: cp_model.CpModel, v: Any, problem: SchedulingProblem, schedule: Schedule) -> None:
    """A known answer (the first objective's) as the second search's starting point."""
    index = _operation_index(problem)
    choices = _station_choices(v)
    model.clear_hints()
    for a in schedule.assignments:
        key = index[(a.job, a.operation)]
        _hint(model, v, choices, key, a.start, a.station)


def _hint_plan(model: cp_model.CpModel, v: Any, problem: SchedulingProblem, past: _Past, planned: dict) -> None:
    """The old plan of the work not yet started, no earlier than now, as CP-SAT's starting
    point (a hint, not a rule)."""
    choices = _station_choices(v)
    for j, job in enumerate(problem.jobs):
        for k, op in enumerate(job.operations):
            if (j, k) not in past.kept:
                old = planned[(job.id, op.id)]
                _hint(model, v, choices, (j, k), max(old.start, past.now), old.station)


def _hint(model: cp_model.CpModel, v: Any, choices: dict[Key, list[tuple[str, Any]]], key: Key, start: int,
          station: str) -> None:
    model.AddHint(v.start[key], start)
    for option, present in choices.get(key, ()):
        model.AddHint(present, option == station)


def _station_choices(v: Any) -> dict[Key, list[tuple[str, Any]]]:
    """Each operation's station literals (fixed choices left out), built once per model: a
    scan of every literal per operation made the hints quadratic in the operations."""
    choices: dict[Key, list[tuple[str, Any]]] = {}
    for (j, k, station), present in v.presence.items():
        if present is not True:
            choices.setdefault((j, k), []).append((station, present))
    return choices


def _operation_index(problem: SchedulingProblem) -> dict[tuple[str, str], Key]:
    """(job id, operation id) -> (job index, operation index)."""
    return {(job.id, op.id): (j, k) for j, job in enumerate(problem.jobs) for k, op in enumerate(job.operations)}


def _trip_problems(problem: SchedulingProblem, schedule: Schedule, past: _Past) -> list[str]:
    """Trips made that the new schedule changed (departure, destination or vehicle)."""
    made = {(t.job, t.from_station, t.to_station, t.batch, t.start, t.vehicle) for t in schedule.transports}
    return [f"{t.job} {t.from_station}->{t.to_station}{f' (transfer batch {t.batch})' if t.batch else ''}: the trip "
            f"that left at {t.start * problem.tick:g} s on vehicle {t.vehicle} is not in the new schedule as it was made"
            for t in past.trips.values() if (t.job, t.from_station, t.to_station, t.batch, t.start, t.vehicle) not in made]


def _choose(model: cp_model.CpModel, v: Any, j: int, k: int, station: str) -> None:
    present = v.presence[(j, k, station)]
    if present is not True:
        model.Add(present == 1)


def _moved(schedule: Schedule, old: Any) -> bool:
    new = next(a for a in schedule.assignments if a.job == old.job and a.operation == old.operation)
    return (new.station, new.lane, new.start, new.end) != (old.station, old.lane, old.start, old.end)


def _original_part(problem: SchedulingProblem, solved: Schedule, past: _Past) -> Schedule:
    """The solved schedule without the outage blocks and the clock, on the original problem;
    kept operations keep their lanes (lanes of a station are alike, so a new operation takes
    its solved lane when free, else whichever is) and operators, trips made their vehicles."""
    index = _operation_index(problem)
    placed = {index[(a.job, a.operation)]: a for a in solved.assignments if (a.job, a.operation) in index}
    busy: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for key, a in past.kept.items():
        busy.setdefault((a.station, a.lane), []).append((a.start, a.end))
    lanes: dict[Key, tuple[str, int, int]] = {key: (a.station, a.lane, a.start) for key, a in past.kept.items()}
    pools = {key: a.pool for key, a in placed.items() if a.pool}
    pools.update({key: a.pool for key, a in past.kept.items() if a.pool})
    for key in sorted((k for k in placed if k not in past.kept), key=lambda k: placed[k].start):
        a = placed[key]
        free = [ln for ln in range(problem.capacities[a.station])
                if all(e <= a.start or a.end <= s for s, e in busy.get((a.station, ln), []))]
        lane = a.lane if a.lane in free or not free else free[0]
        busy.setdefault((a.station, lane), []).append((a.start, a.end))
        lanes[key] = (a.station, lane, a.start)
    by_job = {job.id: j for j, job in enumerate(problem.jobs)}
    departures: dict[TripKey, int] = {}
    carried: dict[TripKey, int] = {}
    for t in solved.transports:
        if t.job not in by_job:
            continue
        j = by_job[t.job]
        job = problem.jobs[j]
        k = next(k for k in range(len(job.operations)) if lanes[(j, k)][0] == t.to_station
                 and (lanes[(j, k - 1)][0] if k > 0 else job.origin) == t.from_station
                 and trip_key(j, k, t.batch) not in departures)
        departures[trip_key(j, k, t.batch)] = t.start
        if t.vehicle is not None:
            carried[trip_key(j, k, t.batch)] = t.vehicle
    return make_schedule(problem, lanes, status=solved.status, lower_bound=solved.lower_bound,
                         objective=solved.objective, solver="cpsat", departures=departures,
                         vehicles=_same_vehicles(carried, past), pools=pools)


def _same_vehicles(carried: dict[TripKey, int], past: _Past) -> dict[TripKey, int]:
    """The solver's vehicle numbers renamed so that each trip made keeps its vehicle (a
    solver's vehicle that carries a trip made is that trip's vehicle; the others take the
    numbers left, in order)."""
    rename = {carried[key]: t.vehicle for key, t in past.trips.items() if key in carried and t.vehicle is not None}
    spare = iter(sorted(set(range(max([*carried.values(), *rename.values(), -1]) + 1)) - set(rename.values())))
    for number in sorted(set(carried.values()) - set(rename)):
        rename[number] = next(spare)
    return {key: rename[number] for key, number in carried.items()}


def outage_problems(schedule: Schedule, down: list[tuple[str, int, int]], tick: float) -> list[str]:
    """Operations that overlap an outage of their station (the checker knows no outages)."""
    return [f"{a.job}/{a.operation} runs on {a.station} from {a.start * tick:g} s to {a.end * tick:g} s, while it is "
            f"down from {start * tick:g} s to {end * tick:g} s"
            for a in schedule.assignments for station, start, end in down
            if a.station == station and a.start < end and start < a.end]
