"""Robot-cell physics: cycle times, reachability and collisions measured in PyBullet.

For each task of a robot cell, `simulate_cell`:

1. solves inverse kinematics for every waypoint (seeded by the previous one: a null-space call
   towards the home posture polished by plain least squares until the tool centre point is
   within 0.05 mm, usually two calls) and checks the residual: a waypoint whose position error
   exceeds `REACH_TOLERANCE_MM` (or orientation error `ORIENT_TOLERANCE_DEG`) is unreachable,
   and the report names it and the error;
2. moves waypoint to waypoint, then back to the first (one unit = one closed cycle), along a
   straight line in joint space under a trapezoidal velocity profile that respects every
   joint's datasheet speed and acceleration limit (scaled by the task's speed/accel scale;
   acceleration derated by up to `PAYLOAD_DERATE` at rated payload while a part is held);
   the profile is tracked by PyBullet's joint motors with physics (gravity, link masses,
   the payload as a body fixed to the tool) at a fixed `TIME_STEP` (120 Hz: the motors follow
   the sampled profile to ~1 mrad, and cycle times agree with 240 Hz to within a step per
   move), and a move ends when the arm has settled on its target;
3. records contacts between the robot (and the carried part) and the fixtures, the floor or
   the robot itself, with the link, the body and the time in the cycle (every step).

Results are deterministic and cached on disk per task by a hash of everything that affects
them (cell base and fixtures, the task, the robot file and what it references, the
datasheet entry, the physics settings, the pybullet version and `MODEL_VERSION`).

Each robot model gets one PyBullet DIRECT client per process with the robot loaded once
(loading a URDF costs 30-180 ms, more than simulating a task); a new cell re-places the base
and swaps the fixtures, and every task starts from the world's saved state, so a task's
numbers do not depend on what the process simulated before. The clients close at exit.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import math
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from twin.errors import LayoutError, Problem
from twin.geometry import Rect
from twin.model import Layout, RobotCell, RobotTask, Station
from twin.robots import DEFAULT_ACCELERATION, Robot, quiet_pybullet as _pybullet, resolve_robot, robot_digest


MODEL_VERSION = "cells-2"  # bump whenever a change alters results (it is part of the cache key)
TIME_STEP = 1.0 / 120.0  # s; see POSITION_GAIN
SOLVER_ITERATIONS = 50
SOLVER_RESIDUAL = 1e-4  # PyBullet's default is 1e-7
IK_NULLSPACE_ITERATIONS = 100  # the null-space solver never reaches its threshold: it runs them all
IK_PASSES = 4  # IK calls per start at most (the residual is under IK_DONE after 1-3)
IK_DONE_MM, IK_DONE_DEG = 0.05, 0.05  # a start is done when its residual is this small...
IK_GOOD_MM, IK_GOOD_DEG = 0.5, 0.5  # ...and no other start is tried once the best is this good
REACH_TOLERANCE_MM = 3.0
ORIENT_TOLERANCE_DEG = 2.0
PAYLOAD_DERATE = 0.3  # fraction of acceleration lost at rated payload
SETTLE_POSITION = 2e-3  # rad: a move ends when every joint is this close to its target...
SETTLE_SPEED = 0.05  # rad/s ...and this slow
SETTLE_MAX = 1.0  # s: give up settling (warning) after this long
COLLISION_DEPTH = 0.5e-3  # m of penetration that counts as a collision
COLLISION_FORCE = 1.0  # N of contact force that counts as a collision
PART_SIZE = 0.04  # m: the carried part is a cube of this size centred on the tool centre point
# Joint motors: a position gain of 1 with a zero target velocity makes PyBullet's motor land on
# the commanded position at the end of each step (dead-beat), so the arm follows the sampled
# profile to ~1 mrad at 120 Hz (the old 0.6 gain with velocity feed-forward ran a step ahead).
POSITION_GAIN = 1.0
FLOOR_HALF = 5.0  # m: half the side of the floor slab under a cell
VELOCITY_GAIN = 1.0


# --- the client ------------------------------------------------------------------------------


class PhysicsClient:
    """A PyBullet DIRECT client as a context manager: `with PhysicsClient() as cid:`; it
    disconnects on exit, whatever happens inside."""

    def __init__(self) -> None:
        self.cid: int | None = None

    def connect(self) -> int:
        p = _pybullet()

        if self.cid is None:
            self.cid = p.connect(p.DIRECT)
        return self.cid

    def close(self) -> None:
        p = _pybullet()

        if self.cid is not None:
            try:
                p.disconnect(physicsClientId=self.cid)
            finally:
                self.cid = None

    def __enter__(self) -> int:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- loading a robot -------------------------------------------------------------------------


@dataclass
class RobotBody:
    """A robot loaded in a client: joint indices, limits to plan with, the tool link."""

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

    def tcp_pose(self, cid: int) -> tuple[Any, Any]:
        import numpy as np
        p = _pybullet()

        state = p.getLinkState(self.id, self.tcp, computeForwardKinematics=True, physicsClientId=cid)
        pos, orn = p.multiplyTransforms(state[4], state[5], *self.tool_frame())
        return np.array(pos), orn

    def tool_frame(self) -> tuple[tuple[float, float, float], tuple[float, ...]]:
        """The tool centre point in the tool link's frame."""
        half = self.tcp_yaw / 2
        return (0.0, 0.0, self.tcp_offset), (0.0, 0.0, math.sin(half), math.cos(half))

    def link_target(self, pos: Any, orn: Any) -> tuple[Any, Any]:
        """Where the tool link must be for the tool centre point to be at (pos, orn)."""
        p = _pybullet()

        inv_pos, inv_orn = p.invertTransform(*self.tool_frame())
        return p.multiplyTransforms(pos, orn, inv_pos, inv_orn)

    def tcp_position(self, cid: int) -> tuple[float, float, float]:
        p = _pybullet()

        state = p.getLinkState(self.id, self.tcp, computeForwardKinematics=True, physicsClientId=cid)
        if self.tcp_offset == 0.0 and self.tcp_yaw == 0.0:
            return state[4]
        return p.multiplyTransforms(state[4], state[5], *self.tool_frame())[0]

    def set_arm(self, cid: int, q: Any) -> None:
        p = _pybullet()

        for j, v in zip(self.arm_joints, q):
            p.resetJointState(self.id, j, float(v), 0.0, physicsClientId=cid)


def load_robot(
    cid: int,
    robot: Robot,
    position: tuple[float, float, float] = (0.0, 0.0, 0.0),
    orientation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0),
    self_collision: bool = True,
) -> RobotBody:
    """Load `robot` with a fixed base; self-collision on, minus link pairs already touching at
    the home pose (the meshes of neighbouring links overlap by design)."""
    import numpy as np
    p = _pybullet()

    flags = p.URDF_ENABLE_CACHED_GRAPHICS_SHAPES | (p.URDF_USE_SELF_COLLISION if self_collision else 0)
    body = p.loadURDF(str(robot.urdf), position, orientation, useFixedBase=True, flags=flags, physicsClientId=cid)
    n = p.getNumJoints(body, physicsClientId=cid)
    infos = [p.getJointInfo(body, j, physicsClientId=cid) for j in range(n)]
    links = {info[12].decode(): j for j, info in enumerate(infos)}
    parent = {j: info[16] for j, info in enumerate(infos)}
    spec = robot.spec
    tcp_yaw = 0.0
    if spec is not None:
        tcp, tcp_offset, tcp_yaw = links[spec.tcp_link], spec.tcp_offset, math.radians(spec.tcp_yaw)
    else:  # the deepest link of the chain
        depth = {}
        for j in range(n):
            d, k = 0, j
            while k >= 0:
                d, k = d + 1, parent[k]
            depth[j] = d
        tcp, tcp_offset = max(range(n), key=lambda j: (depth[j], -j)), 0.0
    chain, k = [], tcp
    while k >= 0:
        chain.append(k)
        k = parent[k]
    movable = [j for j in range(n) if infos[j][2] != p.JOINT_FIXED]
    arm = [j for j in sorted(chain) if infos[j][2] != p.JOINT_FIXED]
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
    rb = RobotBody(body, robot, arm, movable, lower, upper, velocity, acceleration, forces, tcp, tcp_offset,
                   tcp_yaw, links, fingers, home)
    rb.set_arm(cid, home)
    for f in fingers:
        p.resetJointState(body, f, 0.04, physicsClientId=cid)
    if self_collision:
        p.performCollisionDetection(physicsClientId=cid)
        for c in p.getContactPoints(body, body, physicsClientId=cid):
            p.setCollisionFilterPair(body, body, c[3], c[4], 0, physicsClientId=cid)
        grip = [links[g] for g in (spec.gripper_links if spec else ()) if g in links]
        for a in grip:
            for b in grip:
                if a < b:
                    p.setCollisionFilterPair(body, body, a, b, 0, physicsClientId=cid)
    return rb


# --- reports ---------------------------------------------------------------------------------


@dataclass
class Unreachable:
    index: int
    name: str
    error_mm: float
    orientation_error_deg: float

    @property
    def reason(self) -> str:
        text = f"unreachable: end-effector error {self.error_mm:.1f} mm"
        if self.orientation_error_deg > ORIENT_TOLERANCE_DEG:
            text += f", orientation error {self.orientation_error_deg:.1f} deg"
        return text


@dataclass
class Collision:
    link: str  # robot link (or "payload")
    other: str  # "fixture <id>", "floor", or a robot link (self-collision)
    kind: str  # fixture | floor | self
    time: float  # s into the cycle
    waypoint: int  # index of the waypoint the robot was moving to
    depth_mm: float
    force: float

    @property
    def reason(self) -> str:
        return f"collision: {self.link} hits {self.other} at t={self.time:.2f} s"


@dataclass
class MoveReport:
    to_waypoint: int
    name: str
    duration: float  # simulated seconds until settled
    profile_time: float  # commanded profile length
    joint_displacement: list[float]  # rad, per arm joint
    settle_time: float
    tracking_error: float = 0.0  # rad: largest joint lag behind the commanded profile during the move


@dataclass
class TaskReport:
    task_id: str
    cycle_time: float | None
    reachable: bool
    unreachable: list[Unreachable] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    path_length: float = 0.0  # m travelled by the tool centre point in one cycle
    peak_joint_speeds: list[float] = field(default_factory=list)  # rad/s per arm joint
    moves: list[MoveReport] = field(default_factory=list)
    gripper_time: float = 0.0
    payload: float = 0.0
    overload: str | None = None
    warnings: list[str] = field(default_factory=list)
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.reachable and not self.collisions and self.overload is None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskReport":
        data = {k: v for k, v in data.items() if k != "ok"}
        data["unreachable"] = [Unreachable(**u) for u in data.get("unreachable", [])]
        data["collisions"] = [Collision(**c) for c in data.get("collisions", [])]
        data["moves"] = [MoveReport(**m) for m in data.get("moves", [])]
        return cls(**data)


@dataclass
class CellReport:
    station_id: str
    robot: str
    tasks: list[TaskReport]
    problems: list[Problem] = field(default_factory=list)  # cell-level, paths relative to the station
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(t.ok for t in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "station": self.station_id,
            "robot": self.robot,
            "ok": self.ok,
            "problems": [str(p) for p in self.problems],
            "warnings": list(self.warnings),
            "tasks": [t.to_dict() for t in self.tasks],
        }

    def layout_problems(self, prefix: str, cell: RobotCell) -> list[Problem]:
        """Every problem as a `Problem` with a layout field path under `prefix` (the station)."""
        out = [Problem(f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in self.problems]
        for j, (task, rep) in enumerate(zip(cell.tasks, self.tasks)):
            tpath = f"{prefix}.cell.tasks[{j}]"
            for u in rep.unreachable:
                out.append(Problem(f"{tpath}.waypoints[{u.index}]", u.reason))
            for c in rep.collisions:
                out.append(Problem(f"{tpath}.waypoints[{c.waypoint}]", c.reason))
            if rep.overload:
                out.append(Problem(f"{tpath}.payload", rep.overload))
        return out


# --- motion profile --------------------------------------------------------------------------


def trapezoid_time(distance: float, vmax: float, amax: float) -> float:
    """Shortest time to travel `distance` from rest to rest under |v| <= vmax, |a| <= amax."""
    d = abs(distance)
    if d == 0:
        return 0.0
    if vmax * vmax / amax >= d:
        return 2.0 * math.sqrt(d / amax)
    return d / vmax + vmax / amax


def _scalar_profile(v: float, a: float) -> tuple[float, Any]:
    """Rest-to-rest trapezoid on s in [0, 1]; returns (duration, s(t))."""
    total = trapezoid_time(1.0, v, a)
    ta = min(v / a, total / 2)  # a triangle when full speed is never reached

    def s(t: float) -> float:
        if t <= ta:
            return 0.5 * a * t * t
        if t <= total - ta:
            return 0.5 * a * ta * ta + v * (t - ta)
        r = max(total - t, 0.0)
        return 1.0 - 0.5 * a * r * r

    return total, s


# --- the simulation --------------------------------------------------------------------------


def _quat(rpy_deg: tuple[float, float, float]) -> tuple[float, ...]:
    p = _pybullet()

    return p.getQuaternionFromEuler([math.radians(a) for a in rpy_deg])


def _angle_between(q1: Any, q2: Any) -> float:
    dot = abs(sum(a * b for a, b in zip(q1, q2)))
    return math.degrees(2 * math.acos(min(1.0, dot)))


def solve_ik(cid: int, body: RobotBody, xyz: Any, rpy: Any, seed: Any) -> tuple[Any, float, float]:
    """Joint angles for a tool pose (cell frame), refined from `seed`; returns
    (q, position error mm, orientation error deg) after clamping to the joint limits.

    A start is one null-space IK call (towards the home posture: for a redundant arm it keeps
    a consistent elbow and wrist, where plain least squares drifts) polished by plain damped
    least squares, which from there converges in a call or two with a tiny joint change (the
    null-space solver on its own stalls at 0.2-3 mm); or plain least squares alone. Starts:
    the previous waypoint's solution, then home turned to face the target, then home; the
    first whose residual is under `IK_GOOD_MM` / `IK_GOOD_DEG` wins."""
    import numpy as np
    p = _pybullet()

    target = np.array(xyz, dtype=float)
    orn = _quat(tuple(rpy))
    link_pos, link_orn = body.link_target(target.tolist(), orn)
    index = [body.movable.index(j) for j in body.arm_joints]
    nm = len(body.movable)
    lower = [-math.pi * 2] * nm
    upper = [math.pi * 2] * nm
    rest = [0.0] * nm
    for k, i in enumerate(index):
        lower[i], upper[i], rest[i] = float(body.lower[k]), float(body.upper[k]), float(body.home[k])
    ranges = [u - lo for lo, u in zip(lower, upper)]
    nullspace_args = dict(lowerLimits=lower, upperLimits=upper, jointRanges=ranges, restPoses=rest)
    best = (np.array(seed, dtype=float), 1e9, 180.0)
    base_pos, base_orn = p.getBasePositionAndOrientation(body.id, physicsClientId=cid)
    local = p.multiplyTransforms(*p.invertTransform(base_pos, base_orn), target.tolist(), (0, 0, 0, 1))[0]
    facing = np.array(body.home, dtype=float)
    facing[0] = float(np.clip(facing[0] + math.atan2(local[1], local[0]), body.lower[0], body.upper[0]))
    starts = ((seed, True), (seed, False), (facing, True), (body.home, True), (facing, False), (body.home, False))
    for start, nullspace in starts:
        q = np.array(start, dtype=float)
        body.set_arm(cid, q)
        for k in range(IK_PASSES):
            first_nullspace = nullspace and k == 0
            sol = p.calculateInverseKinematics(
                body.id, body.tcp, list(link_pos), link_orn, maxNumIterations=IK_NULLSPACE_ITERATIONS if first_nullspace else 100,
                residualThreshold=1e-6, physicsClientId=cid, **(nullspace_args if first_nullspace else {}),
            )
            q = np.clip(np.array([sol[i] for i in index]), body.lower, body.upper)
            body.set_arm(cid, q)
            pos, got = body.tcp_pose(cid)
            err = float(np.linalg.norm(pos - target) * 1000.0)
            ang = _angle_between(got, orn)
            if err + ang < best[1] + best[2]:
                best = (q.copy(), err, ang)
            if err < IK_DONE_MM and ang < IK_DONE_DEG:
                break
        if best[1] < IK_GOOD_MM and best[2] < IK_GOOD_DEG:
            break
    return best


class _Scene:
    """A cell loaded in a client: robot at its base pose, fixtures, the floor.

    `set_cell` re-places the robot base and swaps the fixtures for another cell of the same
    robot without reloading the URDF, then saves the world's state; `restore` puts the world
    back to that state (joint positions and velocities, contacts) before each task, so a
    task's numbers do not depend on what ran before it in the same client."""

    def __init__(self, cid: int, cell: RobotCell, robot: Robot):
        p = _pybullet()

        self.cid = cid
        p.resetSimulation(physicsClientId=cid)
        p.setGravity(0, 0, -9.81, physicsClientId=cid)
        p.setTimeStep(TIME_STEP, physicsClientId=cid)
        # deterministic pair order; up to 50 solver iterations (30 let a held 1-3 kg part drag
        # the motors: cycles 1-2 % longer than at 240 Hz), stopping early once the residual is
        # below SOLVER_RESIDUAL (the same cycle times on every sample cell as 1e-7, tracking to
        # 0.1 mrad, ~10 % faster)
        p.setPhysicsEngineParameter(deterministicOverlappingPairs=1, numSolverIterations=SOLVER_ITERATIONS,
                                    solverResidualThreshold=SOLVER_RESIDUAL, physicsClientId=cid)
        # the floor: a slab, not an infinite plane (whose bounding box overlaps every link and
        # costs a narrow-phase test per link and step)
        slab = p.createCollisionShape(p.GEOM_BOX, halfExtents=[FLOOR_HALF, FLOOR_HALF, 0.05], physicsClientId=cid)
        self.floor = p.createMultiBody(0, slab, -1, [0, 0, -0.05], physicsClientId=cid)
        self.robot = load_robot(cid, robot, tuple(cell.base.xyz), _quat(cell.base.rpy))
        self.loaded = p.saveState(physicsClientId=cid)
        self.fixtures: list[int] = []
        self.names: dict[int, tuple[str, str]] = {}
        self.state: int | None = None
        self.cell_key: str | None = None
        self.set_cell(cell)

    def set_cell(self, cell: RobotCell) -> None:
        p = _pybullet()

        cid, body = self.cid, self.robot
        key = json.dumps([cell.base.model_dump(mode="json"), [f.model_dump(mode="json") for f in cell.fixtures]],
                         sort_keys=True)
        if key == self.cell_key and self.state is not None:
            return
        if self.state is not None:
            p.removeState(self.state, physicsClientId=cid)
            self.state = None
        for fid in self.fixtures:
            p.removeBody(fid, physicsClientId=cid)
        # back to the robot as loaded (no contact caches from earlier cells), then the new cell
        p.restoreState(self.loaded, physicsClientId=cid)
        # PyBullet places a base by its centre of mass, not by the URDF link frame that loadURDF
        # and the cell's base pose mean: shift by the base's inertial frame
        inertial = p.getDynamicsInfo(body.id, -1, physicsClientId=cid)[3:5]
        com_pos, com_orn = p.multiplyTransforms(list(cell.base.xyz), _quat(cell.base.rpy), *inertial)
        p.resetBasePositionAndOrientation(body.id, com_pos, com_orn, physicsClientId=cid)
        self.fixtures = []
        self.names = {self.floor: ("floor", "floor")}
        for fx in cell.fixtures:
            shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=[s / 2 for s in fx.size], physicsClientId=cid)
            visual = p.createVisualShape(p.GEOM_BOX, halfExtents=[s / 2 for s in fx.size],
                                         rgbaColor=[0.55, 0.6, 0.7, 1], physicsClientId=cid)
            fid = p.createMultiBody(0, shape, visual, list(fx.pose.xyz), _quat(fx.pose.rpy), physicsClientId=cid)
            self.fixtures.append(fid)
            self.names[fid] = (f"fixture {fx.id}", "fixture")
        # the base never moves: its contacts with the floor or a pedestal are not collisions
        for other in self.names:
            p.setCollisionFilterPair(body.id, other, -1, -1, 0, physicsClientId=cid)
        body.set_arm(cid, body.home)
        for f in body.finger_joints:
            p.resetJointState(body.id, f, 0.04, 0.0, physicsClientId=cid)
        self.state = p.saveState(physicsClientId=cid)
        self.cell_key = key

    def restore(self) -> None:
        p = _pybullet()

        if self.state is not None:
            p.restoreState(self.state, physicsClientId=self.cid)


class _World:
    """One DIRECT client per robot model and process, with that robot loaded once."""

    def __init__(self, cell: RobotCell, robot: Robot) -> None:
        self.client = PhysicsClient()
        self.scene = _Scene(self.client.connect(), cell, robot)


_WORLDS: dict[str, _World] = {}
_LOCK = threading.RLock()
MAX_WORLDS = 4  # robot models kept loaded per process


def _close_worlds() -> None:
    while _WORLDS:
        _WORLDS.pop(next(iter(_WORLDS))).client.close()


atexit.register(_close_worlds)


def _scene_for(cell: RobotCell, robot: Robot) -> _Scene:
    """The process's scene for this robot, set up for `cell` (the URDF is loaded once)."""
    key = str(robot.urdf) + ":" + robot_digest(robot)
    world = _WORLDS.pop(key, None)
    if world is None:
        if len(_WORLDS) >= MAX_WORLDS:
            _WORLDS.pop(next(iter(_WORLDS))).client.close()
        world = _World(cell, robot)
    _WORLDS[key] = world  # most recently used last
    world.scene.set_cell(cell)
    return world.scene


def _simulate_task(scene: _Scene, task: RobotTask) -> TaskReport:
    import numpy as np
    p = _pybullet()

    scene.restore()
    cid, body = scene.cid, scene.robot
    spec = body.robot.spec
    report = TaskReport(task.id, None, True, payload=task.payload, warnings=list(body.robot.warnings))
    if spec is not None and task.payload > spec.payload:
        report.overload = f"payload {task.payload:g} kg exceeds the {spec.model}'s rated {spec.payload:g} kg"

    # 1. inverse kinematics for every waypoint
    seed = np.array(body.home)
    configs = []
    for k, wp in enumerate(task.waypoints):
        q, err, ang = solve_ik(cid, body, wp.xyz, wp.rpy, seed)
        if err > REACH_TOLERANCE_MM or ang > ORIENT_TOLERANCE_DEG:
            report.unreachable.append(Unreachable(k, wp.name, round(err, 2), round(ang, 2)))
        configs.append(q)
        seed = q
    if report.unreachable:
        report.reachable = False
        return report

    # 2. one closed cycle: from waypoint 0 through the others and back to 0
    n = len(body.arm_joints)
    body.set_arm(cid, configs[0])
    p.setJointMotorControlArray(body.id, body.arm_joints, p.POSITION_CONTROL, targetPositions=list(configs[0]),
                                forces=body.forces, physicsClientId=cid)
    vmax = np.array(body.velocity) * task.speed_scale
    amax_free = np.array(body.acceleration) * task.accel_scale
    rated = spec.payload if spec is not None else max(task.payload, 1.0)
    amax_loaded = amax_free * (1.0 - PAYLOAD_DERATE * min(task.payload / rated, 1.0)) if task.payload else amax_free
    part: int | None = None
    grip_links = [body.links[g] for g in (spec.gripper_links if spec else ()) if g in body.links] or [body.tcp]
    t_cycle = 0.0
    peak = [0.0] * n
    path = 0.0
    prev_tcp = body.tcp_position(cid)
    seen: dict[tuple[str, str], Collision] = {}
    order = list(range(1, len(configs))) + [0]
    last = 0
    gains_p, gains_v = [POSITION_GAIN] * n, [VELOCITY_GAIN] * n
    zero = [0.0] * n
    settle_max = int(round(SETTLE_MAX / TIME_STEP))

    def attach() -> int | None:
        if task.payload <= 0:
            return None
        pos, orn = body.tcp_pose(cid)
        half = [PART_SIZE / 2] * 3
        shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=cid)
        pid = p.createMultiBody(task.payload, shape, -1, list(pos), orn, physicsClientId=cid)
        # constraint frames are relative to the link's centre of mass, not its frame
        inertial = p.getDynamicsInfo(body.id, body.tcp, physicsClientId=cid)[3:5]
        frame_pos, frame_orn = p.multiplyTransforms(*p.invertTransform(*inertial), *body.tool_frame())
        c = p.createConstraint(body.id, body.tcp, pid, -1, p.JOINT_FIXED, [0, 0, 0], frame_pos, [0, 0, 0],
                               parentFrameOrientation=frame_orn, physicsClientId=cid)
        p.changeConstraint(c, maxForce=1e5, physicsClientId=cid)
        for link in grip_links:
            p.setCollisionFilterPair(body.id, pid, link, -1, 0, physicsClientId=cid)
        return pid

    def record_contacts(target: int) -> None:
        # every contact in the world involves the robot or the part: fixtures and the floor are
        # static and static pairs are never tested, so one query per step finds them all
        for c in p.getContactPoints(physicsClientId=cid):
            depth, force = -c[8], c[9]
            if depth < COLLISION_DEPTH and force < COLLISION_FORCE:
                continue
            a, b, la, lb = c[1], c[2], c[3], c[4]
            if a not in (body.id, part):
                a, b, la, lb = b, a, lb, la
            if a == part and b == body.id:
                a, b, la, lb = b, a, lb, la  # reported from the robot's side
            name = "payload" if a == part else body.link_name(la)
            if b == body.id:
                other, kind = body.link_name(lb), "self"
            elif b == part:
                other, kind = "payload", "self"
            else:
                other, kind = scene.names.get(b, (f"body {b}", "other"))
            key = (name, other)
            if key not in seen:
                seen[key] = Collision(name, other, kind, round(t_cycle, 4), target, round(depth * 1000, 2), round(force, 2))

    try:
        for target in order:
            q0, q1 = np.array(configs[last]), np.array(configs[target])
            d = q1 - q0
            amax = amax_loaded if part is not None else amax_free
            big = np.abs(d) > 1e-9
            if big.any():
                v_s = float(np.min(vmax[big] / np.abs(d[big])))
                a_s = float(np.min(amax[big] / np.abs(d[big])))
                total, prof = _scalar_profile(v_s, a_s)
            else:
                total, prof = 0.0, lambda t: 1.0
            steps = int(math.ceil(total / TIME_STEP - 1e-9))
            settle_steps = 0
            tracking = 0.0
            q0l, dl, q1l = q0.tolist(), d.tolist(), q1.tolist()
            for i in range(1, steps + 1 + settle_max):
                if i <= steps:
                    s = prof(min(i * TIME_STEP, total))
                    qt = [a + b * s for a, b in zip(q0l, dl)]
                else:
                    qt = q1l
                p.setJointMotorControlArray(
                    body.id, body.arm_joints, p.POSITION_CONTROL, targetPositions=qt, targetVelocities=zero,
                    forces=body.forces, positionGains=gains_p, velocityGains=gains_v, physicsClientId=cid,
                )
                p.stepSimulation(physicsClientId=cid)
                t_cycle += TIME_STEP
                states = p.getJointStates(body.id, body.arm_joints, physicsClientId=cid)
                speed = lag = 0.0
                for k, st_ in enumerate(states):
                    v, e = abs(st_[1]), abs(st_[0] - qt[k])
                    if v > peak[k]:
                        peak[k] = v
                    if v > speed:
                        speed = v
                    if e > lag:
                        lag = e
                if i <= steps and lag > tracking:
                    tracking = lag
                tcp = body.tcp_position(cid)
                path += math.dist(tcp, prev_tcp)
                prev_tcp = tcp
                record_contacts(target)
                # from the profile's last step on, qt is the target (q1)
                if i >= steps and speed < SETTLE_SPEED and lag < SETTLE_POSITION:
                    settle_steps = i - steps
                    break
            else:
                settle_steps = settle_max
                report.warnings.append(f"move to {task.waypoints[target].name} did not settle within {SETTLE_MAX} s")
            duration = (steps + settle_steps) * TIME_STEP
            report.moves.append(MoveReport(target, task.waypoints[target].name, round(duration, 6), round(total, 6),
                                           [round(float(x), 6) for x in d], round(settle_steps * TIME_STEP, 6),
                                           round(tracking, 6)))
            action = task.waypoints[target].action
            if action == "grip" and part is None:
                t_cycle += task.gripper_close
                report.gripper_time += task.gripper_close
                part = attach()
            elif action == "release":
                t_cycle += task.gripper_open
                report.gripper_time += task.gripper_open
                if part is not None:
                    p.removeBody(part, physicsClientId=cid)
                    part = None
            last = target
    finally:
        if part is not None:
            p.removeBody(part, physicsClientId=cid)
    report.cycle_time = round(t_cycle, 6)
    report.path_length = round(path, 6)
    report.peak_joint_speeds = [round(x, 4) for x in peak]
    report.collisions = sorted(seen.values(), key=lambda c: (c.time, c.link, c.other))
    return report


# --- cache -----------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    env = os.environ.get("FACTORY_TWIN_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "factory-twin" / "cells"


_PYBULLET_VERSION: str | None = None


def _pybullet_version() -> str:
    global _PYBULLET_VERSION
    if _PYBULLET_VERSION is None:
        from importlib.metadata import version

        _PYBULLET_VERSION = version("pybullet")
    return _PYBULLET_VERSION


def task_key(cell: RobotCell, task: RobotTask, robot: Robot) -> str:
    """Hash of everything that affects one task's result (not the station's id or place)."""
    data = {
        "model": MODEL_VERSION,
        "physics": {"time_step": TIME_STEP, "solver_iterations": SOLVER_ITERATIONS, "solver_residual": SOLVER_RESIDUAL,
                    "gains": [POSITION_GAIN, VELOCITY_GAIN]},
        "pybullet": _pybullet_version(),
        "robot": robot_digest(robot),
        "base": cell.base.model_dump(mode="json"),
        "fixtures": [f.model_dump(mode="json") for f in cell.fixtures],
        "task": task.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _cache_read(cache_dir: Path, key: str) -> TaskReport | None:
    path = cache_dir / key[:2] / f"{key}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        report = TaskReport.from_dict(data)
    except TypeError:
        return None
    report.from_cache = True
    return report


def _cache_write(cache_dir: Path, key: str, report: TaskReport) -> None:
    folder = cache_dir / key[:2]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(report.to_dict()))
        tmp.replace(folder / f"{key}.json")
    except OSError:
        pass  # a read-only cache only costs time


# --- public API ------------------------------------------------------------------------------


def _fit_problems(station: Station) -> list[Problem]:
    """Base, fixtures and waypoints must lie inside the station's footprint (cell frame)."""
    cell = station.cell
    assert cell is not None
    w, d = station.footprint.width, station.footprint.depth
    foot = Rect(-w / 2, -d / 2, w / 2, d / 2)
    out = []
    bx, by, _ = cell.base.xyz
    if not foot.contains_point((bx, by)):
        out.append(Problem("cell.base", f"robot base ({bx:g}, {by:g}) lies outside the {w:g} x {d:g} m footprint"))
    for i, fx in enumerate(cell.fixtures):
        x, y, _ = fx.pose.xyz
        # a fixture rotated only about z: check its rotated corners
        yaw = math.radians(fx.pose.rpy[2])
        ex = abs(math.cos(yaw)) * fx.size[0] / 2 + abs(math.sin(yaw)) * fx.size[1] / 2
        ey = abs(math.sin(yaw)) * fx.size[0] / 2 + abs(math.cos(yaw)) * fx.size[1] / 2
        if not Rect(x - ex, y - ey, x + ex, y + ey).within(foot):
            out.append(Problem(f"cell.fixtures[{i}]", f"fixture {fx.id} sticks out of the {w:g} x {d:g} m footprint"))
    for j, task in enumerate(cell.tasks):
        for k, wp in enumerate(task.waypoints):
            if not foot.contains_point(wp.xyz[:2]):
                out.append(Problem(f"cell.tasks[{j}].waypoints[{k}]", f"waypoint {wp.name} ({wp.xyz[0]:g}, {wp.xyz[1]:g}) "
                                                                       "lies outside the footprint"))
    return out


def simulate_cell(station: Station, layout_dir: Path | str | None, cache_dir: Path | str | None = None,
                  use_cache: bool = True) -> CellReport:
    """Simulate every task of a robot-cell station (cell frame; its floor place does not matter).
    Raises `LayoutError` when the station has no cell or its robot cannot be resolved."""
    if station.cell is None:
        raise LayoutError(Problem(f"station {station.id}", "has no robot cell to simulate"))
    cell = station.cell
    robot = resolve_robot(cell.robot, layout_dir, path="cell.robot")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    reports: list[TaskReport | None] = []
    keys = []
    for task in cell.tasks:
        key = task_key(cell, task, robot)
        keys.append(key)
        reports.append(_cache_read(folder, key) if use_cache else None)
    if any(r is None for r in reports):
        with _LOCK:  # the process's worlds are shared: one simulation at a time (threads, e.g. the app)
            scene = _scene_for(cell, robot)
            for i, task in enumerate(cell.tasks):
                if reports[i] is None:
                    rep = _simulate_task(scene, task)
                    if use_cache:
                        _cache_write(folder, keys[i], rep)
                    reports[i] = rep
    return CellReport(station.id, robot.name, [r for r in reports if r is not None], _fit_problems(station),
                      list(robot.warnings))


def robot_cells(layout: Layout) -> Iterator[tuple[int, Station]]:
    for i, station in enumerate(layout.stations):
        if station.kind == "robot_cell" and station.cell is not None:
            yield i, station


def simulate_layout(layout: Layout, layout_dir: Path | str | None, cache_dir: Path | str | None = None,
                    use_cache: bool = True) -> tuple[dict[str, CellReport], list[Problem]]:
    """Reports for every robot cell, and every problem with its layout field path."""
    reports, problems = {}, []
    for i, station in robot_cells(layout):
        try:
            rep = simulate_cell(station, layout_dir, cache_dir, use_cache=use_cache)
        except LayoutError as exc:
            problems += [Problem(f"stations[{i}].{p.path}" if p.path else f"stations[{i}]", p.message) for p in exc.problems]
            continue
        reports[station.id] = rep
        problems += rep.layout_problems(f"stations[{i}]", station.cell)
    return reports, problems


def task_times(layout: Layout, layout_dir: Path, cache_dir: Path | None = None) -> dict[tuple[str, str], float]:
    """Per-unit cycle seconds for every (robot_cell station id, task id), from physics.
    Raises `LayoutError` with one `Problem` per bad task (unreachable, colliding, overloaded)."""
    reports, problems = simulate_layout(layout, layout_dir, cache_dir)
    if problems:
        raise LayoutError(problems)
    out = {}
    for sid, rep in reports.items():
        for t in rep.tasks:
            assert t.cycle_time is not None
            out[(sid, t.task_id)] = t.cycle_time
    return out


# --- visuals ---------------------------------------------------------------------------------


_HOME_VISUALS: dict[str, list[tuple[str, Any, tuple[float, ...]]]] = {}


def _home_visuals(robot: Robot) -> list[tuple[str, Any, tuple[float, ...]]]:
    """The robot's mesh visuals at home, in its base link frame; loaded once per robot and process."""
    import numpy as np
    p = _pybullet()

    key = str(robot.urdf) + ":" + robot_digest(robot)
    if key in _HOME_VISUALS:
        return _HOME_VISUALS[key]
    out = []
    with PhysicsClient() as cid:
        body = load_robot(cid, robot, self_collision=False)
        for shape in p.getVisualShapeData(body.id, physicsClientId=cid):
            link, geom, dims, filename = shape[1], shape[2], shape[3], shape[4]
            if geom != p.GEOM_MESH or not filename:
                continue
            local_pos, local_orn, rgba = shape[5], shape[6], tuple(shape[7])
            if link < 0:
                lpos, lorn = p.getBasePositionAndOrientation(body.id, physicsClientId=cid)
                # pybullet gives the base's centre-of-mass frame; the visual is in its link frame
                inertial = p.getDynamicsInfo(body.id, -1, physicsClientId=cid)[3:5]
                lpos, lorn = p.multiplyTransforms(lpos, lorn, *p.invertTransform(*inertial))
            else:
                state = p.getLinkState(body.id, link, computeForwardKinematics=True, physicsClientId=cid)
                lpos, lorn = state[4], state[5]
            pos, orn = p.multiplyTransforms(lpos, lorn, local_pos, local_orn)
            m = np.eye(4)
            m[:3, :3] = np.array(p.getMatrixFromQuaternion(orn)).reshape(3, 3) @ np.diag(dims)
            m[:3, 3] = pos
            name = filename.decode() if isinstance(filename, bytes) else filename
            out.append((name, m, rgba))
    _HOME_VISUALS[key] = out
    return out


def robot_visuals(cell: RobotCell, layout_dir: Path | str | None) -> list[tuple[str, Any, tuple[float, ...]]]:
    """(mesh file, 4x4 transform of the mesh in the cell frame, rgba) for every visual of the
    robot in its home pose; a mesh scale is folded into the transform. Primitive visuals
    (boxes, spheres) that have no file are left out. The robot is loaded once per process;
    each call only moves its visuals to the cell's base pose."""
    import numpy as np
    p = _pybullet()

    robot = resolve_robot(cell.robot, layout_dir)
    base = np.eye(4)
    base[:3, :3] = np.array(p.getMatrixFromQuaternion(_quat(cell.base.rpy))).reshape(3, 3)
    base[:3, 3] = cell.base.xyz
    with _LOCK:
        home = _home_visuals(robot)
    return [(name, base @ m, rgba) for name, m, rgba in home]


def render_cell(station: Station, layout_dir: Path | str | None, png: Path | str, size: tuple[int, int] = (800, 600)) -> Path:
    """Save a picture of the cell with a copy of the robot at every waypoint of its tasks
    (PyBullet's software renderer, no display needed)."""
    import numpy as np
    p = _pybullet()
    from PIL import Image

    cell = station.cell
    if cell is None:
        raise LayoutError(Problem(f"station {station.id}", "has no robot cell to render"))
    robot = resolve_robot(cell.robot, layout_dir)
    with PhysicsClient() as cid:
        scene = _Scene(cid, cell, robot)
        body = scene.robot
        poses = []
        for task in cell.tasks:
            seed = np.array(body.home)
            for wp in task.waypoints:
                q, _, _ = solve_ik(cid, body, wp.xyz, wp.rpy, seed)
                poses.append(q)
                seed = q
        body.set_arm(cid, poses[0] if poses else body.home)
        for q in poses[1:12]:
            ghost = load_robot(cid, robot, tuple(cell.base.xyz), _quat(cell.base.rpy), self_collision=False)
            ghost.set_arm(cid, q)
            for j in range(-1, p.getNumJoints(ghost.id, physicsClientId=cid)):
                p.changeVisualShape(ghost.id, j, rgbaColor=[0.9, 0.6, 0.2, 1], physicsClientId=cid)
        hw, hd = station.footprint.width / 2, station.footprint.depth / 2
        dist = max(hw, hd) * 2.2 + 0.5
        view = p.computeViewMatrixFromYawPitchRoll([0, 0, 0.4], dist, 35, -35, 0, 2, physicsClientId=cid)
        proj = p.computeProjectionMatrixFOV(50, size[0] / size[1], 0.05, 20, physicsClientId=cid)
        w, h, rgb, _, _ = p.getCameraImage(size[0], size[1], view, proj, renderer=p.ER_TINY_RENDERER,
                                           physicsClientId=cid)
    img = np.reshape(np.array(rgb, dtype=np.uint8), (h, w, 4))[:, :, :3]
    out = Path(png)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(out)
    return out
