"""Building the scene: the floor plan (`twin.floorplan`) raised into 3D (floor, grid, keep-out
zones, dock aprons, station solids, conveyor belts), robot cells with their robots and
fixtures, AGV routes along the routed aisles and material-flow arcs."""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin.errors import LayoutError, Problem
from twin.floorplan import FloorPlan, floor_plan, schedule_utilisation
from twin.model import Layout
from twin.palette import COLORS
from twin.scene.meshes import box, chevrons, ribbon, simplify, station_frame, tube
from twin.scene.parts import Part, Scene
from twin.scene.robots import fixture_parts, robot_part

if TYPE_CHECKING:
    from twin.physics import Physics

ZONE_HEIGHT = {"column": 3.0, "wall": 2.5, "hazard": 0.04}
BELT_TOP, BELT_WIDTH, BELT_THICKNESS = 0.85, 0.5, 0.12
ROUTE_Z, ROUTE_RADIUS = 0.1, 0.05
FLOW_RADIUS = (0.03, 0.2)  # tube radius for the smallest and the largest flow (m)
FLOW_SAMPLES, FLOW_SIDES = 32, 10  # points along a flow arc, sides of its tube
CELL_OPACITY = 0.16  # a robot cell's solid is a see-through guard so its robot shows


def build_scene(
    layout: Layout,
    layout_dir: Path | None = None,
    schedule_doc: dict | None = None,
    color_by: str = "kind",
    *,
    physics: Physics,
) -> Scene:
    """The 3D scene of a placed layout. `color_by` "kind" colours stations by their kind;
    "utilisation" by their utilisation in `schedule_doc`'s KPIs (blue idle ... red busy).
    Robot cells show the robot's own meshes (URDF visuals) in its home pose, loaded in
    `physics`."""
    utilisation = schedule_utilisation(layout, schedule_doc) if schedule_doc is not None else None
    plan = floor_plan(layout, utilisation, color_by)
    if plan.unplaced:
        raise LayoutError([Problem(f"stations[{i}].position", f"station '{s.id}' is not placed; the 3D scene needs "
                                   "every station placed (give a position, or run the layout search)")
                           for i, s in enumerate(layout.stations) if s.position is None])
    layout_dir = Path(layout_dir) if layout_dir is not None else None

    floor = plan.outline
    scene = Scene(layout.name, (floor.width, floor.depth), color_by=color_by)
    scene.add(Part("floor", "floor", box(floor.xmin, floor.xmax, floor.ymin, floor.ymax, -0.1, 0.0), COLORS["floor"]))
    _add_grid(scene, layout)
    for zone in plan.zones:
        r = zone.rect
        mesh = box(r.xmin, r.xmax, r.ymin, r.ymax, 0.0 if zone.kind != "hazard" else 0.01, ZONE_HEIGHT[zone.kind])
        opacity = 0.75 if zone.kind == "hazard" else 1.0
        scene.add(Part(f"keep_out:{zone.id}", "keep_out", mesh, zone.colour, opacity, show_edges=zone.kind == "hazard"))
    for dock in plan.docks:
        r = dock.apron
        scene.add(Part(f"dock:{dock.id}", "dock", box(r.xmin, r.xmax, r.ymin, r.ymax, -0.1, 0.02), dock.colour,
                       label=dock.id, label_position=(*r.centre, 0.4)))
    _add_stations(scene, layout, plan, layout_dir, physics)
    _add_conveyors(scene, plan)
    _add_routes_and_flows(scene, layout, plan)

    scene.legend = list(plan.legend)
    if color_by == "utilisation":
        scene.scalar_bar = "Utilisation"
    if scene.of_kind("agv_route"):
        scene.legend.append(("AGV route", COLORS["agv_route"]))
    if scene.of_kind("flow"):
        scene.legend.append(("material flow", COLORS["flow"]))
    return scene


def _add_grid(scene: Scene, layout: Layout) -> None:
    """Placement grid lines, thinned so that at most ~60 show per axis, with a darker line
    every 5 m (or 10 m on a big floor)."""
    import pyvista as pv

    floor = layout.floor
    step = floor.grid
    while max(floor.width, floor.depth) / step > 60:
        step *= 2
    major = 10.0 if max(floor.width, floor.depth) > 80 else 5.0
    lines = {"grid_minor": [], "grid_major": []}
    for axis, (length, other) in enumerate(((floor.width, floor.depth), (floor.depth, floor.width))):
        for k in range(1, int(math.floor(length / step + 1e-9)) + 1):
            v = k * step
            if v >= length - 1e-9:
                continue
            key = "grid_major" if abs(v / major - round(v / major)) < 1e-6 else "grid_minor"
            a, b = ((v, 0.0), (v, other)) if axis == 0 else ((0.0, v), (other, v))
            lines[key].append((a, b))
    for key, segs in lines.items():
        if not segs:
            continue
        pts = np.array([[*p, 0.004] for seg in segs for p in seg])
        cells = np.hstack([[2, 2 * i, 2 * i + 1] for i in range(len(segs))])
        mesh = pv.PolyData(pts, lines=cells)
        scene.add(Part(key.replace("_", ":"), "grid", mesh, COLORS[key]))


def _add_stations(scene: Scene, layout: Layout, plan: FloorPlan, layout_dir: Path | None, physics: Physics) -> None:
    """Each station as a solid of its plan footprint and height; a robot cell as a see-through
    guard over a floor plate, with its fixtures and its robot inside."""
    for shape in plan.stations:
        r = shape.rect
        is_cell = shape.kind == "robot_cell"
        mesh = box(r.xmin, r.xmax, r.ymin, r.ymax, 0.0, shape.height)
        scene.add(Part(f"station:{shape.id}", "station", mesh, shape.colour, CELL_OPACITY if is_cell else 1.0,
                       label=shape.label, label_position=(*shape.centre, shape.height + 0.35), station=shape.id,
                       value=shape.utilisation, show_edges=True))
        station = layout.station(shape.id)
        if station.cell is None:
            continue
        # the cell's floor plate, so the guard reads as a cell from above
        plate = box(r.xmin, r.xmax, r.ymin, r.ymax, 0.0, 0.03)
        scene.add(Part(f"station:{shape.id}:plate", "station", plate, shape.colour, 0.85, station=shape.id,
                       value=shape.utilisation))
        frame = station_frame(station)
        for part in fixture_parts(station, frame):
            scene.add(part)
        try:
            robot = robot_part(station, layout_dir, physics, frame)
        except LayoutError as exc:  # a robot file that cannot be loaded: say which station's
            index = layout.stations.index(station)
            raise LayoutError([Problem(f"stations[{index}].{p.path}", p.message) for p in exc.problems]) from None
        if robot is not None:
            scene.add(robot)


def _add_conveyors(scene: Scene, plan: FloorPlan) -> None:
    """Each conveyor as a belt along its plan centre line (the run the graph measures), with
    arrowheads on the belt showing which way it runs."""
    for conveyor in plan.conveyors:
        belt = ribbon(conveyor.points, BELT_WIDTH, BELT_TOP).extrude((0, 0, -BELT_THICKNESS), capping=True)
        arrows = chevrons(conveyor.marks(0.9), BELT_TOP + 0.01, BELT_WIDTH * 0.8)
        scene.add(Part(f"conveyor:{conveyor.id}", "conveyor", belt, conveyor.colour, show_edges=False,
                       width=BELT_WIDTH))
        if arrows.n_points:
            scene.add(Part(f"conveyor:{conveyor.id}:direction", "conveyor", arrows, COLORS["belt_arrow"]))


def _add_routes_and_flows(scene: Scene, layout: Layout, plan: FloorPlan) -> None:
    """AGV routes as tubes along the routed aisle paths (with the aisle painted under them),
    and every material flow as an arc whose width grows with its volume."""
    from twin.graph import AisleRouter, material_flows

    flows = material_flows(layout)
    if not flows:
        return
    conveyed = {(c.from_station, c.to_station) for c in layout.transport.conveyors}
    router = AisleRouter(layout)
    aisle_pieces = []
    for a, b in sorted(flows):
        if (a, b) in conveyed:
            continue
        path = simplify(router.path(a, b))
        if len(path) < 2:
            continue
        pts = np.array([[x, y, ROUTE_Z] for x, y in path])
        scene.add(Part(f"agv_route:{a}->{b}", "agv_route", tube(pts, ROUTE_RADIUS, 8), COLORS["agv_route"],
                       width=2 * ROUTE_RADIUS, value=flows[(a, b)]))
        aisle_pieces.append(ribbon(path, min(layout.floor.aisle_width * 0.8, 1.6), 0.008))
    if aisle_pieces:
        import pyvista as pv

        scene.add(Part("aisle", "aisle", pv.merge(aisle_pieces), COLORS["aisle"]))

    ends = _flow_ends(plan)
    top = max(s.height for s in layout.stations)
    vmax = max(flows.values())
    for (a, b), volume in sorted(flows.items()):
        p0, p1 = np.array(ends[a]), np.array(ends[b])
        span = float(np.linalg.norm(p1[:2] - p0[:2]))
        lift = top + 0.5 + 0.06 * span
        mid = (p0 + p1) / 2
        control = np.array([mid[0], mid[1], lift * 2 - (p0[2] + p1[2]) / 2])  # the arc peaks at `lift`
        t = np.linspace(0.0, 1.0, FLOW_SAMPLES)[:, None]
        pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * control + t ** 2 * p1
        radius = FLOW_RADIUS[0] + (FLOW_RADIUS[1] - FLOW_RADIUS[0]) * (volume / vmax if vmax > 0 else 0.0)
        scene.add(Part(f"flow:{a}->{b}", "flow", tube(pts, radius, FLOW_SIDES), COLORS["flow"], 0.45,
                       value=volume, width=2 * radius))


def _flow_ends(plan: FloorPlan) -> dict[str, tuple[float, float, float]]:
    """Where flow arcs start and end: the top centre of a station, a dock's apron on the floor."""
    ends = {s.id: (*s.centre, s.height) for s in plan.stations}
    for dock in plan.docks:
        ends[dock.id] = (*dock.apron.centre, 0.1)
    return ends
