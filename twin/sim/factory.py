"""The factory the simulation runs, compiled once from a Layout: stations with their lanes,
buffers and breakdowns, products with their routings and demand, transport legs and the AGV
fleet. Plain frozen data, so it pickles to worker processes and two runs share it.

Times are the plan's means (an operation's `time`, or a robot cell's physics cycle plus
`handling`), so the plan and the twin describe one factory; the shapes around them, the
breakdowns and the buffers are the twin's own.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from twin.errors import LayoutError, Problem
from twin.model import Breakdowns, Layout, Variability
from twin.shifts import calendars, lot_fit_problems, manned_pools
from twin.sim.operators import PoolSpec


@dataclass(frozen=True)
class StationSpec:
    id: str
    capacity: int
    input_buffer: int | None  # lots waiting before the station; None: no limit
    output_buffer: int | None  # finished lots waiting for transport; None: no limit
    mtbf: float | None
    mttr: float | None
    breakdowns: Breakdowns
    batch_size: int | None = None  # units processed together (`twin.batching`); None: unit by unit
    storage: bool = False  # a `buffer` station: `capacity` places that hold lots until the next station has room


@dataclass(frozen=True)
class Alternative:
    station: str
    unit_seconds: float  # mean seconds per unit
    setup: float  # seconds per lot (per batch on a batch machine), part of the operation
    batch_size: int | None = None  # a batch machine: unit_seconds is then seconds per batch


@dataclass(frozen=True)
class OperationSpec:
    id: str
    alternatives: tuple[Alternative, ...]
    variability: Variability

    def on(self, station: str) -> Alternative:
        for alt in self.alternatives:
            if alt.station == station:
                return alt
        raise KeyError(station)


@dataclass(frozen=True)
class ProductSpec:
    id: str
    family: str
    operations: tuple[OperationSpec, ...]
    lots: tuple[int, ...]  # units per lot of the layout's demand
    lot_size: int
    release: float
    due: float | None
    weight: float
    rate: float | None  # steady demand (units/h); None: release `lots`
    arrivals: Variability
    transfer_batch: int | None = None  # units that move on together; None: the whole lot

    def batches(self, units: int) -> list[int]:
        """A lot's units in the transfer batches it moves on in (the last one holds the rest)."""
        size = units if self.transfer_batch is None else min(self.transfer_batch, units)
        full, rest = divmod(units, size)
        return [size] * full + ([rest] if rest else [])


@dataclass(frozen=True)
class LegSpec:
    """A loaded trip from one station's output to another's input (seconds include loading
    and unloading, as in the plan)."""

    seconds: float
    distance: float
    mover: str  # "agv" or "conveyor"
    places: int | None = None  # lots a belt holds (length / pitch); None: no limit


@dataclass(frozen=True)
class Factory:
    name: str
    stations: Mapping[str, StationSpec]
    products: tuple[ProductSpec, ...]
    legs: Mapping[tuple[str, str], LegSpec]
    changeovers: Mapping[str, Mapping[tuple[str, str], float]]
    agv_speed: float
    agv_fleet: int
    agv_load_time: float
    agv_home: str  # where the vehicles wait at the start (`Layout.agv_home`, as in the plan)
    empty_runs: Mapping[tuple[str, str], float]  # seconds from a drop-off (input port) to a pick-up (output port)
    pools: Mapping[str, PoolSpec] = field(default_factory=dict)  # operator pools by id
    manned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # station -> pools that can run it

    def leg(self, a: str, b: str) -> LegSpec:
        return self.legs.get((a, b), _NO_TRAVEL) if a != b else _NO_TRAVEL

    def changeover(self, station: str, before: str | None, after: str) -> float:
        if before is None or before == after:
            return 0.0
        return float(self.changeovers.get(station, {}).get((before, after), 0.0))

    def empty_run_seconds(self, here: str, pickup: str) -> float:
        return self.empty_runs.get((here, pickup), 0.0)


_NO_TRAVEL = LegSpec(0.0, 0.0, "conveyor")


def compile_factory(
    layout: Layout,
    task_times: Mapping[tuple[str, str], float] | None = None,
    legs: Mapping[tuple[str, str], LegSpec] | None = None,
    empty_runs: Mapping[tuple[str, str], float] | None = None,
) -> Factory:
    """The simulation model of a layout that `twin.validate` accepts. `task_times[(station,
    task)]` are the robot cells' physics cycles (`twin.physics.task_times`); `legs` replaces the
    routed transport (tests use instant legs to compare with queueing theory, or the plan's
    whole-tick legs), in which case AGVs run empty in `empty_runs` seconds (none: no time)."""

    task_times = dict(task_times or {})
    problems: list[Problem] = []
    products = []
    for i, product in enumerate(layout.products):
        operations = []
        for j, op in enumerate(product.routing):
            alternatives = []
            for station in layout.candidate_stations(op):
                if station.kind == "buffer":  # storage: no work, a lot stays until it can move on
                    alternatives.append(Alternative(station.id, 0.0, 0.0))
                    continue
                unit = op.unit_seconds(station, task_times)
                if unit is None:
                    problems.append(Problem(f"products[{i}].routing[{j}].task",
                                            f"no simulated cycle time for task {op.task!r} on station {station.id!r}"))
                    continue
                alternatives.append(Alternative(station.id, unit, op.setup, station.batch_size))
            operations.append(OperationSpec(op.id, tuple(alternatives), op.variability))
        products.append(ProductSpec(
            product.id, product.family, tuple(operations), tuple(product.lots), product.lot_size, product.release,
            product.due, product.weight, product.rate, product.arrivals, product.transfer_batch,
        ))
    problems += lot_fit_problems(layout, task_times)
    changeovers: dict[str, dict[tuple[str, str], float]] = {}
    for rule in layout.changeovers:
        for sid in rule.stations:
            table = changeovers.setdefault(sid, {})
            key = (rule.from_family, rule.to_family)
            table[key] = max(table.get(key, 0.0), rule.time)
    if legs is None:
        problems += [Problem(f"stations[{i}].position", f"station '{s.id}' is not placed; the running twin needs "
                             "every station placed (the layout search places the others)")
                     for i, s in enumerate(layout.stations) if s.position is None]
        if not problems:
            legs, empty_runs = _routed_transport(layout)
            from twin.graph import cut_leg_problems

            problems += cut_leg_problems(layout, legs)
    else:
        empty_runs = dict(empty_runs or {})
    if not problems:
        problems += _batches_on_belts(layout, products, legs)
    if problems:
        raise LayoutError(problems, source=layout.name)
    return Factory(
        name=layout.name,
        stations={s.id: _station_spec(s) for s in layout.stations},
        products=tuple(products),
        legs=dict(legs),
        changeovers=changeovers,
        agv_speed=layout.transport.agv.speed,
        agv_fleet=layout.transport.agv.fleet_size,
        agv_load_time=layout.transport.agv.load_time,
        agv_home=layout.agv_home(),
        empty_runs=empty_runs,
        pools={p.id: PoolSpec(p.id, p.size, cal) for p, cal in zip(layout.operators.pools, calendars(layout).values())},
        manned=manned_pools(layout),
    )



def _station_spec(station) -> StationSpec:
    """A station as the twin runs it; a `buffer` station's places are its input buffer."""
    if station.kind == "buffer":
        return StationSpec(station.id, station.capacity, station.capacity, None, None, None, station.breakdowns,
                           storage=True)
    return StationSpec(station.id, station.capacity, station.input_buffer, station.output_buffer, station.mtbf,
                       station.mttr, station.breakdowns, station.batch_size)


def _batches_on_belts(layout: Layout, products: list[ProductSpec],
                      legs: Mapping[tuple[str, str], LegSpec]) -> list[Problem]:
    """A belt with a pitch holds whole lots: transfer batches on it are refused, not guessed at."""
    problems = []
    for i, (product, spec) in enumerate(zip(layout.products, products)):
        if spec.transfer_batch is None or spec.transfer_batch >= spec.lot_size:
            continue
        for before, after in zip(spec.operations, spec.operations[1:]):
            belts = sorted({(a.station, b.station) for a in before.alternatives for b in after.alternatives
                            if (leg := legs.get((a.station, b.station))) is not None and leg.places is not None})
            if belts:
                problems.append(Problem(f"products[{i}].transfer_batch", "the running twin does not move transfer "
                                        f"batches on a belt with a pitch ({belts[0][0]} -> {belts[0][1]})"))
                break
    return problems


def _belt_places(length: float, pitch: float | None) -> int | None:
    return None if pitch is None else max(1, math.floor(length / pitch + 1e-9))


def _routed_transport(layout: Layout) -> tuple[dict[tuple[str, str], LegSpec], dict[tuple[str, str], float]]:
    """Loaded legs and empty runs as the plan has them (`twin.graph.transport_legs`,
    `twin.graph.empty_runs`): over the same aisles, from where a vehicle unloaded (an input
    port or a dock) to the next pick-up."""
    from twin.graph import AisleRouter, empty_runs, transport_legs

    router = AisleRouter(layout)
    pitches = {c.id: c.pitch for c in layout.transport.conveyors}
    legs = {pair: LegSpec(leg.seconds, leg.distance, leg.mover, _belt_places(leg.distance, pitches.get(leg.conveyor)))
            for pair, leg in transport_legs(layout, router).items() if math.isfinite(leg.seconds)}
    return legs, empty_runs(layout, router)
