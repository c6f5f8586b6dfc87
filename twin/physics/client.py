"""The PyBullet façade: one DIRECT connection, and every call the package makes, bound to it.

`PhysicsClient` owns its connection (`with PhysicsClient() as client:` disconnects on the way
out, whatever happens inside), so no caller carries a client id around, and the pybullet
module is fetched in one place (`pybullet()`, which keeps its build banner off the terminal).
Pure frame arithmetic (`multiply`, `invert`, `quat`, `matrix`) needs no connection.
"""
from __future__ import annotations

import math
import os
import sys
from typing import Any, Sequence

Vec = Sequence[float]
Pose = tuple[Any, Any]  # (position, quaternion xyzw)


def pybullet():
    """pybullet, imported once with its build banner kept off the user's terminal."""
    if "pybullet" not in sys.modules:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            import pybullet as _p  # noqa: F401  (the banner is printed here, on file descriptor 2)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    return sys.modules["pybullet"]


# --- frame arithmetic (no connection needed) -----------------------------------------------------


def multiply(pos_a: Vec, orn_a: Vec, pos_b: Vec, orn_b: Vec) -> Pose:
    return pybullet().multiplyTransforms(pos_a, orn_a, pos_b, orn_b)


def invert(pos: Vec, orn: Vec) -> Pose:
    return pybullet().invertTransform(pos, orn)


def quat(rpy_deg: Sequence[float]) -> tuple[float, ...]:
    """Quaternion (xyzw) of roll, pitch, yaw in degrees, as the layout file gives them."""
    return pybullet().getQuaternionFromEuler([math.radians(a) for a in rpy_deg])


def matrix(orn: Vec) -> tuple[float, ...]:
    """Row-major 3x3 rotation matrix of a quaternion."""
    return pybullet().getMatrixFromQuaternion(orn)


class PhysicsClient:
    """One PyBullet DIRECT connection and the calls made on it."""

    def __init__(self) -> None:
        self.p = pybullet()
        self.id: int | None = None

    def connect(self) -> "PhysicsClient":
        if self.id is None:
            self.id = self.p.connect(self.p.DIRECT)
        return self

    def close(self) -> None:
        if self.id is not None:
            try:
                self.p.disconnect(physicsClientId=self.id)
            finally:
                self.id = None

    def __enter__(self) -> "PhysicsClient":
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the world --------------------------------------------------------------------------

    def reset_world(self, time_step: float, solver_iterations: int, solver_residual: float) -> None:
        """An empty world with gravity, a fixed step and a deterministic pair order."""
        p, cid = self.p, self.id
        p.resetSimulation(physicsClientId=cid)
        p.setGravity(0, 0, -9.81, physicsClientId=cid)
        p.setTimeStep(time_step, physicsClientId=cid)
        p.setPhysicsEngineParameter(deterministicOverlappingPairs=1, numSolverIterations=solver_iterations,
                                    solverResidualThreshold=solver_residual, physicsClientId=cid)

    def step(self) -> None:
        self.p.stepSimulation(physicsClientId=self.id)

    def save_state(self) -> int:
        return self.p.saveState(physicsClientId=self.id)

    def restore_state(self, state: int) -> None:
        self.p.restoreState(state, physicsClientId=self.id)

    def remove_state(self, state: int) -> None:
        self.p.removeState(state, physicsClientId=self.id)

    # --- bodies -----------------------------------------------------------------------------

    def load_urdf(self, path: str, position: Vec, orientation: Vec, self_collision: bool) -> int:
        """A URDF with a fixed base (cached graphics shapes; self-collision if asked)."""
        p = self.p
        flags = p.URDF_ENABLE_CACHED_GRAPHICS_SHAPES | (p.URDF_USE_SELF_COLLISION if self_collision else 0)
        return p.loadURDF(path, position, orientation, useFixedBase=True, flags=flags, physicsClientId=self.id)

    def box(self, half_extents: Vec, position: Vec, orientation: Vec = (0, 0, 0, 1), mass: float = 0.0,
            rgba: Vec | None = None) -> int:
        """A box body (static when its mass is 0), with a visual shape when `rgba` is given."""
        p, cid = self.p, self.id
        shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=list(half_extents), physicsClientId=cid)
        visual = -1
        if rgba is not None:
            visual = p.createVisualShape(p.GEOM_BOX, halfExtents=list(half_extents), rgbaColor=list(rgba),
                                         physicsClientId=cid)
        return p.createMultiBody(mass, shape, visual, list(position), orientation, physicsClientId=cid)

    def remove_body(self, body: int) -> None:
        self.p.removeBody(body, physicsClientId=self.id)

    def joint_count(self, body: int) -> int:
        return self.p.getNumJoints(body, physicsClientId=self.id)

    def joint_info(self, body: int, joint: int) -> tuple:
        return self.p.getJointInfo(body, joint, physicsClientId=self.id)

    def is_fixed(self, info: tuple) -> bool:
        """Whether a `joint_info` tuple is a fixed joint."""
        return info[2] == self.p.JOINT_FIXED

    def base_pose(self, body: int) -> Pose:
        """Where PyBullet keeps the base: its centre-of-mass frame."""
        return self.p.getBasePositionAndOrientation(body, physicsClientId=self.id)

    def set_base_pose(self, body: int, position: Vec, orientation: Vec) -> None:
        self.p.resetBasePositionAndOrientation(body, position, orientation, physicsClientId=self.id)

    def inertial_frame(self, body: int, link: int) -> Pose:
        """A link's centre-of-mass frame relative to its link frame."""
        return self.p.getDynamicsInfo(body, link, physicsClientId=self.id)[3:5]

    def link_frame(self, body: int, link: int) -> Pose:
        """A link's world frame (forward kinematics computed)."""
        state = self.p.getLinkState(body, link, computeForwardKinematics=True, physicsClientId=self.id)
        return state[4], state[5]

    def set_joint(self, body: int, joint: int, position: float, velocity: float = 0.0) -> None:
        self.p.resetJointState(body, joint, position, velocity, physicsClientId=self.id)

    def joint_states(self, body: int, joints: list[int]) -> list[tuple]:
        return self.p.getJointStates(body, joints, physicsClientId=self.id)

    def position_control(self, body: int, joints: list[int], targets: list[float], forces: list[float],
                         **gains: Any) -> None:
        """Joint motors towards `targets`; `gains` passes targetVelocities, positionGains and
        velocityGains through (PyBullet's defaults when left out)."""
        self.p.setJointMotorControlArray(body, joints, self.p.POSITION_CONTROL, targetPositions=targets, forces=forces,
                                         physicsClientId=self.id, **gains)

    def inverse_kinematics(self, body: int, link: int, position: Vec, orientation: Vec, iterations: int,
                           **limits: Any) -> tuple[float, ...]:
        """One value per movable joint; `limits` passes PyBullet's null-space arguments."""
        return self.p.calculateInverseKinematics(body, link, position, orientation, maxNumIterations=iterations,
                                                 residualThreshold=1e-6, physicsClientId=self.id, **limits)

    def weld(self, parent: int, parent_link: int, child: int, frame_pos: Vec, frame_orn: Vec,
             max_force: float) -> int:
        """A fixed constraint holding `child` at a frame of the parent link's centre of mass."""
        p, cid = self.p, self.id
        c = p.createConstraint(parent, parent_link, child, -1, p.JOINT_FIXED, [0, 0, 0], frame_pos, [0, 0, 0],
                               parentFrameOrientation=frame_orn, physicsClientId=cid)
        p.changeConstraint(c, maxForce=max_force, physicsClientId=cid)
        return c

    # --- contacts ---------------------------------------------------------------------------

    def detect_collisions(self) -> None:
        self.p.performCollisionDetection(physicsClientId=self.id)

    def contacts(self, a: int | None = None, b: int | None = None) -> tuple:
        """Contact points of the last step (between `a` and `b` when given)."""
        if a is None:
            return self.p.getContactPoints(physicsClientId=self.id)
        return self.p.getContactPoints(a, b, physicsClientId=self.id)

    def ignore_pair(self, a: int, b: int, link_a: int, link_b: int) -> None:
        self.p.setCollisionFilterPair(a, b, link_a, link_b, 0, physicsClientId=self.id)

    # --- looks ------------------------------------------------------------------------------

    def mesh_visuals(self, body: int) -> list[tuple]:
        """`getVisualShapeData` rows of the body's mesh visuals that name a file."""
        return [s for s in self.p.getVisualShapeData(body, physicsClientId=self.id)
                if s[2] == self.p.GEOM_MESH and s[4]]

    def recolour(self, body: int, rgba: Vec) -> None:
        for link in range(-1, self.joint_count(body)):
            self.p.changeVisualShape(body, link, rgbaColor=list(rgba), physicsClientId=self.id)

    def picture(self, size: tuple[int, int], target: Vec, distance: float, yaw: float, pitch: float) -> Any:
        """An RGB image (h x w x 3, uint8) from PyBullet's software renderer."""
        import numpy as np

        p, cid = self.p, self.id
        view = p.computeViewMatrixFromYawPitchRoll(list(target), distance, yaw, pitch, 0, 2, physicsClientId=cid)
        proj = p.computeProjectionMatrixFOV(50, size[0] / size[1], 0.05, 20, physicsClientId=cid)
        w, h, rgb, _, _ = p.getCameraImage(size[0], size[1], view, proj, renderer=p.ER_TINY_RENDERER,
                                           physicsClientId=cid)
        return np.reshape(np.array(rgb, dtype=np.uint8), (h, w, 4))[:, :, :3]
