"""Inverse kinematics: joint angles that put the tool centre point on a waypoint."""
from __future__ import annotations

import math
from typing import Any

from twin.physics import settings
from twin.physics.bodies import RobotBody
from twin.physics.client import invert, multiply, quat


def angle_between(q1: Any, q2: Any) -> float:
    """Degrees between two orientations (quaternions)."""
    dot = abs(sum(a * b for a, b in zip(q1, q2)))
    return math.degrees(2 * math.acos(min(1.0, dot)))


def solve_ik(body: RobotBody, xyz: Any, rpy: Any, seed: Any) -> tuple[Any, float, float]:
    """Joint angles for a tool pose (cell frame), refined from `seed`; returns
    (q, position error mm, orientation error deg) after clamping to the joint limits.

    A start is one null-space IK call (towards the home posture: for a redundant arm it keeps
    a consistent elbow and wrist, where plain least squares drifts) polished by plain damped
    least squares, which from there converges in a call or two with a tiny joint change (the
    null-space solver on its own stalls at 0.2-3 mm); or plain least squares alone. Starts:
    the previous waypoint's solution, then home turned to face the target, then home; the
    first whose residual is under `IK_GOOD_MM` / `IK_GOOD_DEG` wins."""
    import numpy as np

    client = body.client
    target = np.array(xyz, dtype=float)
    orn = quat(tuple(rpy))
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
    local = multiply(*invert(*client.base_pose(body.id)), target.tolist(), (0, 0, 0, 1))[0]
    facing = np.array(body.home, dtype=float)
    facing[0] = float(np.clip(facing[0] + math.atan2(local[1], local[0]), body.lower[0], body.upper[0]))
    starts = ((seed, True), (seed, False), (facing, True), (body.home, True), (facing, False), (body.home, False))
    for start, nullspace in starts:
        q = np.array(start, dtype=float)
        body.set_arm(q)
        for k in range(settings.IK_PASSES):
            first_nullspace = nullspace and k == 0
            sol = client.inverse_kinematics(
                body.id, body.tcp, list(link_pos), link_orn,
                settings.IK_NULLSPACE_ITERATIONS if first_nullspace else 100,
                **(nullspace_args if first_nullspace else {}),
            )
            q = np.clip(np.array([sol[i] for i in index]), body.lower, body.upper)
            body.set_arm(q)
            pos, got = body.tcp_pose()
            err = float(np.linalg.norm(pos - target) * 1000.0)
            ang = angle_between(got, orn)
            if err + ang < best[1] + best[2]:
                best = (q.copy(), err, ang)
            if err < settings.IK_DONE_MM and ang < settings.IK_DONE_DEG:
                break
        if best[1] < settings.IK_GOOD_MM and best[2] < settings.IK_GOOD_DEG:
            break
    return best
