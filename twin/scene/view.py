"""Viewing the scene: a lit, framed PyVista Plotter (3/4 view or plan view, labels, legend or
utilisation bar) for the browser app, and offscreen PNGs."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.model import Layout
from twin.palette import heat_color
from twin.scene.build import build_scene
from twin.scene.parts import Scene

if TYPE_CHECKING:  # pyvista is imported where it is used: `import twin.scene` stays fast
    import pyvista as pv

    from twin.physics import Physics


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
