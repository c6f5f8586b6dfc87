"""A robot loaded in a client: its joints, the limits to plan with, and its tool frame."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from twin.errors import LayoutError, Problem
from twin.physics.client import PhysicsClient, invert, multiply
from twin.robots import DEFAULT_ACCELERATION, Robot

FINGER_OPEN = 0.04  # m: the Panda's fingers, open


@dataclass
class RobotBody:
    """A robot loaded in `client`: joint indices, limits to plan with, the tool link."""

    client: PhysicsClient
    id: int
    robot: Robot
    arm_joints: list[int]
    movable: list[int]  # every non-fixed joint (IK returns one value per movable joint)
    lower: Any
    upper: Any
    velocity: list[float]
    acceleration: list[float]
    forces: list[float]
    tcp: int
    tcp_offset: float
    tcp_yaw: float  # rad
    links: dict[str, int]
    finger_joints: list[int]
    home: list[float]

    def link(self, name: str) -> int:
        if name not in self.links:
            raise KeyError(f"robot {self.robot.name} has no link {name}")
        return self.links[name]

    def link_name(self, index: int) -> str:
        for name, i in self.links.items():
            if i == index:
                return name
        return f"link{index}"

    def tool_frame(self) -> tuple[tuple[float, float, float], tuple[float, ...]]:
        """The tool centre point in the tool link's frame."""
        half = self.tcp_yaw / 2
        return (0.0, 0.0, self.tcp_offset), (0.0, 0.0, math.sin(half), math.cos(half))

    def link_target(self, pos: Any, orn: Any) -> tuple[Any, Any]:
        """Where the tool link must be for the tool centre point to be at (pos, orn)."""
        inv_pos, inv_orn = invert(*self.tool_frame())
        return multiply(pos, orn, inv_pos, inv_orn)

    def tcp_pose(self) -> tuple[Any, Any]:
        import numpy as np

        pos, orn = multiply(*self.client.link_frame(self.id, self.tcp), *self.tool_frame())
        return np.array(pos), orn

    def tcp_position(self) -> tuple[float, float, float]:
        frame = self.client.link_frame(self.id, self.tcp)
        if self.tcp_offset == 0.0 and self.tcp_yaw == 0.0:
            return frame[0]
        return multiply(*frame, *self.tool_frame())[0]

    def set_arm(self, q: Any) -> None:
        for j, v in zip(self.arm_joints, q):
            self.client.set_joint(self.id, j, float(v), 0.0)

    def open_fingers(self) -> None:
        for f in self.finger_joints:
            self.client.set_joint(self.id, f, FINGER_OPEN, 0.0)


def _chain_end(parent: dict[int, int]) -> int:
    """The deepest link of the kinematic tree (the lowest index among equals)."""
    depth = {}
    for j in parent:
        d, k = 0, j
        while k >= 0:
            d, k = d + 1, parent[k]
        depth[j] = d
    return max(parent, key=lambda j: (depth[j], -j))


def load_robot(
    client: PhysicsClient,
    robot: Robot,
    position: tuple[float, float, float] = (0.0, 0.0, 0.0),
    orientation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0),
    self_collision: bool = True,
) -> RobotBody:
    """Load `robot` with a fixed base; self-collision on, minus link pairs already touching at
    the home pose (the meshes of neighbouring links overlap by design)."""
    import numpy as np

    try:
        body = client.load_urdf(str(robot.urdf), position, orientation, self_collision)
    except client.p.error as exc:  # a URDF the file check let through but PyBullet refuses
        raise LayoutError(Problem("cell.robot", f"robot file {robot.name!r}: PyBullet cannot load it ({exc})")) from None
    n = client.joint_count(body)
    infos = [client.joint_info(body, j) for j in range(n)]
    links = {info[12].decode(): j for j, info in enumerate(infos)}
    parent = {j: info[16] for j, info in enumerate(infos)}
    spec = robot.spec
    if spec is not None:
        tcp, tcp_offset, tcp_yaw = links[spec.tcp_link], spec.tcp_offset, math.radians(spec.tcp_yaw)
    else:
        tcp, tcp_offset, tcp_yaw = _chain_end(parent), 0.0, 0.0
    chain, k = [], tcp
    while k >= 0:
        chain.append(k)
        k = parent[k]
    movable = [j for j in range(n) if not client.is_fixed(infos[j])]
    arm = [j for j in sorted(chain) if not client.is_fixed(infos[j])]
    lower = np.array([infos[j][8] for j in arm])
    upper = np.array([infos[j][9] for j in arm])
    bad = lower >= upper  # continuous joints
    lower[bad], upper[bad] = -math.pi, math.pi
    if spec is not None:
        velocity, acceleration = list(spec.joint_velocity), list(spec.joint_acceleration)
        home = list(spec.home)
    else:
        velocity = [infos[j][11] if infos[j][11] > 0 else 1.0 for j in arm]
        acceleration = [DEFAULT_ACCELERATION] * len(arm)
        home = [float(np.clip(0.0, lo, hi)) for lo, hi in zip(lower, upper)]
    forces = [infos[j][10] if infos[j][10] > 0 else 100.0 for j in arm]
    fingers = [links[name] for name in (spec.finger_joints if spec else ()) if name in links]
    rb = RobotBody(client, body, robot, arm, movable, lower, upper, velocity, acceleration, forces, tcp, tcp_offset,
                   tcp_yaw, links, fingers, home)
    rb.set_arm(home)
    rb.open_fingers()
    if self_collision:
        client.detect_collisions()
        for c in client.contacts(body, body):
            client.ignore_pair(body, body, c[3], c[4])
        grip = [links[g] for g in (spec.gripper_links if spec else ()) if g in links]
        for a in grip:
            for b in grip:
                if a < b:
                    client.ignore_pair(body, body, a, b)
    return rb
