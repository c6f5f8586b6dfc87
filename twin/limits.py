"""Count limits on a layout file: how big a file, how many stations, lots, grid cells, ...

Every number in the model has a fixed range (`twin.model`); counts are different: a real plant
can outgrow any default, so each count limit is a setting, read from an environment variable
when it is checked (`FACTORY_TWIN_MAX_STATIONS=5000 factory-twin validate big.yaml`). Nesting
depth is not a setting: the model's deepest value sits at depth 10, so 20 leaves room for a
misplaced bracket to get a field-level message instead.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from twin.errors import InputError, Problem
from twin.model import Layout

DEEPEST_LAYOUT_VALUE = 10  # stations[i].cell.tasks[j].waypoints[k].xyz[0]
MAX_NESTING = 20
TOO_DEEP = f"nested more than {MAX_NESTING} levels deep (a layout needs at most {DEEPEST_LAYOUT_VALUE})"
# The scheduler counts time in whole ticks; weighted tardiness multiplies them by integer weights
# of up to 10^6 and sums over lots, so the work in a file must stay well inside 64-bit integers.
MAX_WORK_TICKS = 10**9


@dataclass(frozen=True)
class Limit:
    """One count limit: its environment variable, default and what it counts."""

    variable: str
    default: int
    counts: str


LIMITS: dict[str, Limit] = {
    "file_bytes": Limit("FACTORY_TWIN_MAX_FILE_BYTES", 5_000_000, "bytes in a layout file"),
    "values": Limit("FACTORY_TWIN_MAX_VALUES", 1_000_000,
                    "values (numbers, texts, lists, mappings) in a file, every alias expanded"),
    "stations": Limit("FACTORY_TWIN_MAX_STATIONS", 2_000, "stations"),
    "products": Limit("FACTORY_TWIN_MAX_PRODUCTS", 500, "products"),
    "lots": Limit("FACTORY_TWIN_MAX_LOTS", 10_000, "lots (jobs) over all products"),
    "operations": Limit("FACTORY_TWIN_MAX_OPERATIONS", 200, "operations in one routing"),
    "waypoints": Limit("FACTORY_TWIN_MAX_WAYPOINTS", 1_000, "waypoints in one robot task or points in one conveyor route"),
    "items": Limit("FACTORY_TWIN_MAX_ITEMS", 10_000, "items in any other list (zones, docks, conveyors, ...)"),
    "grid_cells": Limit("FACTORY_TWIN_MAX_GRID_CELLS", 1_000_000,
                        "aisle-routing grid points (floor area / step², step = min(grid, aisle_width / 3))"),
}


def limit(name: str) -> int:
    """The current value of a count limit: its environment variable if set, else the default."""
    spec = LIMITS[name]
    text = os.environ.get(spec.variable, "").strip()
    if not text:
        return spec.default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(f"{spec.variable}={text!r}: must be a whole number of at least 1")
    return value


def _too_many(count: int, name: str, what: str) -> str:
    return f"{count:,} {what}, more than the {limit(name):,} allowed (setting {LIMITS[name].variable})"


# points and sizes: the model fixes their length (2 or 3 numbers)
_FIXED_LENGTH_KEYS = frozenset({"position", "input_port", "output_port", "xyz", "rpy", "size"})


def list_limit(path: str, key: str) -> tuple[str, str] | None:
    """(limit name, what it counts) for the list at `path`, whose last mapping key is `key`
    (a list inside a list keeps its parent's key), or None for the model's fixed-length points.
    One rule for the plain-data check below and the readers, which apply it while composing."""
    if key in _FIXED_LENGTH_KEYS:
        return None
    if path in ("stations", "products"):
        return path, path
    if key == "routing":
        return "operations", "operations"
    if key in ("waypoints", "route"):
        return "waypoints", "points" if key == "route" else "waypoints"
    return "items", "items"


def list_too_long(count: int, name: str, what: str) -> str:
    """The message for a list of `count` entries past the limit `name` (`what` it counts)."""
    return "lists " + _too_many(count, name, what)


def data_size_problems(data: Any) -> list[Problem]:
    """Lists longer than their limit and values nested deeper than `MAX_NESTING`, found on
    plain data (before the model builds anything). Iterative, so depth cannot crash it."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, str, int]] = [(data, "", "", 1)]
    while stack:
        value, path, key, depth = stack.pop()
        if depth > MAX_NESTING:
            problems.append(Problem(path, TOO_DEEP))
            continue
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k), str(k), depth + 1) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            counted = list_limit(path, key)
            if counted is not None and len(value) > limit(counted[0]):
                problems.append(Problem(path, list_too_long(len(value), *counted)))
                continue
            stack.extend((v, f"{path}[{i}]", key, depth + 1) for i, v in enumerate(value))
    return sorted(problems, key=lambda p: p.path)


def layout_size_problems(layout: Layout) -> list[Problem]:
    """Counts that need the model's numbers: lots over all products and the aisle grid."""
    problems = []
    lots = sum(-(-p.demand // p.lot_size) for p in layout.products)
    if lots > limit("lots"):
        problems.append(Problem("products", "make " + _too_many(lots, "lots", "lots (demand / lot_size summed)")))
    floor = layout.floor
    step = min(floor.grid, floor.aisle_width / 3)
    columns, rows = math.floor(floor.width / step), math.floor(floor.depth / step)
    if columns < 1 or rows < 1:
        problems.append(Problem("floor", f"the floor ({floor.width:g} x {floor.depth:g} m) is smaller than one "
                                f"aisle-grid step ({step:g} m = min(grid, aisle_width / 3))"))
    elif columns * rows > limit("grid_cells"):
        problems.append(Problem("floor.grid", f"the aisle grid (step {step:g} m = min(grid, aisle_width / 3)) has "
                                + _too_many(columns * rows, "grid_cells", "points")))
    work = _work_seconds(layout) / layout.tick
    if work > MAX_WORK_TICKS:
        problems.append(Problem("tick", f"the release, due and processing times add up to {work:.3g} ticks of "
                                f"{layout.tick:g} s, more than the {MAX_WORK_TICKS:,} the scheduler can count: "
                                "raise tick or lower demand and times"))
    return problems


def _work_seconds(layout: Layout) -> float:
    """An upper bound on the schedule's length from the file's own numbers (robot-cell cycle
    times come from physics later and are left out): latest release or due, plus every lot's
    set-ups, processing and a worst changeover."""
    changeover = max((c.time for c in layout.changeovers), default=0.0)
    total = max((max(p.release, p.due or 0.0) for p in layout.products), default=0.0)
    for product in layout.products:
        lots = -(-product.demand // product.lot_size)
        for op in product.routing:
            total += lots * (op.setup + changeover) + product.demand * max(op.time or 0.0, op.handling)
    return total
