"""The 3D factory scene: a layout (and optionally its schedule) as named PyVista meshes.

`build_scene` turns a placed layout into a `Scene`, a plain list of named `Part`s (floor,
grid, keep-out zones, docks, aisles, station solids, robot meshes in their home pose,
fixtures, conveyor belts, AGV routes, material-flow arcs), each with its colour, opacity and
label. The flat geometry (floor, zones, dock aprons, station footprints and colours,
conveyor centre lines) is the floor plan (`twin.floorplan`) that the 2D views draw too; the
scene raises it into 3D. It needs no Plotter, so tests can check geometry and exports can walk the parts;
`make_plotter` lights and frames it for the browser app, `render_png` shoots it offscreen,
and `export_scene` writes glTF or VTK files other tools read.

Coordinates are floor metres, z up, the floor's lower-left corner at the origin. A robot
cell's frame (its robot and fixtures) has its origin at the station's footprint centre on
the floor with x along the footprint width, turned with the station.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from twin.errors import InputError, LayoutError, Problem
from twin.floorplan import FloorPlan, floor_plan, schedule_utilisation
from twin.model import Layout, Pose, Station
from twin.palette import COLORS, RGB, heat_color

if TYPE_CHECKING:  # pyvista is imported where it is used: `import twin` stays fast
    import pyvista as pv

    from twin.physics import Physics

PART_KINDS = ("floor", "grid", "keep_out", "dock", "aisle", "station", "robot", "fixture", "conveyor",
              "agv_route", "flow")
EXPORT_SUFFIXES = (".gltf", ".glb", ".vtm", ".vtk")

ZONE_HEIGHT = {"column": 3.0, "wall": 2.5, "hazard": 0.04}
BELT_TOP, BELT_WIDTH, BELT_THICKNESS = 0.85, 0.5, 0.12
ROUTE_Z, ROUTE_RADIUS = 0.1, 0.05
FLOW_RADIUS = (0.03, 0.2)  # tube radius for the smallest and the largest flow (m)
FLOW_SAMPLES, FLOW_SIDES = 32, 10  # points along a flow arc, sides of its tube
CELL_OPACITY = 0.16  # a robot cell's solid is a see-through guard so its robot shows


@dataclass
class Part:
    """One named piece of the scene. `rgb` means the mesh carries per-cell colours in its
    "rgb" cell array (robot links) and `color` is only their average; `value` is the number
    the part shows (utilisation of a station, volume of a flow) and `width` a tube's diameter."""

    name: str
    kind: str
    mesh: "pv.PolyData"
    color: RGB
    opacity: float = 1.0
    label: str | None = None
    label_position: tuple[float, float, float] | None = None
    station: str | None = None
    value: float | None = None
    width: float | None = None
    rgb: bool = False
    show_edges: bool = False


@dataclass
class Scene:
    """The factory as named parts, plus what a viewer needs to explain the colours."""

    name: str
    floor_size: tuple[float, float]
    parts: dict[str, Part] = field(default_factory=dict)
    color_by: str = "kind"
    legend: list[tuple[str, RGB]] = field(default_factory=list)
    scalar_bar: str | None = None  # title of the utilisation bar when coloured by it

    def add(self, part: Part) -> Part:
        if part.kind not in PART_KINDS:
            raise ValueError(f"unknown part kind {part.kind!r}")
        self.parts[part.name] = part
        return part

    def __getitem__(self, name: str) -> Part:
        return self.parts[name]

    def __iter__(self) -> Iterator[Part]:
        return iter(self.parts.values())

    def __len__(self) -> int:
        return len(self.parts)

    def of_kind(self, kind: str) -> list[Part]:
        return [p for p in self.parts.values() if p.kind == kind]

    @property
    def height(self) -> float:
        """Top of the tallest part (m), for framing."""
        return max((p.mesh.bounds[5] for p in self if p.mesh.n_points), default=0.0)


# --- small geometry helpers ------------------------------------------------------------------


def _box(xmin: float, xmax: float, ymin: float, ymax: float, zmin: float, zmax: float) -> "pv.PolyData":
    import pyvista as pv

    return pv.Box(bounds=(xmin, xmax, ymin, ymax, zmin, zmax))


def _station_frame(station: Station) -> np.ndarray:
    """4x4 transform from the station's cell frame to the floor."""
    angle = math.radians(station.rotation)
    c, s = round(math.cos(angle)), round(math.sin(angle))
    m = np.eye(4)
    m[:2, :2] = [[c, -s], [s, c]]
    m[0, 3], m[1, 3] = station.position  # type: ignore[misc]
    return m


def _pose_matrix(pose: Pose) -> np.ndarray:
    """4x4 transform of a pose (xyz in m, rpy in degrees: R = Rz(yaw) Ry(pitch) Rx(roll))."""
    r, p, y = (math.radians(a) for a in pose.rpy)
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    m = np.eye(4)
    m[:3, :3] = [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ]
    m[:3, 3] = pose.xyz
    return m


def _simplify(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop the points of a grid polyline that lie on a straight run."""
    if len(points) < 3:
        return list(points)
    out = [points[0]]
    for prev, here, nxt in zip(points, points[1:], points[2:]):
        d1 = (here[0] - prev[0], here[1] - prev[1])
        d2 = (nxt[0] - here[0], nxt[1] - here[1])
        if abs(d1[0] * d2[1] - d1[1] * d2[0]) > 1e-9 or d1[0] * d2[0] + d1[1] * d2[1] < 0:
            out.append(here)
    out.append(points[-1])
    return out


def _ribbon(points: list[tuple[float, float]], width: float, z: float) -> "pv.PolyData":
    """A flat strip of `width` along a floor polyline at height z (mitred corners)."""
    import pyvista as pv

    pts = np.asarray(points, dtype=float)
    n = len(pts)
    seg = np.diff(pts, axis=0)
    seg /= np.maximum(np.linalg.norm(seg, axis=1, keepdims=True), 1e-12)
    normals = np.stack([-seg[:, 1], seg[:, 0]], axis=1)
    offsets = np.zeros((n, 2))
    offsets[0], offsets[-1] = normals[0], normals[-1]
    for i in range(1, n - 1):
        mid = normals[i - 1] + normals[i]
        length = np.linalg.norm(mid)
        if length < 1e-9:
            mid = normals[i]
        else:
            mid /= length
            mid /= max(float(np.dot(mid, normals[i])), 0.3)  # keep the strip's width at corners
        offsets[i] = mid
    half = width / 2
    left, right = pts + offsets * half, pts - offsets * half
    vertices = np.vstack([np.column_stack([left, np.full(n, z)]), np.column_stack([right, np.full(n, z)])])
    faces = np.hstack([[4, i, i + 1, n + i + 1, n + i] for i in range(n - 1)])
    return pv.PolyData(vertices, faces)


def _chevrons(marks: list[tuple[tuple[float, float], tuple[float, float]]], z: float, size: float) -> "pv.PolyData":
    """Flat arrowheads at height z, one per (point, unit direction) mark."""
    import pyvista as pv

    if not marks:
        return pv.PolyData()
    verts, tris = [], []
    for k, (c, d) in enumerate(marks):
        c, d = np.asarray(c, dtype=float), np.asarray(d, dtype=float)
        n = np.array([-d[1], d[0]])
        verts += [[*(c + d * size * 0.6), z], [*(c - d * size * 0.4 + n * size * 0.45), z],
                  [*(c - d * size * 0.4 - n * size * 0.45), z]]
        tris.append([3, 3 * k, 3 * k + 1, 3 * k + 2])
    return pv.PolyData(np.array(verts), np.hstack(tris))


def _tube(points: np.ndarray, radius: float, sides: int = 12) -> "pv.PolyData":
    import pyvista as pv

    line = pv.lines_from_points(points)
    return line.tube(radius=radius, n_sides=sides, capping=True)


# --- robot meshes ----------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _read_mesh(path: str) -> "pv.PolyData":
    """A robot link mesh, read once per process (the Panda's 11 files are large)."""
    import pyvista as pv

    mesh = pv.read(path)
    if not isinstance(mesh, pv.PolyData):
        mesh = mesh.extract_surface()
    mesh = mesh.triangulate().clean()
    for name in list(mesh.point_data.keys()):
        if name != "Normals":
            del mesh.point_data[name]
    mesh.cell_data.clear()
    return mesh


def _robot_mesh(station: Station, layout_dir: Path | None, physics: Physics, frame: np.ndarray) -> "pv.PolyData":
    """Every link of a cell's robot, on the floor, merged into one mesh with per-cell colours."""
    import pyvista as pv

    from twin.physics.visuals import robot_visuals

    assert station.cell is not None
    pieces = []
    for mesh_path, matrix, rgba in robot_visuals(station.cell, layout_dir, physics):
        link = _read_mesh(str(mesh_path)).transform(frame @ np.asarray(matrix, dtype=float), inplace=False)
        rgb = np.clip(np.asarray(rgba[:3], dtype=float), 0.18, 0.93)  # black and white links keep some shading
        colour = (rgb * 255).astype(np.uint8)
        # point colours are what glTF carries (vertex COLOR_0); cell colours are what VTK files carry
        link.point_data["rgb"] = np.tile(colour, (link.n_points, 1))
        link.cell_data["rgb"] = np.tile(colour, (link.n_cells, 1))
        pieces.append(link)
    if not pieces:
        return pv.PolyData()
    return pv.merge(pieces, merge_points=False)


# --- building the scene ----------------------------------------------------------------------


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
    scene.add(Part("floor", "floor", _box(floor.xmin, floor.xmax, floor.ymin, floor.ymax, -0.1, 0.0), COLORS["floor"]))
    _add_grid(scene, layout)
    for zone in plan.zones:
        r = zone.rect
        mesh = _box(r.xmin, r.xmax, r.ymin, r.ymax, 0.0 if zone.kind != "hazard" else 0.01, ZONE_HEIGHT[zone.kind])
        opacity = 0.75 if zone.kind == "hazard" else 1.0
        scene.add(Part(f"keep_out:{zone.id}", "keep_out", mesh, zone.colour, opacity, show_edges=zone.kind == "hazard"))
    for dock in plan.docks:
        r = dock.apron
        scene.add(Part(f"dock:{dock.id}", "dock", _box(r.xmin, r.xmax, r.ymin, r.ymax, -0.1, 0.02), dock.colour,
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
        mesh = _box(r.xmin, r.xmax, r.ymin, r.ymax, 0.0, shape.height)
        scene.add(Part(f"station:{shape.id}", "station", mesh, shape.colour, CELL_OPACITY if is_cell else 1.0,
                       label=shape.label, label_position=(*shape.centre, shape.height + 0.35), station=shape.id,
                       value=shape.utilisation, show_edges=True))
        station = layout.station(shape.id)
        if station.cell is None:
            continue
        # the cell's floor plate, so the guard reads as a cell from above
        plate = _box(r.xmin, r.xmax, r.ymin, r.ymax, 0.0, 0.03)
        scene.add(Part(f"station:{shape.id}:plate", "station", plate, shape.colour, 0.85, station=shape.id,
                       value=shape.utilisation))
        frame = _station_frame(station)
        for part in fixture_parts(station, frame):
            scene.add(part)
        try:
            robot = robot_part(station, layout_dir, physics, frame)
        except LayoutError as exc:  # a robot file that cannot be loaded: say which station's
            index = layout.stations.index(station)
            raise LayoutError([Problem(f"stations[{index}].{p.path}", p.message) for p in exc.problems]) from None
        if robot is not None:
            scene.add(robot)


def fixture_parts(station: Station, frame: np.ndarray | None = None) -> list[Part]:
    """A robot cell's fixtures as boxes, placed by `frame` (4x4, cell frame to floor; None
    keeps them in the cell's own frame)."""
    assert station.cell is not None
    frame = np.eye(4) if frame is None else frame
    parts = []
    for fixture in station.cell.fixtures:
        sx, sy, sz = fixture.size
        box = _box(-sx / 2, sx / 2, -sy / 2, sy / 2, -sz / 2, sz / 2).transform(
            frame @ _pose_matrix(fixture.pose), inplace=False)
        parts.append(Part(f"fixture:{station.id}:{fixture.id}", "fixture", box, COLORS["fixture"],
                          station=station.id, show_edges=True))
    return parts


def robot_part(station: Station, layout_dir: Path | None, physics: Physics,
               frame: np.ndarray | None = None) -> Part | None:
    """A robot cell's robot in its home pose (URDF visuals, per-cell colours), placed by
    `frame` as in `fixture_parts`; None when the robot has no visual meshes."""
    robot = _robot_mesh(station, layout_dir, physics, np.eye(4) if frame is None else frame)
    if not robot.n_points:
        return None
    mean = robot.cell_data["rgb"].mean(axis=0) / 255.0
    return Part(f"robot:{station.id}", "robot", robot, tuple(float(c) for c in mean), station=station.id, rgb=True)


def _add_conveyors(scene: Scene, plan: FloorPlan) -> None:
    """Each conveyor as a belt along its plan centre line (the run the graph measures), with
    arrowheads on the belt showing which way it runs."""
    for conveyor in plan.conveyors:
        belt = _ribbon(conveyor.points, BELT_WIDTH, BELT_TOP).extrude((0, 0, -BELT_THICKNESS), capping=True)
        arrows = _chevrons(conveyor.marks(0.9), BELT_TOP + 0.01, BELT_WIDTH * 0.8)
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
        path = _simplify(router.path(a, b))
        if len(path) < 2:
            continue
        pts = np.array([[x, y, ROUTE_Z] for x, y in path])
        scene.add(Part(f"agv_route:{a}->{b}", "agv_route", _tube(pts, ROUTE_RADIUS, 8), COLORS["agv_route"],
                       width=2 * ROUTE_RADIUS, value=flows[(a, b)]))
        aisle_pieces.append(_ribbon(path, min(layout.floor.aisle_width * 0.8, 1.6), 0.008))
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
        scene.add(Part(f"flow:{a}->{b}", "flow", _tube(pts, radius, FLOW_SIDES), COLORS["flow"], 0.45,
                       value=volume, width=2 * radius))


def _flow_ends(plan: FloorPlan) -> dict[str, tuple[float, float, float]]:
    """Where flow arcs start and end: the top centre of a station, a dock's apron on the floor."""
    ends = {s.id: (*s.centre, s.height) for s in plan.stations}
    for dock in plan.docks:
        ends[dock.id] = (*dock.apron.centre, 0.1)
    return ends


# --- viewing ---------------------------------------------------------------------------------


def _heat_lookup_table() -> "pv.LookupTable":
    """The utilisation ramp as a VTK lookup table over [0, 1], for the scalar bar."""
    import pyvista as pv

    values = np.array([[*(np.array(heat_color(v)) * 255), 255] for v in np.linspace(0, 1, 256)], dtype=np.uint8)
    return pv.LookupTable(values=values, scalar_range=(0.0, 1.0))


def _quiet_vtk() -> None:
    """With no display, VTK tries X before it falls back to offscreen EGL/OSMesa and logs a
    warning that means nothing to the user: keep VTK's log to errors."""
    from vtkmodules.vtkCommonCore import vtkLogger

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)


def make_plotter(scene: Scene, off_screen: bool = True, window_size: tuple[int, int] = (1600, 1000),
                 top_view: bool = False) -> "pv.Plotter":
    """A lit, framed Plotter showing the scene: a 3/4 view of the whole floor (or a plan view
    with `top_view`), station ids as labels, a legend for the kinds or a utilisation bar."""
    import pyvista as pv

    if off_screen:
        _quiet_vtk()
    plotter = pv.Plotter(off_screen=off_screen, window_size=list(window_size))
    plotter.set_background("#fbfcfd", top="#dde4ec")
    lut = _heat_lookup_table() if scene.scalar_bar else None
    bar_mapper = None
    for part in scene:
        if not part.mesh.n_points:
            continue
        style: dict[str, Any] = {"opacity": part.opacity, "name": part.name, "smooth_shading": part.kind == "robot",
                                 "ambient": 0.3, "diffuse": 0.75, "specular": 0.05}
        if part.kind == "grid":
            style.update(line_width=1.0)
        if part.show_edges:
            style.update(show_edges=True, edge_color=tuple(c * 0.55 for c in part.color), line_width=1.0)
        if part.rgb:
            plotter.add_mesh(part.mesh, scalars="rgb", rgb=True, preference="point", **style)
        elif lut is not None and part.kind == "station" and part.value is not None:
            mesh = part.mesh.copy(deep=False)
            mesh.cell_data["utilisation"] = np.full(mesh.n_cells, part.value)
            actor = plotter.add_mesh(mesh, scalars="utilisation", cmap=lut, clim=(0.0, 1.0), show_scalar_bar=False,
                                     **style)
            bar_mapper = bar_mapper or actor.mapper
        else:
            plotter.add_mesh(part.mesh, color=part.color, **style)
    labelled = [p for p in scene if p.label and p.label_position]
    if labelled:
        plotter.add_point_labels(
            np.array([p.label_position for p in labelled]), [p.label for p in labelled],
            font_size=max(10, round(window_size[1] / 78)), text_color="#1f2933", shape_color="white",
            shape_opacity=0.8, shape="rounded_rect", margin=2, show_points=False, always_visible=True, bold=True,
            name="labels",
        )
    plotter.add_text(scene.name.replace("_", " "), position="upper_left", font_size=max(9, round(window_size[1] / 90)),
                     color="#1f2933", name="title")
    if scene.legend:
        plotter.add_legend([[name, color] for name, color in scene.legend], bcolor="white", face="rectangle",
                           loc="lower right", size=(0.12, 0.024 * len(scene.legend) + 0.01), background_opacity=0.85,
                           name="legend")
    if bar_mapper is not None:
        plotter.add_scalar_bar(scene.scalar_bar, mapper=bar_mapper, color="#1f2933", vertical=True,
                               position_x=0.9, position_y=0.08, width=0.05, height=0.45, fmt="%.1f",
                               n_labels=6, title_font_size=14, label_font_size=12)
    plotter.enable_anti_aliasing("ssaa")
    _frame(plotter, scene, window_size, top_view)
    return plotter


def _frame(plotter: "pv.Plotter", scene: Scene, window_size: tuple[int, int], top_view: bool) -> None:
    """Point the camera so the whole floor fills the picture."""
    w, d = scene.floor_size
    xmin, xmax, ymin, ymax = 0.0, w, 0.0, d
    for part in scene.of_kind("dock"):  # aprons lie outside the floor
        b = part.mesh.bounds
        xmin, xmax, ymin, ymax = min(xmin, b[0]), max(xmax, b[1]), min(ymin, b[2]), max(ymax, b[3])
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2, 0.0])
    aspect = window_size[0] / window_size[1]
    if top_view:
        plotter.enable_parallel_projection()
        scale = max((ymax - ymin) / 2, (xmax - xmin) / 2 / aspect) * 1.06
        # leave the spare margin on the side of the legend (lower right) rather than split it
        spare_y = scale - (ymax - ymin) / 2
        spare_x = scale * aspect - (xmax - xmin) / 2
        if scene.legend and spare_y > spare_x:
            centre[1] -= spare_y * 0.7
        elif scene.legend:
            centre[0] += spare_x * 0.7
        plotter.camera_position = [tuple(centre + [0, 0, 10 * max(w, d)]), tuple(centre), (0, 1, 0)]
        plotter.camera.parallel_scale = scale
        plotter.camera.clipping_range = (1.0, 30 * max(w, d))
        return
    direction = np.array([-0.32, -1.0, 0.95])
    direction /= np.linalg.norm(direction)
    plotter.camera_position = [tuple(centre + direction * max(w, d)), tuple(centre), (0, 0, 1)]
    plotter.reset_camera(bounds=(xmin, xmax, ymin, ymax, 0, max(scene.height * 0.5, 1.0)))
    plotter.camera.zoom(1.55)


def render_png(layout: Layout, path: str | Path, layout_dir: Path | None = None, schedule_doc: dict | None = None,
               color_by: str = "kind", top_view: bool = False,
               window_size: tuple[int, int] = (1600, 1000), *, physics: Physics) -> Path:
    """Render the layout offscreen to a PNG (3/4 view, or a plan view with `top_view`)."""
    scene = build_scene(layout, layout_dir, schedule_doc, color_by, physics=physics)
    return render_scene_png(scene, path, top_view=top_view, window_size=window_size)


def render_scene_png(scene: Scene, path: str | Path, top_view: bool = False,
                     window_size: tuple[int, int] = (1600, 1000)) -> Path:
    """Render an already built scene offscreen to a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plotter = make_plotter(scene, off_screen=True, window_size=window_size, top_view=top_view)
    try:
        plotter.screenshot(str(path))
    finally:
        plotter.close()
    return path


# --- export ----------------------------------------------------------------------------------


def _export_block(part: Part) -> "pv.PolyData":
    """A part's mesh with its colour as an "rgb" cell array and its kind in field data, so
    ParaView and other VTK readers show it as the scene does."""
    mesh = part.mesh.copy(deep=True)
    if not (part.rgb and "rgb" in mesh.cell_data):
        mesh.cell_data["rgb"] = np.tile((np.array(part.color) * 255).astype(np.uint8), (mesh.n_cells, 1))
    mesh.cell_data["kind"] = np.full(mesh.n_cells, PART_KINDS.index(part.kind), dtype=np.int8)
    mesh.cell_data["opacity"] = np.full(mesh.n_cells, part.opacity, dtype=np.float32)
    mesh.point_data.clear()  # not every part has normals; merged files need one set of arrays
    mesh.field_data["part"] = [part.name]
    mesh.field_data["part_kind"] = [part.kind]
    return mesh


def export_scene(scene: Scene, path: str | Path) -> Path:
    """Write the scene as glTF (`.gltf`, `.glb`: web viewers, Blender) or VTK (`.vtm`: one
    named block per part; `.vtk`: everything in one mesh with "rgb" and "kind" cell arrays)."""
    import pyvista as pv

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(f"{path}: cannot export a scene as '{suffix or path.name}': use one of "
                         f"{', '.join(EXPORT_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [p for p in scene if p.mesh.n_points]
    if suffix in (".gltf", ".glb"):
        plotter = make_plotter(scene, off_screen=True, window_size=(800, 600))
        try:
            if suffix == ".gltf":
                plotter.export_gltf(str(path), inline_data=True)
            else:
                import tempfile

                with tempfile.TemporaryDirectory() as tmp:
                    gltf = Path(tmp) / "scene.gltf"
                    plotter.export_gltf(str(gltf), inline_data=True)
                    path.write_bytes(_gltf_to_glb(gltf.read_text(encoding="utf-8")))
        finally:
            plotter.close()
    elif suffix == ".vtm":
        blocks = pv.MultiBlock()
        for part in parts:
            blocks.append(_export_block(part), part.name)
        blocks.save(str(path))
    else:
        merged = pv.merge([_export_block(p) for p in parts], merge_points=False)
        merged.field_data["part_kinds"] = list(PART_KINDS)
        merged.save(str(path))
    return path


def _gltf_to_glb(text: str) -> bytes:
    """Pack a glTF whose buffers are inline data URIs into one binary .glb (glTF 2.0 §4.4)."""
    import base64
    import json
    import struct

    doc = json.loads(text)
    blob = bytearray()
    starts = []
    for buffer in doc.get("buffers", []):
        uri = buffer.get("uri", "")
        if not uri.startswith("data:"):
            raise InputError("glTF export: expected inline buffers")
        data = base64.b64decode(uri.split(",", 1)[1])
        while len(blob) % 4:
            blob.append(0)
        starts.append(len(blob))
        blob += data
    for view in doc.get("bufferViews", []):
        view["byteOffset"] = view.get("byteOffset", 0) + starts[view["buffer"]]
        view["buffer"] = 0
    while len(blob) % 4:
        blob.append(0)
    doc["buffers"] = [{"byteLength": len(blob)}] if blob else []
    head = json.dumps(doc, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 4)
    chunks = struct.pack("<I4s", len(head), b"JSON") + head
    if blob:
        chunks += struct.pack("<I4s", len(blob), b"BIN\x00") + bytes(blob)
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks
