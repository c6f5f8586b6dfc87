"""A robot's reach measured from its kinematics, against the manufacturer's datasheet."""
from __future__ import annotations

import pytest

from twin.physics.reach import measure_reach
from twin.robots import SPECS, resolve_robot


@pytest.mark.parametrize("name", sorted(SPECS))
def test_reach_measured_from_the_kinematics_matches_the_datasheet(name, physics):
    robot = resolve_robot(name, None)
    reach = measure_reach(robot, physics)
    assert reach.datasheet == pytest.approx(SPECS[name].reach, rel=0.05)
    # the tool reaches farther than the datasheet point, and not absurdly farther
    assert SPECS[name].reach < reach.horizontal < SPECS[name].reach + 0.3
    assert measure_reach(robot, physics) is reach  # measured once per context
