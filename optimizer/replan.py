"""Rescheduling from the shop floor's live state: a new schedule that keeps what already
happened and works around stations that are down.

The live state is the schedule being carried out, the time `now` (seconds from its start)
and the outages (`station X is down from 10:42 for 30 minutes`). What happened is read from
the schedule: an operation that started before `now` and that no outage of its station
touched is kept as it ran (station, lane, start, end); one that an outage interrupted, or
that should have started while its station was down, is done again after the repair (the
conservative reading: interrupted work restarts), as is everything after it in its lot. The
rest is scheduled anew by CP-SAT (`optimizer.scheduler.solve`) on the same problem with
these pins: kept operations fixed where they ran, trips that left before `now` fixed to
their departure and destination, nothing new before `now`, and each outage a fixed block on
every lane of its station. The result is checked by the independent checker, and against the
pins and the outages here.

AGVs count as a fleet capacity in a re-plan (at most `fleet_size` trips under way, no empty
runs between trips): the scheduler re-times a plan with empty runs by list scheduling, which
would move pinned work, so a re-plan keeps to the capacity model, on which it is checked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat.python import cp_model

from twin.errors import InputError

from optimizer.problem import Alternative, Job, Operation, SchedulingProblem
from optimizer.schedule import Schedule, check_schedule, make_schedule
from optimizer.scheduler import solve

Key = tuple[int, int]  # (job index, operation index)
DOWN_FAMILY = "station down"


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
    index = {(job.id, op.id): (j, k) for j, job in enumerate(problem.jobs) for k, op in enumerate(job.operations)}
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


def reschedule(problem: SchedulingProblem, current: Schedule, now: float, outages: list[Outage], *,
               time_limit: float = 10.0, workers: int = 1, seed: int = 0, objective: str = "makespan") -> Replan:
    """A new schedule of `problem` (its fleets as capacities) from the live state; raises
    InputError when the schedule does not belong to the problem or an outage names no station, NoFeasibleSchedule when
    CP-SAT finds none in time."""
    problem = replace(problem, homes={}, empty_runs={})  # the fleet as a capacity (see the top)
    errors = check_schedule(problem, current)
    if errors:
        raise InputError("schedule: it does not fit this layout: " + "; ".join(errors[:3]))
    now_ticks = _ticks(now, problem.tick, "now")
    down = _outage_ticks(problem, outages)
    kept, interrupted = _split(problem, current, now_ticks, down)
    departures = {(t.job, t.to_station): t for t in current.transports if t.start < now_ticks}

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

    def pin(model: cp_model.CpModel, v: Any) -> None:
        for j, job in enumerate(problem.jobs):
            for k, op in enumerate(job.operations):
                a = kept.get((j, k))
                if a is None:
                    model.Add(v.start[(j, k)] >= now_ticks)
                    _hint_planned(model, v, j, k, planned[(job.id, op.id)], now_ticks)
                    trip = departures.get((job.id, _planned_station(current, job.id, op.id)))
                    if trip is not None and k > 0 and (j, k - 1) in kept:  # the lot is on its way
                        _choose(model, v, j, k, trip.to_station)
                        if (j, k) in v.departure:
                            model.Add(v.departure[(j, k)] == trip.start)
                    elif (j, k) in v.departure:  # a trip not yet made leaves from now on
                        model.Add(v.departure[(j, k)] >= now_ticks)
                    continue
                _choose(model, v, j, k, a.station)
                model.Add(v.start[(j, k)] == a.start)
                lane = v.lane.get((j, k, a.station, a.lane))
                if lane is not None:
                    model.Add(lane == 1)
                if (j, k) in v.departure and (job.id, a.station) in departures:
                    model.Add(v.departure[(j, k)] == departures[(job.id, a.station)].start)
        for j, start in pinned_blocks:
            model.Add(v.start[(j, 0)] == start)

    solved = solve(augmented, time_limit=time_limit, workers=workers, seed=seed, objective=objective, hint=False,
                   constrain=pin)
    schedule = _original_part(problem, solved, kept)
    check = check_schedule(problem, schedule) + outage_problems(schedule, down, problem.tick)
    check += [f"{a.job}/{a.operation}: moved although it had started before now"
              for key, a in kept.items() if _moved(schedule, a)]
    kept_ids = {(a.job, a.operation) for a in kept.values()}
    check += [f"{a.job}/{a.operation}: starts at {a.start * problem.tick:g} s, before now"
              for a in schedule.assignments if a.start < now_ticks and (a.job, a.operation) not in kept_ids]
    return Replan(schedule, tuple(sorted(kept)), tuple(interrupted), check)


def _planned_station(current: Schedule, job: str, operation: str) -> str:
    return next(a.station for a in current.assignments if a.job == job and a.operation == operation)


def _hint_planned(model: cp_model.CpModel, v: Any, j: int, k: int, old: Any, now: int) -> None:
    """The old plan, no earlier than now, as CP-SAT's starting point (a hint, not a rule)."""
    model.AddHint(v.start[(j, k)], max(old.start, now))
    for (jj, kk, station), present in v.presence.items():
        if (jj, kk) == (j, k) and present is not True:
            model.AddHint(present, station == old.station)


def _choose(model: cp_model.CpModel, v: Any, j: int, k: int, station: str) -> None:
    present = v.presence[(j, k, station)]
    if present is not True:
        model.Add(present == 1)


def _moved(schedule: Schedule, old: Any) -> bool:
    new = next(a for a in schedule.assignments if a.job == old.job and a.operation == old.operation)
    return (new.station, new.lane, new.start, new.end) != (old.station, old.lane, old.start, old.end)


def _original_part(problem: SchedulingProblem, solved: Schedule, kept: dict[Key, Any]) -> Schedule:
    """The solved schedule without the outage blocks and the clock, on the original problem;
    kept operations keep their lanes (lanes of a station are alike, so the new operations take
    whichever lane is free)."""
    index = {(job.id, op.id): (j, k) for j, job in enumerate(problem.jobs) for k, op in enumerate(job.operations)}
    placed = {index[(a.job, a.operation)]: a for a in solved.assignments if (a.job, a.operation) in index}
    busy: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for key, a in kept.items():
        busy.setdefault((a.station, a.lane), []).append((a.start, a.end))
    lanes: dict[Key, tuple[str, int, int]] = {key: (a.station, a.lane, a.start) for key, a in kept.items()}
    for key in sorted((k for k in placed if k not in kept), key=lambda k: placed[k].start):
        a = placed[key]
        lane = next((ln for ln in range(problem.capacities[a.station])
                     if all(e <= a.start or a.end <= s for s, e in busy.get((a.station, ln), []))), a.lane)
        busy.setdefault((a.station, lane), []).append((a.start, a.end))
        lanes[key] = (a.station, lane, a.start)
    job_ids = {job.id for job in problem.jobs}
    by_job = {job.id: j for j, job in enumerate(problem.jobs)}
    departures = {}
    for t in solved.transports:
        if t.job in job_ids:
            j = by_job[t.job]
            k = next(k for k, op in enumerate(problem.jobs[j].operations) if k > 0 and lanes[(j, k)][0] == t.to_station
                     and lanes[(j, k - 1)][0] == t.from_station)
            departures[(j, k)] = t.start
    return make_schedule(problem, lanes, status=solved.status, lower_bound=solved.lower_bound,
                         objective=solved.objective, solver="cpsat", departures=departures)


def outage_problems(schedule: Schedule, down: list[tuple[str, int, int]], tick: float) -> list[str]:
    """Operations that overlap an outage of their station (the checker knows no outages)."""
    return [f"{a.job}/{a.operation} runs on {a.station} from {a.start * tick:g} s to {a.end * tick:g} s, while it is "
            f"down from {start * tick:g} s to {end * tick:g} s"
            for a in schedule.assignments for station, start, end in down
            if a.station == station and a.start < end and start < a.end]
