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
    heading: tuple[str, str, str, int] | None = None  # the planned trip it is committed to next


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


class Fleet:
    def __init__(self, env: simpy.Environment, factory: Factory, warmup: float,
                 planned: dict[int, list[Key]] | None = None, leave_at: Mapping[Key, float] | None = None):
        self.env = env
        self.factory = factory
        self.vehicles = [Vehicle(k, factory.agv_home) for k in range(factory.agv_fleet)]
        self.waiting: deque[tuple[str, simpy.Event]] = deque()
        self.occupancy = Occupancy(VEHICLE_STATES, "idle", len(self.vehicles), warmup)
        self.trips: list[Trip] = []
        # a plan's trips per vehicle, in order; when each one's empty run starts in the plan;
        # the planned trips whose load is ready (asking for their vehicle), and the vehicles
        # parked or driving ahead that a ready load wakes
        self.planned = {v: deque(keys) for v, keys in (planned or {}).items()}
        self.planned_keys = {key for keys in self.planned.values() for key in keys}
        self.leave_at = dict(leave_at or {})
        self.asking: dict[Key, simpy.Event] = {}
        self.wake: dict[Key, simpy.Event] = {}
        self._serve_planned()

    def _set(self, vehicle: Vehicle, state: str) -> None:
        self.occupancy.move(self.env.now, vehicle.state, state)
        vehicle.state = state

    def _assign(self, pickup: str) -> simpy.Event:
        event = self.env.event()
        idle = [v for v in self.vehicles if v.state == "idle" and v.heading is None]
        if idle:
            nearest = min(idle, key=lambda v: (self.factory.empty_run_seconds(v.at, pickup), v.index))
            self._set(nearest, "empty")
            event.succeed(nearest)
        else:
            self.waiting.append((pickup, event))
        return event

    def _assign_planned(self, key: Key) -> simpy.Event:
        """The vehicle the plan gave this trip, once it stands at the pick-up: succeeds with
        (vehicle, where its empty run began, its seconds, when it began)."""
        self.asking[key] = event = self.env.event()
        wake = self.wake.pop(key, None)
        if wake is not None:
            wake.succeed()
        return event

    def _serve_planned(self) -> None:
        """Each free vehicle with planned trips left commits to the next one and drives ahead."""
        for vehicle in self.vehicles:
            order = self.planned.get(vehicle.index)
            if vehicle.state == "idle" and vehicle.heading is None and order:
                vehicle.heading = order.popleft()
                self.env.process(self._drive_ahead(vehicle, vehicle.heading))

    def _drive_ahead(self, vehicle: Vehicle, key: Key):
        """The planned trip `key`'s empty run: it begins at the plan's start of it (as soon as
        the load is ready, if that is earlier; never before the vehicle is free), then the
        vehicle waits at the pick-up until the load is ready."""
        pick_up = key[1]
        planned = self.leave_at.get(key)
        if key not in self.asking and (planned is None or planned > self.env.now):
            self.wake[key] = wake = self.env.event()
            yield wake if planned is None else self.env.any_of([wake, self.env.timeout(planned - self.env.now)])
            self.wake.pop(key, None)
        came_from, began = vehicle.at, self.env.now
        empty = self.factory.empty_run_seconds(came_from, pick_up)
        self._set(vehicle, "empty")
        if empty > 0:
            yield self.env.timeout(empty)
        vehicle.at = pick_up
        if key not in self.asking:  # there before the load: it waits at the pick-up
            self._set(vehicle, "idle")
            self.wake[key] = wake = self.env.event()
            yield wake
        vehicle.heading = None
        self.asking.pop(key).succeed((vehicle, came_from, empty, began))

    def carry(self, lot: str, leg: LegSpec, a: str, b: str, on_loaded: Callable[[], None], batch: int = 0):
        """Move a lot (its transfer batch `batch`) from a's output to b's input; `on_loaded`
        runs once it left a."""
        key = (lot, a, b, batch)
        if key in self.planned_keys:
            vehicle, came_from, empty, began = yield self._assign_planned(key)
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
            self._serve_planned()
        elif self.waiting:
            _, event = self.waiting.popleft()
            self._set(vehicle, "empty")
            event.succeed(vehicle)
        else:
            self._set(vehicle, "idle")
