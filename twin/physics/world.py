"""A robot cell loaded in a client (robot at its base pose, fixtures, the floor), and the pool
that keeps one such world per robot model, so a URDF is loaded once (30-180 ms, more than
simulating a task)."""
from __future__ import annotations

import json
from collections import OrderedDict

from twin.model import RobotCell
from twin.physics import settings
from twin.physics.bodies import RobotBody, load_robot
from twin.physics.client import PhysicsClient, multiply, quat
from twin.robots import Robot, robot_digest

FIXTURE_RGBA = (0.55, 0.6, 0.7, 1)


class CellWorld:
    """A cell loaded in its own client.

    `set_cell` re-places the robot base and swaps the fixtures for another cell of the same
    robot without reloading the URDF, then saves the world's state; `restore` puts the world
    back to that state (joint positions and velocities, contacts) before each task, so a
    task's numbers do not depend on what ran before it in the same client."""

    def __init__(self, client: PhysicsClient, cell: RobotCell, robot: Robot):
        self.client = client
        # deterministic pair order; up to 50 solver iterations (30 let a held 1-3 kg part drag
        # the motors: cycles 1-2 % longer than at 240 Hz), stopping early once the residual is
        # below SOLVER_RESIDUAL (the same cycle times on every sample cell as 1e-7, tracking to
        # 0.1 mrad, ~10 % faster)
        client.reset_world(settings.TIME_STEP, settings.SOLVER_ITERATIONS, settings.SOLVER_RESIDUAL)
        # the floor: a slab, not an infinite plane (whose bounding box overlaps every link and
        # costs a narrow-phase test per link and step)
        half = settings.FLOOR_HALF
        self.floor = client.box([half, half, 0.05], [0, 0, -0.05])
        self.robot: RobotBody = load_robot(client, robot, tuple(cell.base.xyz), quat(cell.base.rpy))
        self.loaded = client.save_state()
        self.fixtures: list[int] = []
        self.names: dict[int, tuple[str, str]] = {}  # body -> (name in reports, kind)
        self.state: int | None = None
        self.cell_key: str | None = None
        self.set_cell(cell)

    def set_cell(self, cell: RobotCell) -> None:
        client, body = self.client, self.robot
        key = json.dumps([cell.base.model_dump(mode="json"), [f.model_dump(mode="json") for f in cell.fixtures]],
                         sort_keys=True)
        if key == self.cell_key and self.state is not None:
            return
        if self.state is not None:
            client.remove_state(self.state)
            self.state = None
        for fid in self.fixtures:
            client.remove_body(fid)
        # back to the robot as loaded (no contact caches from earlier cells), then the new cell
        client.restore_state(self.loaded)
        # PyBullet places a base by its centre of mass, not by the URDF link frame that loadURDF
        # and the cell's base pose mean: shift by the base's inertial frame
        com_pos, com_orn = multiply(list(cell.base.xyz), quat(cell.base.rpy), *client.inertial_frame(body.id, -1))
        client.set_base_pose(body.id, com_pos, com_orn)
        self.fixtures = []
        self.names = {self.floor: ("floor", "floor")}
        for fx in cell.fixtures:
            fid = client.box([s / 2 for s in fx.size], fx.pose.xyz, quat(fx.pose.rpy), rgba=FIXTURE_RGBA)
            self.fixtures.append(fid)
            self.names[fid] = (f"fixture {fx.id}", "fixture")
        # the base never moves: its contacts with the floor or a pedestal are not collisions
        for other in self.names:
            client.ignore_pair(body.id, other, -1, -1)
        body.set_arm(body.home)
        body.open_fingers()
        self.state = client.save_state()
        self.cell_key = key

    def restore(self) -> None:
        if self.state is not None:
            self.client.restore_state(self.state)


class WorldPool:
    """One DIRECT client per robot model, with that robot loaded once; the least recently
    used is closed when more than `settings.MAX_WORLDS` models are in use."""

    def __init__(self) -> None:
        self._worlds: OrderedDict[str, CellWorld] = OrderedDict()

    def world_for(self, cell: RobotCell, robot: Robot) -> CellWorld:
        """The world of this robot model, set up for `cell`."""
        key = str(robot.urdf) + ":" + robot_digest(robot)
        world = self._worlds.pop(key, None)
        if world is None:
            if len(self._worlds) >= settings.MAX_WORLDS:
                self._worlds.popitem(last=False)[1].client.close()
            client = PhysicsClient().connect()
            try:
                world = CellWorld(client, cell, robot)
            except BaseException:
                client.close()
                raise
        self._worlds[key] = world  # most recently used last
        world.set_cell(cell)
        return world

    def close(self) -> None:
        """Disconnect every client."""
        while self._worlds:
            self._worlds.popitem(last=False)[1].client.close()

    def forget(self) -> None:
        """Drop the worlds without touching their clients (in a forked child, whose copies of
        the parent's clients are not its own to close)."""
        self._worlds = OrderedDict()
