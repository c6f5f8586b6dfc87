"""What a design costs a year, and the rate its demand requires: read by the layout search's
final ranking only (the plan and the running twin describe the factory; prices do not change
how it runs).

Annual cost = capital / depreciation years (stations' `cost`, conveyor metres, AGVs) + used
floor area x floor price + running costs measured by the simulation: AGV km driven and
station energy (busy hours x power) for the layout's demand, which recurs every demand period
(the latest due date of its lots; the simulated time for steady demand) through the
layout's operating hours a year. So a faster design does not pay more running cost for the
same output. The numbers come from the layout's `costs` block (`twin.model.Costs`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from twin.model import Layout


@dataclass(frozen=True)
class AnnualCost:
    """One design's cost per year, split into its parts (currency of the stations' `cost`)."""

    capital: float  # what the design's equipment costs to buy (not per year)
    depreciation: float
    floor: float
    agv_running: float
    energy: float
    energy_kwh: float  # drawn by busy stations in the simulated run (not per year)

    @property
    def total(self) -> float:
        return self.depreciation + self.floor + self.agv_running + self.energy


def buffer_places(layout: Layout) -> int:
    """The input and output buffer places the stations state (a buffer without a limit is not
    counted: it has no size to price)."""
    return sum((s.input_buffer or 0) + (s.output_buffer or 0) for s in layout.stations)


def capital_cost(layout: Layout, conveyor_length: float) -> float:
    """Stations (their `cost`, 0 when not given), conveyors by the metre, AGVs each, buffer
    places each."""
    c = layout.costs
    stations = sum(s.cost or 0.0 for s in layout.stations)
    return (stations + conveyor_length * c.conveyor_per_m + layout.transport.agv.fleet_size * c.agv_each
            + buffer_places(layout) * c.buffer_per_place)


def demand_period(layout: Layout) -> float | None:
    """Seconds in which the layout's lots are due (the latest due date); None when a product
    has a steady rate or no lot has a due date."""
    if any(p.rate is not None for p in layout.products):
        return None
    return max((p.due for p in layout.products if p.due is not None), default=None)


def annual_cost(layout: Layout, *, conveyor_length: float, floor_area: float, agv_metres: float,
                busy_seconds: Mapping[str, float], simulated_seconds: float) -> AnnualCost:
    """The annual cost of a placed layout from one simulated run of `simulated_seconds`
    (running costs recur every `demand_period`, or every simulated run without one)."""
    c = layout.costs
    period = demand_period(layout) or simulated_seconds
    capital = capital_cost(layout, conveyor_length)
    kinds = {s.id: s.kind for s in layout.stations}
    kwh = sum(seconds / 3600.0 * getattr(c.station_power_kw, kinds[sid]) for sid, seconds in busy_seconds.items())
    per_year = c.operating_hours * 3600.0 / period if period > 0 else 0.0
    return AnnualCost(
        capital=capital, depreciation=capital / c.depreciation_years, floor=floor_area * c.floor_per_m2_year,
        agv_running=agv_metres / 1000.0 * c.agv_per_km * per_year, energy=kwh * c.energy_per_kwh * per_year,
        energy_kwh=kwh,
    )


def required_rate(layout: Layout) -> float | None:
    """Units per hour the demand requires: the steady rates of products that have one, plus
    the units of the others' lots over the latest due date (None when no product has a rate
    or a due date: nothing to meet)."""
    steady = [p.rate for p in layout.products if p.rate is not None]
    if steady:
        lots = [p for p in layout.products if p.rate is None]
        due = max((p.due for p in lots if p.due is not None), default=None)
        return sum(steady) + (sum(p.demand for p in lots) / due * 3600.0 if due else 0.0)
    period = demand_period(layout)
    return None if period is None else sum(p.demand for p in layout.products) / period * 3600.0
