"""A robot's reach, measured on its URDF: the datasheet reach (to check the model against the
manufacturer's figure) and the horizontal reach envelope that the safety clearance check
(`twin.safety`) draws on the floor. Measured once per robot and kept in the `Physics` context's
disk cache: 0.3-0.5 s a robot (kuka_iiwa, panda) that every validation of a layout with robots
paid, out of a `schedule` command's 10 s (the electronics sample's validation: 0.54 s, 0.04 s
with the reach read back)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from twin.physics.bodies import load_robot
from twin.physics.cache import reach_key
from twin.physics.client import PhysicsClient
from twin.physics.context import Physics
from twin.robots import Robot, resolve_robot

SEED = 12345  # the measurement samples the joint space with this seed: the same reach every time


@dataclass(frozen=True)
class Reach:
    """Reach measured on the URDF. `datasheet` is the spec's reach (shoulder to its reach
    point, as the manufacturer defines it); `horizontal` is the largest horizontal distance of
    the tool centre point from the base's vertical axis: the radius of the floor disc the
    robot can sweep, used by the safety clearance check."""

    datasheet: float | None
    horizontal: float


def _maximise(f, lo, hi, rng, samples: int = 1500, iters: int = 500) -> float:
    """Largest f over the box [lo, hi]: the best of random samples, then a shrinking random walk."""
    import numpy as np

    qs = rng.uniform(lo, hi, (samples, len(lo)))
    values = [f(q) for q in qs]
    best = int(np.argmax(values))
    q, v = qs[best], values[best]
    step = 0.3
    for i in range(iters):
        q2 = np.clip(q + rng.normal(0.0, step, len(lo)), lo, hi)
        v2 = f(q2)
        if v2 > v:
            q, v = q2, v2
        if i % 100 == 99:
            step *= 0.5
    return float(v)


def _measure(robot: Robot) -> Reach:
    import numpy as np

    rng = np.random.default_rng(SEED)
    with PhysicsClient() as client:
        body = load_robot(client, robot, self_collision=False)
        lo, hi = body.lower, body.upper

        def pos(link: int):
            return np.array(client.link_frame(body.id, link)[0])

        datasheet = None
        if robot.spec is not None:
            a, b = body.link(robot.spec.reach_from), body.link(robot.spec.reach_to)

            def dist(q):
                body.set_arm(q)
                return float(np.linalg.norm(pos(b) - pos(a)))

            datasheet = _maximise(dist, lo, hi, rng)

        def horizontal(q):
            body.set_arm(q)
            tcp = body.tcp_position()
            return float(math.hypot(tcp[0], tcp[1]))

        horiz = _maximise(horizontal, lo, hi, rng)
    return Reach(datasheet, horiz)


def measure_reach(robot: Robot, physics: Physics) -> Reach:
    """A robot's reach (deterministic: fixed seed), measured once per `physics` context and
    read from its disk cache when measured before."""
    key = reach_key(robot, SEED)
    if key not in physics.reach:
        data = physics.cache.read_json(key) if physics.cache is not None else None
        if data is not None and set(data) == {"datasheet", "horizontal"}:
            physics.reach[key] = Reach(**data)
        else:
            physics.reach[key] = _measure(robot)
            if physics.cache is not None:
                physics.cache.write_json(key, {"datasheet": physics.reach[key].datasheet,
                                               "horizontal": physics.reach[key].horizontal})
    return physics.reach[key]


def envelope_radius(robot: str, layout_dir: Path | str | None, physics: Physics) -> float:
    """Horizontal reach (m) of the robot a cell names, measured from its kinematics. Raises
    `LayoutError` when the robot cannot be resolved."""
    folder = str(Path(layout_dir).resolve()) if layout_dir is not None else None
    key = (robot, folder)
    if key not in physics.envelopes:
        physics.envelopes[key] = measure_reach(resolve_robot(robot, folder), physics).horizontal
    return physics.envelopes[key]
