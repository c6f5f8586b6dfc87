"""Small factories for the simulation tests: lines of stations fed by a steady source, with
instant transfers, so queueing theory (and Ciw) give the answer to compare with."""
from __future__ import annotations

import itertools
from typing import Any

from twin.io import layout_from_data
from twin.model import Layout
from twin.sim.factory import Factory, LegSpec, compile_factory


def line_layout(services: list[float], *, rate: float | None = None, lots: int = 1, capacities: list[int] | None = None,
                input_buffers: list[int | None] | None = None, output_buffers: list[int | None] | None = None,
                shape: dict[str, Any] | None = None, mtbf: float | None = None, mttr: float | None = None,
                lot_size: int = 1) -> Layout:
    """A serial line s0 -> s1 -> ... with mean `services[i]` seconds per unit at station i,
    exponential unless `shape` says otherwise; Poisson arrivals at `rate` units/h, or else
    `lots` lots released at time 0."""
    n = len(services)
    capacities = capacities or [1] * n
    input_buffers = input_buffers or [None] * n
    output_buffers = output_buffers or [None] * n
    stations = []
    for i in range(n):
        station: dict[str, Any] = {"id": f"s{i}", "kind": "machine", "footprint": {"width": 1.0, "depth": 1.0},
                                   "capacity": capacities[i]}
        if input_buffers[i] is not None:
            station["input_buffer"] = input_buffers[i]
        if output_buffers[i] is not None:
            station["output_buffer"] = output_buffers[i]
        if mtbf is not None:
            station.update(mtbf=mtbf, mttr=mttr)
        stations.append(station)
    product: dict[str, Any] = {
        "id": "p", "family": "f", "demand": lots * lot_size, "lot_size": lot_size,
        "routing": [{"id": f"op{i}", "stations": [f"s{i}"], "time": t, "variability": shape or {"kind": "exponential"}}
                    for i, t in enumerate(services)],
    }
    if rate is not None:
        product["rate"] = rate
    return layout_from_data({"name": "line", "floor": {"width": 50.0, "depth": 20.0}, "stations": stations,
                             "products": [product]})


def instant_factory(layout: Layout) -> Factory:
    """The layout's simulation model with every transfer instant (no vehicle, no belt)."""
    ids = [s.id for s in layout.stations]
    legs = {(a, b): LegSpec(0.0, 0.0, "conveyor") for a, b in itertools.permutations(ids, 2)}
    return compile_factory(layout, legs=legs)


def inside(figure: dict[str, Any], value: float) -> bool:
    return figure["ci95_low"] <= value <= figure["ci95_high"]


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["ci95_low"] <= b["ci95_high"] and b["ci95_low"] <= a["ci95_high"]
