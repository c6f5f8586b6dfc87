"""A robot cell in 3D: its robot's URDF visual meshes in the home pose and its fixtures as
boxes, in the cell's frame or placed on the floor by a 4x4 frame. Link meshes are read once
per process (the Panda's 11 files are large)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin.errors import LayoutError, Problem
from twin.model import Station
from twin.palette import COLORS
from twin.scene.meshes import box, pose_matrix
from twin.scene.parts import Part

if TYPE_CHECKING:  # pyvista is imported where it is used: `import twin.scene` stays fast
    import pyvista as pv

    from twin.physics import Physics


@lru_cache(maxsize=128)
def _read_mesh(path: str) -> "pv.PolyData":
    """A robot link mesh, read once per process (the Panda's 11 files are large)."""
    import logging
    import warnings

    import pyvista as pv

    logging.disable(logging.ERROR)  # VTK's reader errors are logged; the caller reports a bad file once
    try:
        with warnings.catch_warnings(), pv.vtk_verbosity("off"):
            warnings.simplefilter("ignore")
            mesh = pv.read(path)
    finally:
        logging.disable(logging.NOTSET)
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
        try:
            mesh = _read_mesh(str(mesh_path))
        except Exception:  # noqa: BLE001 - any reader failure is the file's fault, said below
            mesh = pv.PolyData()
        if not mesh.n_points:  # PyBullet loads a link whose mesh file holds nothing it can use; a view cannot
            raise LayoutError(Problem(
                "cell.robot", f"robot file {station.cell.robot!r} has a link mesh "
                f"'{Path(mesh_path).name}' that holds no shape to draw (not a mesh file, or empty)"))
        link = mesh.transform(frame @ np.asarray(matrix, dtype=float), inplace=False)
        rgb = np.clip(np.asarray(rgba[:3], dtype=float), 0.18, 0.93)  # black and white links keep some shading
        colour = (rgb * 255).astype(np.uint8)
        # point colours are what glTF carries (vertex COLOR_0); cell colours are what VTK files carry
        link.point_data["rgb"] = np.tile(colour, (link.n_points, 1))
        link.cell_data["rgb"] = np.tile(colour, (link.n_cells, 1))
        pieces.append(link)
    if not pieces:
        return pv.PolyData()
    return pv.merge(pieces, merge_points=False)


def fixture_parts(station: Station, frame: np.ndarray | None = None) -> list[Part]:
    """A robot cell's fixtures as boxes, placed by `frame` (4x4, cell frame to floor; None
    keeps them in the cell's own frame)."""
    assert station.cell is not None
    frame = np.eye(4) if frame is None else frame
    parts = []
    for fixture in station.cell.fixtures:
        sx, sy, sz = fixture.size
        solid = box(-sx / 2, sx / 2, -sy / 2, sy / 2, -sz / 2, sz / 2).transform(
            frame @ pose_matrix(fixture.pose), inplace=False)
        parts.append(Part(f"fixture:{station.id}:{fixture.id}", "fixture", solid, COLORS["fixture"],
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
