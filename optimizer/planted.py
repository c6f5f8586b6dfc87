"""Factories with a planted arrangement: generated test instances for the layout search.

Each instance is a layout file whose as-is placement is deliberately bad and a *planted*
arrangement of the same stations that is good by construction, so a search can be checked
against a known answer (`benchmarks/planted_bench.py`, `tests/optimizer/test_planted.py`):

- `serial_line`: one product through `stations` machines in order; planted: the machines in
  one row in routing order, an aisle apart, between the receiving dock on the left wall and
  the shipping dock on the right wall, so every leg is one aisle long and the used floor is
  one row; as-is: the machines scattered over the hall (random slots, some turned round).
- `product_cells`: `cells` products, each through its own `machines` machines; planted: one
  row per product in routing order, an aisle apart (a cell per product); as-is: the same
  slots with the machines mixed up between the cells (and some turned round).

Why the planted arrangement is the one to beat: every leg of a lot's route is as short as
the clearance rules allow (one aisle from output port to the next input port) and the floor
used is the bounding box of the rows. It is not proven optimal (the cells' rows could sit
differently against the docks), so a search may beat it; the check is that it comes within
2 % of its annual cost or better. The seed decides every size, time and the as-is mess; the
prices make the arrangement matter (floor and AGV km rather than machines dominate the annual
cost), and the AGVs are slow enough that travel shows in the throughput.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

GRID = 0.5
AISLE = 1.5
KINDS = ("serial_line", "product_cells")
# prices of the planted factories: cheap machines, dear floor and AGV running, so that the
# arrangement (floor used, km driven) is what the annual cost is mostly about
COSTS = {"floor_per_m2_year": 250.0, "agv_per_km": 40.0, "agv_each": 20_000.0, "depreciation_years": 8.0,
         "operating_hours": 6000.0, "energy_per_kwh": 0.2,
         "station_power_kw": {"machine": 2.0, "robot_cell": 4.0, "manual": 0.3, "inspection": 1.5, "buffer": 0.0}}
STATION_COST = 8_000.0


@dataclass(frozen=True)
class PlantedInstance:
    """A generated factory: its layout document (as-is placement included) and the planted
    arrangement, station id -> [x, y, rotation]."""

    kind: str
    seed: int
    layout: dict[str, Any]
    planted: dict[str, list[float]]

    @property
    def name(self) -> str:
        return self.layout["name"]

    def write(self, folder: Path | str) -> Path:
        """The layout file (as-is placement) in `folder`; returns its path."""
        path = Path(folder) / f"{self.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.layout, sort_keys=False), encoding="utf-8")
        return path


def _snap(value: float) -> float:
    return round(round(value / GRID) * GRID, 6)


def _machine(sid: str, width: float, depth: float) -> dict[str, Any]:
    return {"id": sid, "kind": "machine", "footprint": {"width": width, "depth": depth}, "cost": STATION_COST,
            "mtbf": 4 * 3600.0, "mttr": 300.0}


def _rows(rows: list[list[dict[str, Any]]], depth: float) -> tuple[float, float, dict[str, list[float]]]:
    """Floor width and depth that hold `rows` of machines (in routing order, an aisle apart,
    the rows an aisle apart and centred on the floor's middle), and the planted placements."""
    lengths = [sum(m["footprint"]["width"] for m in row) + (len(row) + 1) * AISLE for row in rows]
    width = max(lengths)
    pitch = depth + AISLE
    floor_depth = _snap(max(len(rows) * pitch + AISLE, 4 * pitch + AISLE))
    # footprint corners on the grid (as the generators place them): sizes and the aisle are
    # whole grid steps, so the centres follow exactly
    bottom = _snap(floor_depth / 2 - (len(rows) * pitch - AISLE) / 2)
    planted: dict[str, list[float]] = {}
    for r, row in enumerate(rows):
        x = _snap((width - lengths[r]) / 2) + AISLE
        y = bottom + r * pitch + depth / 2
        for m in row:
            w = m["footprint"]["width"]
            planted[m["id"]] = [x + w / 2, y, 0]
            x += w + AISLE
    return width, floor_depth, planted


def _base(name: str, width: float, depth: float, stations: list[dict], products: list[dict]) -> dict[str, Any]:
    return {
        "name": name,
        "floor": {"width": width, "depth": depth, "grid": GRID, "aisle_width": AISLE,
                  "docks": [{"id": "receiving", "kind": "receiving", "position": [0.0, _snap(depth / 2)]},
                            {"id": "shipping", "kind": "shipping", "position": [width, _snap(depth / 2)]}]},
        "stations": stations,
        "transport": {"agv": {"speed": 0.5, "fleet_size": 2, "load_time": 10.0}},
        "costs": COSTS,
        "products": products,
    }


def _product(pid: str, machines: list[dict], times: list[float], lots: int, lot_size: int) -> dict[str, Any]:
    return {"id": pid, "family": pid, "demand": lots * lot_size, "lot_size": lot_size,
            "routing": [{"id": f"op{i + 1}", "stations": [m["id"]], "time": t,
                         "variability": {"kind": "lognormal", "cv": 0.3}}
                        for i, (m, t) in enumerate(zip(machines, times))]}


def _due(products: list[dict], fleet: int = 2) -> float:
    """A due date the planted arrangement meets with room to spare: twice the busiest
    machine's work plus every lot's trips at a generous 60 s each, spread over the fleet."""
    busiest = max(op["time"] * p["demand"] for p in products for op in p["routing"])
    trips = sum((len(p["routing"]) + 1) * p["demand"] // p["lot_size"] for p in products)
    return float(round(2 * busiest + 60.0 * trips / fleet, -2))


def _scatter(rng: np.random.Generator, stations: list[dict], width: float, depth: float) -> None:
    """Put every station in its own random slot of a coarse grid over the floor, a third of
    them turned round (their ports then face away from the flow)."""
    big_w = max(s["footprint"]["width"] for s in stations)
    big_d = max(s["footprint"]["depth"] for s in stations)
    pitch_x, pitch_y = big_w + AISLE, big_d + AISLE
    cols, rows = int((width - AISLE) // pitch_x), int((depth - AISLE) // pitch_y)
    if cols * rows < len(stations):
        raise ValueError(f"the floor holds {cols * rows} slots for {len(stations)} stations")
    slots = rng.permutation(cols * rows)[:len(stations)]
    for s, slot in zip(stations, slots):
        c, r = divmod(int(slot), rows)
        s["position"] = [_snap(AISLE + pitch_x * c + big_w / 2), _snap(AISLE + pitch_y * r + big_d / 2)]
        s["rotation"] = 180 if rng.random() < 1 / 3 else 0


def serial_line(stations: int = 6, seed: int = 0, lots: int = 12, lot_size: int = 5) -> PlantedInstance:
    """A serial line of `stations` machines scattered over the hall (see the module)."""
    if stations < 2:
        raise ValueError(f"a serial line needs at least 2 stations, got {stations}")
    rng = np.random.default_rng([seed, 0x5E41])
    machines = [_machine(f"m{i + 1}", float(rng.choice([1.5, 2.0, 2.5, 3.0])), 2.0) for i in range(stations)]
    times = [float(round(rng.uniform(8.0, 20.0), 1)) for _ in machines]
    width, depth, planted = _rows([machines], 2.0)
    product = _product("part", machines, times, lots, lot_size)
    product["due"] = _due([product])
    _scatter(rng, machines, width, depth)
    name = f"planted-line-{stations}-s{seed}"
    return PlantedInstance("serial_line", seed, _base(name, width, depth, machines, [product]), planted)


def product_cells(cells: int = 3, machines: int = 3, seed: int = 0, lots: int = 6,
                  lot_size: int = 5) -> PlantedInstance:
    """`cells` product cells of `machines` machines each, mixed up (see the module)."""
    if cells < 2 or machines < 2:
        raise ValueError(f"product cells need at least 2 cells of 2 machines, got {cells} x {machines}")
    rng = np.random.default_rng([seed, 0xCE11])
    size = float(rng.choice([1.5, 2.0, 2.5]))
    rows = [[_machine(f"c{c + 1}m{i + 1}", size, size) for i in range(machines)] for c in range(cells)]
    width, depth, planted = _rows(rows, size)
    products = [_product(f"p{c + 1}", row, [float(round(rng.uniform(8.0, 20.0), 1)) for _ in row], lots, lot_size)
                for c, row in enumerate(rows)]
    due = _due(products)
    for p in products:
        p["due"] = due
    stations = [m for row in rows for m in row]
    # mixed up: the planted slots, dealt out again at random (all machines are the same size)
    slots = [planted[m["id"]][:2] for m in stations]
    for m, q in zip(stations, rng.permutation(len(stations))):
        m["position"] = list(slots[int(q)])
        m["rotation"] = 180 if rng.random() < 1 / 3 else 0
    name = f"planted-cells-{cells}x{machines}-s{seed}"
    return PlantedInstance("product_cells", seed, _base(name, width, depth, stations, products), planted)


def instance(kind: str, seed: int = 0, small: bool = False) -> PlantedInstance:
    """An instance of `kind` ("serial_line" or "product_cells"); `small` for the fast tests."""
    if kind == "serial_line":
        return serial_line(4 if small else 6 + seed % 3, seed)
    if kind == "product_cells":
        return product_cells(2 if small else 3, 2 if small else 3, seed)
    raise ValueError(f"unknown planted kind {kind!r}; the kinds are {', '.join(KINDS)}")


__all__ = ["KINDS", "PlantedInstance", "instance", "product_cells", "serial_line"]
