"""The AGV fleet as individual vehicles on the aisle graph. A trip request takes the nearest
idle vehicle (shortest empty run to the pick-up); when none is idle it waits, and the next
vehicle to become free serves the oldest request. Following a plan that assigns trips to
vehicles, each vehicle instead does its planned trips in planned order. A trip: the empty
run, then loading, the loaded run and unloading (the loaded part lasts the plan's leg time)."""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import simpy

from twin.sim.accounting import Occupancy
from twin.sim.factory import Factory, LegSpec

VEHICLE_STATES = ("loaded", "empty", "idle")


@dataclass
class Vehicle:
    index: int
    at: str  # where it stands: a dock or the station it last unloaded at
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


class Fleet:
    def __init__(self, env: simpy.Environment, factory: Factory, warmup: float,
                 planned: dict[int, list[tuple[str, str, str, int]]] | None = None):
        self.env = env
        self.factory = factory
        self.vehicles = [Vehicle(k, factory.agv_home) for k in range(factory.agv_fleet)]
        self.waiting: deque[tuple[str, simpy.Event]] = deque()
        self.occupancy = Occupancy(VEHICLE_STATES, "idle", len(self.vehicles), warmup)
        self.trips: list[Trip] = []
        # a plan's trips per vehicle, in order, and the planned trips asking for their vehicle
        self.planned = {v: deque(keys) for v, keys in (planned or {}).items()}
        self.planned_keys = {key for keys in self.planned.values() for key in keys}
        self.asking: dict[tuple[str, str, str, int], simpy.Event] = {}

    def _set(self, vehicle: Vehicle, state: str) -> None:
        self.occupancy.move(self.env.now, vehicle.state, state)
        vehicle.state = state

    def _assign(self, pickup: str) -> simpy.Event:
        event = self.env.event()
        idle = [v for v in self.vehicles if v.state == "idle"]
        if idle:
            nearest = min(idle, key=lambda v: (self.factory.empty_run_seconds(v.at, pickup), v.index))
            self._set(nearest, "empty")
            event.succeed(nearest)
        else:
            self.waiting.append((pickup, event))
        return event

    def _assign_planned(self, key: tuple[str, str, str, int]) -> simpy.Event:
        """The vehicle the plan gave this trip, once it is idle and this is its next trip."""
        self.asking[key] = event = self.env.event()
        self._serve_planned()
        return event

    def _serve_planned(self) -> None:
        for vehicle in self.vehicles:
            order = self.planned.get(vehicle.index)
            if vehicle.state == "idle" and order and order[0] in self.asking:
                event = self.asking.pop(order.popleft())
                self._set(vehicle, "empty")
                event.succeed(vehicle)

    def carry(self, lot: str, leg: LegSpec, a: str, b: str, on_loaded: Callable[[], None], batch: int = 0):
        """Move a lot (its transfer batch `batch`) from a's output to b's input; `on_loaded`
        runs once it left a."""
        key = (lot, a, b, batch)
        vehicle: Vehicle = yield (self._assign_planned(key) if key in self.planned_keys else self._assign(a))
        came_from = vehicle.at
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
        self.trips.append(Trip(lot, vehicle.index, a, b, start, self.env.now, empty, came_from))
        if self.planned.get(vehicle.index):  # more planned trips for this vehicle: wait for the next
            self._set(vehicle, "idle")
            self._serve_planned()
        elif self.waiting:
            _, event = self.waiting.popleft()
            self._set(vehicle, "empty")
            event.succeed(vehicle)
        else:
            self._set(vehicle, "idle")
