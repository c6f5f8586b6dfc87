"""The summary tiles above the plan: what a planner reads first about the open layout, with
units. They come from the layout alone (counts, demand, floor use) and, once a schedule has
been computed for this very layout, from the schedule (makespan, throughput, bottleneck), so
the first view never waits for a solver, a router or physics."""
from __future__ import annotations

from typing import Any

from twin.geometry import floor_rect, station_rect
from twin.model import Layout


def floor_use(layout: Layout) -> float:
    """The share of the floor's area under placed stations' footprints (stations never
    overlap, so their areas add up)."""
    floor = floor_rect(layout.floor)
    used = sum(station_rect(s).area for s in layout.stations if s.position is not None)
    return used / floor.area


def summary_tiles(layout: Layout, schedule_doc: dict[str, Any] | None = None) -> list[tuple[str, str, str | None]]:
    """(label, value, help) of each tile, in reading order."""
    placed = sum(s.position is not None for s in layout.stations)
    cells = sum(s.cell is not None for s in layout.stations)
    units = sum(p.demand for p in layout.products)
    lots = sum(-(-p.demand // p.lot_size) for p in layout.products)  # not len(p.lots): a list per rerun
    transport = layout.transport
    stations = f"{len(layout.stations)}" if placed == len(layout.stations) else f"{placed} of {len(layout.stations)}"
    tiles: list[tuple[str, str, str | None]] = [
        ("Stations", stations, f"{cells} robot cell{'s' if cells != 1 else ''}; "
         + ("all on the floor" if placed == len(layout.stations) else f"{len(layout.stations) - placed} not placed yet")),
        ("Products · lots", f"{len(layout.products)} · {lots:,}", None),
        ("Demand (units)", f"{units:,}", "units to make, all products"),
        ("Floor used", f"{floor_use(layout):.0%}", f"stations' footprints on the {layout.floor.width:g} x "
         f"{layout.floor.depth:g} m floor ({layout.floor.width * layout.floor.depth:,.0f} m²)"),
        ("AGVs · conveyors", f"{transport.agv.fleet_size} · {len(transport.conveyors)}",
         f"AGVs at {transport.agv.speed:g} m/s"),
    ]
    if schedule_doc is not None:
        k = schedule_doc["kpis"]
        tiles += [("Makespan (s)", f"{schedule_doc['makespan']:,.0f}", f"{schedule_doc.get('solver') or 'solver'}, "
                   f"status {schedule_doc['status']}, gap {schedule_doc['gap']:.1%}"),
                  ("Throughput (units/h)", f"{k['throughput_per_hour']:,.1f}", None),
                  ("Busiest station", str(k["bottleneck"]), None)]
    return tiles
