"""The factory as graphs: material flows between stations, and aisle routes over the floor.

The aisle router lays a grid over the floor (spacing a third of the aisle width, at most
the placement grid), keeps the points clear of every footprint and keep-out zone by a
quarter of the aisle width, and connects neighbours in eight directions. Shortest paths on
it give the AGV travel distance between one station's output port and another's input port;
a conveyor between two stations replaces the AGV for that pair. The routing runs on scipy's
sparse graph routines (a search evaluates thousands of layouts), imported by the first router
(drawing a plan, which needs only conveyor paths, never loads scipy); `aisle_graph` and
`factory_graph` give the same data as networkx graphs for people and drawings.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from twin.errors import Problem
from twin.geometry import (
    conveyor_path,
    input_port,
    output_port,
    polyline_length,
    station_rect,
    zone_rect,
)
from twin.model import Layout, Point2

if TYPE_CHECKING:
    import networkx as nx

# half of the eight neighbour offsets of a grid point (edges are undirected)
_STEPS = [(1, 0), (0, 1), (1, 1), (1, -1)]


@dataclass(frozen=True)
class Leg:
    """How one lot travels from a station's output port to another's input port."""

    seconds: float
    distance: float
    mover: str  # "conveyor" or "agv"
    conveyor: str | None = None


class AisleRouter:
    """Shortest aisle paths on one placed layout (all stations must have positions)."""

    def __init__(self, layout: Layout):
        self.layout = layout
        floor = layout.floor
        self.step = min(floor.grid, floor.aisle_width / 3)
        self.clearance = floor.aisle_width / 4
        nx_, ny_ = int(math.floor(floor.width / self.step)), int(math.floor(floor.depth / self.step))
        xs = (np.arange(nx_) + 0.5) * (floor.width / nx_)
        ys = (np.arange(ny_) + 0.5) * (floor.depth / ny_)
        self.shape = (nx_, ny_)
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        self.points = np.stack([gx.ravel(), gy.ravel()], axis=1)
        free = np.ones(nx_ * ny_, dtype=bool)
        obstacles = [station_rect(s) for s in layout.stations] + [zone_rect(z) for z in floor.keep_out]
        c = self.clearance
        for rect in obstacles:
            inside = (
                (self.points[:, 0] > rect.xmin - c)
                & (self.points[:, 0] < rect.xmax + c)
                & (self.points[:, 1] > rect.ymin - c)
                & (self.points[:, 1] < rect.ymax + c)
            )
            free &= ~inside
        self.free = free
        self._build_edges()
        self._predecessors: dict[int, np.ndarray] = {}

    def _build_edges(self) -> None:
        from scipy.sparse import coo_matrix

        nx_, ny_ = self.shape
        index = np.arange(nx_ * ny_).reshape(nx_, ny_)
        free = self.free.reshape(nx_, ny_)
        rows, cols, weights = [], [], []
        dx = self.layout.floor.width / nx_
        dy = self.layout.floor.depth / ny_
        for sx, sy in _STEPS:
            a_slice_x, b_slice_x = slice(0, nx_ - sx), slice(sx, nx_)
            if sy >= 0:
                a_slice_y, b_slice_y = slice(0, ny_ - sy), slice(sy, ny_)
            else:
                a_slice_y, b_slice_y = slice(-sy, ny_), slice(0, ny_ + sy)
            ok = free[a_slice_x, a_slice_y] & free[b_slice_x, b_slice_y]
            if sx and sy:  # a diagonal step must not cut a corner
                ok &= free[b_slice_x, a_slice_y] & free[a_slice_x, b_slice_y]
            rows.append(index[a_slice_x, a_slice_y][ok])
            cols.append(index[b_slice_x, b_slice_y][ok])
            weights.append(np.full(int(ok.sum()), math.hypot(sx * dx, sy * dy)))
        n = nx_ * ny_
        r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
        # stored in both directions, so the searches need not symmetrise it (directed=False) each time
        self.matrix = coo_matrix((np.concatenate([w, w]), (np.concatenate([r, c]), np.concatenate([c, r]))), shape=(n, n)).tocsr()

    @cached_property
    def port_points(self) -> dict[tuple[str, str], Point2]:
        """(station or dock id, 'in'/'out') -> the port's place on the floor (a dock is both)."""
        points: dict[tuple[str, str], Point2] = {}
        for station in self.layout.stations:
            points[(station.id, "in")] = input_port(station)
            points[(station.id, "out")] = output_port(station)
        for dock in self.layout.floor.docks:
            points[(dock.id, "in")] = points[(dock.id, "out")] = dock.position
        return points

    @cached_property
    def ports(self) -> dict[tuple[str, str], tuple[int, float]]:
        """(station or dock id, 'in'/'out') -> (grid node, metres from port to node): the free
        grid point closest to each port (-1 and inf when no point is free)."""
        keys = list(self.port_points)
        free_idx = np.flatnonzero(self.free)
        if free_idx.size == 0:
            return {key: (-1, math.inf) for key in keys}
        here = np.array([self.port_points[key] for key in keys])
        free_points = self.points[free_idx]
        d = np.hypot(here[:, 0, None] - free_points[None, :, 0], here[:, 1, None] - free_points[None, :, 1])
        nearest = np.argmin(d, axis=1)
        return {
            key: (int(free_idx[k]), float(d[row, k])) for row, (key, k) in enumerate(zip(keys, nearest))
        }

    def port_distances(self, from_side: str = "out", to_side: str = "in") -> dict[tuple[str, str], float]:
        """Routed metres from every output port (stations, docks) to every input port; other
        sides give, for instance, an empty AGV's run from a drop-off ('in') to a pick-up ('out')."""
        ids = [s.id for s in self.layout.stations] + [d.id for d in self.layout.floor.docks]
        src_node, src_off = np.array([self.ports[(i, from_side)] for i in ids]).T
        dst_node, dst_off = np.array([self.ports[(i, to_side)] for i in ids]).T
        src_ok, dst_ok = src_node >= 0, dst_node >= 0
        table = np.full((len(ids), len(ids)), math.inf)
        if src_ok.any() and dst_ok.any():
            from scipy.sparse.csgraph import dijkstra

            dist = dijkstra(self.matrix, indices=src_node[src_ok].astype(int))
            table[np.ix_(src_ok, dst_ok)] = (
                dist[:, dst_node[dst_ok].astype(int)] + src_off[src_ok, None] + dst_off[None, dst_ok]
            )
        rows = table.tolist()
        return {(a, b): rows[k][j] for k, a in enumerate(ids) for j, b in enumerate(ids) if j != k or from_side != to_side}

    def path(self, a: str, b: str) -> list[Point2]:
        """Aisle polyline from a's output port to b's input port (empty when unreachable)."""
        (src, _), (dst, _) = self.ports[(a, "out")], self.ports[(b, "in")]
        if src < 0 or dst < 0:
            return []
        if src not in self._predecessors:  # one search per source, whatever the number of targets
            from scipy.sparse.csgraph import dijkstra

            self._predecessors[src] = dijkstra(self.matrix, indices=src, return_predecessors=True)[1]
        pred = self._predecessors[src]
        if src != dst and pred[dst] < 0:
            return []
        nodes, node = [], dst
        while node != src:
            nodes.append(node)
            node = pred[node]
        nodes.append(src)
        nodes.reverse()
        return [tuple(map(float, self.points[n])) for n in nodes]


def transport_legs(layout: Layout, router: AisleRouter | None = None) -> dict[tuple[str, str], Leg]:
    """Transport of one lot between every ordered pair of distinct stations and docks: by the
    conveyor that links them if there is one, else by AGV over the routed aisles."""
    router = router or AisleRouter(layout)
    distances = router.port_distances()
    agv = layout.transport.agv
    legs = {
        pair: Leg(seconds=(d / agv.speed + agv.load_time) if math.isfinite(d) else math.inf, distance=d, mover="agv")
        for pair, d in distances.items()
    }
    for conveyor in layout.transport.conveyors:
        length = polyline_length(conveyor_path(layout, conveyor))
        legs[(conveyor.from_station, conveyor.to_station)] = Leg(
            seconds=length / conveyor.speed, distance=length, mover="conveyor", conveyor=conveyor.id
        )
    return legs


def empty_runs(layout: Layout, router: AisleRouter | None = None) -> dict[tuple[str, str], float]:
    """Seconds an empty AGV drives from where it dropped a lot (a station's input port, a dock)
    to its next pick-up (an output port, a dock), over the aisles loaded legs take, without
    loading: the plan and the running twin both use these. Unroutable pairs are left out."""
    router = router or AisleRouter(layout)
    speed = layout.transport.agv.speed
    return {pair: d / speed for pair, d in router.port_distances("in", "out").items() if math.isfinite(d)}


def _spread_along(into: dict[tuple[str, str], float], receiving: list[str], shipping: list[str],
                  steps: list[list[str]], amount: float) -> None:
    """Add `amount` along a routing from the receiving docks through `steps` (the stations each
    step may use) to the shipping docks, split evenly over the choices at every leg."""
    legs = [(receiving, steps[0]), *zip(steps, steps[1:]), (steps[-1], shipping)]
    for sources, targets in legs:
        if not sources or not targets:
            continue
        share = amount / (len(sources) * len(targets))
        for a in sources:
            for b in targets:
                if a != b:
                    into[(a, b)] = into.get((a, b), 0.0) + share


def _docks(layout: Layout) -> tuple[list[str], list[str]]:
    """The receiving and the shipping docks' ids."""
    return ([d.id for d in layout.floor.docks if d.kind == "receiving"],
            [d.id for d in layout.floor.docks if d.kind == "shipping"])


def material_flows(layout: Layout) -> dict[tuple[str, str], float]:
    """Units per planning period moving between station pairs (and from/to the docks).

    Where an operation has several candidate stations, its volume is split evenly among
    them; the first operation is fed from every receiving dock and the last ships to every
    shipping dock, likewise split."""
    receiving, shipping = _docks(layout)
    flows: dict[tuple[str, str], float] = {}
    for product in layout.products:
        steps = [[s.id for s in layout.candidate_stations(op)] for op in product.routing]
        _spread_along(flows, receiving, shipping, steps, product.demand)
    return flows


# product id -> a sequence of stations (one per routing step) -> the share of the product's lots taking it
Routes = Mapping[str, Mapping[tuple[str, ...], float]]


def material_trips(layout: Layout, routes: Routes | None = None) -> dict[tuple[str, str], float]:
    """Loads moved per planning period between station pairs (and from/to the docks): one trip
    per lot and leg, since a vehicle or a belt moves a lot, not its units one by one.

    `routes` says which stations a product's lots take where an operation has several (the
    layout search reads them off the as-is layout's schedule); a product without routes, or
    with a route that leaves its candidate stations, has its lots split evenly over the
    candidates of each operation. The docks are split evenly, as in `material_flows`."""
    receiving, shipping = _docks(layout)
    trips: dict[tuple[str, str], float] = {}
    for product in layout.products:
        lots = len(product.lots)
        steps = [[s.id for s in layout.candidate_stations(op)] for op in product.routing]
        taken = dict((routes or {}).get(product.id, {}))
        if taken and all(len(route) == len(steps) and all(s in step for s, step in zip(route, steps))
                         for route in taken):
            total = sum(taken.values())
            for route, share in taken.items():
                _spread_along(trips, receiving, shipping, [[s] for s in route], lots * share / total)
            continue
        _spread_along(trips, receiving, shipping, steps, lots)
    return trips


def flow_distance(layout: Layout, router: AisleRouter | None = None, routes: Routes | None = None) -> float:
    """Sum over material trips of trips x routed distance (conveyor length where one links the
    pair): the layout search's fast screening measure, in lot-metres. Infinite if any trip is
    unroutable."""
    legs = transport_legs(layout, router)
    return sum(count * legs[pair].distance for pair, count in material_trips(layout, routes).items())


def reachability_problems(layout: Layout, router: AisleRouter | None = None) -> list[Problem]:
    """Stations (and docks) whose ports do not open onto the one connected aisle network."""
    from scipy.sparse.csgraph import connected_components

    router = router or AisleRouter(layout)
    _, labels = connected_components(router.matrix, directed=False)
    # a port opens onto an aisle when a free grid point lies within one aisle width of the
    # footprint's edge nearest to it (a port may sit inside its footprint, e.g. a cell's table)
    rects = {s.id: station_rect(s) for s in layout.stations}
    opens: dict[tuple[str, str], bool] = {}
    for (item, side), (node, offset) in router.ports.items():
        depth = 0.0
        if item in rects:
            rect, (x, y) = rects[item], router.port_points[(item, side)]
            depth = max(0.0, min(x - rect.xmin, rect.xmax - x, y - rect.ymin, rect.ymax - y))
        opens[(item, side)] = node >= 0 and offset <= depth + layout.floor.aisle_width + router.step

    # the aisle network that counts is the component holding most ports
    votes = Counter(labels[router.ports[port][0]] for port, ok in opens.items() if ok)
    main = votes.most_common(1)[0][0] if votes else None
    problems: list[Problem] = []
    conveyed_in = {c.to_station for c in layout.transport.conveyors}
    conveyed_out = {c.from_station for c in layout.transport.conveyors}
    paths = {s.id: f"stations[{i}]" for i, s in enumerate(layout.stations)}
    paths.update({d.id: f"floor.docks[{i}]" for i, d in enumerate(layout.floor.docks)})
    reported = set()
    for (item, side), ok in opens.items():
        if (side == "in" and item in conveyed_in) or (side == "out" and item in conveyed_out):
            continue  # a conveyor serves this port
        if not (ok and labels[router.ports[(item, side)][0]] == main) and item not in reported:
            reported.add(item)
            what = "station" if item in rects else "dock"
            port = f" ({'input' if side == 'in' else 'output'} port)" if item in rects else ""
            problems.append(Problem(paths[item], f"{what} '{item}' is unreachable{port}: no aisle of "
                                    f"{layout.floor.aisle_width:g} m leads to it"))
    return problems


_NO_LEG = Leg(seconds=math.inf, distance=math.inf, mover="agv")


def cut_legs(layout: Layout, legs: Mapping[tuple[str, str], Leg]) -> dict[tuple[int, int], list[tuple[str, str]]]:
    """(product index, routing step) -> the station pairs a lot could not travel between to
    reach that step from the one before (no conveyor, no aisle route): what the plan
    (`optimizer.problem`) and the running twin (`twin.sim.factory`) refuse as "no transport route"."""
    out: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for i, product in enumerate(layout.products):
        steps = [[s.id for s in layout.candidate_stations(op)] for op in product.routing]
        for j, (before, here) in enumerate(zip(steps, steps[1:]), start=1):
            missing = sorted({(a, b) for a in before for b in here
                              if a != b and not math.isfinite(legs.get((a, b), _NO_LEG).seconds)})
            if missing:
                out[(i, j)] = missing
    return out


def cut_leg_problems(layout: Layout, legs: Mapping[tuple[str, str], Leg]) -> list[Problem]:
    """The plan's and the twin's one refusal of the legs in `cut_legs`, at their routing step."""
    return [Problem(f"products[{i}].routing[{j}]", "no transport route " + _pairs(missing))
            for (i, j), missing in cut_legs(layout, legs).items()]


def _pairs(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{a} -> {b}" for a, b in pairs)


def route_problems(layout: Layout, router: AisleRouter | None = None) -> list[Problem]:
    """Routing legs no lot can travel (every port may open onto an aisle, yet a keep-out zone
    or a row of stations can split the aisles so that a conveyor-fed pair is cut off). A
    keep-out zone whose removal opens some of them is named with the legs it cuts, at the
    zone; the legs no single zone explains are named at their routing step."""
    cut = cut_legs(layout, transport_legs(layout, router))
    if not cut:
        return []
    pairs = sorted({p for missing in cut.values() for p in missing})
    problems, explained = [], set()
    zones = layout.floor.keep_out
    for k, zone in enumerate(zones):
        floor = layout.floor.model_copy(update={"keep_out": zones[:k] + zones[k + 1:]})
        legs = transport_legs(layout.model_copy(update={"floor": floor}))
        opened = [p for p in pairs if math.isfinite(legs[p].seconds)]
        if opened:
            explained.update(opened)
            problems.append(Problem(f"floor.keep_out[{k}]", f"keep-out zone '{zone.id}' closes the only aisle for "
                                    f"{_pairs(opened)}: no transport route is left for them"))
    for (i, j), missing in cut.items():
        rest = [p for p in missing if p not in explained]
        if rest:
            problems.append(Problem(f"products[{i}].routing[{j}]", "no transport route " + _pairs(rest)))
    return problems


def aisle_graph(layout: Layout, router: AisleRouter | None = None) -> nx.Graph:
    """The aisle routing grid as a networkx graph: nodes carry `pos`, edges `length`."""
    import networkx as nx  # people's and drawings' view only: off the search's import path

    router = router or AisleRouter(layout)
    graph = nx.Graph()
    for node in np.flatnonzero(router.free):
        graph.add_node(int(node), pos=tuple(map(float, router.points[node])))
    coo = router.matrix.tocoo()
    for a, b, w in zip(coo.row, coo.col, coo.data):
        if a < b:
            graph.add_edge(int(a), int(b), length=float(w))
    return graph


def factory_graph(layout: Layout, router: AisleRouter | None = None) -> nx.DiGraph:
    """Stations and docks as nodes (with their attributes); material flows as edges carrying
    volume, routed distance, transport seconds and mover."""
    import networkx as nx  # people's and drawings' view only: off the search's import path

    router = router or AisleRouter(layout)
    legs = transport_legs(layout, router)
    graph = nx.DiGraph(name=layout.name)
    for station in layout.stations:
        rect = station_rect(station)
        graph.add_node(
            station.id, type="station", kind=station.kind, position=station.position, rotation=station.rotation,
            footprint=(rect.width, rect.depth), height=station.height, capacity=station.capacity, fixed=station.fixed,
        )
    for dock in layout.floor.docks:
        graph.add_node(dock.id, type="dock", kind=dock.kind, position=dock.position)
    for (a, b), volume in material_flows(layout).items():
        leg = legs[(a, b)]
        graph.add_edge(a, b, volume=volume, distance=leg.distance, seconds=leg.seconds, mover=leg.mover,
                       conveyor=leg.conveyor)
    return graph


def used_area(layout: Layout) -> float:
    """Area (m^2) of the bounding box of all placed stations: the floor a design really needs."""
    rects = [station_rect(s) for s in layout.stations]
    return (max(r.xmax for r in rects) - min(r.xmin for r in rects)) * (max(r.ymax for r in rects) - min(r.ymin for r in rects))


__all__ = [
    "AisleRouter", "Leg", "aisle_graph", "conveyor_path", "cut_legs", "empty_runs", "factory_graph", "flow_distance",
    "material_flows", "material_trips",
    "reachability_problems", "route_problems", "transport_legs", "used_area",
]
