"""One replication of the running twin on SimPy.

Lots enter at their release (the layout's lots) or arrive at a steady rate; each operation
waits in a station's input buffer, runs on a lane (changeover, the operation's setup, then
the units' drawn times, interrupted by failures), waits in the output buffer (a full one
blocks the lane) and is carried to its next station by an AGV or a conveyor once a place is
free in that station's input buffer. A lot's first operation takes it in at its station
directly and its last one ships it, as in the plan. A lot with transfer batches moves on
batch by batch (one trip each): its next operation starts once the first batch arrives, and
takes each later batch as it comes.

A little over 400 lines: a lot's way and a lane's loop read best next to each other.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from twin.batching import batches
from twin.errors import InputError
from twin.sim.accounting import Level
from twin.sim.agv import Fleet, Trip
from twin.sim.control import Plan, check_policy, queue_key
from twin.sim.factory import Factory, OperationSpec, ProductSpec
from twin.sim.operators import Crew
from twin.sim.randomness import Sampler, stream
from twin.sim.stations import InputQueue, Lane, Slots, StationRuntime


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes (for the benchmark)."""

    steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


@dataclass(eq=False)
class Lot:
    id: str
    product: ProductSpec
    units: int
    release: float
    due: float | None
    weight: float
    seq: int
    index: int = 0  # the operation it is at
    station: str = ""
    queued_at: float = 0.0
    finished: simpy.Event | None = None
    needs: Counter = field(default_factory=Counter)  # station -> remaining operations it may do
    batches: list[int] = field(default_factory=list)  # units per transfer batch
    done: list[simpy.Event] = field(default_factory=list)  # per batch (if several): processed at its station
    arrived: list[simpy.Event] | None = None  # per batch: there for its operation (None: all are)
    stored: tuple[Any, float, OperationSpec] | None = None  # in a buffer station: (its place, since, operation)

    @property
    def operation(self) -> OperationSpec:
        return self.product.operations[self.index]

    def mean_seconds(self, station: str, operation: OperationSpec | None = None) -> float:
        alt = (operation or self.operation).on(station)
        return alt.unit_seconds * batches(self.units, alt.batch_size) + alt.setup


@dataclass(frozen=True)
class OperationRecord:
    lot: str
    product: str
    operation: str
    station: str
    lane: int
    start: float  # after any changeover; the operation's own setup is inside [start, end]
    end: float
    changeover: float


@dataclass
class Replication:
    """What one run measured (times in seconds, shares of lane or vehicle time)."""

    replication: int
    end: float
    throughput_per_hour: float
    lead_time_s: float
    lead_time_p90_s: float
    wip: float
    weighted_tardiness: float
    completed_units: int
    stations: dict[str, dict[str, float]]
    active_period_s: dict[str, float]
    bottleneck: str | None
    agvs: dict[str, float]
    events: int
    operators: dict[str, dict[str, float]] = field(default_factory=dict)  # pool -> busy/idle/off_shift shares
    operations: list[OperationRecord] = field(default_factory=list)
    trips: list[Trip] = field(default_factory=list)
    failures: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)
    states: dict[str, list[tuple[float, int, str]]] = field(default_factory=dict)  # station -> (time, lane, state)
    wip_curve: list[tuple[float, float]] = field(default_factory=list)  # (time, units in the factory from then)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value with at least share q of the weight at or below it."""
    if values.size == 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1] - 1e-9)])


class Simulation:
    def __init__(self, factory: Factory, *, policy: str = "fifo", plan: Plan | None = None, seed: int = 0,
                 replication: int = 0, horizon: float | None = None, warmup: float = 0.0, trace: bool = False):
        if horizon is None and any(p.rate is not None for p in factory.products):
            raise InputError("a steady demand rate runs forever: give a horizon")
        if horizon is not None and not warmup < horizon:
            raise InputError(f"the warm-up ({warmup:g} s) must end before the horizon ({horizon:g} s)")
        self.factory, self.plan, self.policy = factory, plan, check_policy(policy)
        self.seed, self.replication, self.horizon, self.warmup, self.trace = seed, replication, horizon, warmup, trace
        self.env = env = CountingEnvironment()
        self.stations = {
            sid: StationRuntime(spec, env, warmup, stream(seed, replication, "station", sid, "process"),
                                InputQueue(None if plan is not None else queue_key(self.policy, sid)))
            for sid, spec in factory.stations.items()
        }
        for runtime in self.stations.values():
            runtime.setup_failures(seed, replication)
        self.fleet = Fleet(env, factory, warmup, *((plan.vehicle_sequences(), plan.empty_starts) if plan is not None
                                                   else ()))
        self.crew = Crew(env, dict(factory.pools), dict(factory.manned))
        self.belts = {pair: Slots(env, leg.places) for pair, leg in factory.legs.items() if leg.places is not None}
        self.wip = Level(warmup, record=trace)
        if trace:
            for runtime in self.stations.values():
                runtime.start_timeline()
        self.completed: list[tuple[float, float, int, float | None, float]] = []  # release, done, units, due, weight
        self.records: list[OperationRecord] = []
        self.conveyor_trips: list[Trip] = []
        self._seq = 0

    # --- demand ---------------------------------------------------------------------------

    def _release_lots(self, product: ProductSpec):
        if product.release > 0:
            yield self.env.timeout(product.release)
        for k, units in enumerate(product.lots):
            self._start(f"{product.id}#{k}", product, units)

    def _arrivals(self, product: ProductSpec):
        rng = stream(self.seed, self.replication, "product", product.id, "arrivals")
        gap = Sampler(product.arrivals, product.lot_size * 3600.0 / product.rate)
        if product.release > 0:
            yield self.env.timeout(product.release)
        n = 0
        while True:
            yield self.env.timeout(gap.draw(rng))
            self._start(f"{product.id}@{n}", product, product.lot_size)
            n += 1

    def _start(self, lot_id: str, product: ProductSpec, units: int) -> None:
        now = self.env.now
        due = None if product.due is None else now + (product.due - product.release)
        lot = Lot(lot_id, product, units, now, due, product.weight, self._seq, batches=product.batches(units))
        self._seq += 1
        for k in range(len(product.operations)):
            for sid in self._candidates(lot, k):
                lot.needs[sid] += 1
        for sid in lot.needs:
            self.stations[sid].add_demand(+1)
        self.env.process(self._lot(lot) if len(lot.batches) == 1 else self._batched_lot(lot))

    def _candidates(self, lot: Lot, k: int) -> list[str]:
        op = lot.product.operations[k]
        if self.plan is not None:
            return [self.plan.operations[(lot.id, op.id)].station]
        return [alt.station for alt in op.alternatives]

    # --- a lot's way through the factory --------------------------------------------------

    def _lot(self, lot: Lot):
        self.wip.add(self.env.now, lot.units)
        station = yield from self._reserve(lot, None)
        self._arrive(lot, station)
        last = len(lot.product.operations) - 1
        while True:
            yield lot.finished
            here = lot.station
            if lot.index == last:
                break
            lot.index += 1
            there = yield from self._reserve(lot, here)
            yield from self._move(lot, here, there)
            self._arrive(lot, there)
        self._ship(lot)

    def _batched_lot(self, lot: Lot):
        """A lot in transfer batches: once its first batch is done it reserves room at the next
        station, each batch travels on its own, and the next operation begins with the first."""
        self.wip.add(self.env.now, lot.units)
        station = yield from self._reserve(lot, None)
        self._arrive(lot, station)
        last = len(lot.product.operations) - 1
        while lot.index < last:
            here, done, finished = lot.station, lot.done, lot.finished
            yield done[0]
            lot.index += 1
            there = yield from self._reserve(lot, here)
            arrivals = [self.env.event() for _ in lot.batches]
            for i in range(len(lot.batches)):
                last_batch = i == len(lot.batches) - 1
                self.env.process(self._carry_batch(lot, here, there, finished if last_batch else done[i],
                                                   arrivals[i], last_batch, i))
            yield arrivals[0]
            lot.arrived = arrivals
            self._arrive(lot, there)
        yield lot.finished
        self._ship(lot)

    def _ship(self, lot: Lot) -> None:
        """The lot's last operation is done: it leaves its station and the factory."""
        self._leave(lot, lot.station)
        self.wip.add(self.env.now, -lot.units)
        self.completed.append((lot.release, self.env.now, lot.units, lot.due, lot.weight))

    def _carry_batch(self, lot: Lot, a: str, b: str, ready: simpy.Event, arrived: simpy.Event, last: bool,
                     batch: int):
        """Transfer batch `batch` from a to b once it is processed; the last one frees a's output place."""
        yield ready
        yield from self._move(lot, a, b, last, batch)
        arrived.succeed()

    def _room(self, here: str | None, there: str) -> Slots:
        """Where a lot needs a place before it leaves for `there`: on the belt that links the
        two stations when it has a pitch (the belt is the buffer), else in there's input buffer."""
        return self.belts.get((here, there)) or self.stations[there].inputs

    def _reserve(self, lot: Lot, here: str | None):
        """Room towards the station that will do the lot's operation: the planned one, else
        the alternative expected to be free first (queued work per lane)."""
        candidates = self._candidates(lot, lot.index)
        if self.plan is not None:
            yield self._room(here, candidates[0]).request()
            chosen = candidates[0]
        else:
            while True:
                ranked = sorted(candidates, key=lambda s: self.stations[s].backlog / self.stations[s].spec.capacity)
                chosen = next((s for s in ranked if self._room(here, s).try_take()), None)
                if chosen is not None:
                    break
                yield self.env.any_of([self._room(here, s).watch() for s in candidates])
        self.stations[chosen].backlog += lot.mean_seconds(chosen)
        return chosen

    def _move(self, lot: Lot, a: str, b: str, frees_output: bool = True, batch: int = 0):
        leg = self.factory.leg(a, b)
        release = (lambda: self._leave(lot, a)) if frees_output else _nothing
        if leg.mover == "agv":
            yield from self.fleet.carry(lot.id, leg, a, b, release, batch)
            return
        release()
        start = self.env.now
        if leg.seconds > 0:
            yield self.env.timeout(leg.seconds)
        belt = self.belts.get((a, b))
        if belt is not None:  # wait at the belt's end for room at b, holding the belt place
            yield self.stations[b].inputs.request()
            belt.release()
        if a != b:
            self.conveyor_trips.append(Trip(lot.id, -1, a, b, start, self.env.now, 0.0))

    def _arrive(self, lot: Lot, station: str) -> None:
        lot.station = station
        lot.queued_at = self.env.now
        lot.finished = self.env.event()
        lot.done = [self.env.event() for _ in lot.batches] if len(lot.batches) > 1 else []
        runtime = self.stations[station]
        if runtime.spec.storage:
            self._store(lot, runtime)
        else:
            runtime.enqueue(lot)

    def _store(self, lot: Lot, runtime: StationRuntime) -> None:
        """A lot put into a buffer station: it takes one of its places (the room reserved for
        it) and is done there at once; the place shows `blocked` until the lot moves on."""
        self._taken(lot)
        lane = next(lane for lane in runtime.lanes if lane.state != "blocked")
        runtime.set_state(lane, "blocked")
        lot.stored = (lane, self.env.now, lot.operation)
        lot.finished.succeed()

    def _taken(self, lot: Lot) -> None:
        """The lot's current operation has its station: the other candidates need it less."""
        for s in self._candidates(lot, lot.index):
            lot.needs[s] -= 1
            if lot.needs[s] == 0:
                self.stations[s].add_demand(-1)

    def _leave(self, lot: Lot, station: str) -> None:
        """The lot leaves `station`: its output place, or its place in a buffer station, is free."""
        runtime = self.stations[station]
        if not runtime.spec.storage:
            runtime.outputs.release()
            return
        lane, since, operation = lot.stored
        runtime.inputs.release()
        runtime.set_state(lane, runtime.free_state())
        if self.trace:
            self.records.append(OperationRecord(lot.id, lot.product.id, operation.id, station, lane.index, since,
                                                self.env.now, 0.0))

    # --- lanes ----------------------------------------------------------------------------

    def _next_lot(self, runtime: StationRuntime, planned: tuple[str, str, float] | None):
        """Take the next lot out of the input buffer: the rule's first, or the planned one."""
        if planned is None:
            while not len(runtime.queue):
                yield runtime.arrival()
            return runtime.queue.pop_next()
        while (lot := runtime.queue.pop(planned[0], planned[1])) is None:
            yield runtime.arrival()
        return lot

    def _batch(self, runtime: StationRuntime, lot: Lot, sequence, position: int):
        """The lots that run with `lot` on a batch machine (`twin.batching`): the plan's lots
        planned to start with it, or the waiting lots that may share its batch, in queue order."""
        size = runtime.spec.batch_size
        group = [lot]
        if size is None:
            return group, position
        if sequence is not None:
            while position < len(sequence) and sequence[position][2] == sequence[position - 1][2]:
                group.append((yield from self._next_lot(runtime, sequence[position])))
                position += 1
            return group, position
        room = [size - lot.units]

        def shares(other: Lot) -> bool:
            fits = (other.product.family == lot.product.family and other.operation.id == lot.operation.id
                    and other.operation.on(runtime.spec.id) == lot.operation.on(runtime.spec.id)
                    and other.units <= room[0])
            if fits:
                room[0] -= other.units
            return fits

        return group + runtime.queue.take(shares), position

    def _lane(self, runtime: StationRuntime, lane: Lane, sequence: list[tuple[str, str, float]] | None):
        env, sid = self.env, runtime.spec.id
        position = 0
        while True:
            planned = None
            if sequence is not None:
                if position == len(sequence):
                    return
                planned, position = sequence[position], position + 1
            lot = yield from self._next_lot(runtime, planned)
            group, position = yield from self._batch(runtime, lot, sequence, position)
            # the lot may move on (its index with it) while this lane still works its batches
            operation, finished, done, arrived = lot.operation, lot.finished, lot.done, lot.arrived
            for member in group:
                runtime.inputs.release()
                self._taken(member)
            alt = operation.on(sid)
            change = self.factory.changeover(sid, lane.family, lot.product.family)
            not_before = planned[2] if planned is not None else env.now
            if env.now < not_before - change:
                yield env.timeout(not_before - change - env.now)
            if change > 0:
                runtime.set_state(lane, "setup")
                yield env.timeout(change)
                runtime.set_state(lane, runtime.free_state())
            if env.now < not_before:
                yield env.timeout(not_before - env.now)
            lane.family = lot.product.family
            pool = hold = calendar = None
            if self.crew.needs_operator(sid):
                runtime.set_state(lane, "unmanned")
                pool, hold = yield from self.crew.acquire(sid, lot.mean_seconds(sid, operation))
                calendar = pool.spec.calendar
            start = env.now
            if alt.setup > 0:
                runtime.set_state(lane, "setup")
                yield from runtime.work(lane, alt.setup, calendar, "setup")
            if runtime.spec.batch_size is None:  # unit by unit, transfer batch by transfer batch
                for i, units in enumerate(lot.batches):
                    if arrived is not None and not arrived[i].triggered:
                        runtime.set_state(lane, "starved")
                        yield arrived[i]
                    runtime.set_state(lane, "busy")
                    seconds = Sampler(operation.variability, alt.unit_seconds).draw(runtime.process_rng, units)
                    yield from runtime.work(lane, seconds, calendar)
                    if done:
                        done[i].succeed()
            else:  # a batch machine: whole lots (`twin.batching`), one drawn time per batch cycle
                runtime.set_state(lane, "busy")
                cycles = batches(sum(member.units for member in group), runtime.spec.batch_size)
                seconds = Sampler(operation.variability, alt.unit_seconds).draw(runtime.process_rng, cycles)
                yield from runtime.work(lane, seconds, calendar)
            end = env.now
            if pool is not None:
                pool.give_back(hold)
            for member in group:
                runtime.backlog -= member.mean_seconds(sid, operation)
                if not runtime.outputs.try_take():
                    runtime.set_state(lane, "blocked")
                    yield runtime.outputs.request()
            runtime.set_state(lane, runtime.free_state())
            for member in group:
                if self.trace:
                    self.records.append(OperationRecord(member.id, member.product.id, operation.id, sid,
                                                        lane.index, start, end, change))
                (finished if member is lot else member.finished).succeed()

    # --- the run --------------------------------------------------------------------------

    def run(self) -> Replication:
        env = self.env
        sequences = self.plan.lane_sequences() if self.plan is not None else {}
        for runtime in self.stations.values():
            if runtime.spec.storage:
                continue  # places, not lanes that work
            for lane in runtime.lanes:
                seq = sequences.get((runtime.spec.id, lane.index), []) if self.plan is not None else None
                env.process(self._lane(runtime, lane, seq))
        for product in self.factory.products:
            env.process(self._arrivals(product) if product.rate is not None else self._release_lots(product))
        if self.horizon is None:
            env.run()
        else:
            env.run(until=self.horizon)
        return self._result(env.now if self.horizon is None else self.horizon)

    def _result(self, end: float) -> Replication:
        window = max(end - self.warmup, 0.0)
        done = [c for c in self.completed if c[1] >= self.warmup]
        units = np.array([c[2] for c in done], dtype=float)
        leads = np.array([c[1] - c[0] for c in done], dtype=float)
        shipped = float(units.sum())
        stations = {sid: rt.occupancy.shares(end) for sid, rt in self.stations.items()}
        active = {sid: rt.active.mean(end) for sid, rt in self.stations.items()}
        longest = max(active.values(), default=0.0)
        bottleneck = next((sid for sid, v in active.items() if v == longest), None) if longest > 0 else None
        return Replication(
            replication=self.replication,
            end=end,
            throughput_per_hour=shipped / window * 3600.0 if window > 0 else 0.0,
            lead_time_s=float(np.average(leads, weights=units)) if shipped else 0.0,
            lead_time_p90_s=weighted_quantile(leads, units, 0.9),
            wip=self.wip.average(end),
            weighted_tardiness=float(sum(w * max(0.0, t - d) for _, t, _, d, w in done if d is not None)),
            completed_units=int(shipped),
            stations=stations,
            active_period_s=active,
            bottleneck=bottleneck,
            agvs=self.fleet.occupancy.shares(end),
            operators=self.crew.shares(self.warmup, end),
            events=env_steps(self.env),
            operations=self.records,
            trips=sorted(self.fleet.trips + self.conveyor_trips, key=lambda t: (t.start, t.lot)) if self.trace else [],
            failures={sid: rt.failures for sid, rt in self.stations.items() if rt.failures} if self.trace else {},
            states={sid: rt.timeline for sid, rt in self.stations.items()} if self.trace else {},
            wip_curve=self.wip.curve or [],
        )


def _nothing() -> None:
    """What a transfer batch that is not the lot's last frees at its station: nothing."""


def env_steps(env: simpy.Environment) -> int:
    return getattr(env, "steps", 0)


def run_replication(factory: Factory, replication: int = 0, **options: Any) -> Replication:
    """Simulate the factory once (see `Simulation` for the options)."""
    return Simulation(factory, replication=replication, **options).run()


__all__ = ["Lot", "OperationRecord", "Replication", "Simulation", "run_replication",
           "weighted_quantile"]
