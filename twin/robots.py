"""Robot specifications and robot-file resolution for robot cells.

A robot cell names a robot either by a built-in name (`panda`, `kuka_iiwa`: the URDFs that
pybullet ships) or by a URDF path relative to the layout file's folder. `resolve_robot`
turns that name into a `Robot`: the URDF file, the tool-centre-point link, and the joint
limits to plan with. Limits come from the manufacturer's datasheet (`SPECS`) where we have
one, because a URDF is not a datasheet: pybullet's iiwa URDF says 10 rad/s for every joint
and no URDF carries acceleration limits. A URDF without a table entry plans with its own
velocity limits and an assumed acceleration, and says so in `Robot.warnings`.

This module is data and file handling only: it never starts PyBullet (a robot's measured
reach lives in `twin.physics.reach`).
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from twin.errors import LayoutError, Problem
from twin.robot_files import check_urdf

DEG = math.pi / 180.0


@dataclass(frozen=True)
class RobotSpec:
    """Datasheet figures for one robot model, and how they map onto its URDF.

    `reach` is the manufacturer's maximum reach, measured (as the datasheet defines it) from
    the shoulder (`reach_from` link origin) to `reach_to` link origin; `tcp_link` plus
    `tcp_offset` (metres along the link's z axis), turned by `tcp_yaw` about that axis, is the
    tool centre point frame that waypoints
    address. `gripper_links` may touch the carried part without that being a collision.
    """

    name: str
    model: str
    urdf: str  # relative to pybullet_data
    joint_velocity: tuple[float, ...]  # rad/s
    joint_acceleration: tuple[float, ...]  # rad/s^2
    payload: float  # kg, rated
    reach: float  # m
    reach_from: str
    reach_to: str
    tcp_link: str
    tcp_offset: float
    home: tuple[float, ...]  # rad, arm joints
    gripper_links: tuple[str, ...]
    finger_joints: tuple[str, ...] = ()
    tcp_yaw: float = 0.0  # deg: tool frame turned about the link's z so rpy (180, 0, 0) is 'down' at home
    source: str = ""


# Franka Emika Panda. Source: Franka Control Interface documentation, "Robot and interface
# specifications" (frankaemika.github.io/docs/control_parameters.html), joint space limits:
# dq_max = 2.1750 (A1-A4), 2.6100 (A5-A7) rad/s; ddq_max = 15, 7.5, 10, 12.5, 15, 20, 20 rad/s^2.
# Franka Emika Panda datasheet: payload 3 kg, maximum reach 855 mm (shoulder to flange).
PANDA = RobotSpec(
    name="panda",
    model="Franka Emika Panda",
    urdf="franka_panda/panda.urdf",
    joint_velocity=(2.1750, 2.1750, 2.1750, 2.1750, 2.6100, 2.6100, 2.6100),
    joint_acceleration=(15.0, 7.5, 10.0, 12.5, 15.0, 20.0, 20.0),
    payload=3.0,
    reach=0.855,
    reach_from="panda_link2",
    reach_to="panda_link8",
    tcp_link="panda_grasptarget",
    tcp_offset=0.0,
    home=(0.0, -math.pi / 4, 0.0, -3 * math.pi / 4, 0.0, math.pi / 2, math.pi / 4),
    gripper_links=("panda_link7", "panda_link8", "panda_hand", "panda_leftfinger", "panda_rightfinger", "panda_grasptarget"),
    finger_joints=("panda_finger_joint1", "panda_finger_joint2"),
    source="Franka Control Interface docs, control_parameters.html; Panda datasheet (3 kg, 855 mm)",
)

# KUKA LBR iiwa 14 R820 (pybullet's kuka_iiwa/model.urdf has the 14 R820's link lengths:
# 360 + 420 + 400 + 126 mm). Source: KUKA "LBR iiwa" specification / data sheet (KUKA
# Roboter GmbH, Spez LBR iiwa): rated payload 14 kg, maximum reach 820 mm (A2 axis to the
# wrist point on A6), axis speeds A1 85, A2 85, A3 100, A4 75, A5 130, A6 135, A7 135 deg/s.
# The datasheet gives no joint accelerations; we ASSUME each axis reaches full speed in
# 0.25 s (accel = speed / 0.25 s), a conservative figure for a 14 kg cobot under load.
_IIWA_SPEED = tuple(v * DEG for v in (85, 85, 100, 75, 130, 135, 135))
KUKA_IIWA = RobotSpec(
    name="kuka_iiwa",
    model="KUKA LBR iiwa 14 R820",
    urdf="kuka_iiwa/model.urdf",
    joint_velocity=_IIWA_SPEED,
    joint_acceleration=tuple(v / 0.25 for v in _IIWA_SPEED),
    payload=14.0,
    reach=0.820,
    reach_from="lbr_iiwa_link_2",
    reach_to="lbr_iiwa_link_6",
    tcp_link="lbr_iiwa_link_7",
    tcp_offset=0.10,  # assumed tool (gripper or screwdriver) length past the flange
    tcp_yaw=180.0,
    home=(0.0, 0.6, 0.0, -1.4, 0.0, 1.1, 0.0),
    gripper_links=("lbr_iiwa_link_7",),
    source="KUKA LBR iiwa 14 R820 specification (payload 14 kg, reach 820 mm, axis speeds)",
)

SPECS: dict[str, RobotSpec] = {"panda": PANDA, "kuka_iiwa": KUKA_IIWA}
ALIASES = {"franka_panda": "panda", "iiwa": "kuka_iiwa", "kuka": "kuka_iiwa", "lbr_iiwa": "kuka_iiwa"}

# A URDF without a table entry: acceleration assumed when the file gives none.
DEFAULT_ACCELERATION = 5.0  # rad/s^2


@dataclass(frozen=True)
class Robot:
    """A resolved robot: the file to load and the limits to plan with."""

    name: str
    urdf: Path
    spec: RobotSpec | None
    warnings: tuple[str, ...] = field(default=())


def pybullet_data_path() -> Path:
    import pybullet_data

    return Path(pybullet_data.getDataPath())


def resolve_robot(robot: str, layout_dir: Path | str | None, path: str = "cell.robot") -> Robot:
    """The `Robot` a cell names: a built-in name, or a URDF next to the layout that keeps the
    rule of `twin.robot_files` (inside the layout's folder with every file it references, of
    bounded size, a real URDF). Anything else raises `LayoutError` at `path`; no physics runs."""
    key = ALIASES.get(robot, robot)
    if key in SPECS:
        spec = SPECS[key]
        return Robot(key, pybullet_data_path() / spec.urdf, spec)
    if not robot.lower().endswith(".urdf"):
        known = ", ".join(sorted(SPECS))
        raise LayoutError(Problem(path, f"unknown robot {robot!r}: use one of {known} or a .urdf file next to the layout"))
    if layout_dir is None:
        raise LayoutError(Problem(path, f"robot file {robot!r} needs the layout's folder to resolve against"))
    resolved = check_urdf(robot, layout_dir, path)
    warning = (
        f"robot {robot!r} has no datasheet entry: planning with the URDF's own velocity limits "
        f"and an assumed {DEFAULT_ACCELERATION} rad/s^2 acceleration"
    )
    return Robot(robot, resolved, None, (warning,))


@lru_cache(maxsize=64)
def _references(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, str], ...]:
    """(name as written, file) of everything the URDF references (meshes change collisions too)."""
    text = Path(path).read_bytes()
    out = []
    for ref in sorted(set(re.findall(rb'filename="([^"]+)"', text))):
        name = ref.decode(errors="replace").removeprefix("package://")
        out.append((name, str(Path(path).parent / name)))
    return tuple(out)


@lru_cache(maxsize=64)
def _file_digest(path: str, stamps: tuple) -> str:
    """The URDF's bytes and each referenced file's, streamed (a file outside the layout's
    folder or over the size limit never gets here: `twin.robot_files` refused it). `stamps`
    (mtime and size of the URDF and of each reference) is the cache key only."""
    h = hashlib.sha256()
    h.update(Path(path).read_bytes())
    for name, target in _references(path, *stamps[0]):
        target = Path(target)
        if target.is_file():
            st = target.stat()
            h.update(name.encode() + str(st.st_size).encode())
            with target.open("rb") as f:
                h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, -1)
    return (st.st_mtime_ns, st.st_size)


def robot_digest(robot: Robot) -> str:
    """Hash of the robot file, the files it references, and the datasheet entry; read again
    whenever any of those files changes."""
    own = _stamp(robot.urdf)
    refs = _references(str(robot.urdf), *own)
    stamps = (own, *(_stamp(Path(target)) for _, target in refs))
    digest = _file_digest(str(robot.urdf), stamps)
    return hashlib.sha256((digest + repr(robot.spec)).encode()).hexdigest()
