"""Dispatching-rule schedules: fast, feasible, not optimal.

A flexible Giffler-Thompson list scheduler: repeatedly take the operation that could finish
first (on station s*), gather every ready operation that could start on s* before that, and
let a priority rule pick among them. It respects transport gaps (and transfer-batch lags),
changeovers, lanes and fleets of vehicles (a trip takes the vehicle that lets it leave first, of those the one there
last, which drives empty from its last drop or its home, and may wait for one) as the CP-SAT model does. Several
rules (and seeded random tie-breaking) are tried and the best schedule kept; the CP-SAT
scheduler uses it as its warm start and horizon.
"""
from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from twin.errors import NoFeasibleSchedule

from optimizer.fleet_timeline import FleetTimeline
from optimizer.problem import Alternative, Job, SchedulingProblem, trip_key
from optimizer.schedule import Schedule, make_schedule, validate_objective

Key = tuple[int, int]  # (job index, operation index)
TripKey = tuple[int, ...]  # a trip: its move (job, operation), plus the transfer batch from the second (`trip_key`)
Placed = dict[Key, tuple[str, int, int]]

RULES = ("mwkr", "spt", "mopnr", "edd", "atc", "fifo", "setup")


def pick_vehicle(ready: int, there: list[int], empty: list[int]) -> int:
    """The vehicle that carries a planned trip when `follow` re-times a plan, the load being
    ready at `ready`, given when each vehicle can be at the pick-up (`there`) and its empty
    run there (`empty`): the one that lets the trip leave first; of those, the nearest (the
    shortest empty run, as the running twin's fleet sends the nearest idle vehicle), then the
    one there last. This choice sets the trips' times; a layout's plan is then carried by the
    vehicles that drive the least empty at them (`vehicle_assignment.drive_least_empty`).
    The list scheduler keeps the one there last, which leaves the vehicle free earlier for
    the trips it has not placed yet: the nearest there made its warm starts, and CP-SAT's plans
    from them, longer (electronics 1.9 %, food_packaging 3.3 % in the mean of seeds 0-3)."""
    return min(range(len(there)), key=lambda n: (max(ready, there[n]), empty[n], -there[n], n))


@dataclass(frozen=True)
class ListSchedule:
    """A list schedule: {(job, operation): (station, lane, start)}, when each lot (each of its
    transfer batches) leaves on a fleet leg ({trip key: tick}, since a trip may wait for a
    vehicle) and which vehicle of its fleet carries it (when known; `make_schedule` assigns the others)."""

    placed: Placed
    departures: dict[TripKey, int]
    vehicles: dict[TripKey, int] = field(default_factory=dict)
    pools: dict[Key, str] = field(default_factory=dict)  # the operator pool of each manned operation


def _remaining_work(job: Job) -> list[int]:
    """Remaining work from each operation on (minimum duration over alternatives)."""
    mins = [min(a.duration for a in op.alternatives) for op in job.operations]
    out, acc = [0] * len(mins), 0
    for k in range(len(mins) - 1, -1, -1):
        acc += mins[k]
        out[k] = acc
    return out


def list_schedule(
    problem: SchedulingProblem, rule: str = "mwkr", rng: random.Random | None = None, *, stop_at: float | None = None,
) -> ListSchedule:
    """One list schedule under a priority rule; `rng` adds random tie-breaking noise. Raises
    NoFeasibleSchedule when `stop_at` (a `time.monotonic()` value) passes before it is done:
    a caller's time limit is a hard bound."""
    jobs = problem.jobs
    work = [_remaining_work(job) for job in jobs]
    total = sum(w[0] for w in work if w) or 1
    n_ops = problem.n_operations
    lanes: dict[str, list[list]] = {s: [[0, None] for _ in range(c)] for s, c in problem.capacities.items()}
    nxt = [0] * len(jobs)
    # when the lot (its first transfer batch) may leave the previous operation (or release);
    # never later than its next start minus the transport, so a valid bound on that start
    ready = [job.release for job in jobs]
    where: list[str | None] = [job.origin for job in jobs]
    started = [0] * len(jobs)  # when the previous operation started (for transfer-batch lags)
    vehicles = {mover: FleetTimeline(problem, mover, size) for mover, size in problem.fleets.items()}
    crews: dict[str, list[int]] = {pool_id: [0] * pool.size for pool_id, pool in problem.pools.items()}  # free times
    placed: Placed = {}
    departures: dict[TripKey, int] = {}
    carried_by: dict[TripKey, int] = {}
    pools: dict[Key, str] = {}
    last_batch: dict[str, list] = {}  # batch machine -> [start, end, first operation, units] of its latest batch

    def trip(j: int, station: str) -> tuple[int, list[tuple[int, str, int, int]]]:
        """(when job j's lot can start on `station`, its trips there [(batch, mover, vehicle,
        departure)], none off a fleet leg). Each trip takes the vehicle that can be at the
        pick-up first (after its empty run, between the trips it is booked for), and of those in
        time the one that gets there last (keeping the others for lots ready earlier); a lot in
        transfer batches makes one trip per batch, each leaving once its batch is done."""
        if where[j] is None:
            return ready[j], []
        leg = problem.fleet_leg(where[j], station)
        if leg is None:
            if jobs[j].batched and nxt[j] > 0:
                return problem.earliest_after(jobs[j], nxt[j], where[j], started[j], station), []
            return ready[j] + problem.transport_ticks(where[j], station), []
        fleet = vehicles[leg.mover]
        job, k = jobs[j], nxt[j]
        batches = problem.batch_trips(job, k)
        start, carried = 0, []
        for i in range(batches):
            leaves = ready[j] if batches == 1 else started[j] + problem.batch_ready(job, k - 1, where[j], i)
            if carried:  # the batches leave in their order (a gap may open for a later one only)
                leaves = max(leaves, carried[-1][3])
            slot = min(fleet.slots(where[j], station, leg.ticks, leaves), key=lambda s: (s.depart, -s.there, s.vehicle))
            if i < batches - 1:  # booked for the batches after it, then taken back
                fleet.book(slot.vehicle, slot.depart, where[j], station, leg.ticks)
            need = problem.batch_need(job, k, station, i)
            start = max(start, slot.depart + leg.ticks - need)
            carried.append((i, leg.mover, slot.vehicle, slot.depart))
        for _, _, vehicle, depart in carried[:-1]:
            fleet.unbook(vehicle, depart, where[j], station, leg.ticks)
        return start, carried

    def staffed(station: str, start: int, duration: int) -> tuple[int, tuple[str, int] | None]:
        """The earliest start >= `start` at which an operator who can run `station` is free and
        on shift for `duration` ticks, and (pool, operator); (start, None) when none is needed."""
        best: tuple[int, tuple[str, int] | None] | None = None
        for pool_id in problem.operator_pools(station, duration):
            free = crews[pool_id]
            begin = problem.pools[pool_id].calendar.next_fit(max(start, min(free)), duration)
            if begin is None:
                continue
            idle = [o for o, t in enumerate(free) if t <= begin]
            choice = (int(begin), (pool_id, max(idle, key=free.__getitem__)))
            if best is None or choice[0] < best[0]:
                best = choice
        if best is None and problem.operator_pools(station, duration):
            raise NoFeasibleSchedule(f"no operator can run {station} for {duration} ticks within one on-shift stretch")
        return best or (start, None)

    def earliest(j: int, station: str, duration: int) -> tuple[int, int, int, int, tuple[str, int] | None]:
        """(start, end, lane, changeover, (pool, operator)) of the next operation of job j on
        `station`, best lane."""
        arrive = trip(j, station)[0]
        if duration == 0:
            return arrive, arrive, 0, 0, None
        batch = last_batch.get(station)
        if (batch is not None and arrive <= batch[0] and problem.can_share(station, batch[2], (j, nxt[j]))
                and batch[3] + jobs[j].units <= problem.batch_sizes[station]):
            return batch[0], batch[1], 0, 0, None  # joins the batch that starts then
        best = None
        for lane, (free, fam) in enumerate(lanes[station]):
            setup = problem.changeover_ticks(station, fam, jobs[j].family) if fam is not None else 0
            start, operator = staffed(station, max(arrive, free + setup), duration)
            if best is None or start < best[0]:
                best = (start, start + duration, lane, setup, operator)
        return best

    def priority(j: int, duration: int, start: int, setup: int) -> float:
        job, k = jobs[j], nxt[j]
        if rule == "setup":  # avoid changeovers (batch families), then most work remaining
            value = -setup * (total + 1) + work[j][k]
        elif rule == "mwkr":
            value = work[j][k]
        elif rule == "spt":
            value = -duration
        elif rule == "mopnr":
            value = len(job.operations) - k + work[j][k] / total
        elif rule == "edd":
            value = -(job.due if job.due is not None else 10**12)
        elif rule == "atc":  # apparent tardiness cost, simplified
            slack = (job.due if job.due is not None else 10**12) - start - work[j][k]
            value = job.weight / max(1, work[j][k]) * (1.0 if slack <= 0 else 1.0 / (1.0 + slack / max(1, total / len(jobs))))
        elif rule == "fifo":
            value = -ready[j]
        else:
            raise ValueError(f"unknown dispatching rule {rule!r}; valid: {', '.join(RULES)}")
        if rng is not None:
            value *= 1.0 + 0.2 * rng.random()
            value += 1e-6 * rng.random()
        return value

    def commit(j: int, station: str, lane: int, start: int, duration: int,
               operator: tuple[str, int] | None = None) -> None:
        k = nxt[j]
        for i, mover, index, depart in trip(j, station)[1]:
            vehicles[mover].book(index, depart, where[j], station, problem.transport_ticks(where[j], station))
            departures[trip_key(j, k, i)] = depart
            carried_by[trip_key(j, k, i)] = index
        if operator is not None:
            crews[operator[0]][operator[1]] = start + duration
            pools[(j, k)] = operator[0]
        if station in problem.batch_sizes and duration > 0:
            batch = last_batch.get(station)
            if batch is not None and batch[:2] == [start, start + duration]:
                batch[3] += jobs[j].units
            else:
                last_batch[station] = [start, start + duration, (j, k), jobs[j].units]
        placed[(j, k)] = (station, lane, start)
        if duration > 0:
            lanes[station][lane] = [start + duration, jobs[j].family]
        ready[j] = start + (jobs[j].operations[k].alternative_on(station).first if jobs[j].batched else duration)
        started[j] = start
        where[j] = station
        nxt[j] += 1

    # per operation: the station of its first zero-length alternative (placed at once, it takes
    # no lane), and its duration on each station
    zero_at = [[next((a.station for a in op.alternatives if a.duration == 0), None) for op in job.operations]
               for job in jobs]
    duration_at = [[{s: op.duration_on(s) for s in dict.fromkeys(a.station for a in op.alternatives)}
                    for op in job.operations] for job in jobs]
    active = [j for j, job in enumerate(jobs) if job.operations]  # jobs with operations left, in order
    changed = list(active)  # jobs whose next operation may be a zero-length one
    placed_now = list(active)  # jobs placed since `active` was last brought up to date
    while True:
        if stop_at is not None and time.monotonic() > stop_at:
            raise NoFeasibleSchedule(
                f"the time limit ran out before the first dispatching-rule schedule was complete ({len(placed):,} of "
                f"{n_ops:,} operations placed); give a longer time limit")
        # zero-length operations occupy no lane: place them as soon as they are next, sweeping
        # the jobs in order until none is left (only a job just placed can have a new one)
        while changed:
            progressed = []
            for j in changed:
                if nxt[j] < len(jobs[j].operations) and zero_at[j][nxt[j]] is not None:
                    station = zero_at[j][nxt[j]]
                    commit(j, station, 0, earliest(j, station, 0)[0], 0)
                    progressed.append(j)
            changed = progressed
            placed_now += progressed
        if any(nxt[j] == len(jobs[j].operations) for j in placed_now):
            active = [j for j in active if nxt[j] < len(jobs[j].operations)]
        placed_now = []
        if not active:
            break
        # A start is never before max(ready[j], the station's first free lane): a cheap bound
        # that skips most exact `earliest` evaluations without changing the choice.
        lane_free = {station: min(free for free, _ in station_lanes) for station, station_lanes in lanes.items()}
        for station, batch in last_batch.items():  # a lot may still join the latest batch
            lane_free[station] = min(lane_free[station], batch[0])
        best = None  # (end, start, j, station)
        seen: dict[tuple[int, str, int], tuple] = {}  # this step's `earliest` answers (nothing changes within it)
        for j in active:
            r = ready[j]
            for alt in jobs[j].operations[nxt[j]].alternatives:
                station, duration = alt.station, alt.duration
                free = lane_free[station]
                bound = r if r > free else free
                if best is not None and (bound + duration, bound) >= best[:2]:
                    continue
                found = seen[(j, station, duration)] = earliest(j, station, duration)
                start, end = found[0], found[1]
                if best is None or (end, start) < best[:2]:
                    best = (end, start, j, station)
        c_star, _, _, s_star = best
        conflict = []
        free_star = lane_free[s_star]
        for j in active:
            duration = duration_at[j][nxt[j]].get(s_star)
            if duration is None or max(ready[j], free_star) >= c_star:
                continue
            found = seen.get((j, s_star, duration))
            start, _, lane, setup, operator = found if found is not None else earliest(j, s_star, duration)
            if start < c_star:
                conflict.append((j, duration, start, lane, setup, operator))
        j, duration, start, lane, _, operator = max(
            conflict, key=lambda c: (priority(c[0], c[1], c[2], c[4]), -c[2], -c[0]))
        commit(j, s_star, lane, start, duration, operator)
        changed, placed_now = [j], [j]
    return ListSchedule(placed, departures, carried_by, pools)


@dataclass(frozen=True)
class Frozen:
    """What a re-timing leaves as planned (a re-plan's past): `operations` at their planned
    start, `trips` {move: vehicle} at their planned departure on that vehicle; everything
    else starts and leaves no earlier than `not_before`."""

    operations: frozenset[Key] = frozenset()
    trips: dict[TripKey, int] = field(default_factory=dict)
    not_before: int = 0


def follow(problem: SchedulingProblem, placed: Placed, departures: dict[TripKey, int],
           pools: dict[Key, str] | None = None, frozen: Frozen | None = None) -> ListSchedule:
    """A plan's stations, lanes and orders re-timed so that a vehicle of its fleet carries every
    trip: each trip, in the order of its planned departure, takes the vehicle that lets it
    leave first, of those the nearest (`pick_vehicle`), between the trips the vehicles are booked
    for (a lot in transfer batches books its later batches' trips when the operation they feed
    starts; `FleetTimeline`); each operation, in the order of its planned start,
    starts as soon as its lot arrives, its lane's previous operation (and changeover) is done
    and an operator of its planned pool (`pools`) is free and on shift for it; the lots of one
    planned batch start together once all have arrived.
    The CP-SAT scheduler uses it on a plan made without empty runs (a relaxation). With
    `frozen`, those operations and trips stay as planned (the vehicles then stand where their
    frozen trips left them) and the others are pushed past the frozen operations of their lane."""
    pools = pools or {}
    frozen = frozen or Frozen()
    floor = frozen.not_before
    fixed_on_lane: dict[tuple[str, int], list[tuple[int, int, str]]] = {}  # (start, end, family)
    for (j, k) in frozen.operations:
        station, lane, start = placed[(j, k)]
        end = start + problem.jobs[j].operations[k].duration_on(station)
        fixed_on_lane.setdefault((station, lane), []).append((start, end, problem.jobs[j].family))
    crews = {pool_id: [0] * pool.size for pool_id, pool in problem.pools.items()}  # free times
    jobs = problem.jobs
    pick_up = {(j, k): (placed[(j, k - 1)][0] if k > 0 else jobs[j].origin) for (j, k) in placed}
    events = []  # (planned time, 0: an operation starts / 1: a trip leaves, job, operation, batch)
    for (j, k), (station, _, start) in placed.items():
        events.append((start, 0, j, k, 0))
        if problem.fleet_leg(pick_up[(j, k)], station) is not None:
            events += [(departures[trip_key(j, k, i)], 1, j, k, i) for i in range(problem.batch_trips(jobs[j], k))]
    vehicles = {mover: FleetTimeline(problem, mover, size) for mover, size in problem.fleets.items()}
    for key, vehicle in frozen.trips.items():  # booked first: later trips fit around them
        station = placed[key[:2]][0]
        leg = problem.fleet_leg(pick_up[key[:2]], station)
        vehicles[leg.mover].book(vehicle, departures[key], pick_up[key[:2]], station, leg.ticks)
    lanes: dict[tuple[str, int], tuple[int, str]] = {}  # (station, lane) -> (free from, family)
    ends: dict[Key, int] = {}
    arrival: dict[Key, int] = {}
    retimed: Placed = {}
    new_departures: dict[TripKey, int] = {}
    carried_by: dict[TripKey, int] = {}
    batch_start: dict[tuple[str, int], int] = {}  # (batch machine, planned start) -> the batch's new start

    def carry(j: int, k: int, i: int) -> None:
        """Trip i into operation k of job j (a transfer batch's, or the lot's) on the vehicle
        that can be at the pick-up first, leaving once the lot (the batch) is ready."""
        key = trip_key(j, k, i)
        if key in new_departures:
            return
        station = placed[(j, k)][0]
        leg = problem.fleet_leg(pick_up[(j, k)], station)
        fleet = vehicles[leg.mover]
        trips = problem.batch_trips(jobs[j], k)
        if trips == 1:
            ready = ends[(j, k - 1)] if k > 0 else jobs[j].release
        else:
            ready = retimed[(j, k - 1)][2] + problem.batch_ready(jobs[j], k - 1, pick_up[(j, k)], i)
            if i > 0:  # the batches leave in their order
                carry(j, k, i - 1)
                ready = max(ready, new_departures[trip_key(j, k, i - 1)])
        if key in frozen.trips:
            vehicle, depart = frozen.trips[key], departures[key]
        else:
            slots = fleet.slots(pick_up[(j, k)], station, leg.ticks, ready, floor)
            vehicle = pick_vehicle(ready, [s.there for s in slots], [s.empty for s in slots])
            depart = slots[vehicle].depart
            fleet.book(vehicle, depart, pick_up[(j, k)], station, leg.ticks)
        need = problem.batch_need(jobs[j], k, station, i)
        arrival[(j, k)] = max(arrival.get((j, k), 0), depart + leg.ticks - need)
        new_departures[key], carried_by[key] = depart, vehicle

    def arrive_at(j: int, k: int) -> int:
        """When job j's lot is at operation k's station (its trips, or its transport leg): for
        a lot in transfer batches on a fleet leg, the latest start its batches' trips allow."""
        if problem.batch_trips(jobs[j], k) > 1 and problem.fleet_leg(pick_up[(j, k)], placed[(j, k)][0]) is not None:
            for i in range(problem.batch_trips(jobs[j], k)):  # later batches may be planned to leave after the start
                carry(j, k, i)
        if (j, k) in arrival:
            return arrival[(j, k)]
        if jobs[j].batched and k > 0:
            return problem.earliest_after(jobs[j], k, placed[(j, k - 1)][0], retimed[(j, k - 1)][2], placed[(j, k)][0])
        ready = ends[(j, k - 1)] if k > 0 else jobs[j].release
        return ready + (problem.transport_ticks(pick_up[(j, k)], placed[(j, k)][0]) if pick_up[(j, k)] is not None else 0)

    for _, kind, j, k, i in sorted(events):
        station, lane, _ = placed[(j, k)]
        if kind == 1:  # a trip into operation k
            carry(j, k, i)
            continue
        arrive = arrive_at(j, k)
        duration = jobs[j].operations[k].duration_on(station)
        start = arrive
        batch = (station, placed[(j, k)][2]) if station in problem.batch_sizes and duration > 0 else None
        if (j, k) in frozen.operations:
            start = placed[(j, k)][2]
            if duration > 0:
                free, family = lanes.get((station, lane), (0, None))
                lanes[(station, lane)] = (start + duration, jobs[j].family) if start + duration >= free else (free, family)
                if (j, k) in pools:
                    free_ops = crews[pools[(j, k)]]
                    free_ops[min(range(len(free_ops)), key=free_ops.__getitem__)] = start + duration
        elif batch in batch_start:  # a later lot of a batch already re-timed: it starts with it
            start = batch_start[batch]
        elif duration > 0:
            if batch is not None:  # the batch starts once every lot of it has arrived
                arrive = max(arrive_at(jj, kk) for (jj, kk), (st, _, planned) in placed.items()
                             if st == station and planned == batch[1])
            free, family = lanes.get((station, lane), (0, None))
            setup = problem.changeover_ticks(station, family, jobs[j].family) if family is not None else 0
            start = max(arrive, free + setup, floor)
            while True:  # past the frozen operations of its lane, and on shift
                if (j, k) in pools:
                    start = int(problem.pools[pools[(j, k)]].calendar.next_fit(
                        max(start, min(crews[pools[(j, k)]])), duration))
                mine = jobs[j].family
                clash = [e + problem.changeover_ticks(station, f, mine)
                         for s, e, f in fixed_on_lane.get((station, lane), ())
                         if s < start + duration + problem.changeover_ticks(station, mine, f)
                         and start < e + problem.changeover_ticks(station, f, mine)]
                if not clash:
                    break
                start = max(clash)
            if (j, k) in pools:
                free_ops = crews[pools[(j, k)]]
                free_ops[max((o for o, t in enumerate(free_ops) if t <= start), key=free_ops.__getitem__)] = start + duration
            lanes[(station, lane)] = (start + duration, jobs[j].family)
            if batch is not None:
                batch_start[batch] = start
        retimed[(j, k)], ends[(j, k)] = (station, lane, start), start + duration
    return ListSchedule(retimed, new_departures, carried_by, pools)


def job_ends(problem: SchedulingProblem, placed: Placed) -> dict[int, int]:
    """{job index: when its last placed operation ends}."""
    ends: dict[int, int] = {}
    for (j, k), (station, _, start) in placed.items():
        end = start + problem.jobs[j].operations[k].duration_on(station)
        ends[j] = max(ends.get(j, 0), end)
    return ends


def makespan(problem: SchedulingProblem, placed: Placed) -> int:
    """When the last placed operation ends (0 when none is placed)."""
    return max(job_ends(problem, placed).values(), default=0)


def _score(problem: SchedulingProblem, placed: Placed, objective: str) -> tuple:
    ends = job_ends(problem, placed)
    longest = max(ends.values(), default=0)
    tardiness = sum(
        job.weight * max(0, ends.get(j, 0) - job.due) for j, job in enumerate(problem.jobs) if job.due is not None
    )
    return (tardiness, longest) if objective == "weighted_tardiness" else (longest, tardiness)


def placed_objective(problem: SchedulingProblem, placed: Placed, objective: str) -> float:
    """The objective's value (makespan or weighted tardiness, in ticks) of placed operations."""
    return _score(problem, placed, objective)[0]


def best_placement(
    problem: SchedulingProblem, *, objective: str = "makespan", seed: int = 0, iterations: int | None = None,
    deadline: float | None = None, stop_at: float | None = None,
) -> ListSchedule:
    """The best list schedule over every rule plus `iterations` seeded randomised runs. With a
    `deadline` (a `time.monotonic()` value) the runs after the first stop once it has passed,
    so a warm start for a large problem does not eat the caller's whole time limit; `stop_at`
    bounds even the first run (see `list_schedule`)."""
    if iterations is None:
        iterations = max(4, min(40, 4000 // max(1, problem.n_operations)))
    rng = random.Random(seed)
    best, best_score = None, None
    candidates: list[tuple[str, random.Random | None]] = [(rule, None) for rule in RULES]
    noisy = ("mwkr", "mopnr", "setup") if objective == "makespan" else ("atc", "edd", "setup")
    candidates += [(noisy[i % 3], random.Random(rng.random())) for i in range(iterations)]
    for rule, noise in candidates:
        if best is not None and deadline is not None and time.monotonic() > deadline:
            break
        placement = list_schedule(problem, rule, noise, stop_at=stop_at)
        score = _score(problem, placement.placed, objective)
        if best_score is None or score < best_score:
            best, best_score = placement, score
    return best


def solve(
    problem: SchedulingProblem, *, time_limit: float = 10.0, workers: int = 1, seed: int = 0, objective: str = "makespan",
    deterministic_time: float | None = None,
) -> Schedule:
    """The best dispatching-rule schedule (status "feasible"; the lower bound is
    `simple_lower_bound`). Raises NoFeasibleSchedule if it breaks the horizon.
    The budget (`time_limit`, `deterministic_time`) and `workers` are accepted like every
    registered solver's: a wall-clock `time_limit` bounds the rules' runs (the first one
    included); under a `deterministic_time` every rule runs, so the result stays repeatable;
    `workers` is unused."""
    validate_objective(objective)
    stop_at = time.monotonic() + time_limit if deterministic_time is None else None
    best = best_placement(problem, objective=objective, seed=seed, deadline=stop_at, stop_at=stop_at)
    schedule = make_schedule(
        problem, best.placed, status="feasible",
        lower_bound=simple_lower_bound(problem) if objective == "makespan" else 0,
        objective=objective, solver="dispatch", departures=best.departures, vehicles=best.vehicles, pools=best.pools,
    )
    if problem.horizon is not None and schedule.makespan > problem.horizon:
        raise NoFeasibleSchedule(
            f"dispatching rules found no schedule within the horizon of {problem.horizon} ticks "
            f"(best makespan {schedule.makespan})"
        )
    return schedule


def simple_lower_bound(problem: SchedulingProblem, shifts: bool = True, transports: bool = True) -> int:
    """The largest of `lower_bound_terms`: max(longest job from its release, and per set of
    interchangeable stations (those some operation may use, a single station included) over the
    operations that can only run inside it: the least head, then the time the set's lanes need
    for those operations' shortest durations, counting only the times their operators are on
    shift, then the least tail).
    A head is the release plus the earlier operations' shortest time to their first transfer
    batch (the whole operation for a lot that moves whole); a tail the later operations'
    shortest last batch (whole operation), since each ends no earlier than that after its
    predecessor ends. The set's work cannot start before the least head and whatever ends last
    still has its tail to go: on a line of many lots the bottleneck's load alone left the
    lights-out sample's gap at 20.8 %; on the electronics sample the two display benches,
    manned in shifts with breaks, bound the plan far more than any single station.
    Each head and tail counts the shortest transport before each operation (from the previous
    one's stations, or the lot's origin), since a lot cannot start before it has been carried
    there. The defaults are the bound every schedule reports and the tabu search stops at;
    `shifts=False` leaves the operators out (every station always on), `transports=False` the
    transports: CP-SAT's makespan domain gets neither, where its search was measured
    (`scheduler._objective`)."""
    job_bound, by_set = lower_bound_terms(problem, shifts, transports)
    by_fleet = fleet_lower_bounds(problem) if transports else {}
    return max([job_bound, *by_set.values(), *by_fleet.values()])


def fleet_lower_bounds(problem: SchedulingProblem) -> dict[str, int]:
    """Per fleet: the least head, then the time its vehicles need for the loaded trips no plan
    avoids, then the least tail. A move between two operations (or from the lot's origin) that
    every choice of stations makes on a leg of that fleet takes one trip per transfer batch, each
    holding a vehicle at least the shortest such leg; the vehicles carry one load at a time, and
    no trip starts before its lot's head or ends later than its tail before the makespan. With
    one product of the electronics sample moving on unit by unit (`transfer_batch: 1`) its plan
    had 4,405 AGV trips and the station bound said 18,047 s; the fleet's says 46,919 s."""
    trips: dict[str, list[tuple[int, int, int]]] = defaultdict(list)  # (head, ticks, tail) per move
    for job in problem.jobs:
        firsts, lasts, lags = _chain(problem, job, transports=True)
        for k, op in enumerate(job.operations):
            legs = [problem.fleet_leg(a, b.station) for a in problem.pick_ups(job, k) for b in op.alternatives]
            movers = {leg.mover for leg in legs if leg is not None}
            if len(movers) != 1 or None in legs:
                continue  # some choice of stations avoids every fleet, or the move may take either
            head = job.release + sum(firsts[:k]) + sum(lags[:k])
            tail = sum(lasts[k:]) + sum(lags[k + 1:])
            ticks = min(leg.ticks for leg in legs)
            trips[movers.pop()].extend([(head, ticks, tail)] * problem.batch_trips(job, k))
    return {mover: min(h for h, _, _ in moves) + math.ceil(sum(t for _, t, _ in moves) / problem.fleets[mover])
            + min(tail for _, _, tail in moves) for mover, moves in trips.items()}


def lower_bound_terms(problem: SchedulingProblem, shifts: bool = True,
                      transports: bool = True) -> tuple[int, dict[frozenset[str], int]]:
    """`simple_lower_bound`'s terms: the longest job's, and each set of interchangeable stations'
    (the set with the largest is the plan's bottleneck as far as the bound can tell)."""
    job_bound = 0
    work: list[tuple[frozenset[str], int, Fraction, int]] = []  # (stations, head, lane-ticks, tail) per operation
    for job in problem.jobs:
        ops = job.operations
        if not ops:
            continue
        firsts, lasts, lags = _chain(problem, job, transports)
        # transfer batches overlap consecutive operations: only the first batch counts before the last
        job_bound = max(job_bound, job.release + sum(firsts[:-1]) + sum(lags)
                        + min(a.duration for a in ops[-1].alternatives))
        before, after = job.release, sum(lasts) + sum(lags[1:])
        for k, (op, first, last) in enumerate(zip(ops, firsts, lasts)):
            before += lags[k]
            after -= last + (lags[k] if k else 0)  # the lag before the first operation is no tail
            ticks = min(_lane_ticks(problem, job, alt) for alt in op.alternatives)
            if ticks > 0:
                work.append((frozenset(a.station for a in op.alternatives), before, ticks, after))
            before += first
    by_set: dict[frozenset[str], int] = {}
    for group in {stations for stations, *_ in work}:
        if len(group) > 1 and any(s in problem.batch_sizes for s in group):
            continue  # a batch's lane holds several lots: counted on the batch machine alone
        inside = [(head, ticks, tail) for stations, head, ticks, tail in work if stations <= group]
        head = min(h for h, _, _ in inside)
        done = _finish(problem, group, head, sum(t for _, t, _ in inside), shifts)
        by_set[group] = math.ceil(done - 1e-6) + min(tail for _, _, tail in inside)
    return job_bound, by_set


def _chain(problem: SchedulingProblem, job: Job, transports: bool) -> tuple[list[int], list[int], list[int]]:
    """Per operation of `job`: its shortest time to its first transfer batch (the whole
    operation for a lot that moves whole), to its last batch, and the shortest transport before
    it (0 without `transports`): what every head and tail of the bounds is made of."""
    ops = job.operations
    return ([min(a.first for a in op.alternatives) for op in ops], [min(a.last for a in op.alternatives) for op in ops],
            [_shortest_transport(problem, job, k) if transports else 0 for k in range(len(ops))])


def _shortest_transport(problem: SchedulingProblem, job: Job, k: int) -> int:
    """The least transport before operation k of `job`: from any station of operation k - 1
    (or the lot's origin) to any of its own; 0 on the same station or without an origin."""
    pick_ups = problem.pick_ups(job, k)
    return min((problem.transport_ticks(a, b.station) for a in pick_ups for b in job.operations[k].alternatives),
               default=0)


def _lane_ticks(problem: SchedulingProblem, job: Job, alt: Alternative) -> Fraction:
    """How long an operation holds a lane of `alt.station`: on a batch machine its share of a
    full batch."""
    size = problem.batch_sizes.get(alt.station)
    return Fraction(alt.duration) if size is None else Fraction(alt.duration * min(job.units, size), size)


SHIFT_STEPS = 100_000  # shift boundaries `_finish` walks before settling for the bound without shifts


def _finish(problem: SchedulingProblem, stations: frozenset[str], start: int, ticks: Fraction, shifts: bool) -> float:
    """The earliest time by which `stations`' lanes can do `ticks` of work from `start`, if
    they never idled: with `shifts`, a manned station works only while one of its pools is on
    shift, and the manned ones together no faster than their pools' operators on shift (each
    operation holds one). Otherwise start + ticks / lanes."""
    lanes = sum(problem.capacities[s] for s in stations)
    plain = start + float(ticks) / lanes
    manned = {s: problem.manned.get(s, ()) for s in stations if problem.manned.get(s)}
    pool_ids = sorted({p for pools in manned.values() for p in pools})
    if not shifts or not pool_ids:
        return plain
    unmanned = sum(problem.capacities[s] for s in stations if s not in manned)
    upcoming = {p: problem.pools[p].calendar.stretches(start) for p in pool_ids}
    current = {p: next(upcoming[p], None) for p in pool_ids}  # each pool's stretch that ends after t
    t, left = float(start), float(ticks)
    for _ in range(SHIFT_STEPS):
        on = {p for p, stretch in current.items() if stretch is not None and stretch[0] <= t < stretch[1]}
        rate = unmanned + min(sum(problem.capacities[s] for s, pools in manned.items() if on.intersection(pools)),
                              sum(problem.pools[p].size for p in on))
        change = min((stretch[0] if stretch[0] > t else stretch[1] for stretch in current.values() if stretch is not None),
                     default=math.inf)
        if rate > 0 and t + left / rate <= change:
            return t + left / rate
        if change == math.inf:
            break  # never on shift again: no schedule, so any bound holds; keep the plain one
        left -= rate * (change - t)
        t = change
        for p, stretch in current.items():
            if stretch is not None and stretch[1] <= t:
                current[p] = next(upcoming[p], None)
    return plain
