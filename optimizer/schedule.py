"""A schedule and its independent checker (its KPIs: `optimizer.kpis`; its versioned JSON
document: `optimizer.schedule_json`).

A `Schedule` is in integer ticks, like its `SchedulingProblem`; the JSON document is in seconds.
`check_schedule` recomputes every rule from the schedule and the problem alone (it never
trusts the solver), so tests and benchmarks call it rather than believing a solver's numbers.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

from optimizer.names import Objective
from optimizer.problem import SchedulingProblem, trip_key

STATUSES = ("optimal", "feasible")


def validate_objective(objective: str) -> None:
    """InputError for an objective no scheduler knows, listing the valid ones."""
    Objective.parse(objective)


@dataclass(frozen=True)
class Assignment:
    """One operation of one job placed on one lane of a station, in ticks."""

    job: str
    product: str
    lot: int
    operation: str
    station: str
    lane: int
    start: int
    end: int
    changeover: int = 0  # set-up ticks on this lane just before `start`
    pool: str = ""  # the operator pool whose operator runs it ("" on a station that needs nobody)


@dataclass(frozen=True)
class Transport:
    """A lot moving between consecutive operations on different stations (or from its origin
    to its first station), in ticks. A trip of a fleet names its `vehicle`, which drove empty
    from `empty_from` (its home or its last drop) over `empty_start`..`empty_end` to the pick-up."""

    job: str
    from_station: str
    to_station: str
    start: int
    end: int
    mover: str = "agv"
    distance: float = 0.0
    vehicle: int | None = None
    empty_from: str | None = None
    empty_start: int | None = None
    empty_end: int | None = None
    batch: int = 0  # which transfer batch of the lot a fleet trip carries (0: the first, or the whole lot)


@dataclass(frozen=True)
class Schedule:
    status: str  # "optimal" or "feasible"
    makespan: int
    lower_bound: float  # on the objective, in ticks (weighted ticks for weighted tardiness)
    gap: float  # (objective - lower_bound) / objective, 0 when proven optimal
    assignments: tuple[Assignment, ...]
    transports: tuple[Transport, ...] = ()
    objective: str = "makespan"
    objective_value: float = 0.0
    solver: str = ""
    # a deterministic budget was set but the wall-clock limit ended the search first: the
    # result then depends on the machine's load, not on the seed alone
    wall_clock_cut: bool = False


# --- building a schedule from start times ---------------------------------------------------


def make_schedule(
    problem: SchedulingProblem,
    placed: dict[tuple[int, int], tuple[str, int, int]],
    *,
    status: str,
    lower_bound: float,
    objective: str,
    solver: str,
    departures: Mapping[tuple[int, ...], int] | None = None,
    vehicles: Mapping[tuple[int, ...], int] | None = None,
    pools: Mapping[tuple[int, int], str] | None = None,
) -> Schedule:
    """A Schedule from {(job index, op index): (station, lane, start)}: durations, changeovers,
    transports, makespan and objective value are derived here so every solver agrees.

    `departures[(j, k)]` is when the lot leaves for operation k of job j; a trip that must wait
    for a free vehicle leaves later than the previous operation ends (the default). A lot in
    transfer batches makes one trip per batch on a fleet leg, keyed by `trip_key(j, k, i)`,
    each by default leaving when its batch is done.
    `vehicles[key]` is the vehicle of its fleet that carries a trip; trips not listed get one
    here (`assign_vehicles`), and every fleet trip its empty leg.
    `pools[(j, k)]` is the operator pool of an operation on a manned station.
    """
    departures = departures or {}
    pools = pools or {}
    assignments: list[Assignment] = []
    transports: list[Transport] = []
    keys: list[tuple[int, ...]] = []
    for j, job in enumerate(problem.jobs):
        prev: tuple[str, int] | None = (job.origin, job.release) if job.origin is not None else None
        for k, op in enumerate(job.operations):
            station, lane, start = placed[(j, k)]
            end = start + int(op.duration_on(station) or 0)
            assignments.append(Assignment(job.id, job.product, job.lot, op.id, station, lane, start, end,
                                          pool=pools.get((j, k), "")))
            if prev is not None and prev[0] != station:
                leg = problem.transport.get((prev[0], station))
                ticks = problem.transport_ticks(prev[0], station)
                # a vehicle carries each transfer batch; elsewhere a lot in transfer batches is
                # reported by its first batch's trip
                trips = problem.batch_trips(job, k) if problem.fleet_leg(prev[0], station) else 1
                for i in range(trips):
                    ready = prev[1] if trips == 1 else placed[(j, k - 1)][2] + problem.batch_ready(job, k - 1, prev[0], i)
                    depart = departures.get(trip_key(j, k, i), ready)
                    transports.append(
                        Transport(
                            job.id, prev[0], station, depart, depart + ticks,
                            leg.mover if leg else "agv", leg.distance if leg else 0.0, batch=i,
                        )
                    )
                    keys.append(trip_key(j, k, i))
            prev = (station, start + op.alternative_on(station).first if job.batched else end)
    transports = assign_vehicles(problem, transports, [(vehicles or {}).get(key) for key in keys])
    assignments = _with_changeovers(problem, assignments)
    makespan = max((a.end for a in assignments), default=0)
    value = objective_value(problem, assignments, objective)
    lower_bound = round(min(float(lower_bound), value), 6)
    if status == "optimal":
        lower_bound = value
    gap = 0.0 if value <= 0 else max(0.0, (value - lower_bound) / value)
    return Schedule(status, makespan, lower_bound, gap, tuple(assignments), tuple(transports), objective, value, solver)


def assign_vehicles(problem: SchedulingProblem, transports: list[Transport],
                    chosen: list[int | None]) -> list[Transport]:
    """Every fleet trip with its vehicle and its empty leg, driven just in time from where the
    vehicle stands (its last drop, else its home, else already there).

    The vehicles are `chosen[i]` when every trip of the fleet has one; otherwise they are
    picked here: in the order of departure less the longest empty run into the pick-up, each
    trip takes a vehicle that can be there in time, the one arriving last. That order always
    finds one when at most the fleet's trips hold such windows at once (the scheduler's lead
    model), and gives the plain fleet cap when there are no empty runs."""
    out = list(transports)
    for mover, size in problem.fleets.items():
        trips = [i for i, t in enumerate(out) if t.mover == mover and problem.fleet_leg(t.from_station, t.to_station)]
        plan = {i: chosen[i] for i in trips}
        if not all(v is not None and 0 <= v < size for v in plan.values()):
            state = [(0, problem.homes.get(mover))] * size  # (free from, where), per vehicle
            for i in sorted(trips, key=lambda i: (out[i].start - problem.empty_lead(mover, out[i].from_station), i)):
                t = out[i]
                there = [free + problem.empty_ticks(mover, at, t.from_station) for free, at in state]
                fits = [v for v in range(size) if there[v] <= t.start]
                plan[i] = max(fits, key=lambda v: (there[v], -v)) if fits else min(range(size), key=there.__getitem__)
                state[plan[i]] = (t.end, t.to_station)
        for v in range(size):
            at = problem.homes.get(mover)
            for i in sorted((i for i in trips if plan[i] == v), key=lambda i: out[i].start):
                t = out[i]
                empty = problem.empty_ticks(mover, at, t.from_station)
                out[i] = replace(t, vehicle=v, empty_from=t.from_station if at is None else at,
                                 empty_start=t.start - empty, empty_end=t.start)
                at = t.to_station
    return out


def lane_sequences(assignments) -> dict[tuple[str, int], list]:
    """Per (station, lane), the operations that occupy it (non-zero length), in start order."""
    lanes: dict[tuple[str, int], list] = defaultdict(list)
    for a in assignments:
        if a.end > a.start:
            lanes[(a.station, a.lane)].append(a)
    for seq in lanes.values():
        seq.sort(key=lambda a: (a.start, a.end))
    return lanes


def _with_changeovers(problem: SchedulingProblem, assignments: list[Assignment]) -> list[Assignment]:
    family = {job.id: job.family for job in problem.jobs}
    needed: dict[int, int] = {}
    index = {id(a): i for i, a in enumerate(assignments)}
    for (station, _), seq in lane_sequences(assignments).items():
        for before, after in zip(seq, seq[1:]):
            ticks = problem.changeover_ticks(station, family[before.job], family[after.job])
            if ticks:
                needed[index[id(after)]] = ticks
    return [
        Assignment(**{**a.__dict__, "changeover": needed.get(i, 0)}) if needed.get(i, 0) != a.changeover else a
        for i, a in enumerate(assignments)
    ]


def objective_value(problem: SchedulingProblem, assignments, objective: str) -> float:
    if Objective.parse(objective) is Objective.MAKESPAN:
        return float(max((a.end for a in assignments), default=0))
    return round(float(weighted_tardiness(problem, assignments)), 6)


def weighted_tardiness(problem: SchedulingProblem, assignments) -> float:
    """Sum over jobs of weight * max(0, completion - due), in weighted ticks."""
    ends: dict[str, int] = defaultdict(int)
    for a in assignments:
        ends[a.job] = max(ends[a.job], a.end)
    return sum(job.weight * max(0, ends[job.id] - job.due) for job in problem.jobs if job.due is not None)


# --- the independent checker ----------------------------------------------------------------


def check_schedule(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    """Every rule the schedule breaks, recomputed from the problem and the schedule alone.

    Checks: each operation of each job scheduled exactly once, on an allowed station, on an
    existing lane, with the right duration; release times and the horizon; precedence with
    transport gaps (start-start and end-end lags for a lot in transfer batches); no lane used
    twice at once and no station over capacity; changeovers between consecutive lots of
    different families on a lane (zero-length operations occupy no lane); batches (one family
    and step, within the batch size; a batch occupies its machine once); operators (pool, on
    shift, enough of them); the reported changeovers, transports, makespan, objective value and status.
    An empty list means the schedule is valid.
    """
    errors: list[str] = []
    jobs = {job.id: job for job in problem.jobs}
    by_op: dict[tuple[str, str], list[Assignment]] = defaultdict(list)
    for a in schedule.assignments:
        if a.job not in jobs:
            errors.append(f"unknown job {a.job!r}")
            continue
        if a.operation not in {op.id for op in jobs[a.job].operations}:
            errors.append(f"{a.job}/{a.operation}: unknown operation")
            continue
        by_op[(a.job, a.operation)].append(a)

    for job in problem.jobs:
        prev: Assignment | None = None
        if job.origin is not None:  # the lot waits at its origin from its release
            prev = Assignment(job.id, job.product, job.lot, "release", job.origin, 0, job.release, job.release)
        for k, op in enumerate(job.operations):
            name = f"{job.id}/{op.id}"
            placed = by_op.get((job.id, op.id), [])
            if not placed:
                errors.append(f"{name}: not scheduled")
                prev = None
                continue
            if len(placed) > 1:
                errors.append(f"{name}: scheduled {len(placed)} times")
            a = placed[0]
            duration = op.duration_on(a.station)
            if duration is None:
                errors.append(f"{name}: station {a.station!r} cannot do this operation")
            elif a.end - a.start != duration:
                errors.append(f"{name}: lasts {a.end - a.start} ticks on {a.station}, should be {duration}")
            capacity = problem.capacities.get(a.station, 0)
            if not 0 <= a.lane < max(capacity, 1):
                errors.append(f"{name}: lane {a.lane} does not exist on {a.station} (capacity {capacity})")
            if a.start < 0:
                errors.append(f"{name}: starts before time 0")
            if k == 0 and a.start < job.release:
                errors.append(f"{name}: starts at {a.start}, before the release at {job.release}")
            if problem.horizon is not None and a.end > problem.horizon:
                errors.append(f"{name}: ends at {a.end}, after the horizon {problem.horizon}")
            if prev is not None and job.batched and k > 0 and duration is not None:
                errors += _batch_lag_errors(problem, job, k, prev, a)
            elif prev is not None:
                gap = problem.transport_ticks(prev.station, a.station)
                if a.start < prev.end + gap:
                    what = f"transport {prev.station}->{a.station} needs {gap} ticks" if gap else "precedence"
                    errors.append(f"{name}: starts at {a.start}, before {prev.operation} ends at {prev.end} plus {gap} ({what})")
            prev = a

    # batch machines: lots in one batch count once below
    batch_errors, one_per_batch = _check_batches(problem, schedule.assignments)
    errors += batch_errors
    # lanes: no two operations (batches) at once, changeovers between families
    family = {job.id: job.family for job in problem.jobs}
    for (station, lane), seq in lane_sequences(one_per_batch).items():
        for i, (before, after) in enumerate(zip([None] + seq[:-1], seq)):
            need = 0 if before is None else problem.changeover_ticks(station, family.get(before.job, ""), family.get(after.job, ""))
            if after.changeover != need:
                errors.append(
                    f"{after.job}/{after.operation}: reports changeover {after.changeover} on {station} lane {lane}, should be {need}"
                )
            if before is None:
                continue
            if after.start < before.end:
                errors.append(
                    f"{station} lane {lane}: {before.job}/{before.operation} and {after.job}/{after.operation} overlap"
                )
            elif after.start < before.end + need:
                errors.append(
                    f"{station} lane {lane}: changeover {family[before.job]}->{family[after.job]} needs {need} ticks "
                    f"between {before.job}/{before.operation} (ends {before.end}) and {after.job}/{after.operation} (starts {after.start})"
                )
    # station capacity at any time
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a in one_per_batch:
        spans[a.station].append((a.start, a.end))
    for station, station_spans in spans.items():
        worst, when = peak_overlap(station_spans)
        if worst > problem.capacities.get(station, 0):
            errors.append(f"{station}: {worst} operations at time {when}, capacity {problem.capacities.get(station, 0)}")

    errors += _check_transports(problem, schedule, by_op)
    errors += _check_operators(problem, schedule)

    makespan = max((a.end for a in schedule.assignments), default=0)
    if schedule.makespan != makespan:
        errors.append(f"makespan is {makespan}, schedule says {schedule.makespan}")
    if schedule.status not in STATUSES:
        errors.append(f"status {schedule.status!r} is not one of {', '.join(STATUSES)}")
    try:
        value = objective_value(problem, schedule.assignments, schedule.objective)
    except ValueError as exc:
        errors.append(str(exc))
    else:
        if abs(value - schedule.objective_value) > 1e-6 * max(1.0, abs(value)):
            errors.append(f"{schedule.objective} is {value}, schedule says {schedule.objective_value}")
        if schedule.lower_bound > value + 1e-6 * max(1.0, abs(value)):
            errors.append(f"lower bound {schedule.lower_bound} exceeds the objective {value}")
    return errors


def _batch_lag_errors(problem: SchedulingProblem, job, k: int, prev: Assignment, a: Assignment) -> list[str]:
    """Transfer batches: operation k starts no earlier than the first batch of k - 1 is done
    and carried over, and ends no earlier than the last batch carried over and processed."""
    before = job.operations[k - 1].alternative_on(prev.station)
    here = job.operations[k].alternative_on(a.station)
    if before is None:
        return []  # the station error is reported with operation k - 1
    gap, name, errors = problem.transport_ticks(prev.station, a.station), f"{job.id}/{a.operation}", []
    if a.start < prev.start + before.first + gap:
        errors.append(f"{name}: starts at {a.start}, before the first transfer batch of {prev.operation} "
                      f"(done at {prev.start + before.first}) arrives at {prev.start + before.first + gap}")
    if a.end < prev.end + gap + here.last:
        errors.append(f"{name}: ends at {a.end}, before the last transfer batch of {prev.operation} (done at "
                      f"{prev.end}, arriving at {prev.end + gap}) is processed at {prev.end + gap + here.last}")
    return errors


def _check_transports(problem: SchedulingProblem, schedule: Schedule,
                      by_op: dict[tuple[str, str], list[Assignment]]) -> list[str]:
    """One trip per change of station (one per transfer batch on a fleet leg), inside its window (leaves after the previous operation
    ends, arrives before the next one starts, lasts the leg's ticks), on the leg's mover, and
    no limited fleet with more trips under way than vehicles."""
    errors: list[str] = []
    jobs = {job.id: job for job in problem.jobs}
    # a lot may travel the same leg more than once: trips pair up with moves in time order; a
    # lot in transfer batches makes one trip per batch on a fleet leg, in batch order
    expected: dict[tuple[str, str, str], list[tuple[Assignment, Assignment, int, int]]] = defaultdict(list)
    for job in problem.jobs:
        steps = [(k, by_op[(job.id, op.id)][0]) for k, op in enumerate(job.operations) if by_op.get((job.id, op.id))]
        if job.origin is not None:
            steps = [(-1, Assignment(job.id, job.product, job.lot, "release", job.origin, 0, job.release, job.release))] + steps
        for (_, before), (k, after) in zip(steps, steps[1:]):
            if before.station != after.station:
                trips = problem.batch_trips(job, k) if problem.fleet_leg(before.station, after.station) else 1
                expected[(job.id, before.station, after.station)] += [(before, after, k, i) for i in range(trips)]
    reported: dict[tuple[str, str, str], list[Transport]] = defaultdict(list)
    for t in schedule.transports:
        reported[(t.job, t.from_station, t.to_station)].append(t)
    missing = sorted(k for k in expected if len(reported.get(k, ())) < len(expected[k]))
    extra = sorted(k for k in reported if len(reported[k]) > len(expected.get(k, ())))
    if missing or extra:
        errors.append(f"transports do not match the operations (missing {missing[:3]}, unexpected {extra[:3]})")
    for key, moves in sorted(expected.items()):
        name = f"{key[0]} {key[1]}->{key[2]}"
        ticks = problem.transport_ticks(key[1], key[2])
        leg = problem.transport.get((key[1], key[2]))
        for (before, after, k, i), trip in zip(moves, sorted(reported.get(key, ()), key=lambda t: (t.start, t.batch))):
            if trip.end - trip.start != ticks:
                errors.append(f"{name}: trip lasts {trip.end - trip.start} ticks, the leg takes {ticks}")
            job = jobs[key[0]]
            if problem.batch_trips(job, k) > 1 and problem.fleet_leg(key[1], key[2]):
                errors += _batch_trip_errors(problem, job, k, i, before, after, trip)
                continue
            leaves = _first_batch_done(job, before)
            if trip.start < leaves:
                what = "ends" if leaves == before.end else "has its first transfer batch done"
                errors.append(f"{name}: leaves at {trip.start}, before {before.operation} {what} at {leaves}")
            if trip.end > after.start:
                errors.append(f"{name}: arrives at {trip.end}, after {after.operation} starts at {after.start}")
            if leg is not None and trip.mover != leg.mover:
                errors.append(f"{name}: moved by {trip.mover}, the leg's mover is {leg.mover}")
    for mover, size in problem.fleets.items():
        worst, when = peak_overlap((t.start, t.end) for t in schedule.transports if t.mover == mover)
        if worst > size:
            errors.append(f"{mover}: {worst} trips under way at time {when}, the fleet has {size}")
        errors += _check_vehicles(problem, mover, schedule.transports)
    return errors


def _batch_trip_errors(problem: SchedulingProblem, job, k: int, i: int, before: Assignment, after: Assignment,
                       trip: Transport) -> list[str]:
    """Trip of transfer batch i into operation k: it carries that batch, leaves once the batch
    is done on the previous station and arrives by the time the next station needs it (it
    processes without a break, a full batch per batch, ending at its end)."""
    name, errors = f"{job.id} {trip.from_station}->{trip.to_station}", []
    if trip.batch != i:
        errors.append(f"{name}: trip {i + 1} of {job.transfer_batches} carries batch {trip.batch}, should be {i}")
    if job.operations[k - 1].alternative_on(before.station) is None or job.operations[k].alternative_on(after.station) is None:
        return errors  # the station error is reported with the operation
    done = before.start + problem.batch_ready(job, k - 1, before.station, i)
    needed = after.start + problem.batch_need(job, k, after.station, i)
    if trip.start < done:
        errors.append(f"{name}: batch {i} leaves at {trip.start}, before it is done on {before.station} at {done}")
    if trip.end > needed:
        errors.append(f"{name}: batch {i} arrives at {trip.end}, after {after.operation} needs it at {needed}")
    return errors


def _check_vehicles(problem: SchedulingProblem, mover: str, transports) -> list[str]:
    """Each vehicle of a fleet: one of the fleet's, in one place at a time and carrying one lot
    at a time; it starts at home and drives empty from each drop to the next pick-up for at
    least the empty run's ticks. Trips may leave their vehicle out only when the fleet is a
    plain cap (no home, no empty runs): then some assignment always exists."""
    errors: list[str] = []
    size, home = problem.fleets[mover], problem.homes.get(mover)
    trips = [t for t in transports if t.mover == mover and problem.fleet_leg(t.from_station, t.to_station)]
    by_vehicle: dict[int, list[Transport]] = defaultdict(list)
    for t in trips:
        name = f"{t.job} {t.from_station}->{t.to_station}"
        if t.vehicle is None:
            if problem.has_vehicles(mover):
                errors.append(f"{name}: no vehicle of the {mover} fleet")
        elif not 0 <= t.vehicle < size:
            errors.append(f"{name}: vehicle {t.vehicle} does not exist (the {mover} fleet has {size})")
        elif None in (t.empty_from, t.empty_start, t.empty_end):
            errors.append(f"{name}: {mover} {t.vehicle} has no empty leg")
        else:
            by_vehicle[t.vehicle].append(t)
    for vehicle, own in sorted(by_vehicle.items()):
        at, free = home, 0
        for t in sorted(own, key=lambda t: (t.start, t.end)):
            who, name = f"{mover} {vehicle}", f"{t.job} {t.from_station}->{t.to_station}"
            if at is not None and t.empty_from != at:
                errors.append(f"{who}: drives empty to {name} from {t.empty_from}, but it stands at {at}")
            need = problem.empty_ticks(mover, at and t.empty_from, t.from_station)  # without a home: anywhere
            if t.empty_start < free:
                errors.append(f"{who}: leaves {t.empty_from} for {name} at {t.empty_start}, before it is free at {free}")
            if t.empty_end - t.empty_start < need:
                errors.append(f"{who}: drives empty {t.empty_from}->{t.from_station} in {t.empty_end - t.empty_start} "
                              f"ticks for {name}, the run takes {need}")
            if t.empty_end > t.start:
                errors.append(f"{who}: reaches {t.from_station} at {t.empty_end}, after {name} leaves at {t.start}")
            at, free = t.to_station, t.end
    return errors


def _first_batch_done(job, a: Assignment) -> int:
    """When the lot (its first transfer batch) may leave operation `a`: its end for a whole lot."""
    op = next((op for op in job.operations if op.id == a.operation), None)
    alt = op.alternative_on(a.station) if op is not None else None
    return a.end if alt is None or not job.batched else a.start + alt.first


def _check_batches(problem: SchedulingProblem, assignments) -> tuple[list[str], list[Assignment]]:
    """Operations on a batch machine with the same start and end form one batch: lots of one
    family at one routing step, of different jobs, whose units fit the batch size. Returns the
    errors and the assignments with each batch's later members left out (a batch is one
    occupation of the machine; anything else overlapping it is an overlap)."""
    errors: list[str] = []
    jobs = {job.id: job for job in problem.jobs}
    batches: dict[tuple[str, int, int], list[Assignment]] = defaultdict(list)
    kept = []
    for a in assignments:
        if a.station in problem.batch_sizes and a.end > a.start and a.job in jobs:
            batches[(a.station, a.start, a.end)].append(a)
            if len(batches[(a.station, a.start, a.end)]) > 1:
                continue
        kept.append(a)
    for (station, start, end), members in batches.items():
        if len(members) == 1:
            continue
        names = ", ".join(f"{m.job}/{m.operation}" for m in members)
        units = sum(jobs[m.job].units for m in members)
        if len({jobs[m.job].family for m in members}) > 1 or len({m.operation for m in members}) > 1:
            errors.append(f"{station}: batch {start}-{end} mixes families or routing steps ({names})")
        if len({m.job for m in members}) < len(members):
            errors.append(f"{station}: batch {start}-{end} holds one lot twice ({names})")
        if units > problem.batch_sizes[station]:
            errors.append(f"{station}: batch {start}-{end} holds {units} units, the batch size is "
                          f"{problem.batch_sizes[station]} ({names})")
    return errors, kept


def _check_operators(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    """Every operation on a manned station holds an operator of a pool that can run it, wholly
    inside one of that pool's on-shift stretches; no pool has more operations under way than
    operators; operations that need nobody name no pool."""
    errors: list[str] = []
    busy: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a in schedule.assignments:
        name = f"{a.job}/{a.operation}"
        allowed = problem.operator_pools(a.station, a.end - a.start)
        if not allowed:
            if a.pool:
                errors.append(f"{name}: names operator pool {a.pool!r}, but {a.station} needs no operator")
            continue
        if a.pool not in allowed:
            errors.append(f"{name}: needs an operator of {' or '.join(allowed)} on {a.station}, "
                          f"the schedule names {a.pool or 'none'}")
            continue
        busy[a.pool].append((a.start, a.end))
        stretch_end = problem.pools[a.pool].calendar.stretch_end(a.start)
        if stretch_end is None or a.end > stretch_end:
            errors.append(f"{name}: runs {a.start}-{a.end} on {a.station}, not inside one on-shift stretch of {a.pool}")
    for pool_id, spans in busy.items():
        worst, when = peak_overlap(spans)
        if worst > problem.pools[pool_id].size:
            errors.append(f"operators {pool_id}: {worst} operations at time {when}, the pool has "
                          f"{problem.pools[pool_id].size}")
    return errors


def peak_overlap(spans: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """(most spans under way at once, the first time it happens). Empty spans count for
    nothing, and one ending as another starts does not overlap it (ends sort first)."""
    events = sorted(ev for start, end in spans if end > start for ev in ((start, 1), (end, -1)))
    load, worst, when = 0, 0, 0
    for t, delta in events:
        load += delta
        if load > worst:
            worst, when = load, t
    return worst, when
