"""The factory graph: aisle routing, transport legs, material flows."""
from __future__ import annotations

import math

import networkx as nx
import pytest

from twin.geometry import input_port, output_port, station_rect
from twin.graph import (
    AisleRouter,
    aisle_graph,
    factory_graph,
    flow_distance,
    material_flows,
    material_trips,
    transport_legs,
    used_area,
)
from twin.io import layout_from_data


def test_open_floor_route_is_the_straight_distance(layout_data):
    layout = layout_from_data(layout_data)
    legs = transport_legs(layout)
    # cnc output port (5, 6) to wash input port (9, 6): 4 m straight along y = 6
    leg = legs[("cnc", "wash")]
    assert leg.mover == "agv"
    # a route is never shorter than the straight line; on an open floor it is longer only by
    # the hops from each port to its nearest grid point (at most a grid diagonal each)
    step = AisleRouter(layout).step
    assert 4.0 - 1e-9 <= leg.distance <= 4.0 + 2 * math.sqrt(2) * step
    assert leg.seconds == pytest.approx(leg.distance / 1.0 + 10.0)


def test_route_goes_around_an_obstacle(layout_data):
    # put a wall between cnc and wash: the route must detour
    layout_data["floor"]["keep_out"].append({"id": "wall", "kind": "wall", "x": 6.5, "y": 2.0, "width": 0.5, "depth": 8.0})
    layout = layout_from_data(layout_data)
    router = AisleRouter(layout)
    leg = transport_legs(layout, router)[("cnc", "wash")]
    assert leg.distance > 4.0 + 2 * 3.5  # around the wall's end at least 3.5 m each way
    path = router.path("cnc", "wash")
    wall = next(z for z in layout.floor.keep_out if z.id == "wall")
    for x, y in path:  # no path point inside the wall
        assert not (wall.x <= x <= wall.x + wall.width and wall.y <= y <= wall.y + wall.depth)


def test_path_never_enters_a_footprint(layout_data):
    layout = layout_from_data(layout_data)
    router = AisleRouter(layout)
    rects = [station_rect(s) for s in layout.stations]
    for a, b in [("cnc", "cell"), ("cell", "cnc"), ("in", "cell")]:
        path = router.path(a, b)
        assert path
        for point in path:
            assert not any(r.inflate(-1e-6).contains_point(point) for r in rects)


def test_conveyor_replaces_agv_for_its_pair(layout_data):
    layout_data["transport"]["conveyors"] = [
        {"id": "belt", "from": "cnc", "to": "wash", "speed": 0.5, "route": [[5.0, 8.0], [9.0, 8.0]]}
    ]
    layout = layout_from_data(layout_data)
    legs = transport_legs(layout)
    leg = legs[("cnc", "wash")]
    assert leg.mover == "conveyor" and leg.conveyor == "belt"
    assert leg.distance == pytest.approx(2 + 4 + 2)
    assert leg.seconds == pytest.approx(8 / 0.5)
    assert legs[("wash", "cnc")].mover == "agv"


def test_material_flows_split_over_alternatives(layout_data):
    layout = layout_from_data(layout_data)
    flows = material_flows(layout)
    # bracket (100 units): in -> cnc -> {cnc, wash} (kind machine) -> cell -> out; cover (50): in -> cnc -> out
    assert flows[("in", "cnc")] == pytest.approx(150)
    assert flows[("cnc", "wash")] == pytest.approx(50)  # half the bracket volume, cnc->cnc is no move
    assert flows[("wash", "cell")] == pytest.approx(50)
    assert flows[("cnc", "cell")] == pytest.approx(50)
    assert flows[("cell", "out")] == pytest.approx(100)
    assert flows[("cnc", "out")] == pytest.approx(50)


def test_material_trips_count_lots_and_split_evenly_without_routes(layout_data):
    layout = layout_from_data(layout_data)
    trips = material_trips(layout)
    # bracket: 100 units in lots of 40 -> 3 lots (40, 40, 20): in -> cnc -> {cnc, wash} -> cell -> out;
    # cover: 50 units in one lot of 50: in -> cnc -> out
    assert trips == pytest.approx({
        ("in", "cnc"): 3 + 1,
        ("cnc", "wash"): 1.5,  # half of the 3 bracket lots; cnc -> cnc is no move
        ("cnc", "cell"): 1.5, ("wash", "cell"): 1.5,
        ("cell", "out"): 3, ("cnc", "out"): 1,
    })
    legs = transport_legs(layout)
    assert flow_distance(layout) == pytest.approx(sum(n * legs[p].distance for p, n in trips.items()))
    # independent of the router: no route is shorter than the straight line between its ports
    ports = {s.id: (output_port(s), input_port(s)) for s in layout.stations}
    ports |= {d.id: (d.position, d.position) for d in layout.floor.docks}
    straight = sum(n * math.dist(ports[a][0], ports[b][1]) for (a, b), n in trips.items())
    assert flow_distance(layout) >= straight - 1e-9


def test_material_trips_follow_the_routes_the_schedule_takes(layout_data):
    layout = layout_from_data(layout_data)
    # the plan cleans 2 of the 3 bracket lots on the washer and 1 on the mill itself
    routes = {"bracket": {("cnc", "wash", "cell"): 2 / 3, ("cnc", "cnc", "cell"): 1 / 3}}
    assert material_trips(layout, routes) == pytest.approx({
        ("in", "cnc"): 4, ("cnc", "wash"): 2, ("wash", "cell"): 2, ("cnc", "cell"): 1,
        ("cell", "out"): 3, ("cnc", "out"): 1,
    })
    legs = transport_legs(layout)
    assert flow_distance(layout, routes=routes) == pytest.approx(
        4 * legs[("in", "cnc")].distance + 2 * legs[("cnc", "wash")].distance + 2 * legs[("wash", "cell")].distance
        + legs[("cnc", "cell")].distance + 3 * legs[("cell", "out")].distance + legs[("cnc", "out")].distance)
    # a route off the product's candidate stations (or of the wrong length) is not trusted: even split
    assert material_trips(layout, {"bracket": {("cnc", "cell", "cell"): 1.0}}) == pytest.approx(material_trips(layout))
    assert material_trips(layout, {"bracket": {("cnc", "wash"): 1.0}}) == pytest.approx(material_trips(layout))


def test_moving_stations_apart_lengthens_the_flow(layout_data):
    near = layout_from_data(layout_data)
    far = near.with_placements({"cnc": ((2.0, 2.0), 0), "cell": ((17.0, 2.5), 90)})
    assert flow_distance(far) > flow_distance(near)


def test_networkx_views(layout_data):
    layout = layout_from_data(layout_data)
    graph = factory_graph(layout)
    assert set(graph.nodes) == {"cnc", "wash", "cell", "in", "out"}
    assert graph.nodes["cell"]["kind"] == "robot_cell"
    assert graph.edges["cnc", "wash"]["volume"] == pytest.approx(50)
    aisles = aisle_graph(layout)
    assert nx.is_connected(aisles)
    router = AisleRouter(layout)
    a, b = router.ports[("cnc", "out")][0], router.ports[("wash", "in")][0]
    length = nx.shortest_path_length(aisles, a, b, weight="length")
    assert length + router.ports[("cnc", "out")][1] + router.ports[("wash", "in")][1] == pytest.approx(
        transport_legs(layout, router)[("cnc", "wash")].distance
    )
    assert used_area(layout) == pytest.approx((17.2 - 3.0) * (7.2 - 4.8))


def test_unroutable_pair_is_infinite(layout_data):
    layout_data["floor"]["keep_out"] = [{"id": "split", "kind": "wall", "x": 7.0, "y": 0.0, "width": 0.4, "depth": 12.0}]
    layout = layout_from_data(layout_data)
    assert math.isinf(transport_legs(layout)[("cnc", "wash")].distance)


def test_conveyor_without_route_runs_along_the_axes(layout_data):
    layout_data["transport"]["conveyors"] = [{"id": "belt", "from": "cnc", "to": "cell", "speed": 0.5}]
    layout = layout_from_data(layout_data)
    # cnc output (5, 6) to cell input (14.8, 6): straight along x
    assert transport_legs(layout)[("cnc", "cell")].distance == pytest.approx(9.8)
    moved = layout.with_placements({"cell": ((16.0, 3.0), 0)})
    assert transport_legs(moved)[("cnc", "cell")].distance == pytest.approx(9.8 + 3.0)


def test_moving_a_conveyor_end_drops_its_drawn_route(layout_data):
    layout_data["transport"]["conveyors"] = [
        {"id": "belt", "from": "cnc", "to": "wash", "route": [[5.0, 8.0], [9.0, 8.0]]}
    ]
    layout = layout_from_data(layout_data)
    assert layout.with_placements({"cell": ((16.0, 3.0), 0)}).transport.conveyors[0].route
    assert layout.with_placements({"cnc": ((4.0, 6.0), 0)}).transport.conveyors[0].route  # not moved
    assert layout.with_placements({"cnc": ((4.0, 3.0), 0)}).transport.conveyors[0].route == ()


def test_conveyor_path_is_what_the_leg_measures(layout_data):
    from twin.graph import conveyor_path
    from twin.geometry import polyline_length

    layout_data["transport"]["conveyors"] = [{"id": "belt", "from": "cnc", "to": "cell"}]
    layout = layout_from_data(layout_data).with_placements({"cell": ((16.0, 3.0), 0)})
    path = conveyor_path(layout, layout.transport.conveyors[0])
    assert path == [(5.0, 6.0), (14.8, 6.0), (14.8, 3.0)]  # along x, then along y
    assert transport_legs(layout)[("cnc", "cell")].distance == pytest.approx(polyline_length(path))
