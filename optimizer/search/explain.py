"""Why the best design wins (or does not) against the as-is layout, from measured figures
only: which material flows got shorter, how far the AGVs drive loaded and empty, how the
as-is bottleneck's blocked and starved shares changed, and what the design costs and saves
a year.

- Flows: the screening proxy's own measure, per station pair: lot trips (weighted by the
  as-is schedule's routes, as in stage 1) x routed metres (`twin.graph.material_trips`,
  `twin.graph.transport_legs`) in both designs; their sums are the stored flow distances.
- AGV km and money: the running twin's paired differences per replication (`decide`).
- Bottleneck: the station most often the bottleneck in the as-is layout's replications, its
  mean busy, blocked and starved shares there and in the best design, and the best design's
  own bottleneck (stored per replication by `simulate.replication_kpis`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from twin.graph import AisleRouter, material_trips, transport_legs
from twin.model import Layout

from optimizer.search.decide import Decision
from optimizer.search.routes import lot_routes
from optimizer.search.rows import CandidateRow
from optimizer.search.statistics import Difference
from optimizer.store import RunStore, SimulationRecord


@dataclass(frozen=True)
class FlowChange:
    """One material flow (station or dock pair): lot trips per demand period and the routed
    metres of one trip in the as-is layout and in the best design."""

    source: str
    target: str
    trips: float
    as_is_m: float
    best_m: float

    @property
    def change_m(self) -> float:
        return self.best_m - self.as_is_m

    @property
    def lot_metres_change(self) -> float:
        return self.trips * self.change_m


@dataclass(frozen=True)
class StationShares:
    """A station's mean shares of lane time over a design's replications."""

    busy: float
    blocked: float
    starved: float


@dataclass(frozen=True)
class BottleneckChange:
    station: str  # the as-is layout's bottleneck (most often, over its replications)
    as_is: StationShares
    best: StationShares | None  # None: the best design has no such station's figures
    best_bottleneck: str | None  # the best design's own bottleneck


@dataclass(frozen=True)
class Explanation:
    best_seq: int
    flows: list[FlowChange]  # every flow, largest saving (lot-metres) first
    agv_loaded: Difference | None  # metres, best - as-is, paired per replication
    agv_empty: Difference | None
    bottleneck: BottleneckChange | None
    money: dict[str, Difference]  # capital (one-off) and the annual parts, best - as-is

    @property
    def flow_as_is(self) -> float:
        return sum(f.trips * f.as_is_m for f in self.flows)

    @property
    def flow_best(self) -> float:
        return sum(f.trips * f.best_m for f in self.flows)


MONEY = (("capital", "capital (one-off)"), ("cost_depreciation", "depreciation a year"),
         ("cost_floor", "floor a year"), ("cost_agv_running", "AGV running a year"),
         ("cost_energy", "energy a year"), ("annual_cost", "annual cost"))


def flow_changes(base: Layout, as_is: CandidateRow, best: CandidateRow, routes_doc: dict | None) -> list[FlowChange]:
    """Every material flow's trips and routed metres in both designs, largest saving first;
    trips weighted as the screening proxy weighs them (the as-is schedule's routes)."""
    routes = (lot_routes(routes_doc) or None) if routes_doc else None
    a_layout, b_layout = as_is.layout(base), best.layout(base)
    a_legs, b_legs = transport_legs(a_layout, AisleRouter(a_layout)), transport_legs(b_layout, AisleRouter(b_layout))
    out = [FlowChange(src, dst, trips, a_legs[(src, dst)].distance, b_legs[(src, dst)].distance)
           for (src, dst), trips in material_trips(a_layout, routes).items() if trips > 0]
    return sorted(out, key=lambda f: (f.lot_metres_change, f.source, f.target))


def _shares(records: list[SimulationRecord], station: str) -> StationShares | None:
    values = [r.kpis["stations"][station] for r in records if station in r.kpis.get("stations", {})]
    if not values:
        return None
    mean = np.mean(np.asarray(values, dtype=float), axis=0)
    return StationShares(*(float(v) for v in mean))


def _bottleneck(records: list[SimulationRecord]) -> str | None:
    """The station most often the bottleneck over the replications (ties by name)."""
    votes = Counter(r.kpis.get("bottleneck") for r in records if r.kpis.get("bottleneck"))
    return min(votes, key=lambda s: (-votes[s], s)) if votes else None


def bottleneck_change(records: list[SimulationRecord], best_seq: int) -> BottleneckChange | None:
    as_is = [r for r in records if r.seq == 0 and r.status == "ok"]
    best = [r for r in records if r.seq == best_seq and r.status == "ok"]
    station = _bottleneck(as_is)
    if station is None:
        return None
    shares = _shares(as_is, station)
    return None if shares is None else BottleneckChange(station, shares, _shares(best, station), _bottleneck(best))


def explain(store: RunStore, base: Layout, decision: Decision | None, rows: list[CandidateRow]) -> Explanation | None:
    """Why the running twin's best design differs from the as-is layout (None when either
    was not simulated)."""
    if decision is None or decision.best is None or decision.baseline is None:
        return None
    by_seq = {r.seq: r for r in rows}
    as_is, best = by_seq.get(0), by_seq.get(decision.best.seq)
    if as_is is None or best is None or not as_is.placements:
        return None
    c = decision.comparison
    return Explanation(
        best_seq=best.seq, flows=flow_changes(base, as_is, best, store.schedule_json(0)),
        agv_loaded=c.get("agv_loaded_m"), agv_empty=c.get("agv_empty_m"),
        bottleneck=bottleneck_change(store.simulation_records(), best.seq),
        money={name: c[name] for name, _ in MONEY if name in c},
    )
