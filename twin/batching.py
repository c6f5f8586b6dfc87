"""Batch machines (ovens, kettles, tunnel pasteurisers): a station with `batch_size` N
processes up to N units at once. The rule the plan and the running twin share:

- an operation's `time` on a batch machine is the seconds of one batch (its cycle), and the
  `setup` comes once before it;
- lots share a batch when they are of one family, at the same routing step (operation id),
  with the same time there, and their units add up to at most N; they start and end together;
- a lot of more than N units runs alone as ceil(units / N) batches back to back.

A batch machine has one chamber (capacity 1; give each chamber its own station) and runs
without an operator.
"""
from __future__ import annotations

from twin.errors import Problem
from twin.model import Layout


def batches(units: int, batch_size: int | None) -> int:
    """How many batch cycles a lot of `units` takes alone (units themselves without batching)."""
    return units if batch_size is None else -(-units // batch_size)


def batch_problems(layout: Layout) -> list[Problem]:
    """Batch machines that cannot be one: robot cells and buffers, more than one lane, an
    operator pool that runs it, and operations whose stations mix batch and unit machines."""
    from twin.shifts import manned_pools

    problems = []
    manned = manned_pools(layout)
    for i, station in enumerate(layout.stations):
        if station.batch_size is None:
            continue
        path = f"stations[{i}]"
        if station.kind in ("robot_cell", "buffer"):
            problems.append(Problem(f"{path}.batch_size", f"a {station.kind} cannot be a batch machine (machines, "
                                    "manual and inspection stations can)"))
        if station.capacity != 1:
            problems.append(Problem(f"{path}.capacity", "a batch machine has one chamber (capacity 1): give each "
                                    "chamber its own station"))
        if station.id in manned:
            problems.append(Problem(path, f"batch machine '{station.id}' runs without an operator: no pool may "
                                    "run it and it may not be a manual station"))
    for i, product in enumerate(layout.products):
        machines = sorted({s.id for op in product.routing for s in layout.candidate_stations(op)
                           if s.batch_size is not None})
        if product.transfer_batch is not None and product.transfer_batch < product.lot_size and machines:
            problems.append(Problem(f"products[{i}].transfer_batch", "a lot in transfer batches cannot visit a batch "
                                    f"machine ({', '.join(machines)}) yet: a batch machine takes whole lots"))
        for j, op in enumerate(product.routing):
            candidates = layout.candidate_stations(op)
            batch = [s.id for s in candidates if s.batch_size is not None]
            unit = [s.id for s in candidates if s.batch_size is None]
            if batch and unit:
                field = "stations" if op.stations is not None else "station_kind"
                problems.append(Problem(f"products[{i}].routing[{j}].{field}",
                                        f"mixes batch machines ({', '.join(batch)}) and unit stations "
                                        f"({', '.join(unit)}): its time is per batch on one and per unit on the other"))
    return problems
