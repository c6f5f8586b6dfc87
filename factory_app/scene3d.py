"""3D plotters for the browser: the project's scene (`twin.scene`), a plain box model of the
floor to show while that is built, and a robot cell with its robot meshes and fixtures.

PyVista is imported here, only when a 3D view is asked for."""
from __future__ import annotations

from pathlib import Path

from twin.cell_frame import absolute_cell
from twin.floorplan import floor_plan, schedule_utilisation
from twin.model import Layout, Station
from twin.palette import COLORS
from twin.errors import LayoutError
from twin.physics import Physics, tool_paths

WINDOW = (900, 560)
PATH_COLOUR = "#FF7F0E"  # the tool-centre-point path in a cell view
PATH_STRIDE = 2  # draw every second physics step of a path (60 points a second of motion)


def layout_plotter(layout: Layout, physics: Physics, layout_dir: Path | None = None, schedule_doc: dict | None = None,
                   window_size: tuple[int, int] = WINDOW):
    """A plotter of the whole factory (`twin.scene`), coloured by utilisation when a schedule
    is given."""
    from twin.scene import build_scene, make_plotter

    scene = build_scene(layout, layout_dir=layout_dir, schedule_doc=schedule_doc,
                        color_by="utilisation" if schedule_doc else "kind", physics=physics)
    plotter = make_plotter(scene, off_screen=True, window_size=window_size)
    if plotter.scalar_bars:  # the page shows the colour ramp under the view, where it covers nothing
        plotter.remove_scalar_bar()
    add_station_labels(plotter, layout)
    return plotter


def add_station_labels(plotter, layout: Layout) -> None:
    """Each station's id as flat 3D text on its top: a mesh, so the browser's vtk.js view
    shows it (2D label actors are not part of the exported scene)."""
    import pyvista as pv

    for station in floor_plan(layout).stations:
        r = station.rect
        text = pv.Text3D(station.id, depth=0.01, center=(*station.centre, station.height + 0.03), normal=(0, 0, 1))
        tw, td = text.bounds[1] - text.bounds[0], text.bounds[3] - text.bounds[2]
        scale = min(0.9 * r.width / tw, 0.35 * r.depth / td, 0.5 / td) if tw and td else 1.0
        text.points = (text.points - [*station.centre, station.height + 0.03]) * [scale, scale, 1.0] + [
            *station.centre, station.height + 0.03]
        plotter.add_mesh(text, color="#1f2933", name=f"label:{station.id}")


def box_plotter(layout: Layout, schedule_doc: dict | None = None, window_size: tuple[int, int] = WINDOW):
    """The floor plan (`twin.floorplan`) raised into boxes of each station's footprint and
    height: the quick stand-in for `layout_plotter`, in the same colours (by utilisation when
    a schedule is given)."""
    import pyvista as pv

    if schedule_doc is not None:
        plan = floor_plan(layout, schedule_utilisation(layout, schedule_doc), color_by="utilisation")
    else:
        plan = floor_plan(layout)
    plotter = pv.Plotter(off_screen=True, window_size=list(window_size))
    o = plan.outline
    plotter.add_mesh(pv.Plane(center=(*o.centre, 0), i_size=o.width, j_size=o.depth), color=COLORS["floor"])
    for zone in plan.zones:
        r = zone.rect
        plotter.add_mesh(pv.Box((r.xmin, r.xmax, r.ymin, r.ymax, 0, 3.0)), color=zone.colour, opacity=0.5)
    for dock in plan.docks:
        r = dock.apron
        plotter.add_mesh(pv.Box((r.xmin, r.xmax, r.ymin, r.ymax, -0.05, 0.0)), color=dock.colour)
    for station in plan.stations:
        r = station.rect
        plotter.add_mesh(pv.Box((r.xmin, r.xmax, r.ymin, r.ymax, 0, station.height)), color=station.colour,
                         show_edges=True, name=f"station:{station.id}")
    for conveyor in plan.conveyors:
        points = [(x, y, 0.05) for x, y in conveyor.points]
        plotter.add_mesh(pv.lines_from_points(points), color=conveyor.colour, line_width=4,
                         name=f"conveyor:{conveyor.id}")
    add_station_labels(plotter, layout)
    plotter.camera_position = "iso"
    plotter.set_background("white")
    return plotter


def cell_plotter(station: Station, layout_dir: Path | None, physics: Physics,
                 window_size: tuple[int, int] = (640, 480)):
    """A robot cell in its own frame: the robot's meshes in the home pose at its base and the
    fixtures (the same parts `twin.scene` places on the floor), task waypoints as small
    spheres, and each task's tool-centre-point path from a physics run of one cycle (the
    joints' real motion, not straight lines between waypoints)."""
    import numpy as np
    import pyvista as pv

    from twin.scene import fixture_parts, robot_part

    cell = station.cell
    plotter = pv.Plotter(off_screen=True, window_size=list(window_size))
    fw, fd = station.footprint.width, station.footprint.depth
    plotter.add_mesh(pv.Plane(center=(0, 0, 0), i_size=fw, j_size=fd), color="#DDDDDD")
    if cell is not None:
        parts = fixture_parts(station)
        try:
            robot = robot_part(station, layout_dir, physics)
        except Exception:  # noqa: BLE001 - a cell whose robot cannot be resolved still shows its fixtures
            robot = None
        for part in parts + ([robot] if robot is not None else []):
            if part.rgb:
                plotter.add_mesh(part.mesh, scalars="rgb", rgb=True, preference="point", smooth_shading=True)
            else:
                plotter.add_mesh(part.mesh, color=part.color, opacity=0.9, show_edges=part.show_edges)
        for task in absolute_cell(cell).tasks:
            pts = np.array([wp.xyz for wp in task.waypoints], dtype=float)
            plotter.add_mesh(pv.PolyData(pts), color="#D62728", point_size=10, render_points_as_spheres=True)
        try:
            paths = tool_paths(station, layout_dir, physics)
        except LayoutError:  # no robot to run: the cell shows without paths
            paths = {}
        for task_id, points in paths.items():
            if len(points) > 1:
                line = np.array(points[::PATH_STRIDE] + points[-1:], dtype=float)
                plotter.add_mesh(pv.lines_from_points(line), color=PATH_COLOUR, line_width=4, name=f"path:{task_id}")
    plotter.camera_position = "iso"
    plotter.set_background("white")
    return plotter


def png_bytes(plotter) -> bytes:
    """A PNG of the plotter, for places without the interactive view."""
    import io

    from PIL import Image

    image = plotter.screenshot(return_img=True)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


_WORKER_PHYSICS: Physics | None = None


def start_worker() -> None:
    """Initializer of the app's scene worker process: its physics context, for its lifetime
    (robot meshes are loaded once per worker)."""
    global _WORKER_PHYSICS
    _WORKER_PHYSICS = Physics()


def scene_html(kind: str, layout_text: str, layout_dir: str | None, extra: str | None) -> str:
    """The vtk.js page (trame export, what stpyvista's trame backend shows) of a scene:
    `kind` is 'layout' (extra: schedule JSON or None), 'quick' (the box model; extra as for
    layout) or 'cell' (extra: the station id). Runs in a worker process: trame's exporter
    needs a process's main thread, and `start_worker` must have run there."""
    import json
    import sys
    import warnings

    from twin.io import parse_layout

    # trame's server reads the command line; a worker inherits its parent's (pytest, streamlit)
    sys.argv = sys.argv[:1]
    physics = _WORKER_PHYSICS
    if physics is None:
        raise RuntimeError("scene_html runs in the scene worker process, after start_worker")
    layout = parse_layout(layout_text, "<app>", fmt="json")
    folder = Path(layout_dir) if layout_dir else None
    if kind == "cell":
        plotter = cell_plotter(layout.station(extra), folder, physics)
    else:
        doc = json.loads(extra) if extra else None
        plotter = box_plotter(layout, doc) if kind == "quick" else layout_plotter(layout, physics, folder, doc)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return plotter.export_html(filename=None).read()
    finally:
        plotter.close()
