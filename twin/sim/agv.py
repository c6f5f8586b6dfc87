"""The AGV fleet as individual vehicles on the aisle graph. A trip: the empty run to the
pick-up, then loading, the loaded run and unloading (the loaded part lasts the plan's leg time).

Following a plan that assigns trips to vehicles, each vehicle does its planned trips in
planned order and, like the plan, drives ahead: once free, it sets off empty towards its next
trip's pick-up at the plan's start of that empty run (or at once, when the load is ready
earlier than planned), so it reaches the pick-up as the lot is done rather than an empty run
later, and waits there for the load if the lot is late.

Without a plan (dispatching rules) the fleet does what a fleet manager can do without knowing
the future: a station calls for a vehicle when the load is ready (its `part ready` signal),
the nearest idle vehicle (shortest empty run to the pick-up) takes the call, and when none is
idle the call waits and the next vehicle to become free serves the oldest call. Processing
times vary and machines fail, so calling a vehicle before the load is ready could leave it
waiting at a machine that another call needed; under rules a trip can therefore leave up to
one empty run later than a plan that knew the lot's finish time."""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import simpy

from twin.sim.accounting import Occupancy
from twin.sim.factory import Factory, LegSpec

VEHICLE_STATES = ("loaded", "empty", "idle")


@dataclass
class Vehicle:
    index: int
    at: str  # where it stands: a dock or the station it last unloaded at (or drove ahead to)
    state: str = "idle"


@dataclass(frozen=True)
class Trip:
    lot: str
    vehicle: int
    from_station: str
    to_station: str
    start: float  # loading begins
    end: float  # unloading ends
    empty_seconds: float
    empty_from: str = ""  # where the vehicle drove empty from (its home or its last drop); "" for belts
    empty_start: float | None = None  # when the empty run began (every AGV trip has it; None for belts)


Key = tuple[str, str, str, int]  # a trip: (lot, from station, to station, transfer batch)


@dataclass(frozen=True)
class PlannedTrip:
    """A trip the plan gives a vehicle, and the two hand-overs between the lot and the
    vehicle: `ready` succeeds when the load is ready (`Fleet.carry` asks for the vehicle),
    `arrived` when the vehicle stands at the pick-up with the load ready, with (vehicle, where
    its empty run began, its seconds, when it began)."""

    key: Key
    leave_at: float | None  # the plan's start of the empty run; None: when the load is ready
    ready: simpy.Event
    arrived: simpy.Event


class Fleet:
    def __init__(self, env: simpy.Environment, factory: Factory, warmup: float,
                 planned: dict[int, list[Key]] | None = None, leave_at: Mapping[Key, float] | None = None):
        self.env = env
        self.factory = factory
        self.vehicles = [Vehicle(k, factory.agv_home) for k in range(factory.agv_fleet)]
        self.waiting: deque[tuple[str, simpy.Event]] = deque()
        self.occupancy = Occupancy(VEHICLE_STATES, "idle", len(self.vehicles), warmup)
        self.trips: list[Trip] = []
        # a plan's trips per vehicle in planned order, each until its vehicle stands at its
        # pick-up with the load: the first is the one the vehicle drives ahead to once free
        leave_at = leave_at or {}
        self.planned = {v: deque(PlannedTrip(key, leave_at.get(key), env.event(), env.event()) for key in keys)
                        for v, keys in (planned or {}).items()}
        self.planned_trip = {trip.key: trip for trips in self.planned.values() for trip in trips}
        for vehicle in self.vehicles:
            self._next_planned(vehicle)

    def _set(self, vehicle: Vehicle, state: str) -> None:
        self.occupancy.move(self.env.now, vehicle.state, state)
        vehicle.state = state

    def _assign(self, pickup: str) -> simpy.Event:
        """The nearest idle vehicle for a call, or a place in the queue. A vehicle with
        planned trips left belongs to the plan: it takes no calls (idle, it is waiting to
        drive ahead or for its load)."""
        event = self.env.event()
        idle = [v for v in self.vehicles if v.state == "idle" and not self.planned.get(v.index)]
        if idle:
            nearest = min(idle, key=lambda v: (self.factory.empty_run_seconds(v.at, pickup), v.index))
            self._set(nearest, "empty")
            event.succeed(nearest)
        else:
            self.waiting.append((pickup, event))
        return event

    def _next_planned(self, vehicle: Vehicle) -> None:
        """A free vehicle with planned trips left drives ahead to the next one."""
        trips = self.planned.get(vehicle.index)
        if trips:
            self.env.process(self._drive_ahead(vehicle, trips[0]))

    def _drive_ahead(self, vehicle: Vehicle, trip: PlannedTrip):
        """The planned trip's empty run: it begins at the plan's start of it, or as soon as
        the load is ready if that is earlier (never before the vehicle is free), then the
        vehicle waits at the pick-up until the load is ready. SimPy cannot cancel a timeout:
        when the load is ready first, the timer of the planned start expires unheard."""
        pick_up = trip.key[1]
        if not trip.ready.triggered and (trip.leave_at is None or trip.leave_at > self.env.now):
            yield trip.ready if trip.leave_at is None else self.env.any_of(
                [trip.ready, self.env.timeout(trip.leave_at - self.env.now)])
        came_from, began = vehicle.at, self.env.now
        empty = self.factory.empty_run_seconds(came_from, pick_up)
        self._set(vehicle, "empty")
        if empty > 0:
            yield self.env.timeout(empty)
        vehicle.at = pick_up
        if not trip.ready.triggered:  # there before the load: it waits at the pick-up
            self._set(vehicle, "idle")
            yield trip.ready
        self.planned[vehicle.index].popleft()
        trip.arrived.succeed((vehicle, came_from, empty, began))

    def carry(self, lot: str, leg: LegSpec, a: str, b: str, on_loaded: Callable[[], None], batch: int = 0):
        """Move a lot (its transfer batch `batch`) from a's output to b's input; `on_loaded`
        runs once it left a."""
        trip = self.planned_trip.get((lot, a, b, batch))
        if trip is not None:
            trip.ready.succeed()
            vehicle, came_from, empty, began = yield trip.arrived
        else:
            vehicle = yield self._assign(a)
            came_from, began = vehicle.at, self.env.now
            empty = self.factory.empty_run_seconds(came_from, a)
            if empty > 0:
                yield self.env.timeout(empty)
        self._set(vehicle, "loaded")
        start = self.env.now
        half_load = min(self.factory.agv_load_time, leg.seconds) / 2
        yield self.env.timeout(half_load)
        on_loaded()
        yield self.env.timeout(leg.seconds - half_load)
        vehicle.at = b
        self.trips.append(Trip(lot, vehicle.index, a, b, start, self.env.now, empty, came_from, began))
        if self.planned.get(vehicle.index):  # more planned trips for this vehicle: on to the next
            self._set(vehicle, "idle")
            self._next_planned(vehicle)
        elif self.waiting:
            _, event = self.waiting.popleft()
            self._set(vehicle, "empty")
            event.succeed(vehicle)
        else:
            self._set(vehicle, "idle")
