"""The trips a fleet's vehicles are booked for, vehicle by vehicle in time order, so that a new
trip may take a gap between two trips booked before it.

The list scheduler (`dispatch.list_schedule`) and the re-timing of a plan (`dispatch.follow`)
book trips out of time order: the rules place first the operation that ends first, whose trip
may leave after another's still to be placed, and a lot in transfer batches books the trips of
its later batches, which leave as each batch is done, when it places the operation they feed.
A vehicle known only by when it is free last was then held from now until that late trip:
- the electronics sample's lots in transfer batches of 20 units: the rules' plan took 37,239 s,
  21,798 s with the fleet left out, while the running twin, whose vehicles answer calls as they
  come, made its 1,760 units at 282 units/h (about 22,400 s); now 24,611 s;
- the electronics sample with one AGV instead of three: the rules' plan took 46,280 s, now
  26,858 s; CP-SAT's plans inside the layout search, which tries one to four AGVs, 32,353 s in
  the mean of seeds 0-3, now 25,443 (docs/measurements_log.md, "Lots in transfer batches on AGV
  legs").
"""
from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass

from optimizer.problem import SchedulingProblem

# Gaps `FleetTimeline.slot` tries per vehicle before the end of its trips: a lot moving on unit
# by unit books dozens of trips ahead, and trying every gap made one list schedule of such a plan
# take over 20 s, where the trips alone took 0.5 s.
GAPS_TRIED = 32


@dataclass(frozen=True)
class Slot:
    """Where a trip fits on one vehicle: it leaves at `depart`, the vehicle being at the pick-up
    from `there` after an empty run of `empty` ticks from where its previous trip ended."""

    vehicle: int
    depart: int
    there: int
    empty: int


class FleetTimeline:
    """One fleet's vehicles, each with its booked trips (depart, arrive, pick-up, drop) in time
    order; every vehicle starts at the fleet's home at time 0 (anywhere without a home)."""

    def __init__(self, problem: SchedulingProblem, mover: str, size: int) -> None:
        self.problem = problem
        self.mover = mover
        self.home = problem.homes.get(mover)
        self.trips: list[list[tuple[int, int, str, str]]] = [[] for _ in range(size)]

    def slot(self, vehicle: int, pick_up: str, drop: str, ticks: int, leaves: int, not_before: int = 0) -> Slot:
        """The earliest departure, no earlier than `leaves` and `not_before`, at which `vehicle`
        can carry a trip of `ticks` from `pick_up` to `drop` between its booked trips: it gets
        to the pick-up from the previous trip's drop, and after the drop to the next trip's
        pick-up before that one leaves. The gap after its last trip always fits; the first
        GAPS_TRIED gaps from `leaves` on are tried before it."""
        trips, empty_ticks = self.trips[vehicle], self.problem.empty_ticks
        # a gap before trip g fits only if trip g leaves at least `ticks` after `leaves`
        first = bisect_left(trips, (max(leaves, not_before) + ticks,))
        for g in range(first, min(len(trips), first + GAPS_TRIED)):
            free = trips[g - 1][1] if g > 0 else 0
            if trips[g][0] - free < ticks:
                continue  # too short whatever the empty runs
            at = trips[g - 1][3] if g > 0 else self.home
            empty = empty_ticks(self.mover, at, pick_up)
            there = max(free + empty, not_before)
            depart = max(leaves, there)
            if depart + ticks + empty_ticks(self.mover, drop, trips[g][2]) <= trips[g][0]:
                return Slot(vehicle, depart, there, empty)
        free, at = (trips[-1][1], trips[-1][3]) if trips else (0, self.home)  # after its last trip
        empty = empty_ticks(self.mover, at, pick_up)
        there = max(free + empty, not_before)
        return Slot(vehicle, max(leaves, there), there, empty)

    def slots(self, pick_up: str, drop: str, ticks: int, leaves: int, not_before: int = 0) -> list[Slot]:
        """Each vehicle's `slot` for the trip."""
        return [self.slot(v, pick_up, drop, ticks, leaves, not_before) for v in range(len(self.trips))]

    def book(self, vehicle: int, depart: int, pick_up: str, drop: str, ticks: int) -> None:
        insort(self.trips[vehicle], (depart, depart + ticks, pick_up, drop))

    def unbook(self, vehicle: int, depart: int, pick_up: str, drop: str, ticks: int) -> None:
        trips = self.trips[vehicle]
        del trips[bisect_left(trips, (depart, depart + ticks, pick_up, drop))]
