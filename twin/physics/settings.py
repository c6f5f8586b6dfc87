"""The tuned constants of robot-cell physics, in one place.

Everything here that changes a result is part of the cache key (`twin.physics.cache`), so
modules read these as `settings.NAME` at call time (a benchmark or a test may change one)."""
from __future__ import annotations

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
VELOCITY_GAIN = 1.0
FLOOR_HALF = 5.0  # m: half the side of the floor slab under a cell
MAX_WORLDS = 4  # robot models kept loaded per physics context


def physics_key() -> dict:
    """The settings that change a simulated result, for the cache key."""
    return {"time_step": TIME_STEP, "solver_iterations": SOLVER_ITERATIONS, "solver_residual": SOLVER_RESIDUAL,
            "gains": [POSITION_GAIN, VELOCITY_GAIN]}
