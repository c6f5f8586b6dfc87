"""Mesh primitives the scene is built from: boxes, flat strips and arrowheads along floor
polylines, tubes, and the 4x4 frames that place a robot cell's content on the floor."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from twin.model import Pose, Station

if TYPE_CHECKING:  # pyvista is imported where it is used: `import twin.scene` stays fast
    import pyvista as pv


def box(xmin: float, xmax: float, ymin: float, ymax: float, zmin: float, zmax: float) -> "pv.PolyData":
    import pyvista as pv

    return pv.Box(bounds=(xmin, xmax, ymin, ymax, zmin, zmax))


def station_frame(station: Station) -> np.ndarray:
    """4x4 transform from the station's cell frame to the floor."""
    angle = math.radians(station.rotation)
    c, s = round(math.cos(angle)), round(math.sin(angle))
    m = np.eye(4)
    m[:2, :2] = [[c, -s], [s, c]]
    m[0, 3], m[1, 3] = station.position  # type: ignore[misc]
    return m


def pose_matrix(pose: Pose) -> np.ndarray:
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


def simplify(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
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


def ribbon(points: list[tuple[float, float]], width: float, z: float) -> "pv.PolyData":
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


def chevrons(marks: list[tuple[tuple[float, float], tuple[float, float]]], z: float, size: float) -> "pv.PolyData":
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


def tube(points: np.ndarray, radius: float, sides: int = 12) -> "pv.PolyData":
    import pyvista as pv

    line = pv.lines_from_points(points)
    return line.tube(radius=radius, n_sides=sides, capping=True)
