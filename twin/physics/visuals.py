"""What a robot cell looks like: the robot's meshes for the 3D scene, and a PyBullet picture
of a cell with a copy of the robot at every waypoint."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.cell_frame import absolute_cell
from twin.errors import LayoutError, Problem
from twin.model import RobotCell, Station
from twin.physics.bodies import load_robot
from twin.physics.client import PhysicsClient, invert, matrix, multiply, quat
from twin.physics.context import Physics
from twin.physics.ik import solve_ik
from twin.physics.world import CellWorld
from twin.robots import Robot, resolve_robot, robot_digest

Visual = tuple[str, Any, tuple[float, ...]]  # (mesh file, 4x4 transform, rgba)
GHOSTS = 11  # robot copies drawn by render_cell, at most
GHOST_RGBA = (0.9, 0.6, 0.2, 1)


def _home_visuals(robot: Robot) -> list[Visual]:
    """The robot's mesh visuals at home, in its base link frame."""
    import numpy as np

    out = []
    with PhysicsClient() as client:
        body = load_robot(client, robot, self_collision=False)
        for shape in client.mesh_visuals(body.id):
            link, dims, filename = shape[1], shape[3], shape[4]
            local_pos, local_orn, rgba = shape[5], shape[6], tuple(shape[7])
            if link < 0:
                # pybullet gives the base's centre-of-mass frame; the visual is in its link frame
                lpos, lorn = multiply(*client.base_pose(body.id), *invert(*client.inertial_frame(body.id, -1)))
            else:
                lpos, lorn = client.link_frame(body.id, link)
            pos, orn = multiply(lpos, lorn, local_pos, local_orn)
            m = np.eye(4)
            m[:3, :3] = np.array(matrix(orn)).reshape(3, 3) @ np.diag(dims)
            m[:3, 3] = pos
            name = filename.decode() if isinstance(filename, bytes) else filename
            out.append((name, m, rgba))
    return out


def robot_visuals(cell: RobotCell, layout_dir: Path | str | None, physics: Physics) -> list[Visual]:
    """(mesh file, 4x4 transform of the mesh in the cell frame, rgba) for every visual of the
    robot in its home pose; a mesh scale is folded into the transform. Primitive visuals
    (boxes, spheres) that have no file are left out. The robot is loaded once per `physics`
    context; each call only moves its visuals to the cell's base pose."""
    import numpy as np

    robot = resolve_robot(cell.robot, layout_dir)
    base = np.eye(4)
    base[:3, :3] = np.array(matrix(quat(cell.base.rpy))).reshape(3, 3)
    base[:3, 3] = cell.base.xyz
    key = str(robot.urdf) + ":" + robot_digest(robot)
    with physics.lock:
        if key not in physics.visuals:
            physics.visuals[key] = _home_visuals(robot)
        home = physics.visuals[key]
    return [(name, base @ m, rgba) for name, m, rgba in home]


def render_cell(station: Station, layout_dir: Path | str | None, png: Path | str,
                size: tuple[int, int] = (800, 600)) -> Path:
    """Save a picture of the cell with a copy of the robot at every waypoint of its tasks
    (PyBullet's software renderer, no display needed; a client of its own, closed after)."""
    import numpy as np
    from PIL import Image

    if station.cell is None:
        raise LayoutError(Problem(f"station {station.id}", "has no robot cell to render"))
    cell = absolute_cell(station.cell)
    robot = resolve_robot(cell.robot, layout_dir)
    with PhysicsClient() as client:
        world = CellWorld(client, cell, robot)
        body = world.robot
        poses = []
        for task in cell.tasks:
            seed = np.array(body.home)
            for wp in task.waypoints:
                q, _, _ = solve_ik(body, wp.xyz, wp.rpy, seed)
                poses.append(q)
                seed = q
        body.set_arm(poses[0] if poses else body.home)
        for q in poses[1:1 + GHOSTS]:
            ghost = load_robot(client, robot, tuple(cell.base.xyz), quat(cell.base.rpy), self_collision=False)
            ghost.set_arm(q)
            client.recolour(ghost.id, GHOST_RGBA)
        hw, hd = station.footprint.width / 2, station.footprint.depth / 2
        img = client.picture(size, (0, 0, 0.4), max(hw, hd) * 2.2 + 0.5, 35, -35)
    out = Path(png)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(out)
    return out
