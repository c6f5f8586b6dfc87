"""The scheduling problem in integer ticks, independent of layouts.

A job is one lot of one product and holds an ordered list of operations; each operation can
run on one of several stations (alternatives), each with its own duration. Stations have a
capacity (a station of capacity c is c identical lanes). Moving a lot between two different
stations takes transport ticks; a lane switching from one product family to another needs
changeover ticks. `build_problem` turns a `Layout` plus transport legs (and robot-cell task
times from physics) into a `SchedulingProblem`; it is the one place where seconds become ticks.
A little over 400 lines: the problem, its validation and its one construction from a layout
belong together.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Protocol

from twin.errors import InputError, LayoutError
from twin.errors import Problem
from twin.batching import batches
from twin.shifts import Calendar, calendars, lot_fit_problems, manned_pools

ALWAYS = Calendar(None)  # on shift around the clock


@dataclass(frozen=True)
class Alternative:
    """One way to do an operation: on `station`, taking `duration` ticks for the whole lot."""

    station: str
    duration: int
    physics: bool = False  # True when the time came from a robot-cell simulation
    # transfer batches (None: the lot moves whole): ticks from the start until the first batch
    # is done (set-up included), and ticks of the last batch alone
    first_batch: int | None = None
    last_batch: int | None = None

    @property
    def first(self) -> int:
        return self.duration if self.first_batch is None else self.first_batch

    @property
    def last(self) -> int:
        return self.duration if self.last_batch is None else self.last_batch


@dataclass(frozen=True)
class Operation:
    id: str
    alternatives: tuple[Alternative, ...]

    def duration_on(self, station: str) -> int | None:
        alt = self.alternative_on(station)
        return None if alt is None else alt.duration

    def alternative_on(self, station: str) -> Alternative | None:
        return next((alt for alt in self.alternatives if alt.station == station), None)


@dataclass(frozen=True)
class Job:
    """One lot of one product: its operations run in order."""

    id: str
    operations: tuple[Operation, ...]
    product: str = ""
    lot: int = 0
    units: int = 1
    family: str = ""
    release: int = 0
    due: int | None = None
    weight: float = 1.0
    origin: str | None = None  # where the lot waits at release (an L/U station); None: at its first station
    # how many transfer batches the lot moves on in (1: whole); a vehicle of a fleet carries
    # each batch on its own trip, as the running twin drives them
    transfer_batches: int = 1

    @cached_property  # asked per operation by the model, the rules and the checker
    def batched(self) -> bool:
        """True when some operation moves the lot on in transfer batches."""
        return any(a.first_batch is not None or a.last_batch is not None
                   for op in self.operations for a in op.alternatives)


@dataclass(frozen=True)
class TransportLeg:
    """Moving one lot from one station to another: ticks, plus metres and mover for reports."""

    ticks: int
    distance: float = 0.0
    mover: str = "agv"


@dataclass(frozen=True)
class PhysicsTime:
    """An operation time measured by the robot-cell simulation rather than read from the file."""

    product: str
    operation: str
    station: str
    task: str
    unit_seconds: float


@dataclass(frozen=True)
class OperatorPool:
    """`size` interchangeable operators on shift inside the `calendar`'s stretches (ticks):
    every operation on a station this pool can run holds one of them, wholly inside one stretch."""

    size: int
    calendar: Calendar = ALWAYS


@dataclass(frozen=True)
class SchedulingProblem:
    """A flexible job shop with transport gaps, sequence-dependent changeovers and lanes.

    `transport[(a, b)]` is the leg from station a to station b (missing pairs take 0 ticks);
    `fleets[mover]` is how many vehicles of that mover there are: each trip of a leg with that
    mover holds one vehicle, which carries one lot at a time (movers not listed, conveyors say,
    carry any number of lots at once). A vehicle drives empty from where it dropped its last lot
    to its next pick-up, `empty_runs[mover][(drop, pick_up)]` ticks (missing pairs 0), and every
    vehicle of a mover with a `homes[mover]` starts there at time 0. Without either a fleet is a
    plain cap: at most that many trips under way at once. `empty_distances[mover][(drop, pick_up)]`
    are the metres of those empty runs (for the plan's reported distance driven; missing pairs 0).
    `changeovers[station][(from_family, to_family)]` is the set-up between consecutive lots on
    one lane of that station (missing pairs take 0). `horizon`, if set, is a hard latest end.
    `manned[station]` names the operator `pools` one of whose operators an operation of non-zero
    length on that station holds (stations not listed need nobody). `batch_sizes[station]` makes
    a station of capacity 1 a batch machine (`twin.batching`): operations that `can_share` a
    batch may run together, starting and ending at once, while their units fit the batch.
    """

    jobs: tuple[Job, ...]
    capacities: Mapping[str, int]
    transport: Mapping[tuple[str, str], TransportLeg] = field(default_factory=dict)
    fleets: Mapping[str, int] = field(default_factory=dict)
    homes: Mapping[str, str] = field(default_factory=dict)
    empty_runs: Mapping[str, Mapping[tuple[str, str], int]] = field(default_factory=dict)
    empty_distances: Mapping[str, Mapping[tuple[str, str], float]] = field(default_factory=dict)
    changeovers: Mapping[str, Mapping[tuple[str, str], int]] = field(default_factory=dict)
    tick: float = 1.0
    horizon: int | None = None
    name: str = ""
    physics_times: tuple[PhysicsTime, ...] = ()
    pools: Mapping[str, OperatorPool] = field(default_factory=dict)
    manned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    batch_sizes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if not self.tick > 0:
            problems.append(Problem("tick", "must be positive"))
        for station, capacity in self.capacities.items():
            if not isinstance(capacity, int) or capacity < 1:
                problems.append(Problem(f"capacities[{station}]", "must be an integer >= 1"))
        seen: set[str] = set()
        for j, job in enumerate(self.jobs):
            if job.id in seen:
                problems.append(Problem(f"jobs[{j}].id", f"duplicate job id {job.id!r}"))
            seen.add(job.id)
            if not job.operations:
                problems.append(Problem(f"jobs[{j}].operations", "a job needs at least one operation"))
            if job.release < 0:
                problems.append(Problem(f"jobs[{j}].release", "must be >= 0"))
            if job.weight < 0:
                problems.append(Problem(f"jobs[{j}].weight", "must be >= 0"))
            op_ids: set[str] = set()
            for k, op in enumerate(job.operations):
                path = f"jobs[{j}].operations[{k}]"
                if op.id in op_ids:
                    problems.append(Problem(f"{path}.id", f"duplicate operation id {op.id!r}"))
                op_ids.add(op.id)
                if not op.alternatives:
                    problems.append(Problem(f"{path}.alternatives", "no station can do this operation"))
                stations = [a.station for a in op.alternatives]
                if len(set(stations)) != len(stations):
                    problems.append(Problem(f"{path}.alternatives", "a station is listed twice"))
                for a, alt in enumerate(op.alternatives):
                    if alt.station not in self.capacities:
                        problems.append(Problem(f"{path}.alternatives[{a}].station", f"unknown station {alt.station!r}"))
                    if not isinstance(alt.duration, int) or alt.duration < 0:
                        problems.append(Problem(f"{path}.alternatives[{a}].duration", "must be an integer >= 0 ticks"))
                        continue
                    for name in ("first_batch", "last_batch"):
                        ticks = getattr(alt, name)
                        if ticks is not None and (not isinstance(ticks, int) or not 0 <= ticks <= alt.duration):
                            problems.append(Problem(f"{path}.alternatives[{a}].{name}",
                                                    f"must be an integer between 0 and the duration ({alt.duration})"))
            if not isinstance(job.transfer_batches, int) or job.transfer_batches < 1:
                problems.append(Problem(f"jobs[{j}].transfer_batches", "must be an integer >= 1"))
            elif job.batched:
                problems += self._batch_leg_problems(j, job)
        for pair, leg in self.transport.items():
            if not isinstance(leg.ticks, int) or leg.ticks < 0:
                problems.append(Problem(f"transport[{pair[0]}->{pair[1]}]", "ticks must be an integer >= 0"))
        for mover, size in self.fleets.items():
            if not isinstance(size, int) or size < 1:
                problems.append(Problem(f"fleets[{mover}]", "must be an integer >= 1"))
        for mover in set(self.homes) | set(self.empty_runs):
            if mover not in self.fleets:
                problems.append(Problem(f"homes[{mover}]" if mover in self.homes else f"empty_runs[{mover}]",
                                        f"no fleet {mover!r}"))
        for mover, table in self.empty_runs.items():
            for (a, b), ticks in table.items():
                if not isinstance(ticks, int) or ticks < 0:
                    problems.append(Problem(f"empty_runs[{mover}][{a}->{b}]", "must be an integer >= 0"))
        for mover, table in self.empty_distances.items():
            if mover not in self.fleets:
                problems.append(Problem(f"empty_distances[{mover}]", f"no fleet {mover!r}"))
            for (a, b), metres in table.items():
                if not (isinstance(metres, (int, float)) and math.isfinite(metres) and metres >= 0):
                    problems.append(Problem(f"empty_distances[{mover}][{a}->{b}]", "must be a finite number >= 0"))
        for station, table in self.changeovers.items():
            for pair, ticks in table.items():
                if not isinstance(ticks, int) or ticks < 0:
                    problems.append(Problem(f"changeovers[{station}][{pair[0]}->{pair[1]}]", "must be an integer >= 0"))
        if self.horizon is not None and self.horizon < 0:
            problems.append(Problem("horizon", "must be >= 0"))
        for pool_id, pool in self.pools.items():
            if not isinstance(pool.size, int) or pool.size < 1:
                problems.append(Problem(f"pools[{pool_id}].size", "must be an integer >= 1"))
        for station, pool_ids in self.manned.items():
            if station not in self.capacities:
                problems.append(Problem(f"manned[{station}]", f"unknown station {station!r}"))
            if not pool_ids:
                problems.append(Problem(f"manned[{station}]", "names no operator pool"))
            problems += [Problem(f"manned[{station}]", f"unknown pool {p!r}") for p in pool_ids if p not in self.pools]
        for station, size in self.batch_sizes.items():
            if self.capacities.get(station) != 1:
                problems.append(Problem(f"batch_sizes[{station}]", "a batch machine is a station of capacity 1"))
            if not isinstance(size, int) or size < 1:
                problems.append(Problem(f"batch_sizes[{station}]", "must be an integer >= 1"))
        if problems:
            raise InputError("; ".join(str(p) for p in problems))

    def _batch_leg_problems(self, j: int, job: Job) -> list[Problem]:
        """A lot in transfer batches on a fleet leg takes one trip per batch, so the plan must
        know how many batches there are (`Job.transfer_batches`, which `build_problem` sets)."""
        if job.transfer_batches > 1:
            return []
        for k in range(1, len(job.operations)):
            for a in job.operations[k - 1].alternatives:
                for b in job.operations[k].alternatives:
                    leg = self.fleet_leg(a.station, b.station)
                    if leg is not None:
                        return [Problem(f"jobs[{j}].transfer_batches", f"a lot in transfer batches on the {leg.mover} "
                                        f"leg {a.station} -> {b.station} needs its number of batches (one trip each)")]
        return []

    # --- lookups the scheduler, dispatcher and checker share ----------------------------

    def earliest_after(self, job: Job, k: int, before: str, before_start: int, station: str) -> int:
        """The earliest start of operation k of `job` on `station` when operation k - 1 ran on
        `before` from `before_start`: its first transfer batch done and carried over
        (start-start lag), and late enough that the last batch, carried over, can still be
        processed before the end (end-end lag). With whole lots: the previous end plus the
        transport, as without batches."""
        prev = job.operations[k - 1].alternative_on(before)
        here = job.operations[k].alternative_on(station)
        gap = self.transport_ticks(before, station)
        return before_start + max(prev.first, prev.duration + here.last - here.duration) + gap

    def release_on(self, job: Job, station: str) -> int:
        """The earliest start of the job's first operation on `station`: its release, plus the
        carry from its origin when the lot waits elsewhere."""
        return job.release + (self.transport_ticks(job.origin, station) if job.origin is not None else 0)

    def batch_trips(self, job: Job, k: int) -> int:
        """How many trips the move into operation k of `job` takes on a fleet leg: one per
        transfer batch between two operations of a lot in transfer batches, else one."""
        return job.transfer_batches if job.batched and k > 0 else 1

    def batch_ready(self, job: Job, k: int, station: str, i: int) -> int:
        """Ticks from the start of operation k on `station` until transfer batch i of the lot
        is done there (the first batch with the set-up, each later one a full batch more; the
        last one at the end): when its trip may leave."""
        alt = job.operations[k].alternative_on(station)
        return alt.duration if i >= job.transfer_batches - 1 else min(alt.first + i * alt.last, alt.duration)

    def batch_need(self, job: Job, k: int, station: str, i: int) -> int:
        """Ticks from the start of operation k on `station` by which transfer batch i must be
        there: the first at the start, batch i early enough that it and the batches after it,
        a full batch each, are processed by the end (for the last batch the end-end lag).
        Processing runs without a break, so each batch's trip must arrive by then."""
        if i == 0:
            return 0
        alt = job.operations[k].alternative_on(station)
        return max(0, alt.duration - (job.transfer_batches - i) * alt.last)

    @property
    def stations(self) -> list[str]:
        return list(self.capacities)

    def transport_ticks(self, a: str, b: str) -> int:
        """Ticks from station a to station b; 0 on the same station or for a leg the problem
        does not list (hand-made problems; `build_problem` lists every leg a routing may take)."""
        if a == b:
            return 0
        leg = self.transport.get((a, b))
        return leg.ticks if leg is not None else 0

    def fleet_leg(self, a: str, b: str) -> TransportLeg | None:
        """The leg from a to b when a trip on it holds a vehicle of a limited fleet, else None."""
        leg = self.transport.get((a, b)) if a != b else None
        return leg if leg is not None and leg.ticks > 0 and leg.mover in self.fleets else None

    def pick_ups(self, job: Job, k: int) -> list[str]:
        """Where the lot is before operation k of `job`: the stations of operation k - 1, its
        origin for the first operation (none when the job has no origin)."""
        if k > 0:
            return [a.station for a in job.operations[k - 1].alternatives]
        return [job.origin] if job.origin is not None else []

    def has_vehicles(self, mover: str) -> bool:
        """True when the fleet's vehicles must be told apart: they have a home or empty runs."""
        return mover in self.fleets and (
            mover in self.homes or any(t > 0 for t in self.empty_runs.get(mover, {}).values()))

    def empty_ticks(self, mover: str, drop: str | None, pick_up: str) -> int:
        """Ticks a vehicle of `mover` drives empty from `drop` (None: a vehicle without a home
        before its first trip, which may stand anywhere) to `pick_up`."""
        return 0 if drop is None else int(self.empty_runs.get(mover, {}).get((drop, pick_up), 0))

    def empty_distance(self, mover: str, drop: str | None, pick_up: str) -> float:
        """Metres a vehicle of `mover` drives empty from `drop` (None: it stood there) to `pick_up`."""
        return 0.0 if drop is None or drop == pick_up else float(self.empty_distances.get(mover, {}).get((drop, pick_up), 0.0))

    def empty_lead(self, mover: str, pick_up: str) -> int:
        """The longest empty run into `pick_up` from anywhere a vehicle of `mover` may stand:
        a trip that holds a vehicle this long before it leaves always has one in time."""
        return max((t for (_, to), t in self.empty_runs.get(mover, {}).items() if to == pick_up), default=0)

    def changeover_ticks(self, station: str, from_family: str, to_family: str) -> int:
        """Set-up ticks on a lane of `station` when a `to_family` lot follows `from_family`."""
        if from_family == to_family:
            return 0
        return int(self.changeovers.get(station, {}).get((from_family, to_family), 0))

    def has_changeovers(self, station: str) -> bool:
        return any(t > 0 for (f, g), t in self.changeovers.get(station, {}).items() if f != g)

    def operator_pools(self, station: str, duration: int) -> tuple[str, ...]:
        """The pools one of whose operators an operation of `duration` ticks on `station`
        holds; () when it needs nobody."""
        return self.manned.get(station, ()) if duration > 0 else ()

    def can_share(self, station: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """Whether operations a and b ((job index, operation index)) may share one batch on
        `station`: a batch machine, one family, one operation id, one duration there, and
        their units together within the batch."""
        size = self.batch_sizes.get(station)
        if size is None:
            return False
        (ja, ka), (jb, kb) = a, b
        job_a, job_b = self.jobs[ja], self.jobs[jb]
        op_a, op_b = job_a.operations[ka], job_b.operations[kb]
        return (ja != jb and job_a.family == job_b.family and op_a.id == op_b.id
                and op_a.duration_on(station) == op_b.duration_on(station) and job_a.units + job_b.units <= size)

    def to_seconds(self, ticks: float) -> float:
        return ticks_to_seconds(ticks, self.tick)

    @property
    def n_operations(self) -> int:
        return sum(len(job.operations) for job in self.jobs)

    def is_job_shop(self) -> bool:
        """Every station an operation may run on has capacity 1, and there are no changeovers,
        fleets, operators, batch machines or transfer batches: a (flexible) job shop whose schedule
        is fixed by each operation's station and the stations' sequences (what the tabu search,
        `optimizer.jobshop_tabu`, searches)."""
        for job in self.jobs:
            if job.batched:
                return False
            for op in job.operations:
                if any(self.capacities[a.station] != 1 for a in op.alternatives):
                    return False
        return (not self.manned and not self.batch_sizes
                and not any(self.has_changeovers(s) for s in self.capacities)
                and not any(self.fleet_leg(a, b) for a, b in self.transport))


def trip_key(j: int, k: int, i: int = 0) -> tuple[int, ...]:
    """The key of a trip in departures and vehicle maps: the move (job j into operation k),
    and for transfer batch i >= 1 of a lot in transfer batches the move with the batch. A
    whole lot's trip and a batched lot's first batch keep the plain move key."""
    return (j, k) if i == 0 else (j, k, i)


# --- seconds <-> ticks ---------------------------------------------------------------------


def seconds_to_ticks(seconds: float, tick: float) -> int:
    """Seconds rounded up to whole ticks (a tiny tolerance absorbs float noise)."""
    return max(0, math.ceil(seconds / tick - 1e-9))


def ticks_to_seconds(ticks: float, tick: float) -> float:
    return float(ticks) * tick


# --- from a layout -------------------------------------------------------------------------


class LegLike(Protocol):
    seconds: float
    distance: float
    mover: str


def build_problem(layout, legs: Mapping[tuple[str, str], LegLike],
                  task_times: Mapping[tuple[str, str], float] | None = None,
                  empty_runs: Mapping[tuple[str, str], float] | None = None) -> SchedulingProblem:
    """The scheduling problem of a layout that `twin.validate` accepts: one job per lot of
    each product.

    Lot duration on a station = ceil((unit_time * units + setup) / tick), where unit_time is the
    operation's `time`, or for a robot-cell `task` the physics time `task_times[(station, task)]`
    plus `handling`. Raises LayoutError naming the operation when a station set is empty, a
    task time is missing, or `legs` has no finite leg between two stations the routing may
    take one after the other (so `SchedulingProblem.transport_ticks` never falls back to 0 for them).
    `empty_runs[(drop, pick_up)]` are an empty AGV's seconds (`twin.graph.empty_runs`); with them
    the AGVs are individual vehicles starting at the layout's AGV home, without them a fleet cap.
    Their metres (for the distance driven) are the seconds times the AGV speed, which is how
    `twin.graph.empty_runs` made the seconds from the aisle distances.
    """

    from twin.graph import cut_leg_problems  # off the module's import path, as `layout_problem`'s routing

    tick = float(layout.tick)
    task_times = dict(task_times or {})
    station_ids = {s.id for s in layout.stations}
    # legs between stations only (the graph also has docks)
    transport = {
        (a, b): TransportLeg(seconds_to_ticks(leg.seconds, tick), float(leg.distance), str(leg.mover))
        for (a, b), leg in legs.items()
        if a != b and a in station_ids and b in station_ids and math.isfinite(leg.seconds)
    }
    problems: list[Problem] = []
    jobs: list[Job] = []
    physics: list[PhysicsTime] = []
    batch_sizes = {s.id: s.batch_size for s in layout.stations if s.batch_size is not None}
    for i, product in enumerate(layout.products):
        # per-unit time and setup for each (operation, station), computed once per product
        routing: list[tuple[str, list[tuple[str, float, float, bool]]]] = []
        for j, op in enumerate(product.routing):
            path = f"products[{i}].routing[{j}]"
            candidates = layout.candidate_stations(op)
            if not candidates:
                field_name = "stations" if op.stations is not None else "station_kind"
                problems.append(Problem(f"{path}.{field_name}", "no station can do this operation"))
                continue
            if any(station.kind == "buffer" for station in candidates):
                problems.append(Problem(path, f"storage in buffer station '{candidates[0].id}': the running twin "
                                        "simulates it (factory-twin evaluate), the plan does not schedule shared "
                                        "storage yet; without this step the layout can be scheduled"))
                continue
            if op.time is None and op.task is None:
                problems.append(Problem(f"{path}.time", "an operation needs a time or a task"))
                continue
            alts: list[tuple[str, float, float, bool]] = []
            for station in candidates:
                sid = station.id
                # a robot cell runs the task; any other candidate (a manual bench, say) its time
                if op.runs_task(station):
                    seconds = task_times.get((sid, op.task))
                    if seconds is None:
                        problems.append(
                            Problem(f"{path}.task", f"no simulated cycle time for task {op.task!r} on station {sid!r}")
                        )
                        continue
                    physics.append(PhysicsTime(product.id, op.id, sid, op.task, float(seconds)))
                    alts.append((sid, float(seconds) + op.handling, op.setup, True))
                else:
                    alts.append((sid, float(op.time), op.setup, False))
            routing.append((op.id, alts))
        for lot, units in enumerate(product.lots):
            operations = tuple(
                Operation(op_id, tuple(
                    Alternative(sid, seconds_to_ticks(unit * batches(units, batch_sizes[sid]) + setup, tick), phys)
                    if sid in batch_sizes else _alternative(sid, unit, setup, phys, units, product.transfer_batch, tick)
                    for sid, unit, setup, phys in alts))
                for op_id, alts in routing
            )
            jobs.append(
                Job(
                    id=f"{product.id}#{lot}",
                    operations=operations,
                    product=product.id,
                    lot=lot,
                    units=units,
                    family=product.family,
                    release=seconds_to_ticks(product.release, tick),
                    due=None if product.due is None else math.floor(product.due / tick + 1e-9),
                    weight=float(product.weight),
                    transfer_batches=_transfer_batches(units, product.transfer_batch),
                )
            )
    problems += lot_fit_problems(layout, task_times)
    pools = _tick_pools(layout, tick, problems)
    problems += cut_leg_problems(layout, legs)  # a lot must be able to travel every leg its routing may take
    if problems:
        raise LayoutError(problems, source=layout.name)
    changeovers: dict[str, dict[tuple[str, str], int]] = {}
    for rule in layout.changeovers:
        for sid in rule.stations:
            table = changeovers.setdefault(sid, {})
            key = (rule.from_family, rule.to_family)
            table[key] = max(table.get(key, 0), seconds_to_ticks(rule.time, tick))
    vehicles: dict = {}
    if empty_runs is not None:
        finite = {pair: seconds for pair, seconds in empty_runs.items() if math.isfinite(seconds)}
        speed = float(layout.transport.agv.speed)
        vehicles = {"homes": {"agv": layout.agv_home()},
                    "empty_runs": {"agv": {pair: seconds_to_ticks(seconds, tick) for pair, seconds in finite.items()}},
                    "empty_distances": {"agv": {pair: seconds * speed for pair, seconds in finite.items()}}}
    return SchedulingProblem(
        jobs=tuple(jobs),
        capacities={s.id: s.capacity for s in layout.stations},
        transport=transport,
        fleets={"agv": layout.transport.agv.fleet_size},
        **vehicles,
        changeovers=changeovers,
        tick=tick,
        name=layout.name,
        physics_times=tuple(physics),
        pools=pools,
        manned=manned_pools(layout),
        batch_sizes=batch_sizes,
    )


def _alternative(station: str, unit: float, setup: float, physics: bool, units: int, batch: int | None,
                 tick: float) -> Alternative:
    """A lot of `units` on `station`; in transfer batches of `batch` units (fewer than the lot)
    also the ticks until the first batch is done (set-up included) and of one full batch.

    The end-end lag takes a full batch even when the last one is smaller: the batch before a
    short last batch may be the one that binds (a slower upstream station delivers it after the
    next station would need it), and a full batch's time covers both; exact when the batch
    divides the lot, otherwise at most one batch early on the next station's end."""
    duration = seconds_to_ticks(unit * units + setup, tick)
    if batch is None or batch >= units:
        return Alternative(station, duration, physics)
    return Alternative(station, duration, physics, first_batch=seconds_to_ticks(unit * batch + setup, tick),
                       last_batch=seconds_to_ticks(unit * batch, tick))


def _transfer_batches(units: int, batch: int | None) -> int:
    """How many transfer batches a lot of `units` moves on in (the last one holds the rest)."""
    return 1 if batch is None or batch >= units else -(-units // batch)


def _tick_pools(layout, tick: float, problems: list[Problem]) -> dict[str, OperatorPool]:
    """The layout's operator pools with their calendars in whole ticks: a stretch starts at
    the next tick and ends at the tick before it ends, so a planned operation never runs off shift."""
    pools = {}
    for pool, calendar in zip(layout.operators.pools, calendars(layout).values()):
        if calendar.period is None:
            pools[pool.id] = OperatorPool(pool.size, ALWAYS)
            continue
        period = calendar.period / tick
        if abs(period - round(period)) > 1e-6:
            problems.append(Problem("tick", f"must divide a day (86400 s) evenly when operators work shifts, got {tick:g}"))
            return {}
        windows: list[tuple[float, float]] = []
        for start, end in calendar.windows:
            a, b = math.ceil(start / tick - 1e-9), math.floor(end / tick + 1e-9)
            if windows and a <= windows[-1][1]:
                windows[-1] = (windows[-1][0], float(b))
            elif b > a:
                windows.append((float(a), float(b)))
        pools[pool.id] = OperatorPool(pool.size, Calendar(float(round(period)), tuple(windows)))
    return pools


def layout_problem(layout, task_times: Mapping[tuple[str, str], float]) -> SchedulingProblem:
    """The scheduling problem of a placed layout, the one way every caller builds it:
    transport legs and empty AGV runs routed over its aisles (as the running twin has them),
    robot-cell cycle times as given (measured by `twin.physics.task_times`; empty without
    robot cells)."""
    from twin.graph import AisleRouter, empty_runs, transport_legs

    router = AisleRouter(layout)
    return build_problem(layout, transport_legs(layout, router), task_times, empty_runs(layout, router))
