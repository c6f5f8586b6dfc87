"""Which vehicle carries which trip once every trip's times are fixed: the assignment that
drives the least empty.

A plan's times come from its solver: CP-SAT's routes model (up to `vehicles.EXACT_MOVES` trips a
fleet) minimises the makespan, not the empty metres, and a plan re-timed for its vehicles
(`dispatch.follow`) hands each trip, one after the other, to the vehicle that lets it leave
first (`dispatch.pick_vehicle`). Neither is the cheapest way to drive those trips. With the
times fixed, choosing the vehicles is an assignment problem: each trip gets one predecessor (an
earlier trip whose vehicle can drive empty from its drop to this pick-up in time, or a vehicle
leaving its home) and one successor (a later trip, or none), with the empty metres of each link
as its cost; the chains that result are the vehicles' days. Solved exactly (OR-Tools'
`SimpleLinearSumAssignment` on the links that can be driven in time, 4 ms for the electronics
sample's 141 trips; scipy's dense solver took as long, but importing it cost the `schedule`
command half a second of its budget); the solver's own assignment is one of its solutions, so
the answer never drives more, and no operation or trip moves. `drive_least_empty` does it to
every layout's plan (`planning.schedule_layout`): empty AGV metres are what the layout search's
annual cost charges for the fleet's driving (`optimizer.costing`), and the running twin follows
the plan's vehicles. The assignment grows with the cube of the trips (0.42 s for 1,419, 4.7 s
for 3,550), so under a wall-clock limit its estimate (`assignment_seconds`) decides first
whether it runs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from ortools.graph.python.linear_sum_assignment import SimpleLinearSumAssignment

from optimizer.problem import SchedulingProblem
from optimizer.schedule import Schedule, assign_vehicles

# the assignment on n trips takes at most about this many seconds times n**3 (measured on the
# electronics sample's dispatch plans at 5, 10 and 25 times its demand: 0.08 s for 710 trips,
# 0.42 s for 1,419, 4.7 s for 3,550, at most 2.2e-10 n**3), doubled
SECONDS_PER_TRIP_CUBED = 4e-10
# a link's cost in micrometres, plus one per tick of empty driving: ties between runs of equal
# metres go to the shorter drive (a problem may give its empty runs in ticks alone)
COST_PER_METRE = 1_000_000


@dataclass(frozen=True)
class FixedTrip:
    """One trip of a fleet with its times fixed: picked up at `pick_up` at `start`, dropped
    at `drop` at `end` (ticks)."""

    pick_up: str
    drop: str
    start: int
    end: int


def least_empty(problem: SchedulingProblem, mover: str, trips: list[FixedTrip]) -> list[int] | None:
    """A vehicle of `mover`'s fleet for each trip (in the order given) that carries every trip
    at its fixed times with the least empty metres in total; None when the fleet cannot
    carry them at those times (no assignment exists)."""
    size, home = problem.fleets[mover], problem.homes.get(mover)
    n = len(trips)
    if n == 0:
        return []
    order = sorted(range(n), key=lambda i: (trips[i].start, trips[i].end, i))
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    places = sorted({t.drop for t in trips} | {t.pick_up for t in trips} | ({home} if home is not None else set()))
    index = {p: i for i, p in enumerate(places)}
    ticks = np.array([[problem.empty_ticks(mover, a, b) for b in places] for a in places], dtype=np.int64)
    metres = np.array([[problem.empty_distance(mover, a, b) for b in places] for a in places], dtype=float)
    costs = np.rint(metres * COST_PER_METRE).astype(np.int64) + ticks
    drop = np.array([index[t.drop] for t in trips])
    pick = np.array([index[t.pick_up] for t in trips])
    start = np.array([t.start for t in trips], dtype=np.int64)
    end = np.array([t.end for t in trips], dtype=np.int64)
    # left: the n trips' drops, then the vehicles' homes; right: the n trips' pick-ups, then
    # "no further trip" (a vehicle's day ends, or a vehicle stays home), one per vehicle; an arc
    # for each link a vehicle can drive in time
    ends = n + np.arange(size)  # on the left the vehicles' homes, on the right their days' ends
    link = end[:, None] + ticks[drop[:, None], pick[None, :]] <= start[None, :]
    link &= rank[:, None] < rank[None, :]  # a vehicle's trips in the order the checker reads them
    trip_from, trip_to = np.nonzero(link)
    if home is None:  # a vehicle without a home may stand anywhere before its first trip
        from_home, first_costs = np.arange(n), np.zeros(n, dtype=np.int64)
    else:
        from_home = np.nonzero(ticks[index[home], pick] <= start)[0]
        first_costs = costs[index[home], pick[from_home]]
    lefts = [trip_from, np.repeat(ends, len(from_home)), np.repeat(np.arange(n + size), size)]
    rights = [trip_to, np.tile(from_home, size), np.tile(ends, n + size)]
    arc_costs = [costs[drop[trip_from], pick[trip_to]], np.tile(first_costs, size),
                 np.zeros((n + size) * size, dtype=np.int64)]
    assignment = SimpleLinearSumAssignment()
    assignment.add_arcs_with_cost(np.concatenate(lefts).astype(np.int32), np.concatenate(rights).astype(np.int32),
                                  np.concatenate(arc_costs))
    if assignment.solve() != assignment.OPTIMAL:  # no assignment carries every trip in time
        return None
    after = [assignment.right_mate(left) for left in range(n + size)]
    # the vehicles are alike: numbered by their first trips, the earliest first
    firsts = sorted((after[n + v] for v in range(size) if after[n + v] < n), key=lambda i: rank[i])
    vehicle = [-1] * n
    for v, at in enumerate(firsts):
        while at < n:
            vehicle[at] = v
            at = after[at]
    return vehicle if min(vehicle) >= 0 else None


def assignment_seconds(problem: SchedulingProblem) -> float:
    """What `drive_least_empty` may take on a plan of `problem` (SECONDS_PER_TRIP_CUBED): every
    move that may take a fleet leg counted as a trip, once per transfer batch."""
    trips: dict[str, int] = {}
    for job in problem.jobs:
        for k, op in enumerate(job.operations):
            movers = {leg.mover for a in problem.pick_ups(job, k) for alt in op.alternatives
                      if (leg := problem.fleet_leg(a, alt.station)) is not None and problem.has_vehicles(leg.mover)}
            for mover in movers:
                trips[mover] = trips.get(mover, 0) + problem.batch_trips(job, k)
    return sum(SECONDS_PER_TRIP_CUBED * n ** 3 for n in trips.values())


def drive_least_empty(problem: SchedulingProblem, schedule: Schedule) -> Schedule:
    """`schedule` with each fleet's trips carried by the vehicles that drive the least empty at
    the trips' times (`least_empty`), and the empty legs that follow; the times stay."""
    transports = list(schedule.transports)
    chosen = [t.vehicle for t in transports]
    for mover in problem.fleets:
        if not problem.has_vehicles(mover):
            continue
        mine = [i for i, t in enumerate(transports)
                if t.mover == mover and t.vehicle is not None and problem.fleet_leg(t.from_station, t.to_station)]
        trips = [FixedTrip(transports[i].from_station, transports[i].to_station, transports[i].start,
                           transports[i].end) for i in mine]
        best = least_empty(problem, mover, trips)
        if best is not None:
            for i, vehicle in zip(mine, best):
                chosen[i] = vehicle
    if chosen == [t.vehicle for t in transports]:
        return schedule
    return replace(schedule, transports=tuple(assign_vehicles(problem, transports, chosen)))


__all__ = ["FixedTrip", "assignment_seconds", "drive_least_empty", "least_empty"]
