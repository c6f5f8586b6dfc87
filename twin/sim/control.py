"""Who goes next: a dispatching rule (FIFO, EDD, SPT) with the earliest-free alternative
station, or a plan to follow (a CP-SAT schedule's station choices, lane sequences and start
times; nothing starts before its planned time)."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twin.errors import InputError
from twin.sim.factory import Factory

POLICIES = ("fifo", "edd", "spt")


@dataclass(frozen=True)
class PlannedOperation:
    station: str
    lane: int
    start: float  # seconds


@dataclass(frozen=True)
class Plan:
    """A schedule as the twin follows it: (lot id, operation id) -> where and when."""

    operations: Mapping[tuple[str, str], PlannedOperation]
    # (lot, from station, to station, transfer batch) -> (planned vehicle, planned departure) of
    # each AGV trip the schedule assigns to a vehicle (a lot in transfer batches makes one trip
    # per batch, the others batch 0); empty when it names none (the twin then dispatches)
    vehicles: Mapping[tuple[str, str, str, int], tuple[int, float]] = field(default_factory=dict)
    # when the plan's vehicle sets off empty towards each of those trips' pick-up (the start of
    # its empty leg): the twin's vehicle drives ahead as the plan's does
    empty_starts: Mapping[tuple[str, str, str, int], float] = field(default_factory=dict)

    def vehicle_sequences(self) -> dict[int, list[tuple[str, str, str, int]]]:
        """vehicle -> its planned trips (lot, from, to, batch) in planned order."""
        out: dict[int, list[tuple[str, str, str, int]]] = {}
        for key, (vehicle, start) in sorted(self.vehicles.items(), key=lambda item: (item[1][1], item[0])):
            out.setdefault(vehicle, []).append(key)
        return out

    def lane_sequences(self) -> dict[tuple[str, int], list[tuple[str, str, float]]]:
        """(station, lane) -> [(lot, operation, start)] in planned order."""
        lanes: dict[tuple[str, int], list[tuple[str, str, float]]] = {}
        for (lot, op), planned in self.operations.items():
            lanes.setdefault((planned.station, planned.lane), []).append((lot, op, planned.start))
        for seq in lanes.values():
            seq.sort(key=lambda item: (item[2], item[0], item[1]))
        return lanes


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise InputError(f"unknown policy {policy!r}; valid: {', '.join(POLICIES)}")
    return policy


def queue_key(policy: str, station: str) -> Callable[[Any], tuple]:
    """Sort key of the lots waiting at a station: the smallest goes next."""
    if policy == "edd":
        return lambda lot: (math.inf if lot.due is None else lot.due, lot.seq)
    if policy == "spt":
        return lambda lot: (lot.mean_seconds(station), lot.seq)
    return lambda lot: (lot.queued_at, lot.seq)


def lot_ids(factory: Factory) -> dict[str, tuple[int, int]]:
    """The layout's lots as the scheduler names its jobs: 'product#k' -> (product index, k)."""
    return {f"{p.id}#{k}": (i, k) for i, p in enumerate(factory.products) for k in range(len(p.lots))}


def plan_from_schedule(doc: Any, factory: Factory, source: str = "schedule") -> Plan:
    """The plan in a schedule JSON document (`factory-twin schedule --out`), checked against
    the factory: the same layout, every lot's operations once each, on a station that can do
    them, on an existing lane. InputError names what does not belong."""
    def fail(message: str) -> InputError:
        return InputError(f"{source}: {message}")

    if not isinstance(doc, dict) or not isinstance(doc.get("operations"), list):
        raise fail("not a schedule document (no list of operations)")
    if doc.get("layout") != factory.name:
        raise fail(f"the schedule is for layout {doc.get('layout')!r}, not {factory.name!r}")
    steady = [p.id for p in factory.products if p.rate is not None]
    if steady:
        raise fail(f"product {steady[0]!r} has a steady demand rate; a schedule plans the layout's lots only")
    lots = lot_ids(factory)
    operations: dict[tuple[str, str], PlannedOperation] = {}
    for i, entry in enumerate(doc["operations"]):
        where = f"operations[{i}]"
        try:
            lot, op_id, station = str(entry["job"]), str(entry["operation"]), str(entry["station"])
            lane, start = int(entry["lane"]), float(entry["start"])
        except (TypeError, KeyError, ValueError) as exc:
            raise fail(f"{where}: needs job, operation, station, lane and start ({exc})") from None
        if lot not in lots:
            raise fail(f"{where}.job: no lot {lot!r} in layout {factory.name!r}")
        product = factory.products[lots[lot][0]]
        ops = {op.id: op for op in product.operations}
        if op_id not in ops:
            raise fail(f"{where}.operation: product {product.id!r} has no operation {op_id!r}")
        if station not in {alt.station for alt in ops[op_id].alternatives}:
            raise fail(f"{where}.station: {station!r} cannot do {lot}/{op_id}")
        if not 0 <= lane < factory.stations[station].capacity:
            raise fail(f"{where}.lane: {station!r} has no lane {lane} (capacity {factory.stations[station].capacity})")
        if not math.isfinite(start) or start < 0:
            raise fail(f"{where}.start: must be a time >= 0, got {entry['start']!r}")
        if (lot, op_id) in operations:
            raise fail(f"{where}: {lot}/{op_id} is planned twice")
        operations[(lot, op_id)] = PlannedOperation(station, lane, start)
    missing = [f"{lot}/{op.id}" for lot, (i, _) in lots.items() for op in factory.products[i].operations
               if (lot, op.id) not in operations]
    if missing:
        raise fail(f"{len(missing)} operations of the layout are not planned, e.g. {', '.join(missing[:3])}")
    return Plan(operations, *_planned_vehicles(doc.get("transports"), factory, lots, fail))


def _planned_vehicles(trips: Any, factory: Factory, lots: Mapping[str, Any], fail: Callable[[str], InputError],
                      ) -> tuple[dict[tuple[str, str, str, int], tuple[int, float]], dict[tuple[str, str, str, int], float]]:
    """The schedule's AGV trips that name a vehicle, checked against the layout's fleet, and
    the start of each one's empty leg where the schedule gives it (at or before the trip)."""
    vehicles: dict[tuple[str, str, str, int], tuple[int, float]] = {}
    empty_starts: dict[tuple[str, str, str, int], float] = {}
    unnamed: list[int] = []  # AGV trips without a vehicle: refused beside named ones (see below)
    for i, trip in enumerate(trips if isinstance(trips, list) else []):
        if not isinstance(trip, dict):
            continue
        if trip.get("vehicle") is None:
            leg = factory.legs.get((trip.get("from"), trip.get("to")))
            if leg is not None and leg.mover == "agv":
                unnamed.append(i)
            continue
        where = f"transports[{i}]"
        try:
            key = (str(trip["job"]), str(trip["from"]), str(trip["to"]), int(trip.get("batch", 0)))
            vehicle, start = int(trip["vehicle"]), float(trip["start"])
        except (TypeError, KeyError, ValueError) as exc:
            raise fail(f"{where}: needs job, from, to, start and vehicle ({exc})") from None
        if key[0] not in lots:
            raise fail(f"{where}.job: no lot {key[0]!r} in layout {factory.name!r}")
        if not 0 <= vehicle < factory.agv_fleet:
            raise fail(f"{where}.vehicle: the layout has {factory.agv_fleet} AGVs (0 to {factory.agv_fleet - 1}), "
                       f"not {vehicle}")
        if key in vehicles:
            batch = f" (transfer batch {key[3]})" if key[3] else ""
            raise fail(f"{where}: {key[0]} travels {key[1]} -> {key[2]} twice{batch}")
        vehicles[key] = (vehicle, start)
        if trip.get("empty_start") is not None:
            try:
                empty_start = float(trip["empty_start"])
            except (TypeError, ValueError):
                empty_start = math.nan
            if not (math.isfinite(empty_start) and 0 <= empty_start <= start):
                raise fail(f"{where}.empty_start: must be a time between 0 and the trip's start ({start:g}), "
                           f"got {trip['empty_start']!r}")
            empty_starts[key] = empty_start
    if vehicles and unnamed:
        # a vehicle follows its planned trips to the last, so a trip left to the dispatcher
        # could wait for a free vehicle until every plan is done, while a planned vehicle
        # waits at a pick-up for that very lot
        raise fail(f"transports[{unnamed[0]}]: an AGV trip without a vehicle, while the schedule names the "
                   "vehicle of other AGV trips; name every AGV trip's vehicle or none")
    return vehicles, empty_starts
